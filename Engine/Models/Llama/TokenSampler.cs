using System.Numerics.Tensors;
using Numina.Engine.Models;

namespace Numina.Engine.Models.Llama;

/// <summary>
/// Samples one sequence's next token from its logits: repetition penalty, then greedy (temperature 0) or
/// top_k → temperature → top_p → min_p and a draw from the sequence's own seeded generator. Written here rather than
/// taken from llama.cpp's sampler chain so that each token's model probability (softmax of the raw logits) is known
/// and a sequence's draws depend only on its seed and its logits.
///
/// Nothing sorts the vocabulary. Each filter keeps a prefix of the tokens in the order "higher logit first, then lower
/// id"; the draw walks the kept weights in id order.
/// <list type="bullet">
/// <item>top_p: a token drawn from all the weights is accepted when the weight of the tokens before it in the order is
/// still short of top_p (one vectorized pass); otherwise it is drawn again. Accepting only tokens of the nucleus gives
/// exactly the renormalized nucleus distribution, and a draw is accepted with probability at least top_p, so a 152k
/// vocabulary at top_p 0.95 costs about what top_p 1 does. After 8 rejected draws the nucleus is cut exactly instead.</item>
/// <item>top_k (and that exact cut): buckets, as llama.cpp's top-k does — one pass puts every token in one of 1024
/// buckets by logit and sums each bucket's count and weight; the buckets are walked from the top to the one where the
/// count or the weight is reached; only that bucket's tokens are ordered.</item>
/// <item>min_p: a threshold on the weight.</item>
/// </list>
/// </summary>
public sealed class TokenSampler(ulong seed)
{
    private const int PenaltyWindow = 64;
    private const int Buckets = 1024;
    private const int NucleusTries = 8;
    private ulong _state = seed;
    private readonly Queue<int> _recent = new();
    private float[] _work = [];
    private float[] _weight = [];
    private int[] _bucket = [];
    private readonly double[] _bucketWeight = new double[Buckets];
    private readonly int[] _bucketCount = new int[Buckets];
    private readonly List<int> _boundary = [];
    private readonly HashSet<int> _boundaryKept = [];

    /// <summary>Starts the draws again from <paramref name="seed"/> (the repetition window is the context's, and stays).</summary>
    public void Reseed(ulong seed) => _state = seed;

    public (int Token, float Probability) Sample(ReadOnlySpan<float> logits, SamplingSettings s)
    {
        int n = logits.Length;
        if (_work.Length != n)
        {
            _work = new float[n];
            _weight = new float[n];
            _bucket = new int[n];
        }
        logits.CopyTo(_work);
        if (s.RepetitionPenalty != 1.0)
            foreach (var t in _recent.Distinct())
                _work[t] = _work[t] > 0 ? (float)(_work[t] / s.RepetitionPenalty) : (float)(_work[t] * s.RepetitionPenalty);

        int token = s.Temperature <= 0 ? TensorPrimitives.IndexOfMax(_work) : Draw(s);
        _recent.Enqueue(token);
        if (_recent.Count > PenaltyWindow) _recent.Dequeue();
        return (token, ModelProbability(logits, token));
    }

    /// <summary>Where the order is cut: every token of buckets before <see cref="Bucket"/>, and the first <see cref="Rank"/> of it.</summary>
    private readonly record struct Cut(int Bucket, int Rank)
    {
        public static Cut Everything => new(Buckets, 0);
    }

    private int Draw(SamplingSettings s)
    {
        int n = _work.Length;
        float max = TensorPrimitives.Max(_work);
        Weigh(s, max);
        double need = s.TopP < 1.0 ? s.TopP * SumDouble() : 0; // top_p of what top_k kept
        ApplyMinP(s);
        double total = TensorPrimitives.Sum(_weight);
        if (s.TopP >= 1.0) return Walk(NextDouble() * total);
        for (int attempt = 0; attempt < NucleusTries; attempt++)
        {
            int token = Walk(NextDouble() * total);
            if (WeightBefore(token) < need) return token;
        }
        // Many rejections (a small top_p over a flat distribution): cut the nucleus exactly.
        Weigh(s, max);
        FillBuckets(max);
        Keep(CutByWeight(need, Cut.Everything));
        ApplyMinP(s);
        return Walk(NextDouble() * TensorPrimitives.Sum(_weight));
    }

