using System.Text;
using Numina.Engine.Answers;
using Numina.Engine.Candidates;
using Numina.Engine.Events;
using Numina.Engine.Execution;
using Numina.Engine.Runs;

namespace Numina.Workbench.Runs;

/// <summary>A block of a candidate's transcript as the page shows it: what the model wrote in a round, or a tool output.</summary>
public sealed class BlockView
{
    public required BlockKind Kind { get; init; }
    public required int Round { get; init; }
    public StringBuilder Text { get; } = new();
    /// <summary>The model's probability of each generated token (model text only).</summary>
    public List<float> Probabilities { get; } = [];
    public List<int> TokenEnds { get; } = [];
    public CellOutcome? Outcome { get; init; }
    public double Seconds { get; init; }
    /// <summary>False while the model is still writing it.</summary>
    public bool Complete { get; set; }
    /// <summary>Taken over from the candidate a branch came from, not written by it.</summary>
    public bool Inherited { get; init; }
    /// <summary>Its snapshot once complete: it no longer changes, so every later snapshot (and whatever a page cached by it) reuses it.</summary>
    internal BlockSnapshot? Frozen { get; set; }

    internal BlockSnapshot Snapshot()
    {
        if (Frozen is { } frozen) return frozen;
        var s = new BlockSnapshot(Kind, Round, Text.ToString(), [.. Probabilities], [.. TokenEnds], Outcome, Seconds, Complete) { Inherited = Inherited };
        if (Complete) Frozen = s;
        return s;
    }
}

/// <summary>Where a branch came from: a point of another candidate (of this run, or of <see cref="SourceRunId"/>).</summary>
public sealed record BranchOrigin(BranchPoint From, string? SourceRunId, int InheritedBlocks)
{
    public string Describe() => $"branch of #{From.Candidate}{(SourceRunId is { } run ? $" in run {run}" : "")}" +
        (From.Code is not null ? ", code edited" : "") + (From.Temperature is { } t ? $", T {SteeringChange.Format(t)}" : "") + (From.Seed is { } seed ? $", seed {seed}" : "");
}

public enum BlockKind { Model, Output, Traceback }

public sealed class AttemptView
{
    public required int Number { get; init; }
    public List<BlockView> Blocks { get; } = [];
    /// <summary>Why this attempt ended in a restart; null for the current one.</summary>
    public DecisionReason? RestartReason { get; set; }
    public int? RestartRound { get; set; }
    public string Text() => string.Concat(Blocks.Select(b => b.Text.ToString()));
}

/// <summary>One candidate as the page shows it; <see cref="Version"/> changes whenever anything in it does.</summary>
public sealed class CandidateView
{
    public required int Index { get; init; }
    public List<AttemptView> Attempts { get; } = [];
    public CandidateStatus Status { get; set; } = CandidateStatus.Waiting;
    public int Round { get; set; }
    public string? Answer { get; set; }
    public string? RawAnswer { get; set; }
    public PruneReason? PruneReason { get; set; }
    public DecisionReason? EndReason { get; set; }
    public bool AddedByResearcher { get; init; }
    public BranchOrigin? Branch { get; set; }
    public int GeneratedTokens { get; set; }
    public int AppendedTokens { get; set; }
    public int Version { get; set; }
    public int Restarts => Math.Max(0, Attempts.Count - 1);
    public AttemptView Current => Attempts[^1];
    public bool Removed => PruneReason == Engine.Candidates.PruneReason.RemovedByResearcher;

    /// <summary>The chip text: decoding, executing, answered X, pruned: reason, restarted k×.</summary>
    public string StatusText => Status switch
    {
        CandidateStatus.Answered => Answer is null ? "answered (invalid)" : $"answered {Answer}",
        CandidateStatus.Pruned => PruneReason switch
        {
            Engine.Candidates.PruneReason.RemovedByResearcher => "removed by researcher",
            Engine.Candidates.PruneReason.StoppedEarly => Attempts.Count == 0 ? "not started: stopped early" : "stopped early",
            Engine.Candidates.PruneReason.TimeBudget => "stopped: time budget",
            Engine.Candidates.PruneReason.LowConfidence => "stopped: low confidence",
            _ => "pruned: answer without executed code",
        },
        CandidateStatus.Unanswered => EndReason switch
        {
            DecisionReason.LastRound => "unanswered: last round",
            DecisionReason.NoCodeBlock => "unanswered: no code",
            DecisionReason.TokenLimit => "unanswered: token limit",
            DecisionReason.EndOfSequence => "unanswered: ended",
            _ => "unanswered",
        },
        _ => Status.ToString().ToLowerInvariant(),
    };
}

