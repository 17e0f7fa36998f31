using System.CommandLine;
using Numina.Engine.Models.Gguf;

namespace Numina.Workbench.Cli;

/// <summary><c>Workbench random-model OUT</c>: a random llama GGUF with the character vocabulary, for trying the mechanics.</summary>
public static class RandomModelCommand
{
    public static Command Create()
    {
        var output = new Argument<FileInfo>("out") { Description = "Where to write the model." };
        var dim = new Option<int>("--dim") { DefaultValueFactory = _ => 64, Description = "Embedding size." };
        var layers = new Option<int>("--layers") { DefaultValueFactory = _ => 2 };
        var heads = new Option<int>("--heads") { DefaultValueFactory = _ => 4 };
        var ff = new Option<int>("--ff") { DefaultValueFactory = _ => 128, Description = "Feed-forward size." };
        var context = new Option<int>("--context") { DefaultValueFactory = _ => 4096 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1 };
        var scale = new Option<float>("--scale") { DefaultValueFactory = _ => 0.4f, Description = "Standard deviation of the weights." };
        var command = new Command("random-model", "Write a random llama-architecture GGUF model (meaningless text, real mechanics).")
        {
            output, dim, layers, heads, ff, context, seed, scale,
        };
        command.SetAction(parse =>
        {
            var shape = new LlamaShape
            {
                Dim = parse.GetValue(dim), Layers = parse.GetValue(layers), Heads = parse.GetValue(heads), KvHeads = parse.GetValue(heads),
                FeedForward = parse.GetValue(ff), ContextLength = parse.GetValue(context),
            };
            var path = parse.GetValue(output)!.FullName;
            LlamaGguf.WriteRandom(path, shape, parse.GetValue(seed), parse.GetValue(scale), preferPrintable: true);
            Console.WriteLine($"{path}: {shape.Parameters:N0} parameters, {new FileInfo(path).Length / 1e6:0.0} MB");
            return 0;
        });
        return command;
    }
}
