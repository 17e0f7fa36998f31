using Numina.Engine.Models;

namespace Numina.Engine.Models.Llama;

/// <summary>
/// Samples one sequence's next token from its logits: repetition penalty, then greedy (temperature 0) or
/// top_k → temperature → top_p → min_p and a draw from the sequence's own seeded generator. Written here rather than
/// taken from llama.cpp's sampler chain so that each token's model probability (softmax of the raw logits) is known
/// and a sequence's draws depend only on its seed and its logits.
/// </summary>
internal sealed class TokenSampler(ulong seed)
{
    private const int PenaltyWindow = 64;
    private ulong _state = seed;
    private readonly Queue<int> _recent = new();
    private float[] _work = [];
    private int[] _order = [];

    public (int Token, float Probability) Sample(ReadOnlySpan<float> logits, SamplingSettings s)
    {
        int n = logits.Length;
        if (_work.Length != n) { _work = new float[n]; _order = new int[n]; }
        logits.CopyTo(_work);
        if (s.RepetitionPenalty != 1.0)
            foreach (var t in _recent.Distinct())
                _work[t] = _work[t] > 0 ? (float)(_work[t] / s.RepetitionPenalty) : (float)(_work[t] * s.RepetitionPenalty);

        int token = s.Temperature <= 0 ? ArgMax(_work) : Draw(s);
        _recent.Enqueue(token);
        if (_recent.Count > PenaltyWindow) _recent.Dequeue();
        return (token, ModelProbability(logits, token));
    }

    private int Draw(SamplingSettings s)
    {
        int n = _work.Length;
        double invT = 1.0 / s.Temperature;
        bool filtered = s.TopK > 0 || s.TopP < 1.0 || s.MinP > 0;
        if (!filtered)
        {
            // Plain temperature sampling: no sort needed.
            double max = Max(_work), sum = 0;
            for (int i = 0; i < n; i++) sum += Math.Exp((_work[i] - max) * invT);
            double u = NextDouble() * sum, acc = 0;
            for (int i = 0; i < n; i++)
            {
                acc += Math.Exp((_work[i] - max) * invT);
                if (acc > u) return i;
            }
            return ArgMax(_work);
        }

        for (int i = 0; i < n; i++) _order[i] = i;
        var work = _work;
        Array.Sort(_order, (a, b) => work[b].CompareTo(work[a]) is var c && c != 0 ? c : a.CompareTo(b));
        int keep = s.TopK > 0 ? Math.Min(s.TopK, n) : n;
        var probs = new double[keep];
        double top = work[_order[0]], total = 0;
        for (int i = 0; i < keep; i++) total += probs[i] = Math.Exp((work[_order[i]] - top) * invT);
        for (int i = 0; i < keep; i++) probs[i] /= total;
        if (s.TopP < 1.0)
        {
            double cumulative = 0;
            for (int i = 0; i < keep; i++)
            {
                cumulative += probs[i];
                if (cumulative >= s.TopP) { keep = i + 1; break; }
            }
        }
        if (s.MinP > 0)
        {
            double threshold = probs[0] * s.MinP;
            int k = 1;
            while (k < keep && probs[k] >= threshold) k++;
            keep = k;
        }
        double mass = 0;
        for (int i = 0; i < keep; i++) mass += probs[i];
        double draw = NextDouble() * mass, seen = 0;
        for (int i = 0; i < keep; i++)
        {
            seen += probs[i];
            if (seen > draw) return _order[i];
        }
        return _order[keep - 1];
    }

    /// <summary>softmax(raw logits)[token]: what the model itself gave the token, before any sampler setting.</summary>
    public static float ModelProbability(ReadOnlySpan<float> logits, int token)
    {
        float max = float.NegativeInfinity;
        foreach (var l in logits) if (l > max) max = l;
        double sum = 0;
        foreach (var l in logits) sum += Math.Exp(l - max);
        return (float)(Math.Exp(logits[token] - max) / sum);
    }

    private static int ArgMax(float[] v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    private static float Max(float[] v)
    {
        float m = float.NegativeInfinity;
        foreach (var x in v) if (x > m) m = x;
        return m;
    }

    /// <summary>SplitMix64: a tiny generator whose sequence depends only on the seed.</summary>
    private double NextDouble()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53));
    }
}
