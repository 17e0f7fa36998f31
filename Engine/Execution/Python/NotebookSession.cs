using System.Diagnostics;
using System.Reflection;
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
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private static readonly Lazy<string> DriverSource = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("notebook_driver.py")
            ?? throw new InvalidOperationException("notebook_driver.py is not embedded in the engine.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<string> _successfulCells = [];
    private readonly string _dir = ProcessTools.NewTempDirectory(options, "numina-session-");
    private Process? _process;
    private CappedTextReader? _stderr;
    private int _cellNumber;

    private sealed record Request(string Code, string Name, bool TrailingExpression);

    private sealed record Reply
    {
        public bool Ok { get; init; }
        public string Stdout { get; init; } = "";
        public string Stderr { get; init; } = "";
        public string? Value { get; init; }
        public string? ErrorType { get; init; }
        public string? Traceback { get; init; }
        public double ElapsedMs { get; init; }
        public bool StdoutTruncated { get; init; }
        public bool StderrTruncated { get; init; }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var driver = Path.Combine(_dir, "notebook_driver.py");
        if (!File.Exists(driver)) await File.WriteAllTextAsync(driver, DriverSource.Value, cancellationToken).ConfigureAwait(false);
        var start = ProcessTools.PythonStart(options, _dir, driver);
        start.Environment["NUMINA_CELL_OUTPUT_CAP"] = options.CapturedOutputChars.ToString(System.Globalization.CultureInfo.InvariantCulture);
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
        var request = JsonSerializer.Serialize(new Request(source, name, session.AutoPrint == AutoPrint.TrailingExpression), Json);
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
        Reply reply;
        try { reply = JsonSerializer.Deserialize<Reply>(text, Json) ?? throw new JsonException("empty reply"); }
        catch (JsonException)
        {
            ProcessTools.KillTree(process);
            _process = null;
            return Crashed(name, clock.Elapsed, "The Python session sent a malformed reply.");
        }
        var outcome = reply.Ok ? CellOutcome.Success
            : interrupted && reply.ErrorType == "KeyboardInterrupt" ? CellOutcome.TimedOut
            : CellOutcome.Error;
        return new CellResult
        {
            Outcome = outcome,
            Stdout = reply.Stdout,
            Stderr = reply.Stderr,
            Value = reply.Value,
            ErrorType = reply.ErrorType,
            Traceback = reply.Traceback,
            ScriptName = name,
            Elapsed = TimeSpan.FromMilliseconds(reply.ElapsedMs),
            StdoutTruncated = reply.StdoutTruncated,
            StderrTruncated = reply.StderrTruncated,
        };
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
