namespace Numina.Engine.Evaluation;

/// <summary>The numbers of an evaluation, from its results alone (no re-generation).</summary>
public sealed record EvaluationSummary
{
    public int Problems { get; init; }
    public int Width { get; init; }
    public double MajorityAccuracy { get; init; }
    public double? GreedyAccuracy { get; init; }
    public double FirstSampleAccuracy { get; init; }
    /// <summary>Problems whose vote had no valid answer at all.</summary>
    public double NoAnswerRate { get; init; }
    /// <summary>pass@k and maj@k for k = 1..N, averaged over problems.</summary>
    public IReadOnlyList<double> PassAtK { get; init; } = [];
    public IReadOnlyList<double> MajorityAtK { get; init; } = [];
    public double RestartsPerProblem { get; init; }
    public double PrunesPerProblem { get; init; }
    public double TokensPerProblem { get; init; }
    public double SecondsPerProblem { get; init; }

    public double PassAtN => PassAtK.Count > 0 ? PassAtK[^1] : 0;

    public static EvaluationSummary From(IReadOnlyList<ProblemResult> results)
    {
        if (results.Count == 0) return new EvaluationSummary();
        int n = results.Min(r => r.Candidates.Count);
        var pass = new double[n];
        var maj = new double[n];
        foreach (var r in results)
        {
            var samples = r.Candidates.Select(c => new Sample(c.Answer, c.RetiredRound, c.Index)).ToList();
            var correct = r.Candidates.Where(c => c.Answer is not null).GroupBy(c => c.Answer!).ToDictionary(g => g.Key, g => g.First().Correct);
            // A subset with no valid answer votes the preset's fallback, graded as the run grades it.
            if (r.Fallback is { } fallback) correct.TryAdd(fallback, r.FallbackCorrect);
            int c = r.Candidates.Count(x => x.Correct);
            for (int k = 1; k <= n; k++)
            {
                pass[k - 1] += Estimators.PassAtK(r.Candidates.Count, c, k);
                maj[k - 1] += Estimators.MajorityAtK(samples, a => correct.GetValueOrDefault(a), k, fallback: r.Fallback);
            }
        }
        var greedy = results.Where(r => r.GreedyCorrect is not null).ToList();
        return new EvaluationSummary
        {
            Problems = results.Count,
            Width = n,
            MajorityAccuracy = results.Average(r => r.MajorityCorrect ? 1.0 : 0.0),
            GreedyAccuracy = greedy.Count > 0 ? greedy.Average(r => r.GreedyCorrect == true ? 1.0 : 0.0) : null,
            FirstSampleAccuracy = results.Average(r => r.FirstSampleCorrect ? 1.0 : 0.0),
            NoAnswerRate = results.Average(r => r.Candidates.All(c => c.Answer is null) ? 1.0 : 0.0),
            PassAtK = pass.Select(x => x / results.Count).ToList(),
            MajorityAtK = maj.Select(x => x / results.Count).ToList(),
            RestartsPerProblem = results.Average(r => r.Restarts),
            PrunesPerProblem = results.Average(r => r.Prunes),
            TokensPerProblem = results.Average(r => r.Tokens),
            SecondsPerProblem = results.Average(r => r.Seconds),
        };
    }

    /// <summary>Majority accuracy by the value of a dataset field (level, subject, year, ...).</summary>
    public static IReadOnlyList<(string Value, int Count, double Accuracy)> ByField(IReadOnlyList<ProblemResult> results, string field) =>
        results.Where(r => r.Fields.ContainsKey(field)).GroupBy(r => r.Fields[field]).OrderBy(g => g.Key)
            .Select(g => (g.Key, g.Count(), g.Average(r => r.MajorityCorrect ? 1.0 : 0.0))).ToList();
}
