using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Numina.Engine.Answers;
using Numina.Engine.Candidates;
using Numina.Engine.Events;
using Numina.Engine.Execution;
using Numina.Engine.Models;
using Numina.Engine.Policies;
using Numina.Engine.Presets;
using Numina.Engine.Problems;
using Numina.Engine.Runs;
using Numina.Engine.Settings;
using Numina.Engine.Storage;

namespace Numina.Engine.Evaluation;

/// <summary>What an evaluation runs: the set, how it is graded, the preset and settings, and the options of the harness.</summary>
public sealed record EvaluationPlan
{
    public required Dataset Dataset { get; init; }
    public GradingPolicy Policy { get; init; }
    public Preset Preset { get; init; } = BuiltInPresets.Numina;
    public RunSettings Settings { get; init; } = new();
    /// <summary>Also run each problem greedily (N = 1, temperature 0) for the greedy baseline.</summary>
    public bool Greedy { get; init; } = true;
    /// <summary>Count symbolically equal answers as one answer in the vote (symbolic sets).</summary>
    public bool GroupEquivalentAnswers { get; init; }
    /// <summary>
    /// NemoSkills' AIMO-2 scheme, with the runs' time budget (<see cref="Policies.RunPolicies.TimeBudgetSeconds"/>) as
    /// each problem's share: a problem may also spend what is in this shared buffer, and a problem that takes less than
    /// its share leaves the rest in it for the harder ones. 0 = each problem has its share alone.
    /// </summary>
    public double SharedBufferSeconds { get; init; }
    /// <summary>
    /// Problems in flight at once (<c>eval --parallel K</c>): their candidates decode in one batch (in-process) or are
    /// spread over the servers (remote). Results are written in problem order; it is not part of the fingerprint (the
    /// runs' settings are the same; in-process their draws can differ by float rounding, as where a sequence's KV cells
    /// lie changes its attention sums). With a shared buffer, a problem's budget is what the buffer held when it started.
    /// </summary>
    public int Parallel { get; init; } = 1;

    /// <summary>Settings that change results; a results file made with others cannot be resumed.</summary>
    public string Fingerprint()
    {
        var text = SharedBufferSeconds > 0
            ? JsonSerializer.Serialize(new { Dataset.Name, Policy, Preset, Settings, Greedy, GroupEquivalentAnswers, SharedBufferSeconds }, RunRecord.JsonOptions)
            : JsonSerializer.Serialize(new { Dataset.Name, Policy, Preset, Settings, Greedy, GroupEquivalentAnswers }, RunRecord.JsonOptions);
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16].ToLowerInvariant();
    }
}

/// <summary>One candidate of a problem's run, as recorded for the estimators.</summary>
public sealed record CandidateResult(int Index, string? Answer, int RetiredRound, bool Correct, int Restarts, bool Pruned);

/// <summary>One line of a results file: a problem, its run and its grades.</summary>
public sealed record ProblemResult
{
    public required string Fingerprint { get; init; }
    public required string Id { get; init; }
    public required string Reference { get; init; }
    public IReadOnlyDictionary<string, string> Fields { get; init; } = new Dictionary<string, string>();
    public string RunId { get; init; } = "";
    public string? Majority { get; init; }
    public bool MajorityCorrect { get; init; }
    /// <summary>The preset's answer when no candidate gave a valid one (it counts, and is graded, as the vote's).</summary>
    public string? Fallback { get; init; }
    public bool FallbackCorrect { get; init; }
    public string? FirstSample { get; init; }
    public bool FirstSampleCorrect { get; init; }
    public string? GreedyAnswer { get; init; }
    public bool? GreedyCorrect { get; init; }
    public IReadOnlyList<CandidateResult> Candidates { get; init; } = [];
    public int Restarts { get; init; }
    public int Prunes { get; init; }
    public int Tokens { get; init; }
    public double Seconds { get; init; }
    /// <summary>The decoding policies of the run, in words ("none" for plain SC-TIR).</summary>
    public string Policies { get; init; } = "none";
    /// <summary>The time this problem was allowed (its share and the buffer then); null without a time budget.</summary>
    public double? BudgetSeconds { get; init; }
    /// <summary>Candidates the time budget stopped before they finished.</summary>
    public int BudgetStopped { get; init; }
    /// <summary>Candidates an early-stop policy stopped (some never started) and traces confidence pruning stopped.</summary>
    public int EarlyStopped { get; init; }
    public int ConfidenceStopped { get; init; }
    public string? Error { get; init; }
}

