using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Numina.Engine.Events;
using Numina.Engine.Runs;

namespace Numina.Engine.Storage;

/// <summary>One line of the run history.</summary>
public sealed record RunSummary
{
    public required string Id { get; init; }
    public RunStatus Status { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public string Problem { get; init; } = "";
    public string? KnownAnswer { get; init; }
    public string Preset { get; init; } = "";
    public int Width { get; init; }
    public int Depth { get; init; }
    public double Temperature { get; init; }
    public string? Answer { get; init; }
    /// <summary>Votes for the answer over valid votes (0–1); null before any vote.</summary>
    public double? Agreement { get; init; }
    public bool? Correct { get; init; }
    public int Tokens { get; init; }
    public double Seconds { get; init; }
    public string? Error { get; init; }
    public long Events { get; init; }
}

/// <summary>
/// Every run in one SQLite file (WAL): a row per run and every event as it happens, so a crash keeps everything up to
/// the last event. One writer task commits whatever is queued in one transaction; readers never block it (WAL).
/// Opening the store marks runs left "Running" by a previous process as <see cref="RunStatus.Interrupted"/>.
/// </summary>
/// <summary>Why the run store cannot write now, since when, and how many writes wait in memory.</summary>
public sealed record StorageFailure(string Message, DateTimeOffset Since, int Waiting);

public sealed class RunStore : IAsyncDisposable
{
    private readonly string _connectionString;
    private readonly Channel<Func<SqliteConnection, SqliteTransaction, Task>> _writes =
        Channel.CreateUnbounded<Func<SqliteConnection, SqliteTransaction, Task>>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private static readonly JsonSerializerOptions Compact = new(RunRecord.JsonOptions) { WriteIndented = false };

    public string Path { get; }
    /// <summary>How many runs were found interrupted when the store opened.</summary>
    public int InterruptedOnOpen { get; }

    /// <summary>
    /// Set while the disk refuses writes (full, I/O errors, read-only): runs go on in memory, their writes wait, and are
    /// committed when the disk takes them again (SQLite commits all of a batch or none of it, so nothing half-written).
    /// </summary>
    public StorageFailure? Failure { get; private set; }
    /// <summary>Raised when <see cref="Failure"/> is set, changes, or clears (pages show it).</summary>
    public event Action? HealthChanged;
    private volatile bool _closing;
    private int _queued; // writes in the channel, not yet taken into a batch

    private RunStore(string path, int interrupted)
    {
        Path = path;
        InterruptedOnOpen = interrupted;
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString();
        _writer = Task.Run(WriteLoopAsync);
    }

    public static RunStore Open(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
            using var c = Connect(full);
            Execute(c, """
                PRAGMA journal_mode = WAL;
                CREATE TABLE IF NOT EXISTS runs (
                    id TEXT PRIMARY KEY, status TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT,
                    problem TEXT NOT NULL, known_answer TEXT, preset TEXT NOT NULL, width INTEGER, depth INTEGER, temperature REAL,
                    answer TEXT, agreement REAL, correct INTEGER, tokens INTEGER NOT NULL DEFAULT 0, seconds REAL NOT NULL DEFAULT 0,
                    error TEXT, request TEXT NOT NULL, record TEXT);
                CREATE TABLE IF NOT EXISTS events (
                    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, seq INTEGER NOT NULL, time TEXT NOT NULL,
                    type TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (run_id, seq));
                CREATE INDEX IF NOT EXISTS runs_by_start ON runs(started_at);
                """);
            // The summary of a run cut short comes from its events: generated tokens (one text delta each) and time.
            int interrupted = Execute(c, """
                UPDATE runs SET status = 'Interrupted',
                    tokens = (SELECT count(*) FROM events e WHERE e.run_id = runs.id AND e.type = 'TextDelta'),
                    seconds = coalesce((julianday((SELECT max(e.time) FROM events e WHERE e.run_id = runs.id)) - julianday(started_at)) * 86400, 0)
                WHERE status = 'Running'
                """);
            return new RunStore(full, interrupted);
        }
        catch (SqliteException e)
        {
            throw new InvalidOperationException($"The run store {full} cannot be opened: {e.Message}", e);
        }
    }