    /// <summary>Unnormalized probabilities at the temperature, exp((logit - max) / T) — the best token weighs 1 — with top_k applied.</summary>
    private void Weigh(SamplingSettings s, float max)
    {
        TensorPrimitives.Subtract(_work, max, _weight);
        TensorPrimitives.Multiply(_weight, (float)(1.0 / s.Temperature), _weight);
        TensorPrimitives.Exp(_weight, _weight);
        if (s.TopK > 0 && s.TopK < _work.Length)
        {
            FillBuckets(max);
            Keep(CutByCount(s.TopK));
        }
    }

    /// <summary>min_p is relative to the best token, whose weight is 1 (a threshold keeps a prefix of the order too).</summary>
    private void ApplyMinP(SamplingSettings s)
    {
        if (s.MinP <= 0) return;
        float minP = (float)s.MinP;
        for (int i = 0; i < _weight.Length; i++)
            if (_weight[i] < minP) _weight[i] = 0;
    }

    /// <summary>Tokens past the cut weigh nothing from here on.</summary>
    private void Keep(Cut cut)
    {
        MarkBoundary(cut);
        for (int i = 0; i < _weight.Length; i++)
            if (_bucket[i] > cut.Bucket || (_bucket[i] == cut.Bucket && !_boundaryKept.Contains(i))) _weight[i] = 0;
    }

    /// <summary>The weight of the tokens before <paramref name="token"/> in the order (higher logit, then lower id).</summary>
    private double WeightBefore(int token)
    {
        float x = _work[token];
        var threshold = new System.Numerics.Vector<float>(x);
        var sum = System.Numerics.Vector<double>.Zero;
        var equal = System.Numerics.Vector<int>.Zero;
        int width = System.Numerics.Vector<float>.Count, i = 0, n = _work.Length;
        for (; i <= n - width; i += width)
        {
            var logits = new System.Numerics.Vector<float>(_work, i);
            var above = System.Numerics.Vector.ConditionalSelect(System.Numerics.Vector.GreaterThan(logits, threshold), new System.Numerics.Vector<float>(_weight, i), System.Numerics.Vector<float>.Zero);
            System.Numerics.Vector.Widen(above, out var low, out var high);
            sum += low + high;
            equal -= System.Numerics.Vector.Equals(logits, threshold); // a lane that is equal holds -1
        }
        double before = System.Numerics.Vector.Sum(sum);
        int equals = System.Numerics.Vector.Sum(equal);
        for (; i < n; i++)
        {
            if (_work[i] > x) before += _weight[i];
            if (_work[i] == x) equals++;
        }
        if (equals > 1) // other tokens share its logit: those with lower ids come before it
            for (int j = 0; j < token; j++)
                if (_work[j] == x) before += _weight[j];
        return before;
    }

    /// <summary>The sum of the weights accumulated in double, as <see cref="WeightBefore"/> accumulates them.</summary>
    private double SumDouble()
    {
        var sum = System.Numerics.Vector<double>.Zero;
        int width = System.Numerics.Vector<float>.Count, i = 0;
        for (; i <= _weight.Length - width; i += width)
        {
            System.Numerics.Vector.Widen(new System.Numerics.Vector<float>(_weight, i), out var low, out var high);
            sum += low + high;
        }
        double total = System.Numerics.Vector.Sum(sum);
        for (; i < _weight.Length; i++) total += _weight[i];
        return total;
    }

    /// <summary>The token where the running sum of weights, in id order, passes <paramref name="target"/>.</summary>
    private int Walk(double target)
    {
        double seen = 0;
        int last = 0;
        for (int i = 0; i < _weight.Length; i++)
        {
            if (_weight[i] == 0) continue;
            seen += _weight[i];
            last = i;
            if (seen > target) return i;
        }
        return last; // rounding left the target just past the end
    }

