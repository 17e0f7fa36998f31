using System.Diagnostics;
using Numina.Engine.Events;
using Numina.Engine.Execution;
using Numina.Engine.Models;
using Numina.Engine.Models.Gguf;
using Numina.Engine.Models.Llama;
using Numina.Engine.Presets;
using Numina.Engine.Problems;
using Numina.Engine.Runs;
using Numina.Engine.Settings;

namespace Numina.Workbench.Benchmarks;

/// <summary>
/// <c>bench decode</c>: lock-step batched decoding on a generated F32 llama model of ~26 M parameters, measured side by
/// side in one run: aggregate tok/s for 1, 8 and 32 candidates; and, for a whole SC-TIR run (N = 8, M = 4, tool
/// outputs scripted), the prompt tokens evaluated with fork-and-append against re-sending every transcript each round.
/// </summary>
public static class DecodeBenchmark
{
    private static readonly LlamaShape Shape = new() { Dim = 512, Layers = 8, Heads = 8, KvHeads = 8, FeedForward = 1376, ContextLength = 4096 };

    /// <summary>
    /// Runs the throughput figures twice: with llama.cpp's flash attention and an F16 KV cache (fastest), and with the
    /// engine's reproducible defaults (no flash attention, F32 KV cache; see README). The headline ratios are the fast
    /// configuration's; the reproducible ones follow with a "-reproducible" suffix.
    /// </summary>
    public static async Task<int> RunAsync(int tokens, int repeats, int threads, CancellationToken ct)
    {
        var path = Path.Combine(Path.GetTempPath(), $"numina-bench-{Shape.Parameters}.gguf");
        if (!File.Exists(path)) LlamaGguf.WriteRandom(path, Shape, seed: 1, scale: 0.05f, preferPrintable: true);
        Console.WriteLine($"bench decode: random F32 llama, {Shape.Parameters / 1e6:0.0} M parameters ({new FileInfo(path).Length / 1e6:0} MB), {tokens} tokens per candidate, median of {repeats}, {threads} threads");
        var fast = await Rates(path, tokens, repeats, threads, flashAttention: true, ct);
        var reproducible = await Rates(path, tokens, repeats, threads, flashAttention: false, ct);

        await using var model = LoadModel(path, tokens, threads, flashAttention: false);
        var (fork, resend, record) = await PrefillComparison(model, ct);
        Console.WriteLine($"SC-TIR run N=8 M=4: {record.Candidates.Sum(c => c.RoundsUsed)} rounds, {record.Executions} tool outputs, {record.Restarts} restarts, {record.GeneratedTokens} generated and {record.AppendedTokens} appended tokens");
        Console.WriteLine($"prompt tokens evaluated: fork-and-append {fork}, re-sending each transcript {resend}");
        Console.WriteLine();
        foreach (var (name, rates) in new[] { ("", fast), ("-reproducible", reproducible) })
            foreach (var width in new[] { 1, 8, 32 })
                Console.WriteLine($"value decode-{width}{name} = {rates[width]:0} tok/s");
        Console.WriteLine($"ratio batched-8-vs-1-reproducible = {reproducible[8] / reproducible[1]:0.00}");
        Console.WriteLine($"ratio batched-32-vs-1-reproducible = {reproducible[32] / reproducible[1]:0.00}");
        Console.WriteLine($"ratio batched-8-vs-1 = {fast[8] / fast[1]:0.00}");
        Console.WriteLine($"ratio batched-32-vs-1 = {fast[32] / fast[1]:0.00}");
        Console.WriteLine($"ratio prefill-resend-vs-fork = {(double)resend / fork:0.00}");
        return 0;
    }

    private static LlamaModel LoadModel(string path, int tokens, int threads, bool flashAttention) => LlamaModel.Load(new LlamaModelOptions
    {
        Path = path, KvPoolTokens = Math.Max(40 * (tokens + 64), 8 * 1536 + 512), Threads = threads, MaxParallelSequences = 64,
        FlashAttention = flashAttention, KvCacheType = flashAttention ? KvCacheType.F16 : KvCacheType.F32,
    });