    private static SqliteConnection Connect(string path)
    {
        var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        c.Open();
        Execute(c, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;");
        return c;
    }

    private static int Execute(SqliteConnection c, string sql, SqliteTransaction? t = null, params (string, object?)[] args)
    {
        using var command = c.CreateCommand();
        command.CommandText = sql;
        command.Transaction = t;
        foreach (var (name, value) in args) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command.ExecuteNonQuery();
    }

    /// <summary>Records a run that starts now; its events follow through <see cref="EventSink"/>.</summary>
    public void BeginRun(RunRequest request, string runId, DateTimeOffset startedAt) => Enqueue((c, t) =>
    {
        var d = request.Settings.Decoding;
        Execute(c, """
            INSERT INTO runs (id, status, started_at, problem, known_answer, preset, width, depth, temperature, request)
            VALUES ($id, 'Running', $started, $problem, $known, $preset, $width, $depth, $temperature, $request)
            """, t, ("$id", runId), ("$started", startedAt.ToString("O")), ("$problem", request.Problem.Text),
            ("$known", request.Problem.KnownAnswer), ("$preset", request.Preset.Name), ("$width", d.Width), ("$depth", d.Depth),
            ("$temperature", d.Temperature), ("$request", JsonSerializer.Serialize(request, RunRecord.JsonOptions)));
        return Task.CompletedTask;
    });

    /// <summary>A sink that appends the run's events to the store in order (the same events the UI and CLI see).</summary>
    public IRunEventSink EventSink() => new StoreSink(this);

    /// <summary>The run's final record; also the summary columns of the history list.</summary>
    public void FinishRun(RunRecord record) => Enqueue((c, t) =>
    {
        var top = record.Vote.Buckets.FirstOrDefault();
        double? agreement = record.Vote.ValidVotes > 0 && top is not null ? (double)top.Count / record.Vote.ValidVotes : null;
        Execute(c, """
            UPDATE runs SET status = $status, finished_at = $finished, answer = $answer, agreement = $agreement, correct = $correct,
                tokens = $tokens, seconds = $seconds, error = $error, width = $width, record = $record WHERE id = $id
            """, t, ("$id", record.Id), ("$status", record.Status.ToString()), ("$finished", (record.FinishedAt ?? DateTimeOffset.UtcNow).ToString("O")),
            ("$answer", record.Answer), ("$agreement", agreement), ("$correct", record.Correct is { } k ? (k ? 1 : 0) : null),
            ("$tokens", record.GeneratedTokens + record.AppendedTokens), ("$seconds", record.ElapsedSeconds), ("$error", record.Error),
            ("$width", record.Candidates.Count(x => x.PruneReason != Candidates.PruneReason.RemovedByResearcher)), ("$record", record.ToJson()));
        return Task.CompletedTask;
    });

    /// <summary>A finished run taken up again (for branches): running once more; its new events follow its old ones.</summary>
    public void ResumeRun(string runId) => Enqueue((c, t) =>
    {
        Execute(c, "UPDATE runs SET status = 'Running', finished_at = NULL, error = NULL WHERE id = $id", t, ("$id", runId));
        return Task.CompletedTask;
    });

    /// <summary>A run that failed before its loop started (e.g. the prompt did not fit): recorded with its error.</summary>
    public void FailRun(string runId, string error) => Enqueue((c, t) =>
    {
        Execute(c, "UPDATE runs SET status = 'Failed', finished_at = $finished, error = $error WHERE id = $id", t,
            ("$id", runId), ("$finished", DateTimeOffset.UtcNow.ToString("O")), ("$error", error));
        return Task.CompletedTask;
    });

    /// <summary>Waits until everything queued so far is committed.</summary>
    public Task FlushAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Enqueue((_, _) => { done.TrySetResult(); return Task.CompletedTask; });
        return done.Task;
    }

    public async Task DeleteAsync(string runId)
    {
        await FlushAsync().ConfigureAwait(false);
        using var c = Connect(Path);
        Execute(c, "DELETE FROM runs WHERE id = $id", null, ("$id", runId));
    }

