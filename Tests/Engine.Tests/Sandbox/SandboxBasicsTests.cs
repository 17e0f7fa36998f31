using Numina.Engine.Execution;
using Numina.Engine.Execution.Sandbox;
using Numina.Engine.Presets;
using Numina.Engine.Settings;
using Xunit.Abstractions;
using static Numina.Engine.Tests.Sandbox.SandboxKit;

namespace Numina.Engine.Tests.Sandbox;

/// <summary>The pythonnet worker pool as a notebook: live namespaces, isolation between candidates, both modes.</summary>
[Collection("sandbox")]
public class SandboxBasicsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Jupyter_sessions_keep_state_and_are_isolated_from_each_other()
    {
        await using var pool = Pool(workers: 2);
        await using var a = await Session(pool);
        await using var b = await Session(pool);
        Assert.Equal(CellOutcome.Success, (await a.Run("x = 5")).Outcome);
        Assert.Equal("6", Seen(await a.Run("print(x+1)")));
        var inB = await b.Run("print(x)");
        Assert.Equal("NameError", inB.ErrorType);
        Assert.Equal("__main__", Seen(await a.Run("__name__")));
        Assert.Equal("main ran", Seen(await a.Run("if __name__ == '__main__':\n    print('main ran')")));
        output.WriteLine("active: " + string.Join("; ", pool.Facts.ActiveProtections));
        output.WriteLine("missing: " + string.Join("; ", pool.Facts.MissingProtections));
    }

    [Fact]
    public async Task Stateless_mode_on_warm_workers_matches_numina()
    {
        await using var pool = Pool();
        await using var s = await Session(pool, ExecutionMode.Stateless);
        await s.Run("x = 5");
        var result = await s.Run("print(x+1)");
        Assert.Equal("Traceback (most recent call last):\n  File \"\n    print(x+1)\nNameError: name 'x' is not defined", Seen(result));
        Assert.Contains("line 4", result.Traceback); // the three header lines come first, as in Numina
        Assert.Equal("120", Seen(await s.Run("math.factorial(5)")));
    }

    [Fact]
    public async Task Golden_cases_hold_in_the_sandbox()
    {
        await using var pool = Pool();
        await using var s = await Session(pool, ExecutionMode.Jupyter, timeoutSeconds: 5);
        Assert.Equal("120", Seen(await s.Run("math.factorial(5)")));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var sleep = await s.Run("import time\ntime.sleep(20)");
        Assert.Equal("Timed out after 5 seconds.", Seen(sleep));
        Assert.InRange(clock.Elapsed.TotalSeconds, 4.5, 7.5);
        Assert.Equal("1/2", Seen(await s.Run("sp.Rational(1, 2)")));
    }

    [Fact]
    public async Task Trailing_expression_and_streams_come_back_like_a_notebook_cell()
    {
        await using var pool = Pool();
        await using var s = await Session(pool, preset: BuiltInPresets.NemoSkills);
        var result = await s.Run("import sys\nprint('out')\nprint('err', file=sys.stderr)\n[1, 2][1] + 40");
        Assert.Equal("out\n", result.Stdout);
        Assert.Equal("err\n", result.Stderr);
        Assert.Equal("42", result.Value);
        Assert.True(result.Elapsed < TimeSpan.FromSeconds(1));
        var error = await s.Run("def f():\n    return 1 / 0\nf()");
        Assert.Equal("ZeroDivisionError", error.ErrorType);
        Assert.StartsWith("Traceback (most recent call last):\n  File \"<cell-2>\", line 3, in <module>\n    f()\n", error.Traceback);
        Assert.DoesNotContain("numina_cell", error.Traceback);
        Assert.DoesNotContain("_on_sigint", error.Traceback);
    }

    [Fact]
    public async Task Reset_gives_a_fresh_namespace_and_runs_the_header_again()
    {
        await using var pool = Pool();
        await using var s = await Session(pool);
        await s.Run("gone = 1\nnp = None");
        await s.ResetAsync(CancellationToken.None);
        Assert.Equal("NameError", (await s.Run("gone")).ErrorType);
        Assert.Equal("3", Seen(await s.Run("int(np.sum([1, 2]))")));
    }

    [Fact]
    public async Task Sessions_spread_over_workers_and_stats_report_memory()
    {
        await using var pool = Pool(workers: 2);
        var sessions = new List<ICodeSession>();
        for (int i = 0; i < 4; i++) sessions.Add(await Session(pool));
        foreach (var s in sessions) await s.Run("y = 1");
        var stats = await pool.StatsAsync();
        Assert.Equal([2, 2], stats.Select(w => w.Sessions));
        Assert.All(stats, w => Assert.True(w.PssKb > 10_000, $"worker {w.Slot} PSS {w.PssKb} kB"));
        foreach (var s in sessions) await s.DisposeAsync();
        output.WriteLine(string.Join("\n", stats));
    }

    [Fact]
    public async Task No_process_remains_after_the_pool_is_disposed()
    {
        var pool = Pool(workers: 2);
        await using (var s = await Session(pool)) await s.Run("import threading, time\nthreading.Thread(target=time.sleep, args=(600,), daemon=False).start()");
        Assert.NotEmpty(SandboxProcesses());
        await pool.DisposeAsync();
        Assert.Empty(await StrayProcessesAfterDispose());
    }

    [Fact]
    public async Task Protections_are_reported()
    {
        await using var pool = Pool();
        Assert.Contains(SandboxIsolation.SoftTimeout, pool.Facts.ActiveProtections);
        Assert.Contains(SandboxIsolation.HardDeadline, pool.Facts.ActiveProtections);
        Assert.Equal(9, pool.Facts.ActiveProtections.Count + pool.Facts.MissingProtections.Count);
        if (Environment.UserName == "root")
            Assert.Contains(SandboxIsolation.NoNetwork, pool.Facts.ActiveProtections); // root + util-linux: this project's machines
    }

    [Fact]
    public async Task A_missing_worker_binary_is_a_clear_error()
    {
        var error = Assert.Throws<FileNotFoundException>(() => new SandboxExecutor(Options() with { HostPath = "/nope/PythonHost.dll" }, Support.Python.Options));
        Assert.Contains("/nope/PythonHost.dll", error.Message);
        await Task.CompletedTask;
    }
}
