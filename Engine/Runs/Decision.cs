namespace Numina.Engine.Runs;

public enum DecisionKind { Restart, Prune, Retire, Execute, Unanswered }

/// <summary>Why the loop decided what it did; names follow the five checks of the protocol.</summary>
public enum DecisionReason
{
    /// <summary>Check 1: the transcript has no code block.</summary>
    NoCodeBlock,
    /// <summary>Check 2: an answer, but no code output was ever appended.</summary>
    AnswerWithoutExecutedCode,
    /// <summary>Check 2: an answer after executed code.</summary>
    Answered,
    /// <summary>Check 3: the last round ended without an answer.</summary>
    LastRound,
    /// <summary>Check 4: the round hit its token limit without an answer.</summary>
    TokenLimit,
    /// <summary>Check 4: the model ended its text without an answer.</summary>
    EndOfSequence,
    /// <summary>Check 5: the round stopped for its code to run.</summary>
    CodeRequested,
    /// <summary>Check 5 with nothing to run: the round stopped on the stop string but there is no code block.</summary>
    StopWithoutCode,
    /// <summary>The researcher removed the candidate.</summary>
    RemovedByResearcher,
    /// <summary>An early-stop policy ended the run.</summary>
    StoppedEarly,
    /// <summary>The run's time budget was spent.</summary>
    TimeBudget,
    /// <summary>Confidence pruning stopped the trace.</summary>
    LowConfidence,
    /// <summary>The model server failed the round for good (refused it, or kept failing after the retries).</summary>
    ModelServerFailed,
    /// <summary>Its context (its share of the KV pool) had no room for what was to be appended (a long tool output).</summary>
    ContextFull,
}

/// <summary>One entry of a run's decision log.</summary>
public sealed record Decision(int Candidate, int Attempt, int Round, DecisionKind Kind, DecisionReason Reason, DateTimeOffset Time);
