using System.Threading.Channels;
using Numina.Engine.Events;
using Numina.Engine.Execution;
using Numina.Engine.Runs;
using Numina.Engine.Settings;
using Numina.Engine.Storage;
using Numina.Workbench.Hosting;

namespace Numina.Workbench.Runs;

public enum JobState { Queued, Running, Done }

/// <summary>One run asked for by a researcher: queued, then running on the engine, then done. Any tab can watch its view.</summary>
public sealed class RunJob
{
    public required string Id { get; init; }
    public required RunRequest Request { get; init; }
    public required RunView View { get; init; }
    public RunControl Control { get; } = new();
    public DateTimeOffset QueuedAt { get; } = DateTimeOffset.UtcNow;
    public JobState State { get; internal set; } = JobState.Queued;
    internal CancellationTokenSource Stop { get; } = new();
    internal TaskCompletionSource<RunRecord?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public Task<RunRecord?> Completion => Done.Task;
    public RunRecord? Record { get; internal set; }
    /// <summary>Who asked for it, when not a researcher on the Solve page ("evaluation math500, problem 12").</summary>
    public string? Origin { get; init; }
    /// <summary>Set when the job takes a finished run up again for branches rather than starting a run.</summary>
    public Resumption? Resume { get; init; }
}

/// <summary>A stored run to take up again: its record, its last event's number, and the branches to add (more may join while it waits).</summary>
public sealed record Resumption(RunRecord Record, long LastSequence, List<BranchPoint> Branches);

/// <summary>What a branch became: a new candidate of a run (its index), or a new run of branches.</summary>
public sealed record BranchOutcome(RunJob Job, int? Candidate, bool NewRun);

/// <summary>
/// The engine as the workbench's one service: runs first-in first-out on the loaded model, each stored as it goes; up
/// to <c>Workbench:ConcurrentRuns</c> at once (their candidates decode in one batch on the in-process model, or side by
/// side on a model server). A run that fails is recorded with its error and the queue carries on.
/// </summary>
public sealed class RunService(ModelHost models, ICodeExecutor executor, RunStore store, ILogger<RunService> log, IConfiguration? configuration = null) : BackgroundService
{
    private readonly object _gate = new();
    private readonly List<RunJob> _queue = [];
    private readonly Dictionary<string, RunJob> _jobs = [];
    private readonly SemaphoreSlim _signal = new(0);
    private readonly List<RunJob> _running = [];

    /// <summary>Runs that decode at once; more wait in the queue.</summary>
    public int ConcurrentRuns { get; } = Math.Clamp(configuration?.GetValue<int?>("Workbench:ConcurrentRuns") ?? 1, 1, 16);

    public RunStore Store => store;

    /// <summary>Validates and queues a run; throws <see cref="InvalidSettingsException"/> or <see cref="InvalidOperationException"/> with a message to show.</summary>
    public RunJob Enqueue(RunRequest request) => Enqueue(request, origin: null);

    /// <summary>
    /// Queues a run for another part of the app (an evaluation) and waits for its record: it takes its turn with the
    /// researchers' runs, shows in the queue, and is stored like them. Cancelling takes it out of the queue or stops it.
    /// </summary>
    public async Task<RunRecord> RunQueuedAsync(RunRequest request, string origin, CancellationToken ct)
    {
        var job = Enqueue(request, origin);
        using (ct.Register(() => Stop(job)))
        {
            var record = await job.Completion.ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            return record ?? throw new InvalidOperationException(job.View.Error ?? "The run failed.");
        }
    }

    private RunJob Enqueue(RunRequest request, string? origin)
    {
        SettingsValidator.Validate(request.Settings.Decoding);
        var presetProblems = request.Preset.Check();
        if (presetProblems.Count > 0) throw new InvalidSettingsException(presetProblems);
        if (models.Model is null) throw new InvalidOperationException($"No model is loaded: {models.Error}");
        var id = request.RunId ?? Guid.NewGuid().ToString("N")[..12];
        return Queue(new RunJob { Id = id, Request = request with { RunId = id }, View = RunView.ForRequest(id, request), Origin = origin });
    }

