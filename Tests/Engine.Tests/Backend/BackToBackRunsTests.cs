using Microsoft.Extensions.Configuration;
using Numina.Engine.Configuration;
using Numina.Engine.Events;
using Numina.Engine.Models.Llama;
using Numina.Engine.Presets;
using Numina.Engine.Problems;
using Numina.Engine.Runs;
using Numina.Engine.Settings;
using Numina.Engine.Tests.Sandbox;
using Numina.Engine.Tests.Support;
using Xunit.Abstractions;

namespace Numina.Engine.Tests.Backend;

/// <summary>One loaded model serves run after run (the workbench's case): a wide run in waves must leave the pool as it found it.</summary>
[Collection("sandbox")]
public class BackToBackRunsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_wide_run_in_waves_then_another_run_both_finish()
    {
        var options = EngineOptions.Load(new ConfigurationBuilder().AddJsonFile(Path.Combine(Repo.Root, "appsettings.json")).Build(), Repo.Root);
        await using var model = LlamaModel.Load(options.Model with { Threads = 2 });
        await using var executor = SandboxKit.Pool(workers: 2);
        var loop = new SctirLoop(model, executor);
        var problem = Problem.Create("What is the sum of the digits of $4728163$?");

        foreach (var (width, temperature, tokens) in new[] { (48, 0.8, 1024), (8, 3.0, 256), (8, 0.8, 1024) })
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            var sink = new RecordingEventSink();
            var record = await loop.RunAsync(new RunRequest
            {
                Problem = problem,
                Settings = new RunSettings { Decoding = options.Defaults.Decoding with { Width = width, Temperature = temperature, MaxNewTokensPerRound = tokens, Seed = 9 } },
            }, sink, timeout.Token);
            output.WriteLine($"N={width} T={temperature}: {record.Status}, {record.GeneratedTokens} tokens, {record.ElapsedSeconds:0.0} s, plan {record.SequencePlan}");
            Assert.Equal(RunStatus.Finished, record.Status);
            Assert.True(record.GeneratedTokens > 0);
        }
    }
}