/// <summary>The vote at a moment: seconds since the start, candidates finished and not, and the tally then.</summary>
public sealed record VotePoint(double Seconds, int Finished, int Unfinished, VoteTally Tally);

/// <summary>One line of the decision log (restart, prune, retire, unanswered, or a researcher's change).</summary>
public sealed record DecisionEntry(DateTimeOffset Time, double Seconds, int? Round, int? Candidate, string Kind, string Reason);

/// <summary>
/// A run as the page shows it, built only from the run's events — the same for a live run, another tab watching it, and
/// a stored run being replayed. Thread-safe: events are applied under a lock; readers take it too and check
/// <see cref="Version"/> to know whether to render again.
/// </summary>
public sealed class RunView
{
    private readonly object _gate = new();
    public object Gate => _gate;

    public string RunId { get; private set; } = "";
    public int Version { get; private set; }
    public RunStatus? Status { get; private set; }
    public DateTimeOffset? StartedAt { get; private set; }
    public DateTimeOffset? LastEventAt { get; private set; }
    public string Prompt { get; private set; } = "";
    public string Preset { get; private set; } = "";
    public int Width { get; private set; }
    public int Depth { get; private set; }
    public ulong Seed { get; private set; }
    public int PromptTokens { get; private set; }
    /// <summary>The decoding policies that are on, in words.</summary>
    public string Policies { get; private set; } = "none";
    public string? Temperature { get; private set; }
    public string? TopP { get; private set; }
    public List<CandidateView> Candidates { get; } = [];
    public VoteTally Tally { get; private set; } = VoteTally.Empty;
    public string? FinalAnswer { get; private set; }
    public bool? Correct { get; private set; }
    public string? Error { get; private set; }
    public List<DecisionEntry> Decisions { get; } = [];
    public List<SettingsChanged> Steering { get; } = [];
    /// <summary>The vote each time it or the number of finished candidates changed (the convergence chart).</summary>
    public List<VotePoint> VoteHistory { get; } = [];
    public long EventCount { get; private set; }
    public int GeneratedTokens => Candidates.Sum(c => c.GeneratedTokens);
    public int AppendedTokens => Candidates.Sum(c => c.AppendedTokens);
    public bool IsOver => Status is RunStatus.Finished or RunStatus.Cancelled or RunStatus.Failed or RunStatus.Interrupted;

    public RunView(string runId = "", string? temperature = null, string? topP = null)
    {
        RunId = runId;
        Temperature = temperature;
        TopP = topP;
    }

    /// <summary>A view that knows the requested sampler values (events carry only their changes).</summary>
    public static RunView ForRequest(string runId, RunRequest request) => new(runId,
        SteeringChange.Format(request.Settings.Decoding.Temperature), SteeringChange.Format(request.Settings.Decoding.TopP));

    /// <summary>Marks a stored run whose process died while it ran.</summary>
    public void MarkInterrupted()
    {
        lock (_gate)
        {
            Status = RunStatus.Interrupted;
            foreach (var c in Candidates.Where(c => c.Status is CandidateStatus.Waiting or CandidateStatus.Decoding or CandidateStatus.Executing))
                Touch(c).Status = CandidateStatus.Cancelled;
            Version++;
        }
    }

    public void Fail(string error)
    {
        lock (_gate)
        {
            Status = RunStatus.Failed;
            Error = error;
            Version++;
        }
    }

