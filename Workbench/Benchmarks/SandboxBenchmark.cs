using System.Diagnostics;
using Numina.Engine.Configuration;
using Numina.Engine.Execution;
using Numina.Engine.Execution.Python;
using Numina.Engine.Execution.Sandbox;
using Numina.Engine.Presets;
using Numina.Engine.Settings;

namespace Numina.Workbench.Benchmarks;

/// <summary>
/// <c>bench sandbox</c>: the notebook sandbox against a fresh python3 per cell that replays the cell's history (the
/// Numina/Qwen way), measured side by side in one run; and Numina's stateless block (its header imports math, numpy and
/// sympy) in a fork of a warm worker against a fresh python3 per block, the reference executor. Medians of round trips
/// as the engine sees them.
/// </summary>
public static class SandboxBenchmark
{
    private static readonly string[] History = ["import sympy as sp", "x = sp.Symbol('x')", "expr = sp.expand((x + 1)**5)"];
    private const string HistoryCell = "print(expr.coeff(x, 2))";
    private const string TrivialCell = "y = 1 + 1";
    private const string StatelessCell = "1 + 1"; // Numina's auto-print makes it print(1 + 1)
    /// <summary>Time between two blocks while the model decodes (short: a round of a 7B model takes seconds).</summary>
    private const int DecodingGapMs = 20;

