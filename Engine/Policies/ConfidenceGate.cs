using System.Globalization;

namespace Numina.Engine.Policies;

/// <summary>
/// The mean probability of a trace's last W sampled tokens, and the lowest it has been: DeepConf's "group
/// confidence" (their tokens' confidence is computed from the top-k log-probabilities; ours is the sampled token's
/// probability, which the engine already streams — higher is surer either way).
/// </summary>
public sealed class SlidingConfidence(int window)
{
    private readonly Queue<double> _last = new();
    private double _sum, _total;
    private int _count;

    public int Tokens => _count;
    /// <summary>The mean over the whole trace so far (the confidence-weighted vote's weight).</summary>
    public double Mean => _count == 0 ? 1 : _total / _count;
    /// <summary>The mean of the last W tokens; null until W tokens were seen.</summary>
    public double? Window => _last.Count == window ? _sum / window : null;
    /// <summary>The lowest full window so far; a trace shorter than one window has its mean.</summary>
    public double Lowest { get; private set; } = double.PositiveInfinity;

    public double LowestOrMean => double.IsPositiveInfinity(Lowest) ? Mean : Lowest;

    /// <summary>A copy, to go back to when a round's streamed tokens are thrown away (a model server's retry).</summary>
    public SlidingConfidence Copy()
    {
        var copy = new SlidingConfidence(window) { Lowest = Lowest };
        foreach (var p in _last) copy._last.Enqueue(p);
        (copy._sum, copy._total, copy._count) = (_sum, _total, _count);
        return copy;
    }

    public void Add(double probability)
    {
        _count++;
        _total += probability;
        _last.Enqueue(probability);
        _sum += probability;
        if (_last.Count > window) _sum -= _last.Dequeue();
        if (Window is { } w && w < Lowest) Lowest = w;
    }
}

/// <summary>
/// DeepConf's online threshold: the first finished traces (the warm-up) calibrate it — the percentile of their
/// lowest window confidences that keeps the chosen share of them above it — and from then on a trace whose window
/// confidence falls below it is stopped. A fixed threshold skips the warm-up.
/// </summary>
public sealed class ConfidenceGate(RunPolicies policies)
{
    private readonly object _gate = new();
    private readonly List<double> _warmup = [];

    public double? Threshold { get; private set; } = policies.ConfidenceThreshold;

    /// <summary>A trace that voted finished: during the warm-up its lowest window calibrates the threshold. Returns true when this calibrated it.</summary>
    public bool TraceFinished(double lowestWindow)
    {
        lock (_gate)
        {
            if (Threshold is not null) return false;
            _warmup.Add(lowestWindow);
            if (_warmup.Count < policies.ConfidenceWarmup) return false;
            Threshold = Percentile(_warmup, 100 - policies.ConfidenceKeepPercent);
            return true;
        }
    }

    public IReadOnlyList<double> Warmup
    {
        get { lock (_gate) return _warmup.ToList(); }
    }

    /// <summary>Whether a trace should stop now; the sentence says why.</summary>
    public string? Verdict(SlidingConfidence trace)
    {
        if (Threshold is not { } threshold || trace.Window is not { } window || window >= threshold) return null;
        return $"confidence {F(window)} < {F(threshold)} over its last {policies.ConfidenceWindow} tokens";
    }

    /// <summary>The p-th percentile (0–100) with linear interpolation between order statistics.</summary>
    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        double rank = Math.Clamp(p, 0, 100) / 100 * (sorted.Length - 1);
        int lo = (int)Math.Floor(rank), hi = (int)Math.Ceiling(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }

    public static string F(double x) => x.ToString("0.00", CultureInfo.InvariantCulture);
}
