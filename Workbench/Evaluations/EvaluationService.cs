using Numina.Engine.Configuration;
using Numina.Engine.Evaluation;
using Numina.Engine.Execution;
using Numina.Engine.Storage;
using Numina.Workbench.Hosting;

namespace Numina.Workbench.Evaluations;

/// <summary>One evaluation started from the page: its plan, where its results go, its progress and results so far.</summary>
public sealed class EvaluationJob
{
    public required string Id { get; init; }
    public required EvaluationPlan Plan { get; init; }
    public required string ResultsPath { get; init; }
    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;
    public int Done { get; internal set; }
    public int Total { get; internal set; }
    public bool Running { get; internal set; } = true;
    public string? Error { get; internal set; }
    public int Version { get; internal set; }
    internal CancellationTokenSource Stop { get; } = new();
    private readonly List<ProblemResult> _results = [];

    public IReadOnlyList<ProblemResult> Results
    {
        get { lock (_results) return _results.ToList(); }
    }

    internal void Add(ProblemResult r)
    {
        lock (_results) _results.Add(r);
    }
}

/// <summary>
/// Evaluations started from the workbench: the same runner as <c>Workbench eval</c>, its runs going through the app's
/// run queue (<see cref="Runs.RunService"/>) like the Solve page's — they show in the queue, take turns with
/// researchers' runs on the one model, and are recorded in the store (so each problem links to its run). Results files
/// go to <c>evaluations/</c> beside the run store; starting the same evaluation again resumes it.
/// </summary>
public sealed class EvaluationService(ModelHost models, ICodeExecutor executor, RunStore store, EngineOptions engine, Runs.RunService runs, ILogger<EvaluationService> log)
{
    private readonly List<EvaluationJob> _jobs = [];

    public string ResultsFolder { get; } = Path.Combine(Path.GetDirectoryName(store.Path)!, "evaluations");

    public IReadOnlyList<EvaluationJob> Jobs
    {
        get { lock (_jobs) return _jobs.ToList(); }
    }

    /// <summary>The evaluation sets next to the bundled model, and any JSONL in the evaluations folder's datasets/.</summary>
    public IReadOnlyList<string> KnownDatasets()
    {
        var folders = new[] { Path.GetDirectoryName(engine.ModelPath), Path.Combine(ResultsFolder, "datasets") };
        return folders.Where(f => f is not null && Directory.Exists(f)).SelectMany(f => Directory.GetFiles(f!, "*.jsonl")).Order().ToList();
    }

    public EvaluationJob Start(EvaluationPlan plan)
    {
        Engine.Settings.SettingsValidator.Validate(plan.Settings.Decoding);
        Directory.CreateDirectory(ResultsFolder);
        var path = Path.Combine(ResultsFolder, $"{plan.Dataset.Name}-{plan.Fingerprint()}.jsonl");
        EvaluationRunner.ReadResults(path, plan.Fingerprint());
        var job = new EvaluationJob { Id = plan.Fingerprint(), Plan = plan, ResultsPath = path, Total = plan.Dataset.Problems.Count };
        var lease = models.Acquire() ?? throw new InvalidOperationException($"No model is loaded: {models.Error}");
        lock (_jobs)
        {
            if (_jobs.Any(j => j.Running && j.Id == job.Id))
            {
                lease.Dispose();
                throw new InvalidOperationException("This evaluation is already running.");
            }
            _jobs.Insert(0, job);
        }
        _ = Task.Run(async () =>
        {
            try
            {
                var runner = new EvaluationRunner(lease.Model, executor, through: (request, ct) =>
                    runs.RunQueuedAsync(request, $"evaluation {plan.Dataset.Name}, problem {request.Problem.Id}", ct));
                var results = await runner.RunAsync(plan, path, (done, total, last) =>
                {
                    job.Done = done;
                    job.Total = total;
                    if (last is not null) job.Add(last);
                    else foreach (var r in EvaluationRunner.ReadResults(path).Values) job.Add(r);
                    job.Version++;
                }, job.Stop.Token);
            }
            catch (OperationCanceledException) { job.Error = "stopped (start it again to resume)"; }
            catch (Exception e)
            {
                job.Error = e.Message;
                log.LogWarning("Evaluation {Id} failed: {Error}", job.Id, e.Message);
            }
            finally
            {
                lease.Dispose();
                job.Running = false;
                job.Version++;
            }
        });
        return job;
    }

    public void Stop(EvaluationJob job) => job.Stop.Cancel();
}