/// <summary>
/// SC-TIR over a dataset: one run per problem (plus an optional greedy run), each graded and appended to a results
/// file as it finishes — so a stopped evaluation resumes where it left off, with the same numbers, because each
/// problem's seed derives from the run seed and the problem id. Every run is also recorded in the run store.
/// </summary>
/// <summary>
/// How an evaluation's runs run when not in the runner's own loop: through a queue others share (the workbench's run
/// service, which records them), so an evaluation and researchers' runs take turns on the one model.
/// </summary>
public delegate Task<RunRecord> RunThrough(RunRequest request, CancellationToken ct);

public sealed class EvaluationRunner(ILanguageModel model, ICodeExecutor executor, RunStore? store = null, RunThrough? through = null)
{
    public static JsonSerializerOptions LineOptions { get; } = new(RunRecord.JsonOptions) { WriteIndented = false };

    public async Task<IReadOnlyList<ProblemResult>> RunAsync(EvaluationPlan plan, string resultsPath, Action<int, int, ProblemResult?>? progress, CancellationToken ct)
    {
        var fingerprint = plan.Fingerprint();
        var done = ReadResults(resultsPath, fingerprint);
        var results = new List<ProblemResult>(done.Values);
        progress?.Invoke(done.Count, plan.Dataset.Problems.Count, null);
        await using var equivalence = new SymbolicEquivalence(executor);
        var loop = new SctirLoop(model, executor);
        // The shared buffer as the problems already done left it (a resumed evaluation goes on with the same buffer).
        double share = plan.Settings.Policies.TimeBudgetSeconds, buffer = plan.SharedBufferSeconds;
        foreach (var earlier in plan.Dataset.Problems.Where(p => done.ContainsKey(p.Id))) buffer += share - done[earlier.Id].Seconds;
        var todo = plan.Dataset.Problems.Where(p => !done.ContainsKey(p.Id)).ToList();
        var running = new Task<ProblemResult>[todo.Count];
        using var places = new SemaphoreSlim(Math.Max(1, plan.Parallel));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var gate = new object();
        int written = 0;

        // Writes the finished problems at the head of the order; the rest wait for the ones before them.
        async Task WriteFinishedAsync(bool wait)
        {
            while (written < todo.Count && running[written] is { } task && (wait || task.IsCompleted))
            {
                var result = await task.ConfigureAwait(false);
                await File.AppendAllTextAsync(resultsPath, JsonSerializer.Serialize(result, LineOptions) + "\n", CancellationToken.None).ConfigureAwait(false);
                results.Add(result);
                written++;
                progress?.Invoke(results.Count, plan.Dataset.Problems.Count, result);
            }
        }

        try
        {
            for (int i = 0; i < todo.Count; i++)
            {
                await places.WaitAsync(stop.Token).ConfigureAwait(false);
                await WriteFinishedAsync(wait: false).ConfigureAwait(false);
                double? budget;
                lock (gate) budget = share > 0 ? share + (plan.SharedBufferSeconds > 0 ? Math.Max(0, buffer) : 0) : null;
                var problem = todo[i];
                running[i] = Task.Run(async () =>
                {
                    try
                    {
                        var result = await SolveAsync(loop, plan, problem, fingerprint, equivalence, budget, stop.Token).ConfigureAwait(false);
                        lock (gate) buffer += share - result.Seconds;
                        return result;
                    }
                    finally { places.Release(); }
                }, CancellationToken.None);
            }
            await WriteFinishedAsync(wait: true).ConfigureAwait(false);
        }
        catch
        {
            await stop.CancelAsync().ConfigureAwait(false); // one failed or the evaluation was stopped: the others stop too
            try { await Task.WhenAll(running.Where(t => t is not null)).ConfigureAwait(false); } catch { }
            throw;
        }
        var order = plan.Dataset.Problems.Select((p, i) => (p.Id, i)).ToDictionary(x => x.Id, x => x.i);
        return results.Where(r => order.ContainsKey(r.Id)).OrderBy(r => order[r.Id]).ToList();
    }

