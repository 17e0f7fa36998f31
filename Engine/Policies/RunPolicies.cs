using System.Globalization;

namespace Numina.Engine.Policies;

/// <summary>How the candidates' answers are weighed in the vote.</summary>
public enum VoteWeighting
{
    /// <summary>Numina: one candidate, one vote.</summary>
    Count,
    /// <summary>
    /// imagination-research (AIMO-2, 2nd): an answer of at most 20 or a multiple of 100 weighs 0.6, any other 1; ties
    /// go to the larger answer (small and round numbers are the usual wrong guesses).
    /// </summary>
    Imagination,
    /// <summary>A candidate weighs the mean probability of the tokens it sampled in its answering attempt (0–1).</summary>
    Confidence,
}

/// <summary>
/// The decoding policies of the systems that came after Numina, each a setting of the run and all off by default
/// (Numina had none). Plain data: flat values that a form, a command line and <c>appsettings.json</c> set alike.
/// What each policy did in a run is in its record (<see cref="Runs.RunRecord.PolicyActions"/>).
/// </summary>
public sealed record RunPolicies
{
    /// <summary>NemoSkills: stop the run when the first K answers agree (they used 4–5 of 16). 0 = off.</summary>
    public int StopWhenFirstAgree { get; init; }
    /// <summary>imagination-research: stop when K equal answers are among the last <see cref="StopAmongLast"/> answers. 0 = off.</summary>
    public int StopWhenAgree { get; init; }
    public int StopAmongLast { get; init; }
    /// <summary>Stop as soon as the candidates still running could not change the winner, whatever they answered.</summary>
    public bool StopWhenDecided { get; init; }

    /// <summary>Wall-clock seconds a problem may take; then every running candidate stops and the vote is taken. 0 = no limit.</summary>
    public double TimeBudgetSeconds { get; init; }

    public VoteWeighting Vote { get; init; } = VoteWeighting.Count;

    /// <summary>
    /// DeepConf ("Deep Think with Confidence", 2025): a trace whose mean token probability over the last
    /// <see cref="ConfidenceWindow"/> tokens falls below a threshold is stopped. The threshold is calibrated on the
    /// first <see cref="ConfidenceWarmup"/> traces to finish (the <see cref="ConfidenceKeepPercent"/>th-from-top
    /// percentile of their lowest window), unless <see cref="ConfidenceThreshold"/> fixes it.
    /// </summary>
    public bool ConfidencePruning { get; init; }
    public int ConfidenceWindow { get; init; } = 32;
    public int ConfidenceWarmup { get; init; } = 4;
    /// <summary>DeepConf-high keeps 90 % of the warm-up traces' confidence range, DeepConf-low 10 % (it prunes far more).</summary>
    public double ConfidenceKeepPercent { get; init; } = 90;
    /// <summary>A fixed threshold (0–1) instead of the calibrated one; null = calibrate.</summary>
    public double? ConfidenceThreshold { get; init; }

    /// <summary>
    /// At most this many candidates decode at once; the others wait for a free place in index order, so a run that
    /// stops early never starts them (DeepConf's warm-up-then-the-rest, NemoSkills' batches). 0 = all N at once.
    /// </summary>
    public int MaxConcurrentCandidates { get; init; }

    /// <summary>NemoSkills: after each code output, tell the model how many code executions it has left.</summary>
    public bool RemainingCallsHint { get; init; }

    /// <summary>Answers that sympy finds equal (1/2 and 0.5, 2\sqrt{2} and \sqrt{8}) vote together while the run runs.</summary>
    public bool GroupEquivalentAnswers { get; init; }

    public static RunPolicies Off { get; } = new();

    public bool StopsEarly => StopWhenFirstAgree > 0 || StopWhenAgree > 0 || StopWhenDecided;

    /// <summary>Every problem with these values, one sentence each; empty when they are usable.</summary>
    public IReadOnlyList<string> Check()
    {
        var problems = new List<string>();
        if (StopWhenFirstAgree is < 0 or 1) problems.Add($"Stop when the first K agree: K must be 0 (off) or at least 2 (got {StopWhenFirstAgree}).");
        if (StopWhenAgree is < 0 or 1) problems.Add($"Stop when K of the last J agree: K must be 0 (off) or at least 2 (got {StopWhenAgree}).");
        if (StopWhenAgree >= 2 && StopAmongLast < StopWhenAgree)
            problems.Add($"Stop when K of the last J agree: J must be at least K (got K = {StopWhenAgree}, J = {StopAmongLast}).");
        if (!double.IsFinite(TimeBudgetSeconds) || TimeBudgetSeconds < 0) problems.Add($"The time budget must be 0 (none) or a positive number of seconds (got {TimeBudgetSeconds}).");
        if (!Enum.IsDefined(Vote)) problems.Add($"Unknown vote weighting '{Vote}'.");
        if (ConfidenceWindow is < 1 or > 65536) problems.Add($"The confidence window must be between 1 and 65536 tokens (got {ConfidenceWindow}).");
        if (ConfidenceWarmup is < 1 or > 512) problems.Add($"The confidence warm-up must be between 1 and 512 traces (got {ConfidenceWarmup}).");
        if (!double.IsFinite(ConfidenceKeepPercent) || ConfidenceKeepPercent is <= 0 or > 100)
            problems.Add($"The confidence keep percentage must be more than 0 and at most 100 (got {ConfidenceKeepPercent}).");
        if (ConfidenceThreshold is { } t && (!double.IsFinite(t) || t is <= 0 or >= 1))
            problems.Add($"A fixed confidence threshold must be between 0 and 1 (got {t}).");
        if (MaxConcurrentCandidates < 0) problems.Add($"The most candidates at once must be 0 (all) or positive (got {MaxConcurrentCandidates}).");
        return problems;
    }

    /// <summary>The policies that are on, in words ("none" when none is).</summary>
    public override string ToString()
    {
        static string F(double x) => x.ToString("0.###", CultureInfo.InvariantCulture);
        var on = new List<string>();
        if (StopWhenFirstAgree > 0) on.Add($"stop when the first {StopWhenFirstAgree} agree");
        if (StopWhenAgree > 0) on.Add($"stop when {StopWhenAgree} of the last {StopAmongLast} agree");
        if (StopWhenDecided) on.Add("stop when decided");
        if (TimeBudgetSeconds > 0) on.Add($"time budget {F(TimeBudgetSeconds)} s");
        if (Vote != VoteWeighting.Count) on.Add($"{Vote.ToString().ToLowerInvariant()}-weighted vote");
        if (ConfidencePruning)
            on.Add(ConfidenceThreshold is { } t
                ? $"confidence pruning (window {ConfidenceWindow}, threshold {F(t)})"
                : $"confidence pruning (window {ConfidenceWindow}, warm-up {ConfidenceWarmup}, keep {F(ConfidenceKeepPercent)} %)");
        if (MaxConcurrentCandidates > 0) on.Add($"at most {MaxConcurrentCandidates} candidates at once");
        if (RemainingCallsHint) on.Add("remaining-code-calls hint");
        if (GroupEquivalentAnswers) on.Add("symbolic grouping");
        return on.Count == 0 ? "none" : string.Join("; ", on);
    }
}

/// <summary>What a policy did in a run, as the decision log shows it ("stopped early: 5 of 6 agree").</summary>
public sealed record PolicyAction(string Policy, string Message, IReadOnlyList<int> Candidates, DateTimeOffset Time);
