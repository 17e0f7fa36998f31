using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Numina.Engine.Execution;
using Numina.Engine.Execution.Sandbox;
using static Numina.Engine.Tests.Sandbox.SandboxKit;

namespace Numina.Engine.Tests.Sandbox;

/// <summary>
/// Hostile or runaway code, each case on real worker processes. Every case must give its candidate a clear result
/// within the deadline, leave the other session on the same worker with its state, and leave no process behind.
/// </summary>
[Collection("sandbox")]
public class AdversarialTests
{
    private const double Soft = 2;
    /// <summary>Soft timeout + kill grace + a respawn, with slack for a loaded machine.</summary>
    private const double Deadline = Soft + 2 + 6;

    private sealed record Outcome(CellResult Result, double Seconds, string Victim, string Bystander);

    /// <summary>Runs the hostile cell in one session while another session shares the same (single) worker.</summary>
    private static async Task<Outcome> Attack(string code, bool isolationRequired = true)
    {
        var pool = Pool(workers: 1);
        if (isolationRequired && Environment.UserName == "root")
            Assert.Empty(pool.Facts.MissingProtections); // root + util-linux: everything must be on
        try
        {
            await using var victim = await Session(pool, timeoutSeconds: Soft);
            await using var bystander = await Session(pool, timeoutSeconds: Soft);
            Assert.Equal(CellOutcome.Success, (await victim.Run("mine = 'victim state'")).Outcome);
            Assert.Equal(CellOutcome.Success, (await bystander.Run("theirs = 'bystander state'")).Outcome);

            var clock = Stopwatch.StartNew();
            var result = await victim.Run(code);
            var seconds = clock.Elapsed.TotalSeconds;

            var bystanderSees = Seen(await bystander.Run("print(theirs)"));
            var victimSees = Seen(await victim.Run("print(mine)"));
            return new Outcome(result, seconds, victimSees, bystanderSees);
        }
        finally
        {
            await pool.DisposeAsync();
            var stray = await StrayProcessesAfterDispose();
            Assert.True(stray.Count == 0, "processes left behind: " + string.Join(", ", stray));
        }
    }

    private static void StateSurvives(Outcome o)
    {
        Assert.Equal("bystander state", o.Bystander);
        Assert.Equal("victim state", o.Victim);
        Assert.InRange(o.Seconds, 0, Deadline);
    }

    [Fact]
    public async Task Busy_loop_is_interrupted()
    {
        var o = await Attack("while True: pass");
        Assert.Equal(CellOutcome.TimedOut, o.Result.Outcome);
        Assert.InRange(o.Seconds, Soft - 0.1, Soft + 1.5); // the soft SIGINT, not the hard kill
        StateSurvives(o);
    }

    [Fact]
    public async Task Long_sleep_is_interrupted()
    {
        var o = await Attack("import time\ntime.sleep(60)");
        Assert.Equal(CellOutcome.TimedOut, o.Result.Outcome);
        Assert.InRange(o.Seconds, Soft - 0.1, Soft + 1.5);
        StateSurvives(o);
    }

    [Fact]
    public async Task Huge_power_is_stopped()
    {
        var o = await Attack("10**10**8");
        Assert.Equal(CellOutcome.TimedOut, o.Result.Outcome);
        StateSurvives(o);
    }

    [Fact]
    public async Task Numpy_product_too_big_to_finish_is_killed()
    {
        var o = await Attack("a = np.ones((5000, 5000))\n(a @ a @ a).sum()");
        Assert.Equal(CellOutcome.TimedOut, o.Result.Outcome);
        StateSurvives(o); // the worker was killed and respawned; both namespaces were replayed
    }

    [Fact]
    public async Task Loop_that_swallows_keyboard_interrupt_is_killed()
    {
        // A handler that swallows the interrupt: no KeyboardInterrupt ever reaches the cell.
        var o = await Attack("import signal\nsignal.signal(signal.SIGINT, lambda *_: None)\nwhile True:\n    try:\n        while True: pass\n    except KeyboardInterrupt:\n        pass");
        Assert.Equal(CellOutcome.TimedOut, o.Result.Outcome);
        Assert.InRange(o.Seconds, Soft + 1.5, Deadline);
        StateSurvives(o);
    }

    [Fact]
    public async Task Os_exit_is_a_crash()
    {
        var o = await Attack("import os\nos._exit(1)");
        Assert.Equal(CellOutcome.Crashed, o.Result.Outcome);
        Assert.Contains("ended unexpectedly", o.Result.Traceback);
        Assert.InRange(o.Seconds, 0, 2);
        StateSurvives(o);
    }

    [Fact]
    public async Task Ctypes_segfault_is_a_crash()
    {
        var o = await Attack("import ctypes\nctypes.string_at(0)");
        Assert.Equal(CellOutcome.Crashed, o.Result.Outcome);
        StateSurvives(o);
    }

    [Fact]
    public async Task Four_gib_allocation_raises_memory_error()
    {
        var o = await Attack("block = bytearray(4 * 2**30)");
        Assert.Equal(CellOutcome.Error, o.Result.Outcome);
        Assert.Equal("MemoryError", o.Result.ErrorType);
        StateSurvives(o);
    }