    public void Apply(RunEvent e)
    {
        lock (_gate)
        {
            EventCount++;
            LastEventAt = e.Time;
            if (RunId.Length == 0) RunId = e.RunId;
            switch (e)
            {
                case RunStarted s:
                    Status = RunStatus.Running;
                    StartedAt = e.Time;
                    (Width, Depth, Seed, Preset, Prompt, PromptTokens, Policies) = (s.Width, s.Depth, s.Seed, s.Preset, s.Prompt, s.PromptTokens, s.Policies);
                    for (int i = Candidates.Count; i < s.Width; i++) Candidates.Add(new CandidateView { Index = i });
                    break;
                case TextDelta d:
                {
                    var c = Touch(Candidate(d.Candidate));
                    var attempt = AttemptOf(c, d.Attempt);
                    c.Status = CandidateStatus.Decoding;
                    c.Round = d.Round;
                    var block = attempt.Blocks.Count > 0 && attempt.Blocks[^1] is { Kind: BlockKind.Model, Complete: false } open && open.Round == d.Round
                        ? open
                        : Add(attempt, new BlockView { Kind = BlockKind.Model, Round = d.Round });
                    block.Text.Append(d.Text);
                    if (d.Probabilities is { } p)
                    {
                        block.Probabilities.AddRange(p);
                        if (p.Count == 1) block.TokenEnds.Add(block.Text.Length);
                        c.GeneratedTokens += p.Count;
                    }
                    break;
                }
                case RoundFinished r:
                {
                    var c = Touch(Candidate(r.Candidate));
                    if (c.Attempts.Count > 0 && c.Current.Blocks.LastOrDefault() is { Kind: BlockKind.Model } b) b.Complete = true;
                    break;
                }
                case CodeSubmitted code:
                    Touch(Candidate(code.Candidate)).Status = CandidateStatus.Executing;
                    break;
                case OutputReceived o:
                {
                    var c = Touch(Candidate(o.Candidate));
                    var attempt = AttemptOf(c, o.Attempt);
                    var block = Add(attempt, new BlockView
                    {
                        Kind = o.Outcome is CellOutcome.Error or CellOutcome.Crashed ? BlockKind.Traceback : BlockKind.Output,
                        Round = o.Round, Outcome = o.Outcome, Seconds = o.Seconds, Complete = true,
                    });
                    block.Text.Append(o.AppendedText);
                    c.AppendedTokens += o.AppendedTokens;
                    c.Status = CandidateStatus.Decoding;
                    break;
                }
                case CandidateRestarted r:
                {
                    var c = Touch(Candidate(r.Candidate));
                    if (c.Attempts.Count > 0) (c.Current.RestartReason, c.Current.RestartRound) = (r.Reason, r.Round);
                    Decide(e, r.Round, r.Candidate, "restart", Describe(r.Reason));
                    break;
                }
                case CandidatePruned p:
                {
                    var c = Touch(Candidate(p.Candidate));
                    c.Status = CandidateStatus.Pruned;
                    c.PruneReason = p.Reason;
                    var (kind, why) = p.Reason switch
                    {
                        PruneReason.RemovedByResearcher => ("removed", "removed by the researcher (N lowered)"),
                        PruneReason.StoppedEarly => ("stopped", "stopped early (the vote was settled)"),
                        PruneReason.TimeBudget => ("stopped", "the time budget was spent"),
                        PruneReason.LowConfidence => ("stopped", "low confidence"),
                        _ => ("prune", "answer without executed code"),
                    };
                    Decide(e, p.Round, p.Candidate, kind, why);
                    break;
                }
                case CandidateAnswered a:
                {
                    var c = Touch(Candidate(a.Candidate));
                    (c.Status, c.Answer, c.RawAnswer) = (CandidateStatus.Answered, a.Answer, a.RawAnswer);
                    Decide(e, a.Round, a.Candidate, "retire", a.Answer is null ? $"answer \"{a.RawAnswer}\" dropped by the answer policy" : $"answered {a.Answer}");
                    break;
                }
                case CandidateUnanswered u:
                {
                    var c = Touch(Candidate(u.Candidate));
                    (c.Status, c.EndReason) = (u.Reason == DecisionReason.ModelServerFailed ? CandidateStatus.Failed : CandidateStatus.Unanswered, u.Reason);
                    Decide(e, u.Round, u.Candidate, u.Reason == DecisionReason.ModelServerFailed ? "failed" : "unanswered",
                        Describe(u.Reason) + (u.Error is { } error ? $": {error}" : ""));
                    break;
                }
                case RoundRetried retried:
                {
                    // The server's stream broke: what it streamed for the round is void, and the round comes again.
                    var c = Touch(Candidate(retried.Candidate));
                    var attempt = AttemptOf(c, retried.Attempt);
                    if (attempt.Blocks.Count > 0 && attempt.Blocks[^1] is { Kind: BlockKind.Model, Complete: false } open && open.Round == retried.Round)
                    {
                        c.GeneratedTokens -= open.Probabilities.Count;
                        attempt.Blocks.RemoveAt(attempt.Blocks.Count - 1);
                    }
                    Decide(e, retried.Round, retried.Candidate, "retry", $"{retried.Reason}; {retried.DiscardedTokens} streamed token(s) discarded");
                    break;
                }
                case BranchStarted b:
                {
                    var c = Touch(Candidate(b.Candidate));
                    var attempt = AttemptOf(c, b.Attempt);
                    attempt.Blocks.Clear();
                    foreach (var segment in b.Inherited)
                    {
                        var kind = segment.Kind switch { SegmentKind.Output => BlockKind.Output, SegmentKind.Traceback => BlockKind.Traceback, _ => BlockKind.Model };
                        if (kind == BlockKind.Model && attempt.Blocks.Count > 0 && attempt.Blocks[^1] is { Kind: BlockKind.Model } same && same.Round == segment.Round)
                        {
                            same.Text.Append(segment.Text); // prose and code of one round are one block, as when written
                            continue;
                        }
                        var block = new BlockView { Kind = kind, Round = segment.Round, Outcome = segment.Outcome, Complete = true, Inherited = true };
                        block.Text.Append(segment.Text);
                        attempt.Blocks.Add(block);
                    }
                    c.Branch = new BranchOrigin(b.From, b.SourceRunId, attempt.Blocks.Count);
                    c.Round = b.Inherited.Count > 0 ? b.Inherited[^1].Round : c.Round;
                    if (b.Attempt == 0 && b.SourceRunId is null)
                        Decide(e, null, b.Candidate, "branch", $"branched from #{b.From.Candidate} (attempt {b.From.Attempt}, {attempt.Blocks.Count} block(s) inherited)" +
                            (b.From.Code is not null ? ", code edited" : ""));
                    break;
                }
                case RunResumed resumed:
                    Status = RunStatus.Running;
                    (FinalAnswer, Correct) = (null, null);
                    Decide(e, null, null, "resume", $"taken up again: {resumed.Reason}");
                    break;
                case CandidateAdded added:
                    if (added.Candidate >= Candidates.Count)
                        for (int i = Candidates.Count; i <= added.Candidate; i++) Candidates.Add(new CandidateView { Index = i, AddedByResearcher = true });
                    break;
                case SettingsChanged s:
                    Steering.Add(s);
                    switch (s.Setting)
                    {
                        case "N": Width = int.Parse(s.To); break;
                        case "M": Depth = int.Parse(s.To); break;
                        case "temperature": Temperature = s.To; break;
                        case "top_p": TopP = s.To; break;
                    }
                    Decide(e, null, null, "steer", $"{s.Setting} {s.From} → {s.To}" + (s.Candidates.Count > 0 ? $" (candidates {string.Join(", ", s.Candidates)})" : ""));
                    break;
                case VoteUpdated v:
                    Tally = v.Tally;
                    break;
                case PolicyActed acted:
                    Decide(e, null, acted.Candidates.Count == 1 ? acted.Candidates[0] : null, "policy", $"{acted.Policy}: {acted.Message}");
                    break;
                case RunFinished f:
                    (Status, Tally, FinalAnswer, Correct) = (RunStatus.Finished, f.Tally, f.Answer, f.Correct);
                    break;
                case RunCancelled x:
                    (Status, Tally, FinalAnswer) = (RunStatus.Cancelled, x.Tally, x.Answer);
                    foreach (var c in Candidates.Where(c => c.Status is CandidateStatus.Waiting or CandidateStatus.Decoding or CandidateStatus.Executing))
                        Touch(c).Status = CandidateStatus.Cancelled;
                    break;
                case RunFailed failed:
                    (Status, Error) = (RunStatus.Failed, failed.Error);
                    break;
            }
            if (e is VoteUpdated or CandidateUnanswered or CandidatePruned)
            {
                int finished = Candidates.Count(c => c.Status is not (CandidateStatus.Waiting or CandidateStatus.Decoding or CandidateStatus.Executing));
                VoteHistory.Add(new VotePoint(StartedAt is { } t0 ? (e.Time - t0).TotalSeconds : 0, finished, Candidates.Count - finished, Tally));
            }
            Version++;
        }
    }

