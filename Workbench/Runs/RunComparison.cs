using Numina.Engine.Answers;
using Numina.Engine.Candidates;
using Numina.Engine.Runs;
using Numina.Engine.Storage;

namespace Numina.Workbench.Runs;

/// <summary>One run as the comparison shows it: its summary, its view, and (when it finished) its record.</summary>
public sealed record ComparedRun(RunSummary Summary, RunSnapshot Run, RunRecord? Record)
{
    public string Id => Summary.Id;
    public string Model => Record?.Model?.Name ?? "?";
    public int Valid => Run.Tally.ValidVotes;
    public int Restarts => Run.Candidates.Sum(c => c.Restarts);
    public int Pruned => Run.Candidates.Count(c => c.Status == CandidateStatus.Pruned);

    /// <summary>The known answer as this run votes (normalized by its preset, through its answer policy); null when unknown.</summary>
    public string? KnownVote => Summary.KnownAnswer is { } known && Record is { } r
        ? AnswerPolicies.Apply(r.AnswerPolicy, AnswerNormalizer.Normalize(known, r.Preset.Normalizer))
        : null;

    /// <summary>The share of valid votes for the known answer (how often a candidate got it right); null when unknown.</summary>
    public double? KnownShare => KnownVote is { } gold && Valid > 0
        ? Run.Tally.Buckets.Where(b => b.Answer == gold).Sum(b => b.Count) / (double)Valid
        : null;
}

/// <summary>An answer and its votes in each run (count and share of that run's valid votes), in the runs' order.</summary>
public sealed record AnswerAcrossRuns(string Answer, IReadOnlyList<(int Votes, double Share)> PerRun, string Color);

/// <summary>
/// Two or more runs side by side: their settings and results, every answer's votes in each, and their candidates
/// aligned by index (with the same seed, candidate i draws the same attempt seeds in every run, so what changed is the
/// setting, not the luck). One colour per answer across all runs.
/// </summary>
public sealed class RunComparison
{
    public required IReadOnlyList<ComparedRun> Runs { get; init; }
    public required IReadOnlyList<AnswerAcrossRuns> Answers { get; init; }
    public bool SameProblem => Runs.Select(r => r.Summary.Problem.Trim()).Distinct().Count() == 1;
    public bool SameAnswer => Runs.Select(r => r.Run.FinalAnswer ?? r.Summary.Answer).Distinct().Count() == 1;
    public int CandidateRows => Runs.Max(r => r.Run.Candidates.Count);

    public string ColorOf(string? answer) => answer is null ? AnswerColors.None : Answers.FirstOrDefault(a => a.Answer == answer)?.Color ?? AnswerColors.None;

    public CandidateSnapshot? Candidate(int run, int index) => Runs[run].Run.Candidates.FirstOrDefault(c => c.Index == index);

    /// <summary>Candidates at the same index that gave the same valid answer in runs a and b, out of those present in both.</summary>
    public (int Same, int Both) Aligned(int a, int b)
    {
        int same = 0, both = 0;
        for (int i = 0; i < CandidateRows; i++)
            if (Candidate(a, i) is { } x && Candidate(b, i) is { } y)
            {
                both++;
                if (x.Answer is not null && x.Answer == y.Answer) same++;
            }
        return (same, both);
    }

    public static RunComparison Build(IReadOnlyList<ComparedRun> runs)
    {
        if (runs.Count < 2) throw new ArgumentException("Pick at least two runs to compare.");
        var answers = runs.SelectMany(r => r.Run.Tally.Buckets.Select(b => (b.Answer, Share: r.Valid > 0 ? (double)b.Count / r.Valid : 0)))
            .GroupBy(x => x.Answer)
            .OrderByDescending(g => g.Sum(x => x.Share)).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select((g, i) => new AnswerAcrossRuns(g.Key, runs.Select(r =>
            {
                int votes = r.Run.Tally.Buckets.Where(b => b.Answer == g.Key).Sum(b => b.Count);
                return (votes, r.Valid > 0 ? votes / (double)r.Valid : 0);
            }).ToList(), AnswerColors.ForIndex(i)))
            .ToList();
        return new RunComparison { Runs = runs, Answers = answers };
    }
}