    [Fact]
    public async Task Fork_bomb_stops_at_the_process_limit()
    {
        var o = await Attack("import os\nwhile True:\n    os.fork()");
        Assert.True(o.Result.Outcome is CellOutcome.Error or CellOutcome.TimedOut, $"got {o.Result.Outcome}: {o.Result.Traceback}");
        if (o.Result.Outcome == CellOutcome.Error) Assert.Equal("BlockingIOError", o.Result.ErrorType);
        StateSurvives(o);
    }

    [Fact]
    public async Task Setsid_daemon_dies_with_the_worker()
    {
        var o = await Attack("import os, time\npid = os.fork()\nif pid == 0:\n    os.setsid()\n    time.sleep(600)\nprint('daemon started', pid > 0)");
        Assert.Equal(CellOutcome.Success, o.Result.Outcome);
        Assert.Equal("daemon started True", Seen(o.Result));
        StateSurvives(o); // and Attack checks /proc: the daemon is gone after the pool
    }

    [Fact]
    public async Task Localhost_connection_fails_while_the_host_can_connect()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using (var client = new TcpClient()) await client.ConnectAsync(IPAddress.Loopback, port); // the host can

        var o = await Attack($"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1)");
        Assert.Equal(CellOutcome.Error, o.Result.Outcome);
        Assert.True(o.Result.ErrorType is "OSError" or "ConnectionRefusedError" or "TimeoutError", o.Result.ErrorType);
        StateSurvives(o);
    }

    [Fact]
    public async Task Dns_lookup_fails()
    {
        var o = await Attack("import socket\nsocket.getaddrinfo('example.com', 80)");
        Assert.Equal(CellOutcome.Error, o.Result.Outcome);
        Assert.Equal("gaierror", o.Result.ErrorType);
        StateSurvives(o);
    }

    [Fact]
    public async Task Reading_etc_shadow_is_denied()
    {
        Assert.True(File.Exists("/etc/shadow"));
        var o = await Attack("print(open('/etc/shadow').read()[:20])");
        Assert.Equal(CellOutcome.Error, o.Result.Outcome);
        Assert.Equal("PermissionError", o.Result.ErrorType);
        StateSurvives(o);
    }

    [Fact]
    public async Task Writing_outside_the_temp_directory_fails_or_stays_private()
    {
        var inTests = Path.Combine(AppContext.BaseDirectory, "escape-" + Guid.NewGuid().ToString("N"));
        var inTmp = "/tmp/escape-" + Guid.NewGuid().ToString("N");
        var o = await Attack($"open({Py(inTests)}, 'w').write('x')");
        Assert.Equal("PermissionError", o.Result.ErrorType);
        Assert.False(File.Exists(inTests));
        StateSurvives(o);

        // /tmp inside the sandbox is the worker's own tmpfs: a file written there never reaches the machine's /tmp.
        var t = await Attack($"open({Py(inTmp)}, 'w').write('x')\nimport os\nprint(os.path.exists({Py(inTmp)}))");
        Assert.Equal("True", Seen(t.Result));
        Assert.False(File.Exists(inTmp));
    }

    private static string Py(string s) => "'" + s.Replace("\\", "\\\\").Replace("'", "\\'") + "'";

    [Fact]
    public async Task Hundred_megabyte_print_is_capped()
    {
        var o = await Attack("print('z' * 100_000_000)");
        Assert.Equal(CellOutcome.Success, o.Result.Outcome);
        Assert.True(o.Result.StdoutTruncated);
        Assert.True(o.Result.Stdout.Length < 200_000);
        Assert.Equal(new string('z', 200) + " ... (output truncated)\n```", ToolOutputFormatter.Format(o.Result, global::Numina.Engine.Presets.BuiltInPresets.Numina));
        StateSurvives(o);
    }

    [Fact]
    public async Task Input_reads_end_of_file()
    {
        var o = await Attack("input('number? ')");
        Assert.Equal("EOFError", o.Result.ErrorType);
        StateSurvives(o);
    }

    [Fact]
    public async Task Sys_exit_does_not_end_the_worker()
    {
        // As a process: exit status 0 is a success showing what was printed (spec: exit status), another is a failure.
        var o = await Attack("import sys\nprint('done')\nsys.exit(0)");
        Assert.Equal(CellOutcome.Success, o.Result.Outcome);
        Assert.Equal("done", Seen(o.Result));
        StateSurvives(o);
        var failed = await Attack("import sys\nsys.exit(3)");
        Assert.Equal(CellOutcome.Error, failed.Result.Outcome);
        Assert.Equal("SystemExit", failed.Result.ErrorType);
        StateSurvives(failed);
    }

    [Fact]
    public async Task Deep_recursion_is_a_recursion_error()
    {
        var o = await Attack("def down(n):\n    return down(n + 1)\ndown(0)");
        Assert.Equal("RecursionError", o.Result.ErrorType);
        Assert.EndsWith("RecursionError: maximum recursion depth exceeded", Seen(o.Result));
        StateSurvives(o);
    }

    [Fact]
    public async Task Thread_that_never_ends_does_not_block_the_next_cells()
    {
        var o = await Attack("import threading\nthreading.Thread(target=lambda: [None for _ in iter(int, 1)], daemon=True).start()\nprint('started')");
        Assert.Equal("started", Seen(o.Result));
        StateSurvives(o);
    }
}