    /// <summary>Puts a job at the end of the queue (a new run, or a stored one taken up again) and wakes the runner.</summary>
    private RunJob Queue(RunJob job)
    {
        lock (_gate)
        {
            _queue.Add(job);
            _jobs[job.Id] = job;
        }
        _signal.Release();
        return job;
    }

    /// <summary>
    /// Branches a candidate from a point. Into the same run: a running run takes the branch at once; a finished one is
    /// taken up again (queued like any run) and finishes again with the branch in its vote. As a new run: a run of
    /// <paramref name="width"/> candidates that all start from the point (the source run must be finished). Throws
    /// <see cref="ArgumentException"/> or <see cref="InvalidOperationException"/> with a message to show.
    /// </summary>
    public BranchOutcome Branch(string runId, BranchPoint point, bool asNewRun = false, int width = 1)
    {
        if (Find(runId) is { State: not JobState.Done } live)
        {
            if (asNewRun) throw new InvalidOperationException("The run is still running: branch into it, or wait until it finishes to branch as a new run.");
            if (live.State == JobState.Running && live.Control.IsAttached) return new BranchOutcome(live, live.Control.Branch(point), false);
            if (live.Resume is { } queued)
            {
                Validate(queued.Record, point, live.Request.Preset);
                lock (queued.Branches) queued.Branches.Add(point);
                return new BranchOutcome(live, null, false);
            }
            throw new InvalidOperationException("The run has not started yet: branch it once its candidates have written something.");
        }
        var summary = store.Find(runId) ?? throw new ArgumentException($"No run {runId} in the store.");
        var record = store.GetRecord(runId) ?? throw new InvalidOperationException($"Run {runId} was {summary.Status.ToString().ToLowerInvariant()} before it finished: it has no record to branch from.");
        var request = store.GetRequest(runId) ?? throw new InvalidOperationException($"Run {runId} has no stored request.");
        var start = Validate(record, point, request.Preset);
        if (asNewRun)
        {
            var decoding = request.Settings.Decoding with
            {
                Width = width,
                Seed = point.Seed,
                Temperature = point.Temperature ?? request.Settings.Decoding.Temperature,
            };
            var job = Enqueue(new RunRequest
            {
                Problem = request.Problem, Preset = request.Preset, Settings = request.Settings with { Decoding = decoding },
                Start = start with { SourceRunId = runId, Point = point with { Seed = null, Temperature = null } },
            }, origin: $"branch of run {runId}, candidate {point.Candidate}");
            return new BranchOutcome(job, null, true);
        }
        var model = models.Model ?? throw new InvalidOperationException($"No model is loaded: {models.Error}");
        SctirLoop.CheckCanContinue(record, request, model);
        var events = store.GetEvents(runId);
        var resume = Queue(new RunJob
        {
            Id = runId, Request = request with { RunId = runId }, View = RunView.FromEvents(runId, request, events, summary.Status),
            Resume = new Resumption(record, events.Count == 0 ? 0 : events.Max(e => e.Sequence), [point]),
            Origin = $"branch of candidate {point.Candidate}",
        });
        return new BranchOutcome(resume, null, false);
    }

    private static BranchStart Validate(RunRecord record, BranchPoint point, Engine.Presets.Preset preset) =>
        point.Candidate >= 0 && point.Candidate < record.Candidates.Count
            ? BranchStart.From(record.Candidates[point.Candidate], point, preset)
            : throw new ArgumentException($"The run has no candidate {point.Candidate}.");

    public RunJob? Find(string id)
    {
        lock (_gate) return _jobs.GetValueOrDefault(id);
    }

    /// <summary>1 for the next run to start, 0 when running or done.</summary>
    public int PositionOf(RunJob job)
    {
        lock (_gate) return _queue.IndexOf(job) + 1;
    }

    public IReadOnlyList<RunJob> Waiting
    {
        get { lock (_gate) return _queue.ToList(); }
    }

    /// <summary>The run started last among those running (the Solve page follows it).</summary>
    public RunJob? Running
    {
        get { lock (_gate) return _running.LastOrDefault(); }
    }

    public IReadOnlyList<RunJob> RunningAll
    {
        get { lock (_gate) return _running.ToList(); }
    }