    /// <summary>The results already in the file for these settings; a file made with other settings is refused.</summary>
    public static Dictionary<string, ProblemResult> ReadResults(string path, string? fingerprint = null)
    {
        var results = new Dictionary<string, ProblemResult>();
        if (!File.Exists(path)) return results;
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (text.Trim().Length == 0) continue;
            ProblemResult? result;
            try { result = JsonSerializer.Deserialize<ProblemResult>(text, LineOptions); }
            catch (JsonException) when (line > 0 && IsLastLine(path, line)) { break; } // a line cut short by a crash: redo that problem
            catch (JsonException e) { throw new InvalidDataException($"{path} line {line} is not a result ({e.Message})."); }
            if (result is null) continue;
            if (fingerprint is not null && result.Fingerprint != fingerprint)
                throw new InvalidOperationException($"{path} holds results of other settings (fingerprint {result.Fingerprint}, these are {fingerprint}): choose another --out, or delete it to start again.");
            results[result.Id] = result;
        }
        return results;
    }

    private static bool IsLastLine(string path, int line) => File.ReadLines(path).Count() == line;

    private async Task<ProblemResult> SolveAsync(SctirLoop loop, EvaluationPlan plan, EvalProblem problem, string fingerprint, SymbolicEquivalence equivalence,
        double? budget, CancellationToken ct)
    {
        var seed = Seeds.ForAttempt(plan.Settings.Decoding.Seed ?? 0, StableHash(problem.Id), 0);
        var request = new RunRequest
        {
            Problem = Problem.Create(problem.Problem, problem.Id, problem.Answer, plan.Dataset.Name),
            Preset = plan.Preset,
            Settings = plan.Settings with
            {
                Decoding = plan.Settings.Decoding with { Seed = seed }, AnswerPolicy = Dataset.VotePolicy(plan.Policy),
                Policies = plan.Settings.Policies with { TimeBudgetSeconds = budget ?? plan.Settings.Policies.TimeBudgetSeconds },
            },
            RunId = Guid.NewGuid().ToString("N")[..12],
        };
        var record = await RecordedRunAsync(loop, request, ct).ConfigureAwait(false);

        async Task<bool> Grade(string? answer) => answer is not null && await IsCorrectAsync(plan.Policy, answer, problem.Answer, equivalence, ct, plan.Preset.Normalizer).ConfigureAwait(false);
        var candidates = new List<CandidateResult>();
        foreach (var c in record.Candidates)
            candidates.Add(new CandidateResult(c.Index, c.Answer, c.AnsweredRound ?? int.MaxValue, await Grade(c.Answer).ConfigureAwait(false), c.Restarts, c.Status == CandidateStatus.Pruned));

        if (plan.GroupEquivalentAnswers)
            candidates = await GroupAsync(candidates, equivalence, ct).ConfigureAwait(false);
        // The run's own vote (with the preset's tie rule), unless equal answers were regrouped after the run; with no
        // valid answer at all, the preset's fallback ("0" for Numina) — the run's answer, graded like any other (spec).
        var fallback = plan.Preset.FallbackAnswer;
        var majority = (plan.GroupEquivalentAnswers
            ? Estimators.Winner(candidates.OrderBy(c => c.RetiredRound).ThenBy(c => c.Index).Select(c => new Sample(c.Answer, c.RetiredRound, c.Index)).ToList(),
                Enumerable.Range(0, candidates.Count).ToList())
            : record.Vote.Winner) ?? fallback;

        string? greedyAnswer = null;
        bool? greedyCorrect = null;
        if (plan.Greedy)
        {
            var greedy = await RecordedRunAsync(loop, request with
            {
                RunId = request.RunId + "-greedy",
                // The baseline decodes alone and to the end: only the hint (part of what the model reads) stays on.
                Settings = request.Settings with
                {
                    Decoding = request.Settings.Decoding with { Width = 1, Temperature = 0 },
                    Policies = new RunPolicies { RemainingCallsHint = request.Settings.Policies.RemainingCallsHint },
                },
            }, ct).ConfigureAwait(false);
            greedyAnswer = greedy.Vote.Winner ?? fallback;
            greedyCorrect = await Grade(greedyAnswer).ConfigureAwait(false);
        }

        var first = record.Candidates.FirstOrDefault();
        int Stopped(PruneReason reason) => record.Candidates.Count(c => c.PruneReason == reason);
        return new ProblemResult
        {
            Fingerprint = fingerprint, Id = problem.Id, Reference = problem.Answer, Fields = problem.Fields, RunId = record.Id,
            Majority = majority, MajorityCorrect = await Grade(majority).ConfigureAwait(false),
            Fallback = fallback, FallbackCorrect = fallback is not null && await Grade(fallback).ConfigureAwait(false),
            FirstSample = first?.Answer, FirstSampleCorrect = candidates.FirstOrDefault()?.Correct ?? false,
            GreedyAnswer = greedyAnswer, GreedyCorrect = greedyCorrect,
            Candidates = candidates, Restarts = record.Restarts, Prunes = Stopped(PruneReason.AnswerWithoutExecutedCode),
            Tokens = record.GeneratedTokens + record.AppendedTokens, Seconds = record.ElapsedSeconds, Error = record.Error,
            Policies = request.Settings.Policies.ToString(), BudgetSeconds = budget, BudgetStopped = Stopped(PruneReason.TimeBudget), EarlyStopped = Stopped(PruneReason.StoppedEarly),
            ConfidenceStopped = Stopped(PruneReason.LowConfidence),
        };
    }

    private async Task<RunRecord> RecordedRunAsync(SctirLoop loop, RunRequest request, CancellationToken ct)
    {
        RunRecord record;
        if (through is not null) record = await through(request, ct).ConfigureAwait(false);
        else
        {
            store?.BeginRun(request, request.RunId!, DateTimeOffset.UtcNow);
            record = await loop.RunAsync(request, store?.EventSink() ?? NullEventSink.Instance, ct).ConfigureAwait(false);
            store?.FinishRun(record);
        }
        if (record.Status == RunStatus.Cancelled) throw new OperationCanceledException(ct);
        return record;
    }

    /// <param name="normalization">The reference is read as the run's answers were (the preset's normalizer).</param>
    public static async Task<bool> IsCorrectAsync(GradingPolicy policy, string answer, string reference, SymbolicEquivalence equivalence, CancellationToken ct,
        Answers.AnswerNormalization normalization = Answers.AnswerNormalization.Numina)
    {
        if (policy != GradingPolicy.Symbolic)
        {
            var expected = Answers.AnswerPolicies.Apply(Dataset.VotePolicy(policy), Answers.AnswerNormalizer.Normalize(reference, normalization));
            return expected is not null && expected == answer;
        }
        return (await equivalence.GradeAsync(reference, answer, ct).ConfigureAwait(false)).Equivalent;
    }

    /// <summary>Answers equal to an earlier one (symbolically) take that one's spelling, so they vote together.</summary>
    private static async Task<List<CandidateResult>> GroupAsync(List<CandidateResult> candidates, SymbolicEquivalence equivalence, CancellationToken ct)
    {
        var seen = new List<string>();
        var grouped = new List<CandidateResult>();
        foreach (var c in candidates.OrderBy(c => c.RetiredRound).ThenBy(c => c.Index))
        {
            if (c.Answer is null) { grouped.Add(c); continue; }
            string? same = null;
            foreach (var s in seen)
                if (await equivalence.EquivalentAsync(s, c.Answer, ct).ConfigureAwait(false)) { same = s; break; }
            if (same is null) seen.Add(c.Answer);
            grouped.Add(c with { Answer = same ?? c.Answer });
        }
        return grouped.OrderBy(c => c.Index).ToList();
    }

    /// <summary>A hash of the problem id that is the same in every process (string.GetHashCode is not).</summary>
    private static int StableHash(string id) => BitConverter.ToInt32(SHA256.HashData(Encoding.UTF8.GetBytes(id)), 0) & 0x7fffffff;
}
