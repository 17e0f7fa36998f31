using Numina.Engine.Execution.Python;
using Numina.Engine.Presets;
using Numina.Engine.Settings;

namespace Numina.Engine.Execution.Sandbox;

/// <summary>
/// A candidate's session on its worker. Jupyter mode: a kernel process of its own (a fork of the worker), so no other
/// candidate shares its module state; its successful cells are kept so that, when the kernel (or the whole worker) was
/// killed or crashed, they are replayed into a new one before the next cell. Stateless mode: every block runs in a
/// fresh fork after the header — exactly what a new python3 with numpy and sympy imported would see.
/// </summary>
internal sealed class SandboxSession(SandboxExecutor pool, SandboxWorker worker, string id, CodeSessionOptions options) : ICodeSession
{
    private readonly List<string> _history = [];
    private int _generation = -1;
    private int _cells;
    private bool _disposed;

    private bool Jupyter => options.Mode == ExecutionMode.Jupyter;
    /// <summary>The worker times the cell itself (SIGINT, then a kill after the grace); past this it is hung and killed.</summary>
    private TimeSpan HardDeadline => options.Timeout + TimeSpan.FromSeconds(pool.Python.KillGraceSeconds + 10);

    public async Task OpenAsync(CancellationToken cancellationToken)
    {
        await worker.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try { await AttachAsync(cancellationToken).ConfigureAwait(false); }
        finally { worker.Gate.Release(); }
    }

    /// <summary>Makes sure the worker runs and holds this session's namespace, replaying its cells after a restart.</summary>
    private async Task AttachAsync(CancellationToken cancellationToken)
    {
        await worker.EnsureStartedAsync(cancellationToken).ConfigureAwait(false);
        if (_generation == worker.Generation) return;
        _generation = worker.Generation;
        if (!Jupyter) return;
        await worker.SendAsync(SandboxExecutor.Request(new { Op = "open", Session = id }), TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        var replay = options.Header.Length > 0 ? _history.Prepend(options.Header) : _history;
        int n = 0;
        foreach (var cell in replay)
        {
            var (reply, timedOut) = await worker.SendAsync(RunRequest(cell, $"<replay-{++n}>", fresh: false), HardDeadline, cancellationToken).ConfigureAwait(false);
            if (reply is null || CellReply.Parse(reply) is not { SessionLost: false })
            {
                pool.Log("Session {Session}: replay stopped at cell {Cell} ({Why}); later cells see a partial namespace.", id, n, timedOut ? "deadline" : "crash");
                await worker.EnsureStartedAsync(cancellationToken).ConfigureAwait(false);
                _generation = worker.Generation;
                await worker.SendAsync(SandboxExecutor.Request(new { Op = "open", Session = id }), TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
                return;
            }
        }
    }

    private string RunRequest(string source, string name, bool fresh) => SandboxExecutor.Request(new
    {
        Op = "run",
        Session = id,
        Code = source,
        Name = name,
        Fresh = fresh,
        TrailingExpression = options.AutoPrint == AutoPrint.TrailingExpression,
        Cap = pool.Python.CapturedOutputChars,
        TimeoutMs = (int)options.Timeout.TotalMilliseconds,
        GraceMs = (int)(pool.Python.KillGraceSeconds * 1000),
    });

    public async Task<CellResult> RunAsync(string code, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var name = $"<cell-{++_cells}>";
        var source = Jupyter
            ? (options.AutoPrint == AutoPrint.LastLine ? CellSource.WrapLastLineInPrint(code) : code)
            : CellSource.Prepare(code, options.Header, options.AutoPrint);

        await worker.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await AttachAsync(cancellationToken).ConfigureAwait(false);
            var started = DateTime.UtcNow;
            string? line;
            bool timedOut;
            try { (line, timedOut) = await worker.SendAsync(RunRequest(source, name, fresh: !Jupyter), HardDeadline, cancellationToken).ConfigureAwait(false); }
            catch (OperationCanceledException)
            {
                _generation = -1; // the worker killed this session's kernel with the cell
                throw;
            }
            if (line is null && !timedOut && !cancellationToken.IsCancellationRequested)
            {
                // The worker process itself died under the cell (killed from outside, out of memory, crashed): not
                // necessarily the cell's doing. Once: a new worker, the session's cells replayed, the cell again. A
                // second death is the cell's, and is reported as its crash below.
                pool.Log("Session {Session}: the Python worker died while running {Cell} ({Report}); running the cell again on a new worker.",
                    id, name, worker.CrashReport().ReplaceLineEndings(" "));
                worker.Kill();
                _generation = -1;
                await AttachAsync(cancellationToken).ConfigureAwait(false);
                started = DateTime.UtcNow;
                (line, timedOut) = await worker.SendAsync(RunRequest(source, name, fresh: !Jupyter), HardDeadline, cancellationToken).ConfigureAwait(false);
            }
            if (line is not null && CellReply.Parse(line) is { SessionLost: true, Error: not null })
            {
                // The kernel was already gone (the worker had lost it): a new one, the history replayed, and the cell again.
                _generation = -1;
                await AttachAsync(cancellationToken).ConfigureAwait(false);
                (line, timedOut) = await worker.SendAsync(RunRequest(source, name, fresh: !Jupyter), HardDeadline, cancellationToken).ConfigureAwait(false);
            }
            var elapsed = DateTime.UtcNow - started;
            if (timedOut)
                return new CellResult { Outcome = CellOutcome.TimedOut, ScriptName = name, Elapsed = elapsed, ErrorType = "Timeout" };
            if (line is null || CellReply.Parse(line) is not { } reply || (!reply.Ok && reply.Error is not null && !reply.SessionLost))
            {
                var report = line is null ? worker.CrashReport() : $"The Python worker sent a malformed reply: {Truncate(line)}";
                worker.Kill();
                return new CellResult { Outcome = CellOutcome.Crashed, ScriptName = name, Elapsed = elapsed, ErrorType = "Crashed", Traceback = report };
            }
            // Its kernel is gone (killed past the grace, crashed): the next cell gets a new one with the history replayed.
            if (reply.SessionLost) _generation = -1;
            if (reply.Error is not null)
                return new CellResult { Outcome = CellOutcome.Crashed, ScriptName = name, Elapsed = elapsed, ErrorType = "Crashed", Traceback = "The session's Python process was gone: " + reply.Error };
            var result = reply.ToResult(name);
            if (Jupyter && result.Outcome == CellOutcome.Success) _history.Add(source);
            return result;
        }
        finally
        {
            worker.Gate.Release();
        }
    }

    private static string Truncate(string s) => s.Length <= 200 ? s : s[..200] + "...";

    public async Task ResetAsync(CancellationToken cancellationToken)
    {
        _history.Clear();
        _cells = 0;
        await worker.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _generation = -1; // reopened (fresh namespace, header again) at the next cell
            if (worker.IsAlive)
                await worker.SendAsync(SandboxExecutor.Request(new { Op = "close", Session = id }), TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            worker.Gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        await worker.Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (worker.IsAlive && _generation == worker.Generation)
                await worker.SendAsync(SandboxExecutor.Request(new { Op = "close", Session = id }), TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            worker.Gate.Release();
            pool.Released(worker);
        }
    }
}
