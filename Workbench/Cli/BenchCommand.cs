using System.CommandLine;
using Numina.Workbench.Benchmarks;

namespace Numina.Workbench.Cli;

/// <summary><c>Workbench bench NAME</c>: benchmarks that measure side by side in one run and end with ratio/value lines.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var bench = new Command("bench", "Benchmarks (run them from a Release build).");

        var sandboxRuns = new Option<int>("--sandbox-runs") { Description = "Cells timed in the sandbox per figure.", DefaultValueFactory = _ => 300 };
        var freshRuns = new Option<int>("--fresh-runs") { Description = "Fresh python3 processes timed per figure.", DefaultValueFactory = _ => 15 };
        var seconds = new Option<double>("--seconds") { Description = "Duration of the throughput measurement.", DefaultValueFactory = _ => 3 };
        var sandbox = new Command("sandbox", "The notebook sandbox against a fresh python3 per cell replaying history.") { CommonOptions.Config, sandboxRuns, freshRuns, seconds };
        sandbox.SetAction((parse, ct) => SandboxBenchmark.RunAsync(CommonOptions.LoadEngineOptions(parse),
            parse.GetValue(sandboxRuns), parse.GetValue(freshRuns), parse.GetValue(seconds), ct));
        bench.Subcommands.Add(sandbox);
        return bench;
    }
}
