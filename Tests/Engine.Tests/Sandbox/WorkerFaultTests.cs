using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Numina.Engine.Candidates;
using Numina.Engine.Events;
using Numina.Engine.Execution.Sandbox;
using Numina.Engine.Runs;
using Numina.Engine.Tests.Loop;
using Numina.Engine.Tests.Support;
using Xunit.Abstractions;

namespace Numina.Engine.Tests.Sandbox;

/// <summary>The sandbox's workers killed with SIGKILL from outside while a wide run executes code.</summary>
[Collection("sandbox")]
public class WorkerFaultTests(ITestOutputHelper output)
{
    private sealed class ListLogger : ILogger
    {
        public ConcurrentQueue<string> Lines { get; } = new();
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Enqueue(formatter(state, exception));
    }

    /// <summary>Kills every sandbox process (workers and their kernels) once <paramref name="after"/> outputs came back.</summary>
    private sealed class KillAfter(int after) : IRunEventSink
    {
        private int _outputs;
        public int Killed;

        public void Publish(RunEvent e)
        {
            if (e is not OutputReceived || Interlocked.Increment(ref _outputs) != after) return;
            foreach (var pid in SandboxKit.SandboxProcesses())
            {
                try { System.Diagnostics.Process.GetProcessById(pid).Kill(); Interlocked.Increment(ref Killed); }
                catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception) { }
            }
        }
    }

    [Fact]
    public async Task Workers_killed_while_48_candidates_run_code_cost_a_rerun_not_a_candidate()
    {
        const string Code = "Let me compute.\n```python\nimport time\ntime.sleep(0.3)\nprint(2 + 3)\n```\n```output\n";
        var model = new ScriptedModel(call => call.CallNumber == 1 ? Code : "\nSo the answer is \\boxed{5}.");
        var log = new ListLogger();
        var killer = new KillAfter(after: 6);
        var (record, events) = await LoopHarness.Run(model, width: 48, depth: 4, knownAnswer: "5", extraSink: killer,
            executorFactory: () => new SandboxExecutor(SandboxKit.Options(workers: 2), Python.Options, log));

        foreach (var line in log.Lines.Where(l => l.Contains("died"))) output.WriteLine(line);
        Assert.True(killer.Killed >= 2, $"killed {killer.Killed} sandbox processes");
        Assert.Equal(RunStatus.Finished, record.Status);
        // Every candidate ran its code to the real output and answered: the killed cells ran again on new workers.
        Assert.All(record.Candidates, c => Assert.Equal((CandidateStatus.Answered, "5"), (c.Status, c.Answer)));
        Assert.All(events.OfType<OutputReceived>(), o => Assert.Equal("5\n```", o.AppendedText));
        Assert.Equal(48, events.OfType<OutputReceived>().Count());
        // And the log says so.
        Assert.Contains(log.Lines, l => l.Contains("the Python worker died while running") && l.Contains("running the cell again on a new worker"));
    }
}