    private CandidateView Candidate(int index)
    {
        while (Candidates.Count <= index) Candidates.Add(new CandidateView { Index = Candidates.Count });
        return Candidates[index];
    }

    private static CandidateView Touch(CandidateView c)
    {
        c.Version++;
        return c;
    }

    private static AttemptView AttemptOf(CandidateView c, int number)
    {
        while (c.Attempts.Count <= number) c.Attempts.Add(new AttemptView { Number = c.Attempts.Count });
        return c.Attempts[number];
    }

    private static BlockView Add(AttemptView attempt, BlockView block)
    {
        if (attempt.Blocks.Count > 0) attempt.Blocks[^1].Complete = true;
        attempt.Blocks.Add(block);
        return block;
    }

    private void Decide(RunEvent e, int? round, int? candidate, string kind, string reason) =>
        Decisions.Add(new DecisionEntry(e.Time, StartedAt is { } s ? (e.Time - s).TotalSeconds : 0, round, candidate, kind, reason));

    public static string Describe(DecisionReason reason) => reason switch
    {
        DecisionReason.NoCodeBlock => "no code block (check 1)",
        DecisionReason.AnswerWithoutExecutedCode => "answer without executed code (check 2)",
        DecisionReason.Answered => "answered (check 2)",
        DecisionReason.LastRound => "last round without an answer (check 3)",
        DecisionReason.TokenLimit => "token limit without an answer (check 4)",
        DecisionReason.EndOfSequence => "ended without an answer (check 4)",
        DecisionReason.CodeRequested => "code to run (check 5)",
        DecisionReason.StopWithoutCode => "stopped without code (check 5)",
        DecisionReason.RemovedByResearcher => "removed by the researcher",
        DecisionReason.StoppedEarly => "stopped early",
        DecisionReason.TimeBudget => "time budget spent",
        DecisionReason.LowConfidence => "low confidence",
        DecisionReason.ModelServerFailed => "the model server failed the round",
        DecisionReason.ContextFull => "its context is full",
        _ => reason.ToString(),
    };

