using Numina.Engine.Models.Gguf;
using Numina.Engine.Models.Llama;

namespace Numina.Engine.Tests.Backend;

/// <summary>Random llama models generated at test time (no model binary is committed for tests).</summary>
public static class TestModels
{
    public static readonly LlamaShape TinyShape = new() { Dim = 64, Layers = 2, Heads = 4, KvHeads = 2, FeedForward = 128, ContextLength = 4096 };
    private static readonly Lazy<string> TinyPath = new(() => Write("tiny", TinyShape, seed: 7, scale: 0.4f, preferPrintable: true));

    public static string Tiny => TinyPath.Value;

    public static string Write(string name, LlamaShape shape, int seed, float scale = 0.05f, string architecture = "llama", bool preferPrintable = false)
    {
        var path = TempPath($"{name}-{seed}");
        LlamaGguf.WriteRandom(path, shape, seed, scale, architecture, preferPrintable);
        return path;
    }

    /// <summary>A fresh path for a model file written by a test.</summary>
    public static string TempPath(string name)
    {
        var dir = Path.Combine(Path.GetTempPath(), "numina-test-models");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, $"{name}-{Guid.NewGuid():N}.gguf");
    }

    /// <summary>True when every character maps to exactly one token (printable ASCII and spaces).</summary>
    public static bool IsPlain(string text) => text.All(c => c is >= ' ' and <= '~');

    public static LlamaModel Load(string? path = null, int pool = 8192, int parallel = 64) =>
        LlamaModel.Load(new LlamaModelOptions { Path = path ?? Tiny, KvPoolTokens = pool, MaxParallelSequences = parallel, Threads = 2 });
}
