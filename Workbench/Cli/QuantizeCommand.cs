using System.CommandLine;
using System.Diagnostics;
using Numina.Engine.Models.Llama;

namespace Numina.Workbench.Cli;

/// <summary><c>Workbench quantize IN OUT --type q8_0</c>: llama.cpp's quantizer through LLamaSharp.</summary>
public static class QuantizeCommand
{
    public static Command Create()
    {
        var input = new Argument<FileInfo>("in") { Description = "The GGUF model to quantize (F32 or F16)." };
        var output = new Argument<FileInfo>("out") { Description = "Where to write the quantized model." };
        var type = new Option<string>("--type") { Description = "Quantization type: " + string.Join(", ", ModelQuantizer.SupportedTypes), DefaultValueFactory = _ => "q8_0" };
        var command = new Command("quantize", "Quantize a GGUF model.") { input, output, type };
        command.SetAction(parse =>
        {
            var clock = Stopwatch.StartNew();
            var (from, to) = (parse.GetValue(input)!, parse.GetValue(output)!);
            ModelQuantizer.Quantize(from.FullName, to.FullName, parse.GetValue(type)!);
            to.Refresh();
            Console.WriteLine($"{from.Name} ({from.Length / 1e6:0.0} MB) → {to.Name} ({to.Length / 1e6:0.0} MB) as {parse.GetValue(type)} in {clock.Elapsed.TotalSeconds:0.0} s");
            return 0;
        });
        return command;
    }
}