    /// <summary>Stops a running run (its record is kept as cancelled) or takes a queued one out of the queue.</summary>
    public void Stop(RunJob job)
    {
        lock (_gate)
        {
            if (_queue.Remove(job))
            {
                job.State = JobState.Done;
                job.View.Fail("Removed from the queue before it started.");
                job.Done.TrySetResult(null);
                return;
            }
        }
        job.Stop.Cancel();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var active = new List<Task>();
        while (!stoppingToken.IsCancellationRequested)
        {
            try { await _signal.WaitAsync(stoppingToken); }
            catch (OperationCanceledException) { break; }
            while (true)
            {
                RunJob job;
                lock (_gate)
                {
                    if (_queue.Count == 0 || _running.Count >= ConcurrentRuns) break;
                    job = _queue[0];
                    _queue.RemoveAt(0);
                    _running.Add(job);
                    job.State = JobState.Running;
                }
                active.Add(Task.Run(async () =>
                {
                    try { await RunAsync(job, stoppingToken); }
                    catch (Exception e) { log.LogWarning("Run {Id} ended abnormally: {Error}", job.Id, e.Message); }
                    finally
                    {
                        lock (_gate) _running.Remove(job);
                        job.State = JobState.Done;
                        job.Done.TrySetResult(job.Record); // whatever happened, whoever waits for it (an evaluation) is told
                        _signal.Release(); // a place is free: the next queued run may start
                    }
                }, CancellationToken.None));
            }
            active.RemoveAll(t => t.IsCompleted);
        }
        await Task.WhenAll(active);
    }

    private async Task RunAsync(RunJob job, CancellationToken stoppingToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, job.Stop.Token);
        var pump = new ViewPump(job.View);
        if (job.Resume is null) store.BeginRun(job.Request, job.Id, DateTimeOffset.UtcNow);
        else store.ResumeRun(job.Id);
        try
        {
            // The model loaded when the run starts; a switch meanwhile unloads it only after the run.
            using var lease = models.Acquire() ?? throw new InvalidOperationException($"No model is loaded: {models.Error}");
            var loop = new SctirLoop(lease.Model, executor);
            var sink = new TeeEventSink(pump, store.EventSink());
            RunRecord record;
            if (job.Resume is { } resume)
            {
                List<BranchPoint> branches;
                lock (resume.Branches) branches = [.. resume.Branches];
                record = await loop.ContinueAsync(resume.Record, job.Request, resume.LastSequence, branches, sink, stop.Token, job.Control);
            }
            else record = await loop.RunAsync(job.Request, sink, stop.Token, job.Control);
            store.FinishRun(record);
            job.Record = record;
            await pump.DrainAsync();
            job.Done.TrySetResult(record);
            log.LogInformation("Run {Id}: {Status}, answer {Answer}", job.Id, record.Status, record.Answer);
        }
        catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            // Whatever went wrong (the prompt did not fit, the backend broke), the run shows its error and the app carries on.
            log.LogWarning("Run {Id} failed: {Error}", job.Id, e.Message);
            if (job.Resume is { } resume && resume.Record.Status != RunStatus.Running) store.FinishRun(resume.Record); // refused before it ran: the run stays as it was
            else store.FailRun(job.Id, e.Message);
            try { await pump.DrainAsync(); } catch (Exception drain) { log.LogWarning("Run {Id}: the view could not take its events: {Error}", job.Id, drain.Message); }
            job.View.Fail(e.Message);
            job.Done.TrySetResult(null);
        }
    }

    /// <summary>Applies events to the view off the engine's publishing path (a slow page never slows decoding).</summary>
    private sealed class ViewPump : IRunEventSink
    {
        private readonly Channel<RunEvent> _events = Channel.CreateUnbounded<RunEvent>(new UnboundedChannelOptions { SingleReader = true });
        private readonly Task _task;

        public ViewPump(RunView view) => _task = Task.Run(async () =>
        {
            await foreach (var e in _events.Reader.ReadAllAsync()) view.Apply(e);
        });

        public void Publish(RunEvent e) => _events.Writer.TryWrite(e);

        public Task DrainAsync()
        {
            _events.Writer.TryComplete();
            return _task;
        }
    }
}
