using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Numina.Engine.Execution.Python;

namespace Numina.Engine.Execution.Sandbox;

/// <summary>
/// The Jupyter-style sandbox: a pool of pythonnet worker processes (PythonHost), each holding many candidates'
/// namespaces. Sessions stay on one worker (affinity); each worker runs one cell at a time, so at most
/// <see cref="SandboxOptions.Workers"/> cells run at once. Stateless mode runs each block in a fresh namespace on the
/// same warm workers (Numina's semantics without a process start per block).
/// </summary>
public sealed class SandboxExecutor : ICodeExecutor
{
    private readonly SandboxLaunch _launch;
    private readonly SandboxWorker[] _workers;
    private readonly ILogger _log;
    private int _nextSession;

    public SandboxExecutor(SandboxOptions options, PythonOptions python, ILogger? log = null)
    {
        if (options.Workers < 1) throw new ArgumentException($"Engine:Sandbox:Workers must be at least 1 (got {options.Workers}).");
        _log = log ?? NullLogger.Instance;
        _launch = new SandboxLaunch(options, python);
        _workers = Enumerable.Range(0, options.Workers).Select(i => new SandboxWorker(i, _launch)).ToArray();
        Facts = new ExecutorFacts
        {
            Name = $"pythonnet sandbox ({options.Workers} workers)",
            Interpreter = $"{python.Executable} ({_launch.LibPython})",
            ActiveProtections = _launch.Isolation.Active,
            MissingProtections = _launch.Isolation.Missing,
        };
        _log.LogInformation("Python sandbox: {Workers} workers; active: {Active}; not available here: {Missing}",
            options.Workers, string.Join("; ", Facts.ActiveProtections), Facts.MissingProtections.Count == 0 ? "none" : string.Join("; ", Facts.MissingProtections));
    }

    public ExecutorFacts Facts { get; }
    public PythonOptions Python => _launch.Python;
    public SandboxOptions Options => _launch.Options;

    public async Task<ICodeSession> OpenSessionAsync(CodeSessionOptions options, CancellationToken cancellationToken)
    {
        var worker = _workers.MinBy(w => Volatile.Read(ref w.Sessions))!;
        Interlocked.Increment(ref worker.Sessions);
        var session = new SandboxSession(this, worker, $"s{Interlocked.Increment(ref _nextSession)}", options);
        try
        {
            await session.OpenAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Interlocked.Decrement(ref worker.Sessions);
            throw;
        }
        return session;
    }

    internal void Released(SandboxWorker worker) => Interlocked.Decrement(ref worker.Sessions);

    internal void Log(string message, params object?[] args) => _log.LogWarning(message, args);

    /// <summary>Per worker: pid, generation, restarts, sessions, and what the worker reports (memory, cells run).</summary>
    public async Task<IReadOnlyList<WorkerStats>> StatsAsync(CancellationToken cancellationToken = default)
    {
        var stats = new List<WorkerStats>();
        foreach (var w in _workers)
        {
            var reported = await w.StatsAsync(cancellationToken).ConfigureAwait(false);
            stats.Add(new WorkerStats(w.Slot, w.Pid, w.Generation, w.Restarts, Volatile.Read(ref w.Sessions),
                reported?.TryGetProperty("pss_kb", out var pss) == true ? pss.GetInt64() : null,
                reported?.TryGetProperty("vmrss_kb", out var rss) == true ? rss.GetInt64() : null,
                reported?.TryGetProperty("cells", out var cells) == true ? cells.GetInt64() : 0));
        }
        return stats;
    }

    /// <summary>Starts every worker now instead of at first use (benchmarks, the workbench at start-up).</summary>
    public async Task WarmUpAsync(CancellationToken cancellationToken = default)
    {
        await Task.WhenAll(_workers.Select(async w =>
        {
            await w.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try { await w.EnsureStartedAsync(cancellationToken).ConfigureAwait(false); }
            finally { w.Gate.Release(); }
        })).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var w in _workers) await w.DisposeAsync().ConfigureAwait(false);
    }

    internal static string Request(object request) => JsonSerializer.Serialize(request, CellReply.Json);
}

public sealed record WorkerStats(int Slot, int? Pid, int Generation, int Restarts, int Sessions, long? PssKb, long? RssKb, long CellsRun);