    /// <summary>Buckets by logit, best first: the span from the lowest logit to the highest, cut in 1024 equal parts.</summary>
    private void FillBuckets(float max)
    {
        float min = TensorPrimitives.Min(_work);
        float scale = max > min ? (Buckets - 1) / (max - min) : 0;
        Array.Clear(_bucketWeight);
        Array.Clear(_bucketCount);
        _orderedBucket = -1;
        for (int i = 0; i < _work.Length; i++)
        {
            int b = (int)((max - _work[i]) * scale); // monotone: a higher logit never lands in a later bucket
            _bucket[i] = b;
            _bucketWeight[b] += _weight[i];
            _bucketCount[b]++;
        }
    }

    /// <summary>The first <paramref name="k"/> tokens of the order.</summary>
    private Cut CutByCount(int k)
    {
        int seen = 0;
        for (int b = 0; b < Buckets; b++)
        {
            if (seen + _bucketCount[b] >= k) return new Cut(b, k - seen);
            seen += _bucketCount[b];
        }
        return new Cut(Buckets, 0);
    }

    /// <summary>The fewest first tokens (within <paramref name="limit"/>) whose weights reach <paramref name="need"/>.</summary>
    private Cut CutByWeight(double need, Cut limit)
    {
        double seen = 0;
        for (int b = 0; b < Math.Min(limit.Bucket + 1, Buckets); b++)
        {
            bool partial = b == limit.Bucket;
            double bucketWeight = partial ? BoundaryWeight(b, limit.Rank) : _bucketWeight[b];
            if (seen + bucketWeight >= need)
            {
                var order = Ordered(b);
                int rank = 0;
                while (rank < order.Count && (!partial || rank < limit.Rank))
                {
                    seen += _weight[order[rank++]];
                    if (seen >= need) break;
                }
                return new Cut(b, rank);
            }
            seen += bucketWeight;
        }
        return limit; // rounding: everything within the limit
    }

    private double BoundaryWeight(int bucket, int rank)
    {
        var order = Ordered(bucket);
        double weight = 0;
        for (int r = 0; r < rank && r < order.Count; r++) weight += _weight[order[r]];
        return weight;
    }

    private int _orderedBucket = -1;

    /// <summary>One bucket's tokens in the order (higher logit first, then lower id).</summary>
    private List<int> Ordered(int bucket)
    {
        if (_orderedBucket == bucket) return _boundary;
        _boundary.Clear();
        for (int i = 0; i < _bucket.Length; i++)
            if (_bucket[i] == bucket) _boundary.Add(i);
        var work = _work;
        _boundary.Sort((a, b) => work[a] != work[b] ? work[b].CompareTo(work[a]) : a.CompareTo(b));
        _orderedBucket = bucket;
        return _boundary;
    }

    private void MarkBoundary(Cut cut)
    {
        _boundaryKept.Clear();
        if (cut.Bucket >= Buckets) return;
        var order = Ordered(cut.Bucket);
        for (int r = 0; r < cut.Rank && r < order.Count; r++) _boundaryKept.Add(order[r]);
    }

    /// <summary>softmax(raw logits)[token]: what the model itself gave the token, before any sampler setting.</summary>
    public static float ModelProbability(ReadOnlySpan<float> logits, int token)
    {
        float max = TensorPrimitives.Max(logits);
        double sum = 0;
        const int Chunk = 4096;
        Span<float> buffer = stackalloc float[Chunk];
        for (int at = 0; at < logits.Length; at += Chunk)
        {
            var part = logits.Slice(at, Math.Min(Chunk, logits.Length - at));
            var exp = buffer[..part.Length];
            TensorPrimitives.Subtract(part, max, exp);
            TensorPrimitives.Exp(exp, exp);
            sum += TensorPrimitives.Sum(exp);
        }
        return (float)(Math.Exp(logits[token] - max) / sum);
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
