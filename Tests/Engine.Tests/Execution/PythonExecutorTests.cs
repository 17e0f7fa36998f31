using System.Diagnostics;
using Numina.Engine.Execution;
using Numina.Engine.Presets;
using Numina.Engine.Settings;
using Numina.Engine.Tests.Support;

namespace Numina.Engine.Tests.Execution;

/// <summary>The Numina executor and the notebook session on real /usr/bin/python3, including the spec's golden cases.</summary>
public class PythonExecutorTests
{
    private static readonly Preset Numina = BuiltInPresets.Numina;

    /// <summary>A session and the executor it came from, disposed together.</summary>
    public sealed class Opened(ICodeExecutor executor, ICodeSession session) : IAsyncDisposable
    {
        public ICodeSession Session { get; } = session;
        public Task<CellResult> RunAsync(string code) => Session.RunAsync(code, CancellationToken.None);

        public async ValueTask DisposeAsync()
        {
            await Session.DisposeAsync();
            await executor.DisposeAsync();
        }
    }

    private static async Task<Opened> Open(ExecutionMode mode, Preset? preset = null)
    {
        var executor = Python.Executor();
        return new Opened(executor, await executor.OpenSessionAsync(CodeSessionOptions.From(preset ?? Numina, mode), CancellationToken.None));
    }

    private static async Task<string> SeenByModel(Opened session, string code, Preset? preset = null)
    {
        var result = await session.RunAsync(code);
        return ToolOutputFormatter.Result(result, preset ?? Numina);
    }

    [Fact]
    public async Task Stateless_mode_forgets_variables_between_blocks()
    {
        await using var session = await Open(ExecutionMode.Stateless);
        await session.RunAsync("x = 5");
        var result = await session.RunAsync("print(x+1)");
        Assert.Equal(CellOutcome.Error, result.Outcome);
        Assert.Equal("NameError", result.ErrorType);
        var seen = ToolOutputFormatter.Result(result, Numina);
        // Header of three imports: the error is on line 4; the filter keeps the File line cut at the script's path.
        Assert.Equal("Traceback (most recent call last):\n  File \"\n    print(x+1)\nNameError: name 'x' is not defined", seen);
        Assert.Contains("line 4", result.Traceback);
    }

    [Fact]
    public async Task Jupyter_mode_keeps_variables_between_blocks()
    {
        await using var session = await Open(ExecutionMode.Jupyter);
        var first = await session.RunAsync("x = 5");
        Assert.Equal(CellOutcome.Success, first.Outcome);
        Assert.Equal("6", await SeenByModel(session, "print(x+1)"));
    }

    [Theory]
    [InlineData(ExecutionMode.Stateless)]
    [InlineData(ExecutionMode.Jupyter)]
    public async Task A_bare_last_line_is_auto_printed(ExecutionMode mode)
    {
        await using var session = await Open(mode);
        Assert.Equal("120", await SeenByModel(session, "math.factorial(5)"));
        Assert.Equal("7", await SeenByModel(session, "a = 3\nb = 4\na + b  # the sum"));
    }

    [Theory]
    [InlineData(ExecutionMode.Stateless)]
    [InlineData(ExecutionMode.Jupyter)]
    public async Task A_sleeping_block_times_out_after_five_seconds(ExecutionMode mode)
    {
        await using var session = await Open(mode);
        var clock = Stopwatch.StartNew();
        var result = await session.RunAsync("import time\ntime.sleep(20)");
        clock.Stop();
        Assert.Equal(CellOutcome.TimedOut, result.Outcome);
        Assert.Equal("Timed out after 5 seconds.", ToolOutputFormatter.Result(result, Numina));
        Assert.InRange(clock.Elapsed.TotalSeconds, 4.5, 8.5);
    }

    [Fact]
    public async Task Jupyter_timeout_by_interrupt_keeps_the_namespace()
    {
        var preset = Numina with { TimeoutSeconds = 1 };
        await using var session = await Open(ExecutionMode.Jupyter, preset);
        await session.RunAsync("kept = 41");
        var slow = await session.RunAsync("while True: pass");
        Assert.Equal(CellOutcome.TimedOut, slow.Outcome);
        Assert.Equal("42", await SeenByModel(session, "kept + 1"));
    }

    [Fact]
    public async Task Jupyter_block_that_ignores_interrupts_is_killed_and_state_is_replayed()
    {
        var preset = Numina with { TimeoutSeconds = 1 };
        await using var session = await Open(ExecutionMode.Jupyter, preset);
        await session.RunAsync("kept = 41");
        var clock = Stopwatch.StartNew();
        var stuck = await session.RunAsync("while True:\n    try:\n        while True: pass\n    except KeyboardInterrupt:\n        pass");
        Assert.Equal(CellOutcome.TimedOut, stuck.Outcome);
        Assert.InRange(clock.Elapsed.TotalSeconds, 0.9, 6);
        Assert.Equal("42", await SeenByModel(session, "kept + 1"));
    }

