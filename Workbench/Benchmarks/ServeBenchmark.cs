using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Numina.Engine.Configuration;
using Numina.Engine.Evaluation;
using Numina.Engine.Events;
using Numina.Engine.Models;
using Numina.Engine.Models.Llama;
using Numina.Engine.Models.Remote;
using Numina.Engine.Problems;
using Numina.Engine.Runs;

namespace Numina.Workbench.Benchmarks;

/// <summary>
/// <c>bench serve</c>, on the bundled model, side by side in one run:
/// <list type="bullet">
/// <item>an evaluation of the same problems with 1 and with 4 problems in flight (<c>eval --parallel</c>): problems per
/// second — several runs' candidates share the decode batch, and one run's code runs while others decode;</item>
/// <item>the same runs in-process and through the workbench's own <c>/v1/completions</c> (a <c>Workbench serve</c>
/// child process on loopback, reached by the remote backend): generated tokens per second.</item>
/// </list>
/// </summary>
public static class ServeBenchmark
{
    public static async Task<int> RunAsync(EngineOptions options, string configPath, int problems, int width, CancellationToken ct)
    {
        var entry = options.FindModel(null);
        var preset = options.PresetFor(entry);
        var settings = options.DefaultsFor(preset, entry);
        settings = settings with { Decoding = settings.Decoding with { Width = width, Seed = 0 } };
        // The bundled model's held-out problems, beside its file.
        var dataset = Dataset.Load(Path.Combine(Path.GetDirectoryName(entry.Path)!, "heldout-sample.jsonl"), problems);
        Console.WriteLine($"bench serve: {entry.Name}, {dataset.Problems.Count} problems of {dataset.Name}, N={width}, M={settings.Decoding.Depth}, {Environment.ProcessorCount} cores");

        await using var executor = options.CreateExecutor();
        double perSecond1, perSecond4;
        await using (var model = LlamaModel.Load(entry.Load))
        {
            var plan = new EvaluationPlan { Dataset = dataset, Preset = preset, Settings = settings, Greedy = false, Policy = dataset.SuggestedPolicy() };
            await Evaluate(model, executor, plan with { Parallel = 1 }, ct); // warm-up: the sandbox's workers, the caches
            // Alternated, best of two each: a 2-core machine's timings wander (Python and llama.cpp share the cores).
            perSecond1 = perSecond4 = 0;
            for (int i = 0; i < 2; i++)
            {
                perSecond1 = Math.Max(perSecond1, await Evaluate(model, executor, plan with { Parallel = 1 }, ct));
                perSecond4 = Math.Max(perSecond4, await Evaluate(model, executor, plan with { Parallel = 4 }, ct));
            }
            Console.WriteLine($"eval: {perSecond1:0.000} problems/s one at a time, {perSecond4:0.000} with 4 in flight");
        }

        await using var server = await ChildServer.StartAsync(configPath, firstUid: 64500, ct, new Dictionary<string, string> { ["NUMINA_Engine__Sandbox__Workers"] = "1" });
        {
            var remoteOptions = new RemoteModelOptions { Endpoints = [new ServerEndpoint { BaseUrl = $"{server.Url}/v1", Model = entry.Name }] };
            double local = 0, remote = 0;
            await using (var inProcess = LlamaModel.Load(entry.Load))
            await using (var overHttp = await OpenAiCompletionsModel.ConnectAsync(remoteOptions, null, ct))
            {
                await TokensPerSecond(overHttp, executor, dataset, preset, settings, ct); // warm-up over HTTP (connections, the server's caches)
                for (int i = 0; i < 2; i++) // alternated, best of two each
                {
                    local = Math.Max(local, await TokensPerSecond(inProcess, executor, dataset, preset, settings, ct));
                    remote = Math.Max(remote, await TokensPerSecond(overHttp, executor, dataset, preset, settings, ct));
                }
            }
            Console.WriteLine($"runs: {local:0} tok/s in-process, {remote:0} tok/s through /v1/completions");
            Console.WriteLine();
            Console.WriteLine($"value eval-problems-per-second-1 = {perSecond1:0.000} problems/s");
            Console.WriteLine($"value eval-problems-per-second-4 = {perSecond4:0.000} problems/s");
            Console.WriteLine($"value inprocess-tokens-per-second = {local:0} tok/s");
            Console.WriteLine($"value remote-tokens-per-second = {remote:0} tok/s");
            Console.WriteLine($"ratio eval-parallel-4-vs-1 = {perSecond4 / perSecond1:0.00}");
            Console.WriteLine($"ratio remote-vs-inprocess = {remote / local:0.00}");
        }
        return 0;
    }

    private static async Task<double> Evaluate(ILanguageModel model, Engine.Execution.ICodeExecutor executor, EvaluationPlan plan, CancellationToken ct)
    {
        var results = Path.Combine(Path.GetTempPath(), $"numina-bench-serve-{Guid.NewGuid():N}.jsonl");
        var clock = Stopwatch.StartNew();
        try { await new EvaluationRunner(model, executor).RunAsync(plan, results, null, ct); }
        finally { File.Delete(results); }
        return plan.Dataset.Problems.Count / clock.Elapsed.TotalSeconds;
    }

    /// <summary>The problems one after another, as a researcher's runs: generated tokens over wall time.</summary>
    private static async Task<double> TokensPerSecond(ILanguageModel model, Engine.Execution.ICodeExecutor executor, Dataset dataset,
        Engine.Presets.Preset preset, Engine.Settings.RunSettings settings, CancellationToken ct)
    {
        var loop = new SctirLoop(model, executor);
        long tokens = 0;
        var clock = Stopwatch.StartNew();
        foreach (var problem in dataset.Problems)
        {
            var record = await loop.RunAsync(new RunRequest { Problem = Problem.Create(problem.Problem, problem.Id, problem.Answer, dataset.Name), Preset = preset, Settings = settings }, new NullSink(), ct);
            if (record.Status != RunStatus.Finished) throw new InvalidOperationException($"A benchmark run did not finish: {record.Status} {record.Error}");
            tokens += record.GeneratedTokens;
        }
        return tokens / clock.Elapsed.TotalSeconds;
    }

    private sealed class NullSink : IRunEventSink
    {
        public void Publish(RunEvent e) { }
    }
}