    private static async Task<Dictionary<int, double>> Rates(string path, int tokens, int repeats, int threads, bool flashAttention, CancellationToken ct)
    {
        await using var model = LoadModel(path, tokens, threads, flashAttention);
        var label = flashAttention ? "flash attention, F16 KV" : "no flash attention, F32 KV (reproducible default)";
        var rates = new Dictionary<int, double>();
        foreach (var width in new[] { 1, 8, 32 })
        {
            var samples = new List<double>();
            for (int r = 0; r < repeats; r++) samples.Add(await TokensPerSecond(model, width, tokens, ct));
            samples.Sort();
            rates[width] = samples[samples.Count / 2];
            Console.WriteLine($"{label}: {width,3} candidates: {rates[width],8:0} tok/s aggregate (runs: {string.Join(", ", samples.Select(x => x.ToString("0")))})");
        }
        return rates;
    }

    private static async Task<double> TokensPerSecond(LlamaModel model, int width, int tokens, CancellationToken ct)
    {
        using var prompt = await model.EvaluatePromptAsync("### Problem: What is the sum of the first 100 primes?\n### Solution: ",
            new PromptOptions { MaxSequenceTokens = tokens + 64, Sequences = width }, ct);
        var sequences = Enumerable.Range(0, width).Select(i => prompt.Fork(new SamplingSettings { Seed = (ulong)i + 1, Temperature = 1.0 })).ToList();
        var clock = Stopwatch.StartNew();
        var generations = await Task.WhenAll(sequences.Select(s => s.GenerateAsync(new GenerationRequest { MaxNewTokens = tokens }, null, ct)));
        var seconds = clock.Elapsed.TotalSeconds;
        foreach (var s in sequences) s.Dispose();
        return generations.Sum(g => g.TokenCount) / seconds;
    }

    /// <summary>
    /// A full run with single-letter fences so the random model calls its "tool" often; tool outputs are scripted.
    /// Fork-and-append evaluates the prompt once plus each appended output; re-sending evaluates, every round, the
    /// prompt and everything the candidate has so far (the Numina notebook's way).
    /// </summary>
    private static async Task<(long Fork, long Resend, RunRecord Record)> PrefillComparison(LlamaModel model, CancellationToken ct)
    {
        var preset = BuiltInPresets.Numina with { Name = "bench", CodeOpen = "x", CodeClose = "y", StopString = "z", RestartWithoutCode = false };
        long before = model.PrefillTokens;
        var sink = new RecordingEventSink();
        var request = new RunRequest
        {
            Problem = Problem.Create("What is the sum of the first 100 primes? Give the answer modulo 1000."),
            Preset = preset,
            Settings = new RunSettings { Decoding = new DecodingSettings { Width = 8, Depth = 4, Seed = 7, MaxNewTokensPerRound = 300, ContextSize = 1536, Temperature = 1.0 } },
        };
        await using var tool = new ScriptedTool();
        var record = await new SctirLoop(model, tool).RunAsync(request, sink, ct);
        long fork = model.PrefillTokens - before;

        // Re-sending: at each round, the whole transcript so far (prompt included) is evaluated again.
        long resend = 0;
        foreach (var c in record.Candidates)
            foreach (var a in c.Attempts)
                foreach (var round in a.Segments.Select(s => s.Round).Distinct())
                {
                    var before_round = string.Concat(a.Segments.Where(s => s.Round < round).Select(s => s.Text));
                    resend += model.TokenizePrompt(PromptText.Plain(record.Prompt + before_round)).Length;
                }
        return (fork, resend, record);
    }

    /// <summary>Scripted tool outputs: the benchmark measures the model, not Python.</summary>
    private sealed class ScriptedTool : ICodeExecutor
    {
        public ExecutorFacts Facts { get; } = new() { Name = "scripted outputs" };
        public Task<ICodeSession> OpenSessionAsync(CodeSessionOptions options, CancellationToken cancellationToken) => Task.FromResult<ICodeSession>(new Session());
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        private sealed class Session : ICodeSession
        {
            public Task<CellResult> RunAsync(string code, CancellationToken cancellationToken) =>
                Task.FromResult(new CellResult { Outcome = CellOutcome.Success, Stdout = $"{code.Length * 37 % 1000}\n" });
            public Task ResetAsync(CancellationToken cancellationToken) => Task.CompletedTask;
            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