    [Theory]
    [InlineData(ExecutionMode.Stateless)]
    [InlineData(ExecutionMode.Jupyter)]
    public async Task A_huge_print_is_capped_and_does_not_hang(ExecutionMode mode)
    {
        await using var session = await Open(mode);
        var result = await session.RunAsync("print('y' * 20_000_000)");
        Assert.Equal(CellOutcome.Success, result.Outcome);
        Assert.True(result.StdoutTruncated);
        var seen = ToolOutputFormatter.Format(result, Numina);
        Assert.Equal(new string('y', 200) + " ... (output truncated)\n```", seen);
    }

    [Theory]
    [InlineData(ExecutionMode.Stateless)]
    [InlineData(ExecutionMode.Jupyter)]
    public async Task Input_and_exit_are_results_not_hangs(ExecutionMode mode)
    {
        await using var session = await Open(mode);
        var input = await session.RunAsync("input()");
        Assert.Equal(CellOutcome.Error, input.Outcome);
        Assert.EndsWith("EOFError: EOF when reading a line", ToolOutputFormatter.Result(input, Numina));
        var exit = await session.RunAsync("import sys\nsys.exit(3)");
        Assert.NotEqual(CellOutcome.Success, exit.Outcome);
        Assert.Equal("2", await SeenByModel(session, "1 + 1"));
    }

    [Fact]
    public async Task Jupyter_session_survives_a_crash_and_replays_its_cells()
    {
        await using var session = await Open(ExecutionMode.Jupyter);
        await session.RunAsync("kept = 'alive'");
        var crash = await session.RunAsync("import os\nos._exit(1)");
        Assert.Equal(CellOutcome.Crashed, crash.Outcome);
        Assert.Equal("alive", await SeenByModel(session, "print(kept)"));
    }

    [Fact]
    public async Task Reset_forgets_the_namespace()
    {
        await using var session = await Open(ExecutionMode.Jupyter);
        await session.RunAsync("gone = 1");
        await session.Session.ResetAsync(CancellationToken.None);
        var result = await session.RunAsync("print(gone)");
        Assert.Equal("NameError", result.ErrorType);
    }

    [Fact]
    public async Task Jupyter_tracebacks_show_the_cell_line_and_hide_the_driver()
    {
        await using var session = await Open(ExecutionMode.Jupyter, BuiltInPresets.NemoSkills);
        var result = await session.RunAsync("a = [1, 2]\nprint(a[5])");
        Assert.Equal("IndexError", result.ErrorType);
        Assert.DoesNotContain("notebook_driver", result.Traceback);
        Assert.Contains("print(a[5])", result.Traceback);
        Assert.Equal("Traceback (most recent call last):\n  File \"\n    print(a[5])\nIndexError: list index out of range",
            ToolOutputFormatter.ErrorText(result.Traceback!, result.ScriptName, ErrorFormat.FilteredTraceback));
    }

    [Fact]
    public async Task Trailing_expression_mode_shows_the_value_like_a_notebook()
    {
        await using var session = await Open(ExecutionMode.Jupyter, BuiltInPresets.NemoSkills);
        var result = await session.RunAsync("import sympy as sp\nprint('solving')\nsp.Rational(3, 6)");
        Assert.Equal("1/2", result.Value);
        Assert.Equal("solving\n1/2", ToolOutputFormatter.Result(result, BuiltInPresets.NemoSkills));
    }

    [Fact]
    public async Task The_header_imports_numpy_and_sympy_from_debian_python()
    {
        await using var session = await Open(ExecutionMode.Stateless);
        Assert.Equal("6", await SeenByModel(session, "int(np.array([1, 2, 3]).sum())"));
        Assert.Equal("x**2 + 2*x + 1", await SeenByModel(session, "x = sp.Symbol('x')\nsp.expand((x + 1)**2)"));
    }

    [Fact]
    public async Task A_missing_interpreter_is_a_clear_error()
    {
        var executor = new Numina.Engine.Execution.Python.PythonExecutor(new() { Executable = "/nonexistent/python3" });
        var error = await Assert.ThrowsAsync<FileNotFoundException>(() => executor.OpenSessionAsync(new CodeSessionOptions(), CancellationToken.None));
        Assert.Contains("/nonexistent/python3", error.Message);
    }
}
