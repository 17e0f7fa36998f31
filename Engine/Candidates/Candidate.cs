using System.Text;
using System.Text.Json.Serialization;
using Numina.Engine.Execution;

namespace Numina.Engine.Candidates;

public enum CandidateStatus { Waiting, Decoding, Executing, Answered, Pruned, Unanswered, Cancelled, Failed }

public enum SegmentKind
{
    /// <summary>Prose the model wrote.</summary>
    Text,
    /// <summary>A code block the model wrote, fences included.</summary>
    Code,
    /// <summary>Appended tool output of a block that ran (or timed out, or was refused).</summary>
    Output,
    /// <summary>Appended tool output of a block that raised or crashed.</summary>
    Traceback,
}

/// <summary>A piece of a transcript. The texts of all segments, in order, are exactly the transcript after the prompt.</summary>
public sealed record Segment(SegmentKind Kind, string Text, int Round)
{
    public CellOutcome? Outcome { get; init; }
}

/// <summary>Why a candidate was pruned (it never votes).</summary>
public enum PruneReason
{
    /// <summary>Check 2: it wrote an answer before any code output was appended.</summary>
    AnswerWithoutExecutedCode,
    /// <summary>The researcher lowered N while it ran.</summary>
    RemovedByResearcher,
    /// <summary>An early-stop policy ended the run before it finished (it may never have started).</summary>
    StoppedEarly,
    /// <summary>The run's time budget was spent before it finished.</summary>
    TimeBudget,
    /// <summary>Confidence pruning: its recent tokens were less sure than the calibrated threshold.</summary>
    LowConfidence,
}

/// <summary>One try of a candidate from the bare prompt; a restart begins a new attempt with a new seed.</summary>
public sealed class Attempt
{
    public int Number { get; init; }
    public ulong Seed { get; init; }
    public int FirstRound { get; init; }
    public List<Segment> Segments { get; init; } = [];
    public int Executions { get; set; }
    /// <summary>The mean probability of the tokens sampled in this attempt (the confidence-weighted vote's weight).</summary>
    public double? Confidence { get; set; }
    /// <summary>The lowest mean over a window of its tokens (confidence pruning's measure; the mean for a short attempt).</summary>
    public double? LowestWindowConfidence { get; set; }
    /// <summary>Rounds a model server started again from their beginning, and why ("round 2: the stream dropped after 31 tokens").</summary>
    public List<string> Retries { get; init; } = [];
    public bool HasOutput => Segments.Any(s => s.Kind is SegmentKind.Output or SegmentKind.Traceback);

    /// <summary>The transcript after the prompt.</summary>
    public string Text() => string.Concat(Segments.Select(s => s.Text));

    /// <summary>Splits a round's generated text into prose and code segments (fences kept with the code).</summary>
    public void AddModelText(string text, int round, string codeOpen, string codeClose)
    {
        int at = 0;
        while (at < text.Length)
        {
            int open = text.IndexOf(codeOpen, at, StringComparison.Ordinal);
            if (open < 0) { Add(SegmentKind.Text, text[at..], round); return; }
            if (open > at) Add(SegmentKind.Text, text[at..open], round);
            int close = text.IndexOf(codeClose, open + codeOpen.Length, StringComparison.Ordinal);
            int end = close < 0 ? text.Length : close + codeClose.Length;
            Add(SegmentKind.Code, text[open..end], round);
            at = end;
        }
    }

    private void Add(SegmentKind kind, string text, int round)
    {
        if (text.Length > 0) Segments.Add(new Segment(kind, text, round));
    }
}

/// <summary>One of the N candidates of a run: its attempts (restarts), status, answer and token accounting.</summary>
public sealed class Candidate
{
    public int Index { get; init; }
    public CandidateStatus Status { get; set; } = CandidateStatus.Waiting;
    public List<Attempt> Attempts { get; init; } = [];
    /// <summary>Generation rounds used so far, restarts included (at most depth M).</summary>
    public int RoundsUsed { get; set; }
    public PruneReason? PruneReason { get; set; }
    /// <summary>The extracted answer as written, e.g. "12 \text{ cm}".</summary>
    public string? RawAnswer { get; set; }
    /// <summary>After MATH-style normalization, e.g. "12".</summary>
    public string? NormalizedAnswer { get; set; }
    /// <summary>The vote value after the answer policy; null when dropped or unanswered.</summary>
    public string? Answer { get; set; }
    /// <summary>The round in which it retired with an answer (orders ties).</summary>
    public int? AnsweredRound { get; set; }
    public int PromptTokens { get; set; }
    public int GeneratedTokens { get; set; }
    public int AppendedTokens { get; set; }
    public double ExecutionSeconds { get; set; }
    public string? Error { get; set; }
    /// <summary>Set when a researcher branched it from another candidate: where it came from and what it inherited.</summary>
    public Runs.BranchStart? Branch { get; init; }

    /// <summary>A branch made inside its own run (extra to N), not a candidate of a run of branches.</summary>
    [JsonIgnore] public bool IsBranchInRun => Branch is { SourceRunId: null };
    [JsonIgnore] public int Restarts => Math.Max(0, Attempts.Count - 1);
    [JsonIgnore] public Attempt Current => Attempts[^1];
    [JsonIgnore] public bool IsFinished => Status is CandidateStatus.Answered or CandidateStatus.Pruned or CandidateStatus.Unanswered or CandidateStatus.Cancelled or CandidateStatus.Failed;

    /// <summary>The whole transcript of the current attempt, prompt included.</summary>
    public string Transcript(string prompt)
    {
        var sb = new StringBuilder(prompt);
        foreach (var s in Current.Segments) sb.Append(s.Text);
        return sb.ToString();
    }
}
