using System.Diagnostics;
using Numina.Engine.Execution;
using Numina.Engine.Settings;
using static Numina.Engine.Tests.Sandbox.SandboxKit;

namespace Numina.Engine.Tests.Sandbox;

/// <summary>
/// Module state never crosses blocks in stateless mode, nor candidates in either mode: a block sees exactly what a new
/// python3 (with Numina's header) sees — checked against a real fresh python3 — however an earlier block, in its own
/// or another candidate, changed mpmath's precision, the recursion limit, decimal's precision, numpy's print options
/// or math.pi itself.
/// </summary>
[Collection("sandbox")]
public class IsolationTests
{
    private const string Pollute =
        "import mpmath, sys, decimal, math\nmpmath.mp.dps = 50\nsys.setrecursionlimit(54321)\ndecimal.getcontext().prec = 77\n" +
        "np.set_printoptions(precision=2)\nmath.pi = 3\nsp.init_printing = None\nprint('polluted')";
    private const string Look =
        "import mpmath, sys, decimal, math\nprint(mpmath.mp.dps, sys.getrecursionlimit(), decimal.getcontext().prec, np.get_printoptions()['precision'], math.pi, sp.init_printing is None)";

    /// <summary>What a brand-new python3 prints for <see cref="Look"/> after Numina's header.</summary>
    private static string Fresh()
    {
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("import math\nimport numpy as np\nimport sympy as sp\n" + Look);
        using var p = Process.Start(start)!;
        var text = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        return text;
    }

    [Fact]
    public async Task A_stateless_block_sees_what_a_new_python3_sees_whatever_ran_before_it()
    {
        var fresh = Fresh();
        Assert.Equal("15 1000 28 8 3.141592653589793 False", fresh); // the facts the test relies on
        await using var pool = Pool(workers: 1);
        await using var a = await Session(pool, ExecutionMode.Stateless);
        await using var b = await Session(pool, ExecutionMode.Stateless);
        Assert.Equal("polluted", Seen(await a.Run(Pollute)));
        Assert.Equal(fresh, Seen(await a.Run(Look))); // the same candidate's next block
        Assert.Equal(fresh, Seen(await b.Run(Look))); // another candidate on the same worker
        Assert.Equal(fresh, Seen(await b.Run(Look)));
    }

    [Fact]
    public async Task A_jupyter_candidate_keeps_its_own_module_state_and_never_sees_anothers()
    {
        var fresh = Fresh();
        await using var pool = Pool(workers: 1);
        await using var a = await Session(pool, ExecutionMode.Jupyter);
        await using var b = await Session(pool, ExecutionMode.Jupyter);
        Assert.Equal("polluted", Seen(await a.Run(Pollute)));
        Assert.Equal(fresh, Seen(await b.Run(Look)));
        Assert.Equal("50 54321 77 2 3 True", Seen(await a.Run(Look))); // its own state, as a notebook keeps it
        await a.ResetAsync(CancellationToken.None); // a restarted candidate starts afresh
        Assert.Equal(fresh, Seen(await a.Run(Look)));
        // A stateless candidate on the same worker sees none of it either.
        await using var c = await Session(pool, ExecutionMode.Stateless);
        Assert.Equal("polluted", Seen(await b.Run(Pollute)));
        Assert.Equal(fresh, Seen(await c.Run(Look)));
    }

    [Fact]
    public async Task Removing_a_candidate_mid_cell_leaves_the_worker_and_its_other_candidates_alone()
    {
        await using var pool = Pool(workers: 1);
        await using var victim = await Session(pool, ExecutionMode.Jupyter, timeoutSeconds: 30);
        await using var bystander = await Session(pool, ExecutionMode.Jupyter);
        Assert.Equal(CellOutcome.Success, (await bystander.Run("kept = 'bystander state'")).Outcome);
        var before = (await pool.StatsAsync(CancellationToken.None)).Single();

        using var remove = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => victim.RunAsync("import time\ntime.sleep(20)", remove.Token));

        var after = (await pool.StatsAsync(CancellationToken.None)).Single();
        Assert.Equal((before.Pid, before.Generation, 0), (after.Pid, after.Generation, after.Restarts)); // the same worker process
        Assert.Equal("bystander state", Seen(await bystander.Run("print(kept)")));
        Assert.Equal(CellOutcome.Success, (await victim.Run("print('still usable')")).Outcome); // a new kernel for it
    }
}
