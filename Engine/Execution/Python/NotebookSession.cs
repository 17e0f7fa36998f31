using System.Diagnostics;
using System.Text.Json;
using Numina.Engine.Presets;

namespace Numina.Engine.Execution.Python;

/// <summary>
/// One candidate's live Python namespace in a long-lived python3 process running notebook_driver.py.
/// A cell that overruns its timeout gets SIGINT (the namespace survives); one that ignores it is killed at the hard
/// deadline, and the process is restarted with the session's successful cells replayed to rebuild its state.
/// </summary>
internal sealed class NotebookSession(PythonOptions options, CodeSessionOptions session) : ICodeSession
{
    private const string SessionId = "main";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<string> _successfulCells = [];
    private readonly string _dir = ProcessTools.NewTempDirectory(options, "numina-session-");
    private Process? _process;
    private CappedTextReader? _stderr;
    private int _cellNumber;

    private sealed record Request(string Op, string Session, string Code, string Name, bool TrailingExpression, int Cap);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var driver = Path.Combine(_dir, "notebook_driver.py");
        foreach (var file in new[] { "notebook_driver.py", "numina_cell.py" })
            if (!File.Exists(Path.Combine(_dir, file)))
                await File.WriteAllTextAsync(Path.Combine(_dir, file), PythonSources.Read(file), cancellationToken).ConfigureAwait(false);
        var start = ProcessTools.PythonStart(options, _dir, driver);
        var process = new Process { StartInfo = start };
        process.Start();
        _process = process;
        _stderr = new CappedTextReader(process.StandardError, 8192);
        var ready = await ReadReplyLineAsync(process, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        if (ready is null)
        {
            ProcessTools.KillTree(process);
            throw new InvalidOperationException($"The Python session did not start: {_stderr.Snapshot().Text.Trim()}");
        }
        await process.StandardInput.WriteLineAsync($"{{\"op\": \"open\", \"session\": \"{SessionId}\"}}".AsMemory(), cancellationToken).ConfigureAwait(false);
        await process.StandardInput.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (await ReadReplyLineAsync(process, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false) is null)
            throw new InvalidOperationException($"The Python session did not open: {_stderr.Snapshot().Text.Trim()}");
        if (session.Header.Length > 0) await RunRawAsync(session.Header, "<header>", cancellationToken).ConfigureAwait(false);
        foreach (var cell in _successfulCells) await RunRawAsync(cell, "<replay>", cancellationToken).ConfigureAwait(false);
    }

    public async Task<CellResult> RunAsync(string code, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_process is null || _process.HasExited) await StartAsync(cancellationToken).ConfigureAwait(false);
            var source = session.AutoPrint == AutoPrint.LastLine ? CellSource.WrapLastLineInPrint(code) : code;
            var name = $"<cell-{++_cellNumber}>";
            var result = await RunRawAsync(source, name, cancellationToken).ConfigureAwait(false);
            if (result.Outcome == CellOutcome.Success) _successfulCells.Add(source);
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<CellResult> RunRawAsync(string source, string name, CancellationToken cancellationToken)
    {
        var process = _process!;
        var clock = Stopwatch.StartNew();
        var request = JsonSerializer.Serialize(new Request("run", SessionId, source, name, session.AutoPrint == AutoPrint.TrailingExpression, options.CapturedOutputChars), CellReply.Json);
        try
        {
            await process.StandardInput.WriteLineAsync(request.AsMemory(), cancellationToken).ConfigureAwait(false);
            await process.StandardInput.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException)
        {
            return Crashed(name, clock.Elapsed);
        }

        var line = ReadLine(process);
        bool interrupted = false;
        var softDeadline = session.Timeout;
        var hardDeadline = session.Timeout + TimeSpan.FromSeconds(options.KillGraceSeconds);
        while (true)
        {
            var wait = interrupted ? TimeSpan.FromMilliseconds(500) : softDeadline;
            var finished = await Task.WhenAny(line, Task.Delay(wait, cancellationToken)).ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested)
            {
                ProcessTools.KillTree(process);
                cancellationToken.ThrowIfCancellationRequested();
            }
            if (finished == line) break;
            if (clock.Elapsed >= hardDeadline)
            {
                ProcessTools.KillTree(process);
                _process = null; // restarted, with the successful cells replayed, before the next cell
                return new CellResult { Outcome = CellOutcome.TimedOut, ScriptName = name, Elapsed = clock.Elapsed };
            }
            interrupted = true;
            ProcessTools.Interrupt(process); // repeated every 500 ms until the cell returns
        }

        var text = await line.ConfigureAwait(false);
        if (text is null) return Crashed(name, clock.Elapsed);
        if (CellReply.Parse(text) is not { } reply)
        {
            ProcessTools.KillTree(process);
            _process = null;
            return Crashed(name, clock.Elapsed, "The Python session sent a malformed reply.");
        }
        return reply.ToResult(name, interruptedByParent: interrupted);
    }

    private static Task<string?> ReadLine(Process process) => process.StandardOutput.ReadLineAsync();

    private static async Task<string?> ReadReplyLineAsync(Process process, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var line = ReadLine(process);
        var finished = await Task.WhenAny(line, Task.Delay(timeout, cancellationToken)).ConfigureAwait(false);
        return finished == line ? await line.ConfigureAwait(false) : null;
    }

    private CellResult Crashed(string name, TimeSpan elapsed, string? why = null)
    {
        var process = _process;
        string detail = why ?? "The Python process ended unexpectedly";
        if (process is not null)
        {
            process.WaitForExit(1000);
            if (process.HasExited) detail += $" (exit code {process.ExitCode})";
        }
        var stderr = _stderr?.Snapshot().Text.Trim() ?? "";
        _process = null;
        return new CellResult
        {
            Outcome = CellOutcome.Crashed,
            Traceback = stderr.Length > 0 ? stderr + "\n" + detail + "." : detail + ".",
            ErrorType = "Crashed",
            ScriptName = name,
            Elapsed = elapsed,
        };
    }

    public async Task ResetAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _successfulCells.Clear();
            _cellNumber = 0;
            if (_process is { } p) ProcessTools.KillTree(p);
            _process = null; // a fresh interpreter at the next cell
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_process is { } p)
            {
                try { p.StandardInput.Close(); } catch (IOException) { }
                if (!p.WaitForExit(200)) ProcessTools.KillTree(p);
                p.Dispose();
            }
            _process = null;
            ProcessTools.TryDeleteDirectory(_dir);
        }
        finally
        {
            _gate.Release();
        }
    }
}
