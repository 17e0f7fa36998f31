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
}

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
        var job = new RunJob { Id = id, Request = request with { RunId = id }, View = RunView.ForRequest(id, request), Origin = origin };
        lock (_gate)
        {
            _queue.Add(job);
            _jobs[id] = job;
        }
        _signal.Release();
        return job;
    }

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
        store.BeginRun(job.Request, job.Id, DateTimeOffset.UtcNow);
        try
        {
            // The model loaded when the run starts; a switch meanwhile unloads it only after the run.
            using var lease = models.Acquire() ?? throw new InvalidOperationException($"No model is loaded: {models.Error}");
            var loop = new SctirLoop(lease.Model, executor);
            var record = await loop.RunAsync(job.Request, new TeeEventSink(pump, store.EventSink()), stop.Token, job.Control);
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
            store.FailRun(job.Id, e.Message);
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