    private readonly Dictionary<int, CandidateSnapshot> _snapshots = [];
    private RunSnapshot? _last;

    /// <summary>An immutable copy for rendering; candidates that did not change are reused as they were.</summary>
    public RunSnapshot Snapshot()
    {
        lock (_gate)
        {
            if (_last is { } last && last.Version == Version) return last;
            var candidates = Candidates.Select(c =>
            {
                if (_snapshots.TryGetValue(c.Index, out var s) && s.Version == c.Version) return s;
                s = new CandidateSnapshot(c.Index, c.Version, c.Status, c.StatusText, c.Round, c.Answer, c.PruneReason, c.AddedByResearcher, c.Restarts,
                    c.Attempts.Select(a => new AttemptSnapshot(a.Number,
                        a.Blocks.Select(b => b.Snapshot()).ToList(),
                        a.RestartReason, a.RestartRound)).ToList(),
                    c.GeneratedTokens, c.AppendedTokens) { Branch = c.Branch };
                _snapshots[c.Index] = s;
                return s;
            }).ToList();
            return _last = new RunSnapshot
            {
                RunId = RunId, Version = Version, Status = Status, StartedAt = StartedAt, LastEventAt = LastEventAt, Prompt = Prompt, Preset = Preset,
                Width = Width, Depth = Depth, Seed = Seed, PromptTokens = PromptTokens, Policies = Policies, Temperature = Temperature, TopP = TopP, Candidates = candidates,
                Tally = Tally, FinalAnswer = FinalAnswer, Correct = Correct, Error = Error, Decisions = Decisions.ToList(), Steering = Steering.ToList(),
                VoteHistory = VoteHistory.ToList(), EventCount = EventCount,
            };
        }
    }