    public IReadOnlyList<RunSummary> List(int limit = 200, string? search = null)
    {
        using var c = Connect(Path);
        using var q = c.CreateCommand();
        q.CommandText = """
            SELECT id, status, started_at, finished_at, problem, known_answer, preset, width, depth, temperature, answer, agreement,
                   correct, tokens, seconds, error, (SELECT count(*) FROM events e WHERE e.run_id = runs.id)
            FROM runs WHERE $search IS NULL OR problem LIKE '%' || $search || '%' OR answer = $search
            ORDER BY started_at DESC LIMIT $limit
            """;
        q.Parameters.AddWithValue("$search", (object?)search ?? DBNull.Value);
        q.Parameters.AddWithValue("$limit", limit);
        using var r = q.ExecuteReader();
        var list = new List<RunSummary>();
        while (r.Read()) list.Add(ReadSummary(r));
        return list;
    }

    public RunSummary? Find(string runId)
    {
        using var c = Connect(Path);
        using var q = c.CreateCommand();
        q.CommandText = """
            SELECT id, status, started_at, finished_at, problem, known_answer, preset, width, depth, temperature, answer, agreement,
                   correct, tokens, seconds, error, (SELECT count(*) FROM events e WHERE e.run_id = runs.id)
            FROM runs WHERE id = $id
            """;
        q.Parameters.AddWithValue("$id", runId);
        using var r = q.ExecuteReader();
        return r.Read() ? ReadSummary(r) : null;
    }

    private static RunSummary ReadSummary(SqliteDataReader r) => new()
    {
        Id = r.GetString(0),
        Status = Enum.Parse<RunStatus>(r.GetString(1)),
        StartedAt = DateTimeOffset.Parse(r.GetString(2), System.Globalization.CultureInfo.InvariantCulture),
        FinishedAt = r.IsDBNull(3) ? null : DateTimeOffset.Parse(r.GetString(3), System.Globalization.CultureInfo.InvariantCulture),
        Problem = r.GetString(4),
        KnownAnswer = r.IsDBNull(5) ? null : r.GetString(5),
        Preset = r.GetString(6),
        Width = r.IsDBNull(7) ? 0 : r.GetInt32(7),
        Depth = r.IsDBNull(8) ? 0 : r.GetInt32(8),
        Temperature = r.IsDBNull(9) ? 0 : r.GetDouble(9),
        Answer = r.IsDBNull(10) ? null : r.GetString(10),
        Agreement = r.IsDBNull(11) ? null : r.GetDouble(11),
        Correct = r.IsDBNull(12) ? null : r.GetInt32(12) == 1,
        Tokens = r.GetInt32(13),
        Seconds = r.GetDouble(14),
        Error = r.IsDBNull(15) ? null : r.GetString(15),
        Events = r.GetInt64(16),
    };

    /// <summary>The final record; null while the run runs or when it was interrupted (its events remain).</summary>
    public RunRecord? GetRecord(string runId)
    {
        using var c = Connect(Path);
        using var q = c.CreateCommand();
        q.CommandText = "SELECT record FROM runs WHERE id = $id";
        q.Parameters.AddWithValue("$id", runId);
        return q.ExecuteScalar() is string json ? RunRecord.FromJson(json) : null;
    }

    public RunRequest? GetRequest(string runId)
    {
        using var c = Connect(Path);
        using var q = c.CreateCommand();
        q.CommandText = "SELECT request FROM runs WHERE id = $id";
        q.Parameters.AddWithValue("$id", runId);
        return q.ExecuteScalar() is string json ? JsonSerializer.Deserialize<RunRequest>(json, RunRecord.JsonOptions) : null;
    }

    /// <summary>The run's events in order (what replay plays back).</summary>
    public IReadOnlyList<RunEvent> GetEvents(string runId)
    {
        using var c = Connect(Path);
        using var q = c.CreateCommand();
        q.CommandText = "SELECT json FROM events WHERE run_id = $id ORDER BY seq";
        q.Parameters.AddWithValue("$id", runId);
        using var r = q.ExecuteReader();
        var events = new List<RunEvent>();
        while (r.Read()) events.Add(JsonSerializer.Deserialize<RunEvent>(r.GetString(0), Compact)!);
        return events;
    }

