namespace Numina.Workbench.Runs;

/// <summary>A candidate's token confidence as a sparkline: the probabilities of the tokens it wrote, averaged into a few buckets.</summary>
public static class Sparkline
{
    /// <summary>The probabilities of the tokens the candidate's current attempt wrote itself (inherited text has none).</summary>
    public static IReadOnlyList<float> Confidences(CandidateSnapshot c) =>
        c.Current is { } a ? a.Blocks.Where(b => b.Kind == BlockKind.Model && !b.Inherited).SelectMany(b => b.Probabilities).ToList() : [];

    /// <summary>At most <paramref name="buckets"/> means of consecutive values, in order (every value when there are fewer).</summary>
    public static double[] Buckets(IReadOnlyList<float> values, int buckets)
    {
        if (values.Count == 0 || buckets <= 0) return [];
        int n = Math.Min(buckets, values.Count);
        var means = new double[n];
        for (int i = 0; i < n; i++)
        {
            int from = (int)((long)i * values.Count / n), to = (int)((long)(i + 1) * values.Count / n);
            double sum = 0;
            for (int k = from; k < to; k++) sum += values[k];
            means[i] = sum / (to - from);
        }
        return means;
    }

    /// <summary>SVG polyline points for the buckets in a width × height box (probability 1 at the top).</summary>
    public static string Points(double[] means, double width, double height)
    {
        if (means.Length == 0) return "";
        double step = means.Length == 1 ? 0 : width / (means.Length - 1);
        return string.Join(' ', means.Select((m, i) => FormattableString.Invariant($"{i * step:0.#},{(1 - m) * height:0.#}")));
    }
}