    /// <summary>Rebuilds a stored run's view from its events.</summary>
    public static RunView FromEvents(string runId, RunRequest? request, IEnumerable<RunEvent> events, RunStatus storedStatus)
    {
        var view = request is null ? new RunView(runId) : ForRequest(runId, request);
        foreach (var e in events) view.Apply(e);
        if (storedStatus == RunStatus.Interrupted) view.MarkInterrupted();
        return view;
    }
}

public sealed record BlockSnapshot(BlockKind Kind, int Round, string Text, float[] Probabilities, int[] TokenEnds, CellOutcome? Outcome, double Seconds, bool Complete)
{
    public bool Inherited { get; init; }
}

public sealed record AttemptSnapshot(int Number, IReadOnlyList<BlockSnapshot> Blocks, DecisionReason? RestartReason, int? RestartRound)
{
    public string Text() => string.Concat(Blocks.Select(b => b.Text));
}

/// <summary>An immutable copy of a candidate for rendering; rebuilt only when the candidate changed.</summary>
public sealed record CandidateSnapshot(
    int Index, int Version, CandidateStatus Status, string StatusText, int Round, string? Answer, PruneReason? PruneReason, bool AddedByResearcher,
    int Restarts, IReadOnlyList<AttemptSnapshot> Attempts, int GeneratedTokens, int AppendedTokens)
{
    public bool Removed => PruneReason == Engine.Candidates.PruneReason.RemovedByResearcher;
    public BranchOrigin? Branch { get; init; }
    public AttemptSnapshot? Current => Attempts.Count > 0 ? Attempts[^1] : null;
    public bool IsLive => Status is CandidateStatus.Waiting or CandidateStatus.Decoding or CandidateStatus.Executing;
}

/// <summary>An immutable copy of the whole run, taken at most a few times a second for the page.</summary>
public sealed record RunSnapshot
{
    public required string RunId { get; init; }
    public int Version { get; init; }
    public RunStatus? Status { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? LastEventAt { get; init; }
    public string Prompt { get; init; } = "";
    public string Preset { get; init; } = "";
    public int Width { get; init; }
    public int Depth { get; init; }
    public ulong Seed { get; init; }
    public int PromptTokens { get; init; }
    public string Policies { get; init; } = "none";
    public string? Temperature { get; init; }
    public string? TopP { get; init; }
    public IReadOnlyList<CandidateSnapshot> Candidates { get; init; } = [];
    public VoteTally Tally { get; init; } = VoteTally.Empty;
    public string? FinalAnswer { get; init; }
    public bool? Correct { get; init; }
    public string? Error { get; init; }
    public IReadOnlyList<DecisionEntry> Decisions { get; init; } = [];
    public IReadOnlyList<SettingsChanged> Steering { get; init; } = [];
    public IReadOnlyList<VotePoint> VoteHistory { get; init; } = [];
    public long EventCount { get; init; }
    public int GeneratedTokens => Candidates.Sum(c => c.GeneratedTokens);
    public int AppendedTokens => Candidates.Sum(c => c.AppendedTokens);
    public bool IsOver => Status is RunStatus.Finished or RunStatus.Cancelled or RunStatus.Failed or RunStatus.Interrupted;

    /// <summary>Share of valid votes behind the leading answer.</summary>
    public double? Agreement => Tally.ValidVotes > 0 && Tally.Buckets.Count > 0 ? (double)Tally.Buckets[0].Count / Tally.ValidVotes : null;

    public static RunSnapshot Empty { get; } = new() { RunId = "" };
}
