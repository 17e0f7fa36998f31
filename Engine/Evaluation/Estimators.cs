namespace Numina.Engine.Evaluation;

/// <summary>One recorded candidate as the estimators see it: its vote value (null = no valid answer) and when it retired.</summary>
public sealed record Sample(string? Answer, int RetiredRound, int Index);

/// <summary>
/// pass@k and maj@k for k ≤ N from the N candidates already recorded for a problem — no re-generation. pass@k is the
/// unbiased estimator of Chen et al. (2021); maj@k is the expected correctness of the majority vote over a uniformly
/// drawn k-subset (exact enumeration when the subsets are few, else a fixed-seed sample of them).
/// </summary>
public static class Estimators
{
    public const int ExactSubsetLimit = 20_000;
    public const int SampledSubsets = 4_000;

    /// <summary>1 − C(n−c, k) / C(n, k): the chance that at least one of k candidates drawn without replacement is correct.</summary>
    public static double PassAtK(int n, int c, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, n);
        if (n - c < k) return 1.0;
        double fail = 1.0;
        for (int i = n - c + 1; i <= n; i++) fail *= 1.0 - (double)k / i; // C(n−c,k)/C(n,k) as a stable product
        return 1.0 - fail;
    }

    /// <summary>
    /// The expected correctness of the majority of a k-subset; ties go to the answer seen first (retired earliest); a
    /// subset with no valid answer votes the <paramref name="fallback"/> (Numina's "0"), as a run does.
    /// </summary>
    public static double MajorityAtK(IReadOnlyList<Sample> samples, Func<string, bool> isCorrect, int k, int seed = 1, string? fallback = null)
    {
        int n = samples.Count;
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, n);
        var ordered = samples.OrderBy(s => s.RetiredRound).ThenBy(s => s.Index).ToArray();
        var correct = new Dictionary<string, bool>();
        bool Correct(string a) => correct.TryGetValue(a, out var v) ? v : correct[a] = isCorrect(a);

        double total = 0;
        long count = 0;
        if (Binomial(n, k) <= ExactSubsetLimit)
        {
            foreach (var subset in Subsets(n, k))
            {
                total += (Winner(ordered, subset) ?? fallback) is { } w && Correct(w) ? 1 : 0;
                count++;
            }
        }
        else
        {
            var random = new Random(seed);
            var pick = new int[k];
            for (int s = 0; s < SampledSubsets; s++)
            {
                var chosen = Enumerable.Range(0, n).OrderBy(_ => random.Next()).Take(k).Order().ToArray();
                chosen.CopyTo(pick, 0);
                total += (Winner(ordered, pick) ?? fallback) is { } w && Correct(w) ? 1 : 0;
                count++;
            }
        }
        return total / count;
    }

    /// <summary>The majority answer of the chosen samples (indices into the retirement order), first seen on ties.</summary>
    public static string? Winner(IReadOnlyList<Sample> ordered, IReadOnlyList<int> chosen)
    {
        var counts = new Dictionary<string, (int Count, int FirstSeen)>();
        foreach (var i in chosen)
            if (ordered[i].Answer is { } a)
                counts[a] = counts.TryGetValue(a, out var e) ? (e.Count + 1, e.FirstSeen) : (1, i);
        string? best = null;
        (int Count, int FirstSeen) top = (0, int.MaxValue);
        foreach (var (answer, e) in counts)
            if (e.Count > top.Count || (e.Count == top.Count && e.FirstSeen < top.FirstSeen)) (best, top) = (answer, e);
        return best;
    }

    public static double Binomial(int n, int k)
    {
        double r = 1;
        for (int i = 1; i <= k; i++) r = r * (n - k + i) / i;
        return Math.Round(r);
    }

    /// <summary>All k-subsets of 0..n−1 in lexicographic order (each sorted ascending).</summary>
    public static IEnumerable<int[]> Subsets(int n, int k)
    {
        var idx = Enumerable.Range(0, k).ToArray();
        while (true)
        {
            yield return (int[])idx.Clone();
            int i = k - 1;
            while (i >= 0 && idx[i] == n - k + i) i--;
            if (i < 0) yield break;
            idx[i]++;
            for (int j = i + 1; j < k; j++) idx[j] = idx[j - 1] + 1;
        }
    }
}