    /// <summary>
    /// One run as a JSON document: its final record when it has one, else (interrupted) what its events show,
    /// always with the events themselves.
    /// </summary>
    public string ExportJson(string runId, bool indented = true)
    {
        var summary = Find(runId) ?? throw new KeyNotFoundException($"No run {runId} in {Path}.");
        var document = new Dictionary<string, object?>
        {
            ["id"] = summary.Id,
            ["status"] = summary.Status.ToString(),
            ["summary"] = summary,
            ["request"] = GetRequest(runId),
            ["record"] = GetRecord(runId),
            ["events"] = GetEvents(runId),
        };
        var options = new JsonSerializerOptions(RunRecord.JsonOptions) { WriteIndented = indented };
        return JsonSerializer.Serialize(document, options);
    }

    /// <summary>Many runs, one JSON document per line.</summary>
    public async Task ExportJsonlAsync(IEnumerable<string> runIds, TextWriter writer)
    {
        foreach (var id in runIds) await writer.WriteLineAsync(ExportJson(id, indented: false)).ConfigureAwait(false);
    }

    private void Enqueue(Func<SqliteConnection, SqliteTransaction, Task> write)
    {
        if (!_writes.Writer.TryWrite(write)) throw new ObjectDisposedException(nameof(RunStore));
        Interlocked.Increment(ref _queued);
    }

    /// <summary>
    /// The single writer: everything queued is committed together. A batch the disk refuses (full, I/O error) is kept and
    /// tried again every few seconds until the disk takes it; a batch that fails for another reason is retried one write
    /// at a time, and a write that cannot succeed (its run was deleted) is dropped alone.
    /// </summary>
    private async Task WriteLoopAsync()
    {
        SqliteConnection? c = null; // opened on first use, and again after the disk refused it
        var batch = new List<Func<SqliteConnection, SqliteTransaction, Task>>();
        while (await _writes.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < 2000 && _writes.Reader.TryRead(out var w))
            {
                batch.Add(w);
                Interlocked.Decrement(ref _queued);
            }
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    c ??= Connect(Path);
                    using (var t = c.BeginTransaction())
                    {
                        foreach (var w in batch) await w(c, t).ConfigureAwait(false);
                        t.Commit();
                    }
                    if (Failure is not null)
                    {
                        Failure = null;
                        HealthChanged?.Invoke();
                    }
                    break;
                }
                catch (SqliteException e) when (IsDiskFailure(e))
                {
                    c?.Dispose();
                    c = null;
                    if (_closing && attempt >= 3) break; // shutting down and the disk still refuses: nothing more to do
                    Failure = new StorageFailure(e.Message, Failure?.Since ?? DateTimeOffset.UtcNow, batch.Count + Volatile.Read(ref _queued));
                    HealthChanged?.Invoke();
                    await Task.Delay(TimeSpan.FromSeconds(Math.Min(5, attempt))).ConfigureAwait(false);
                }
                catch (SqliteException) when (c is not null)
                {
                    foreach (var w in batch)
                        try
                        {
                            using var t = c.BeginTransaction();
                            await w(c, t).ConfigureAwait(false);
                            t.Commit();
                        }
                        catch (SqliteException) { } // a write that cannot succeed (e.g. its run was deleted) is dropped alone
                    break;
                }
            }
            batch.Clear();
        }
        c?.Dispose();
    }

    /// <summary>The disk, not the write: full (13), I/O error (10), cannot open (14), read-only (8).</summary>
    private static bool IsDiskFailure(SqliteException e) => e.SqliteErrorCode is 13 or 10 or 14 or 8;

    public async ValueTask DisposeAsync()
    {
        _closing = true;
        _writes.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }

    private sealed class StoreSink(RunStore store) : IRunEventSink
    {
        public void Publish(RunEvent e)
        {
            var json = JsonSerializer.Serialize(e, Compact);
            var type = e.GetType().Name;
            store.Enqueue((c, t) =>
            {
                Execute(c, "INSERT OR REPLACE INTO events (run_id, seq, time, type, json) VALUES ($run, $seq, $time, $type, $json)", t,
                    ("$run", e.RunId), ("$seq", e.Sequence), ("$time", e.Time.ToString("O")), ("$type", type), ("$json", json));
                return Task.CompletedTask;
            });
        }
    }
}
