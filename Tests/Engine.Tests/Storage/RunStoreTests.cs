using System.Text.Json;
using Numina.Engine.Events;
using Numina.Engine.Presets;
using Numina.Engine.Problems;
using Numina.Engine.Runs;
using Numina.Engine.Settings;
using Numina.Engine.Storage;
using Numina.Engine.Tests.Support;

namespace Numina.Engine.Tests.Storage;

/// <summary>The SQLite run store on a real file: runs written as they go, read back, exported, deleted, interrupted.</summary>
[Collection("sandbox")]
public sealed class RunStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("numina-store-").FullName;
    private string DbPath => Path.Combine(_dir, "runs.db");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static RunRequest Request(int width) => new()
    {
        Problem = Problem.Create("What is 2 + 3?", knownAnswer: "5"),
        Preset = BuiltInPresets.Numina,
        Settings = new RunSettings { Decoding = new DecodingSettings { Width = width, Depth = 4, Seed = 3 } },
        RunId = Guid.NewGuid().ToString("N"),
    };

    private static async Task<(RunRecord, IReadOnlyList<RunEvent>)> RunInto(RunStore store, RunRequest request)
    {
        var model = new ScriptedModel(call => call.CallNumber == 1 ? "```python\nprint(2 + 3)\n```\n```output\n" : "\nSo \\boxed{5}.");
        await using var executor = Python.Executor();
        var recorded = new RecordingEventSink();
        var storeSink = store.EventSink();
        store.BeginRun(request, request.RunId!, DateTimeOffset.UtcNow);
        var record = await new SctirLoop(model, executor).RunAsync(request, new TeeEventSink(recorded, storeSink), CancellationToken.None);
        store.FinishRun(record);
        await store.FlushAsync();
        return (record, recorded.Events);
    }

    [Fact]
    public async Task A_finished_run_reads_back_with_every_event_in_order()
    {
        RunRecord record;
        IReadOnlyList<RunEvent> events;
        await using (var store = RunStore.Open(DbPath))
            (record, events) = await RunInto(store, Request(3));

        await using var reopened = RunStore.Open(DbPath);
        Assert.Equal(0, reopened.InterruptedOnOpen);
        var summary = Assert.Single(reopened.List());
        Assert.Equal((RunStatus.Finished, "5", 1.0, true, 3), (summary.Status, summary.Answer, summary.Agreement, summary.Correct, summary.Width));
        Assert.Equal(events.Count, summary.Events);
        var stored = reopened.GetEvents(record.Id);
        Assert.Equal(events.Select(Json), stored.Select(Json));
        Assert.Equal(record.ToJson(), reopened.GetRecord(record.Id)!.ToJson());
        Assert.Equal("What is 2 + 3?", reopened.GetRequest(record.Id)!.Problem.Text);
    }

    [Fact]
    public async Task A_full_disk_keeps_runs_going_and_their_writes_waiting_until_space_returns()
    {
        using var disk = SmallDisk.Mount(kilobytes: 1024);
        var path = Path.Combine(disk.Path, "runs.db");
        await using var store = RunStore.Open(path);
        var (earlier, _) = await RunInto(store, Request(2));
        int changes = 0;
        store.HealthChanged += () => Interlocked.Increment(ref changes);

        disk.Fill();
        // A run while the disk is full: it finishes, in memory.
        var request = Request(8);
        var model = new ScriptedModel(call => call.CallNumber == 1 ? "Let me check.\n```python\nprint(2 + 3)\n```\n```output\n" : "\nSo the answer is \\boxed{5}.");
        await using var executor = Python.Executor();
        var recorded = new RecordingEventSink();
        store.BeginRun(request, request.RunId!, DateTimeOffset.UtcNow);
        var record = await new SctirLoop(model, executor).RunAsync(request, new TeeEventSink(recorded, store.EventSink()), CancellationToken.None);
        store.FinishRun(record);
        Assert.Equal((RunStatus.Finished, "5"), (record.Status, record.Answer));

        // The store says it cannot write, and what waits.
        for (int i = 0; i < 100 && store.Failure is null; i++) await Task.Delay(100);
        var failure = store.Failure;
        Assert.NotNull(failure);
        Assert.Contains("full", failure.Message);
        Assert.True(failure.Waiting > 0);
        Assert.True(changes >= 1);

        // Space returns: everything that waited is written, the database is sound, the earlier run untouched.
        disk.Free();
        await store.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Null(store.Failure);
        Assert.Equal(recorded.Events.Select(Json), store.GetEvents(record.Id).Select(Json));
        Assert.Equal(record.ToJson(), store.GetRecord(record.Id)!.ToJson());
        Assert.Equal(earlier.ToJson(), store.GetRecord(earlier.Id)!.ToJson());
        using var check = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        check.Open();
        using var command = check.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        Assert.Equal("ok", command.ExecuteScalar());
    }

    private static string Json(RunEvent e) => JsonSerializer.Serialize(e, RunRecord.JsonOptions);

    [Fact]
    public async Task A_run_left_running_by_a_dead_process_opens_as_interrupted_with_its_events()
    {
        var request = Request(2);
        await using (var store = RunStore.Open(DbPath))
        {
            var sink = store.EventSink();
            var started = DateTimeOffset.UtcNow;
            store.BeginRun(request, request.RunId!, started);
            sink.Publish(new RunStarted(2, 4, 3, "Numina", "p", 1) { RunId = request.RunId!, Sequence = 1, Time = started });
            sink.Publish(new TextDelta(0, 0, 1, "Let me", [0.5f]) { RunId = request.RunId!, Sequence = 2, Time = started.AddSeconds(2) });
            await store.FlushAsync();
        } // no FinishRun: the process "died"

        await using var reopened = RunStore.Open(DbPath);
        Assert.Equal(1, reopened.InterruptedOnOpen);
        var summary = Assert.Single(reopened.List());
        Assert.Equal(RunStatus.Interrupted, summary.Status);
        Assert.Equal(1, summary.Tokens); // one text delta: one generated token
        Assert.InRange(summary.Seconds, 0.5, 60);
        Assert.Null(reopened.GetRecord(request.RunId!));
        Assert.Equal("Let me", Assert.IsType<TextDelta>(reopened.GetEvents(request.RunId!)[1]).Text);
    }

    [Fact]
    public async Task Runs_export_as_json_and_jsonl_and_delete_with_their_events()
    {
        await using var store = RunStore.Open(DbPath);
        var (a, _) = await RunInto(store, Request(1));
        var (b, _) = await RunInto(store, Request(2));

        using var one = JsonDocument.Parse(store.ExportJson(a.Id));
        Assert.Equal(a.Id, one.RootElement.GetProperty("id").GetString());
        Assert.Equal("5", one.RootElement.GetProperty("record").GetProperty("answer").GetString());
        Assert.Contains(one.RootElement.GetProperty("events").EnumerateArray(), e => e.GetProperty("type").GetString() == "run-finished");

        var lines = new StringWriter();
        await store.ExportJsonlAsync([a.Id, b.Id], lines);
        var parsed = lines.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()).ToList();
        Assert.Equal([a.Id, b.Id], parsed);

        await store.DeleteAsync(a.Id);
        Assert.Equal([b.Id], store.List().Select(s => s.Id));
        Assert.Empty(store.GetEvents(a.Id));
        Assert.Throws<KeyNotFoundException>(() => store.ExportJson(a.Id));
    }

    [Fact]
    public async Task A_file_that_is_not_a_database_gives_a_clear_error_and_is_left_alone()
    {
        await File.WriteAllTextAsync(DbPath, "this is not a database, and it is somebody's file");
        var e = Assert.Throws<InvalidOperationException>(() => RunStore.Open(DbPath));
        Assert.Contains("cannot be opened", e.Message);
        Assert.Equal("this is not a database, and it is somebody's file", await File.ReadAllTextAsync(DbPath));
    }
}
