using System.Text.Json.Serialization;
using Numina.Engine.Answers;
using Numina.Engine.Candidates;
using Numina.Engine.Execution;
using Numina.Engine.Models;
using Numina.Engine.Runs;

namespace Numina.Engine.Events;

/// <summary>
/// Everything that happens in a run, in order. The workbench and the command line read the same stream; a stored run
/// can be replayed from it. <see cref="Sequence"/> numbers events from 1 within a run.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(RunStarted), "run-started")]
[JsonDerivedType(typeof(TextDelta), "text-delta")]
[JsonDerivedType(typeof(CodeSubmitted), "code-submitted")]
[JsonDerivedType(typeof(OutputReceived), "output-received")]
[JsonDerivedType(typeof(RoundFinished), "round-finished")]
[JsonDerivedType(typeof(CandidateRestarted), "candidate-restarted")]
[JsonDerivedType(typeof(CandidatePruned), "candidate-pruned")]
[JsonDerivedType(typeof(CandidateAnswered), "candidate-answered")]
[JsonDerivedType(typeof(CandidateUnanswered), "candidate-unanswered")]
[JsonDerivedType(typeof(RoundRetried), "round-retried")]
[JsonDerivedType(typeof(VoteUpdated), "vote-updated")]
[JsonDerivedType(typeof(SettingsChanged), "settings-changed")]
[JsonDerivedType(typeof(CandidateAdded), "candidate-added")]
[JsonDerivedType(typeof(PolicyActed), "policy-acted")]
[JsonDerivedType(typeof(BranchStarted), "branch-started")]
[JsonDerivedType(typeof(RunResumed), "run-resumed")]
[JsonDerivedType(typeof(RunFinished), "run-finished")]
[JsonDerivedType(typeof(RunCancelled), "run-cancelled")]
[JsonDerivedType(typeof(RunFailed), "run-failed")]
public abstract record RunEvent
{
    public long Sequence { get; init; }
    public DateTimeOffset Time { get; init; }
    public string RunId { get; init; } = "";
}

/// <summary><see cref="Policies"/>: the decoding policies that are on, in words ("none" for Numina).</summary>
public sealed record RunStarted(int Width, int Depth, ulong Seed, string Preset, string Prompt, int PromptTokens, string Policies = "none") : RunEvent;

/// <summary>New model text for a candidate; <see cref="Probabilities"/> has one entry per token when the backend reports them.</summary>
public sealed record TextDelta(int Candidate, int Attempt, int Round, string Text, IReadOnlyList<float>? Probabilities = null) : RunEvent;

public sealed record CodeSubmitted(int Candidate, int Attempt, int Round, string Code) : RunEvent;

/// <summary>A block's result and the exact text appended to the candidate's transcript.</summary>
public sealed record OutputReceived(int Candidate, int Attempt, int Round, CellOutcome Outcome, string AppendedText, double Seconds, int AppendedTokens) : RunEvent;

public sealed record RoundFinished(int Candidate, int Attempt, int Round, StopReason StopReason, int GeneratedTokens) : RunEvent;

public sealed record CandidateRestarted(int Candidate, int Round, int NewAttempt, DecisionReason Reason) : RunEvent;

public sealed record CandidatePruned(int Candidate, int Round, PruneReason Reason) : RunEvent;

public sealed record CandidateAnswered(int Candidate, int Round, string? RawAnswer, string? NormalizedAnswer, string? Answer) : RunEvent;

/// <summary><see cref="Error"/>: the model server's message when <see cref="Reason"/> is ModelServerFailed; the numbers when ContextFull.</summary>
public sealed record CandidateUnanswered(int Candidate, int Round, DecisionReason Reason, string? Error = null) : RunEvent;

/// <summary>A model server's stream for this round broke: what it streamed is void, and the round is asked for again.</summary>
public sealed record RoundRetried(int Candidate, int Attempt, int Round, string Reason, int DiscardedTokens) : RunEvent;

public sealed record VoteUpdated(VoteTally Tally) : RunEvent;

/// <summary>The researcher steered the run; <see cref="Candidates"/> lists candidates added or removed by it.</summary>
public sealed record SettingsChanged(string Setting, string From, string To, IReadOnlyList<int> Candidates) : RunEvent;

/// <summary>A candidate forked from the prompt after the start (N was raised).</summary>
public sealed record CandidateAdded(int Candidate) : RunEvent;

/// <summary>
/// An attempt of a candidate a researcher branched from another one (<see cref="BranchPoint"/>) starts: it inherits the
/// source's transcript up to the point (<see cref="Inherited"/>, the edited code in place) and goes on from there.
/// </summary>
public sealed record BranchStarted(int Candidate, int Attempt, BranchPoint From, string? SourceRunId, IReadOnlyList<Segment> Inherited) : RunEvent;

/// <summary>A finished run runs again for new branches; it finishes again with a new vote.</summary>
public sealed record RunResumed(string Reason) : RunEvent;

/// <summary>A decoding policy acted: stopped the run or a candidate, calibrated a threshold, grouped an answer.</summary>
public sealed record PolicyActed(string Policy, string Message, IReadOnlyList<int> Candidates) : RunEvent;

public sealed record RunFinished(string? Answer, VoteTally Tally, bool? Correct) : RunEvent;

public sealed record RunCancelled(string? Answer, VoteTally Tally) : RunEvent;

public sealed record RunFailed(string Error) : RunEvent;