    public static async Task<int> RunAsync(EngineOptions options, int sandboxRuns, int freshRuns, double throughputSeconds, CancellationToken ct)
    {
        var plain = BuiltInPresets.Numina with { ExecutorHeader = "", AutoPrint = AutoPrint.None };
        var sandboxOptions = options.Sandbox with { Workers = 2 };
        Console.WriteLine($"bench sandbox: {sandboxOptions.Workers} workers, {sandboxRuns} sandbox cells and {freshRuns} fresh processes per figure");
        await using var pool = new SandboxExecutor(sandboxOptions, options.Python);
        Console.WriteLine($"protections: {string.Join("; ", pool.Facts.ActiveProtections)}");
        var clock = Stopwatch.StartNew();
        await pool.WarmUpAsync(ct);
        Console.WriteLine($"workers started in {clock.Elapsed.TotalMilliseconds:0} ms (Python, numpy and sympy preloaded)");

        // (a) the sandbox: one live namespace per session, the history already in it.
        double sandboxTrivial, sandboxHistory;
        await using (var session = await pool.OpenSessionAsync(CodeSessionOptions.From(plain, ExecutionMode.Jupyter), ct))
        {
            sandboxTrivial = await MedianMs(sandboxRuns, () => Expect(session.RunAsync(TrivialCell, ct), ""));
            foreach (var cell in History) await Expect(session.RunAsync(cell, ct), "");
            sandboxHistory = await MedianMs(sandboxRuns, () => Expect(session.RunAsync(HistoryCell, ct), "10\n"));
        }

        // (a') Numina's stateless block, header included: a fork of the warm worker per block. As SC-TIR issues them the
        // model decodes between blocks, and the worker forks its next warm spare meanwhile; back to back, every block
        // waits for a fork.
        double sandboxStateless, sandboxStatelessBackToBack;
        await using (var session = await pool.OpenSessionAsync(CodeSessionOptions.From(BuiltInPresets.Numina, ExecutionMode.Stateless), ct))
        {
            sandboxStateless = await MedianMs(sandboxRuns / 2, () => Expect(session.RunAsync(StatelessCell, ct), "2\n"), pause: TimeSpan.FromMilliseconds(DecodingGapMs));
            sandboxStatelessBackToBack = await MedianMs(sandboxRuns / 2, () => Expect(session.RunAsync(StatelessCell, ct), "2\n"));
        }

        // (b) a fresh python3 per cell, replaying the cell's history each time.
        await using var fresh = new PythonExecutor(options.Python);
        double freshTrivial, freshHistory;
        await using (var session = await fresh.OpenSessionAsync(CodeSessionOptions.From(plain, ExecutionMode.Stateless), ct))
        {
            freshTrivial = await MedianMs(freshRuns, () => Expect(session.RunAsync(TrivialCell, ct), ""));
            var replayed = string.Join("\n", History.Append(HistoryCell));
            freshHistory = await MedianMs(freshRuns, () => Expect(session.RunAsync(replayed, ct), "10\n"));
        }
        double freshStateless;
        await using (var session = await fresh.OpenSessionAsync(CodeSessionOptions.From(BuiltInPresets.Numina, ExecutionMode.Stateless), ct))
            freshStateless = await MedianMs(freshRuns, () => Expect(session.RunAsync(StatelessCell, ct), "2\n"));

        // Throughput: one session per worker, trivial cells back to back.
        var sessions = new List<ICodeSession>();
        for (int i = 0; i < sandboxOptions.Workers; i++) sessions.Add(await pool.OpenSessionAsync(CodeSessionOptions.From(plain, ExecutionMode.Jupyter), ct));
        long cells = 0;
        var until = Stopwatch.StartNew();
        await Task.WhenAll(sessions.Select(async s =>
        {
            while (until.Elapsed.TotalSeconds < throughputSeconds)
            {
                await Expect(s.RunAsync(TrivialCell, ct), "");
                Interlocked.Increment(ref cells);
            }
        }));
        double cellsPerSecond = cells / until.Elapsed.TotalSeconds;
        var stats = await pool.StatsAsync(ct);
        foreach (var s in sessions) await s.DisposeAsync();

        Console.WriteLine();
        Console.WriteLine($"{"median round trip",-36} {"sandbox",12} {"fresh python3",14}");
        Console.WriteLine($"{"trivial cell",-36} {sandboxTrivial,9:0.000} ms {freshTrivial,11:0.0} ms");
        Console.WriteLine($"{"cell whose history imports sympy",-36} {sandboxHistory,9:0.000} ms {freshHistory,11:0.0} ms");
        Console.WriteLine($"{"stateless block with Numina's header",-36} {sandboxStateless,9:0.000} ms {freshStateless,11:0.0} ms   ({DecodingGapMs} ms between blocks; back to back {sandboxStatelessBackToBack:0.000} ms)");
        foreach (var w in stats)
            Console.WriteLine($"worker {w.Slot}: pid {w.Pid}, {w.CellsRun} cells, PSS {w.PssKb / 1024.0:0.0} MiB, RSS {w.RssKb / 1024.0:0.0} MiB");
        Console.WriteLine();
        Console.WriteLine($"value sandbox-trivial-cell = {sandboxTrivial:0.000} ms");
        Console.WriteLine($"value fresh-trivial-cell = {freshTrivial:0.0} ms");
        Console.WriteLine($"value sandbox-sympy-history-cell = {sandboxHistory:0.000} ms");
        Console.WriteLine($"value fresh-sympy-history-cell = {freshHistory:0.0} ms");
        Console.WriteLine($"value sandbox-stateless-cell = {sandboxStateless:0.000} ms");
        Console.WriteLine($"value sandbox-stateless-cell-back-to-back = {sandboxStatelessBackToBack:0.000} ms");
        Console.WriteLine($"value fresh-stateless-cell = {freshStateless:0.0} ms");
        Console.WriteLine($"value sandbox-throughput-2-workers = {cellsPerSecond:0} cells/s");
        Console.WriteLine($"value memory-per-worker = {stats.Average(w => w.PssKb ?? 0) / 1024.0:0.0} MiB");
        Console.WriteLine($"ratio trivial-cell = {freshTrivial / sandboxTrivial:0.0}");
        Console.WriteLine($"ratio sympy-history-cell = {freshHistory / sandboxHistory:0.0}");
        Console.WriteLine($"ratio stateless-cell = {freshStateless / sandboxStateless:0.0}");
        Console.WriteLine($"ratio stateless-cell-back-to-back = {freshStateless / sandboxStatelessBackToBack:0.0}");
        return 0;
    }

    private static async Task Expect(Task<CellResult> run, string stdout)
    {
        var result = await run;
        if (result.Outcome != CellOutcome.Success || result.Stdout != stdout)
            throw new InvalidOperationException($"benchmark cell failed: {result.Outcome} {result.Stdout} {result.Traceback}");
    }

    private static async Task<double> MedianMs(int runs, Func<Task> action, TimeSpan pause = default)
    {
        await action(); // warm-up
        var times = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            if (pause > TimeSpan.Zero) await Task.Delay(pause);
            var clock = Stopwatch.StartNew();
            await action();
            times[i] = clock.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return runs % 2 == 1 ? times[runs / 2] : (times[runs / 2 - 1] + times[runs / 2]) / 2;
    }
}
