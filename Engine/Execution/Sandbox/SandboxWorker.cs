using System.Diagnostics;
using System.Text.Json;
using Numina.Engine.Execution.Python;

namespace Numina.Engine.Execution.Sandbox;

/// <summary>
/// One worker process of the pool (a zygote: cells run in its forks, which it times itself). One request at a time
/// (<see cref="Gate"/>); a reply that does not come by the backstop deadline gets the worker's whole process tree killed;
/// end of stream or a malformed reply counts as a crash. Either way the worker is started again on next use with a new
/// <see cref="Generation"/>, and sessions replay their cells.
/// </summary>
internal sealed class SandboxWorker(int slot, SandboxLaunch launch) : IAsyncDisposable
{
    public int Slot { get; } = slot;
    public SemaphoreSlim Gate { get; } = new(1, 1);
    /// <summary>Bumped at every (re)start: a session opened in an older generation has lost its namespace.</summary>
    public int Generation { get; private set; }
    public int Sessions;
    public int Restarts { get; private set; }
    public int? Pid => _process is { HasExited: false } p ? p.Id : null;

    private Process? _process;
    private CappedTextReader? _stderr;
    private string? _workDir;

    public bool IsAlive => _process is { HasExited: false };

    /// <summary>Starts the process if it is not running. Call with <see cref="Gate"/> held.</summary>
    public async Task EnsureStartedAsync(CancellationToken cancellationToken)
    {
        if (IsAlive) return;
        if (_process is not null) { Restarts++; Discard(); }
        _workDir = launch.NewWorkDirectory(Slot);
        var process = new Process { StartInfo = launch.WorkerStart(Slot, _workDir) };
        process.Start();
        _process = process;
        _stderr = new CappedTextReader(process.StandardError, 16384);
        Generation++;
        var ready = await ReadLineAsync(TimeSpan.FromSeconds(launch.Options.StartTimeoutSeconds), cancellationToken).ConfigureAwait(false);
        if (ready is null || !ready.Contains("\"ready\": true", StringComparison.Ordinal))
        {
            var why = _stderr.Snapshot().Text.Trim();
            Discard();
            throw new InvalidOperationException($"The Python sandbox worker did not start{(why.Length > 0 ? ": " + why : ".")}");
        }
    }

    /// <summary>
    /// Sends one request and waits for its reply until <paramref name="deadline"/>. Null reply = the worker died or
    /// overran the deadline (and was killed). Call with <see cref="Gate"/> held.
    /// </summary>
    public async Task<(string? Reply, bool TimedOut)> SendAsync(string request, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var process = _process ?? throw new InvalidOperationException("The worker is not running.");
        try
        {
            await process.StandardInput.WriteLineAsync(request.AsMemory(), cancellationToken).ConfigureAwait(false);
            await process.StandardInput.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException)
        {
            return (null, false);
        }
        var line = process.StandardOutput.ReadLineAsync();
        var finished = await Task.WhenAny(line, Task.Delay(deadline, cancellationToken)).ConfigureAwait(false);
        if (finished != line)
        {
            if (!cancellationToken.IsCancellationRequested)
            {
                Kill(); // past the backstop: the worker itself is hung
                return (null, true);
            }
            // A candidate removed mid-cell: the worker kills that cell's process only, and answers for it. The worker
            // (and every other session on it) carries on; if it does not answer, it is killed after all.
            try
            {
                await process.StandardInput.WriteLineAsync("{\"op\": \"cancel\"}").ConfigureAwait(false);
                await process.StandardInput.FlushAsync().ConfigureAwait(false);
                if (await Task.WhenAny(line, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false) != line || await line.ConfigureAwait(false) is null) Kill();
            }
            catch (IOException) { Kill(); }
            cancellationToken.ThrowIfCancellationRequested();
        }
        var reply = await line.ConfigureAwait(false);
        if (reply is null) Kill();
        return (reply, false);
    }

    private async Task<string?> ReadLineAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var line = _process!.StandardOutput.ReadLineAsync();
        var finished = await Task.WhenAny(line, Task.Delay(timeout, cancellationToken)).ConfigureAwait(false);
        return finished == line ? await line.ConfigureAwait(false) : null;
    }

    /// <summary>What the worker printed on stderr (native crash messages), and how it ended.</summary>
    public string CrashReport()
    {
        var process = _process;
        var text = _stderr?.Snapshot().Text.Trim() ?? "";
        string exit = "";
        if (process is not null && process.WaitForExit(1000)) exit = $" (exit code {process.ExitCode})";
        return (text.Length > 0 ? text + "\n" : "") + $"The Python worker ended unexpectedly{exit}.";
    }

    public void Kill()
    {
        if (_process is { } p) ProcessTools.KillTree(p);
    }

    private void Discard()
    {
        if (_process is { } p)
        {
            ProcessTools.KillTree(p);
            p.WaitForExit(2000);
            p.Dispose();
        }
        _process = null;
        if (_workDir is not null) ProcessTools.TryDeleteDirectory(_workDir);
    }

    public async Task<JsonElement?> StatsAsync(CancellationToken cancellationToken)
    {
        await Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!IsAlive) return null;
            var (reply, _) = await SendAsync("{\"op\": \"stats\"}", TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
            return reply is null ? null : JsonDocument.Parse(reply).RootElement.Clone();
        }
        finally
        {
            Gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_process is { } p)
            {
                try { p.StandardInput.Close(); } catch (IOException) { } // end of input: the worker _exits
                if (!p.WaitForExit(1000)) ProcessTools.KillTree(p);
            }
            Discard();
        }
        finally
        {
            Gate.Release();
        }
    }
}
