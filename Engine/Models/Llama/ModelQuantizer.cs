using LLama;
using LLama.Native;
using Numina.Engine.Models.Gguf;

namespace Numina.Engine.Models.Llama;

/// <summary>Quantizes a GGUF model with llama.cpp (through LLamaSharp's <see cref="LLamaQuantizer"/>).</summary>
public static class ModelQuantizer
{
    private static readonly Dictionary<string, LLamaFtype> Types = new(StringComparer.OrdinalIgnoreCase)
    {
        ["q8_0"] = LLamaFtype.MOSTLY_Q8_0,
        ["f16"] = LLamaFtype.MOSTLY_F16,
        ["q4_0"] = LLamaFtype.MOSTLY_Q4_0,
        ["q4_k_m"] = LLamaFtype.MOSTLY_Q4_K_M,
        ["q5_k_m"] = LLamaFtype.MOSTLY_Q5_K_M,
        ["q6_k"] = LLamaFtype.MOSTLY_Q6_K,
    };

    public static IReadOnlyCollection<string> SupportedTypes => Types.Keys;

    public static void Quantize(string input, string output, string type, int threads = 0)
    {
        if (!Types.TryGetValue(type, out var ftype))
            throw new ArgumentException($"Unknown quantization type '{type}'. Supported: {string.Join(", ", Types.Keys)}.");
        GgufReader.ReadHeader(input); // a clear error for a missing or non-GGUF input
        if (Path.GetFullPath(input) == Path.GetFullPath(output)) throw new ArgumentException("The output must be a different file from the input.");
        LlamaNative.EnsureConfigured(null); // the quantizer fails if it is the first call into llama.cpp
        var partial = output + ".partial";
        var (ok, lines, error) = LlamaNative.Capture(() => LLamaQuantizer.Quantize(input, partial, ftype, threads > 0 ? threads : Environment.ProcessorCount));
        if (!ok || !File.Exists(partial))
        {
            File.Delete(partial);
            throw new ModelFileException($"llama.cpp could not quantize '{input}' to {type}: {LlamaNative.Reason(lines) ?? error?.Message ?? "no reason given"}.");
        }
        File.Move(partial, output, overwrite: true);
    }
}
