using Numina.Engine.Models;
using Numina.Engine.Models.Llama;

namespace Numina.Engine.Tests.Backend;

/// <summary>
/// The sampler keeps exactly what the definitions keep (order the tokens by logit, higher first, then lower id; top_k
/// takes the first k, top_p the fewest first whose probability reaches p, min_p those at least min_p times the best)
/// and draws from what it keeps in proportion. The reference below sorts; the sampler must not need to.
/// </summary>
public class TokenSamplerTests
{
    /// <summary>The exact distribution the settings define, by a full sort.</summary>
    private static double[] Reference(float[] logits, SamplingSettings s)
    {
        var order = Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).ThenBy(i => i).ToList();
        double max = logits.Max();
        var weight = logits.Select(l => Math.Exp((l - max) / s.Temperature)).ToArray();
        if (s.TopK > 0) order = order.Take(s.TopK).ToList();
        if (s.TopP < 1)
        {
            double mass = order.Sum(i => weight[i]), seen = 0;
            int keep = 0;
            while (keep < order.Count && seen < s.TopP * mass) seen += weight[order[keep++]];
            order = order.Take(Math.Max(1, keep)).ToList();
        }
        if (s.MinP > 0) order = order.Where(i => weight[i] >= s.MinP).ToList();
        var q = new double[logits.Length];
        double total = order.Sum(i => weight[i]);
        foreach (var i in order) q[i] = weight[i] / total;
        return q;
    }

    public static TheoryData<int, double, int, double, double> Settings => new()
    {
        // vocabulary, temperature, top_k, top_p, min_p (top_p values away from sums of equal weights, where float
        // rounding may put a cut on either side of a tie)
        { 40, 1.0, 0, 1.0, 0 },
        { 40, 0.8, 0, 0.9123, 0 },
        { 40, 0.8, 0, 0.5071, 0 },
        { 40, 1.0, 7, 1.0, 0 },
        { 40, 1.0, 12, 0.8137, 0 },
        { 40, 0.7, 0, 1.0, 0.3 },
        { 40, 1.0, 20, 0.9431, 0.1 },
        { 3000, 1.0, 0, 0.0523, 0 },   // a small nucleus of a flat distribution: most draws are rejected, the exact cut takes over
        { 3000, 1.0, 100, 0.9437, 0 },
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public void Draws_follow_the_defined_distribution_and_never_leave_the_kept_set(int vocabulary, double temperature, int topK, double topP, double minP)
    {
        var rng = new Random(vocabulary * 31 + topK);
        // Logits on a grid of 0.25 so that ties are common (ties are ordered by id).
        var logits = Enumerable.Range(0, vocabulary).Select(_ => (float)(Math.Round(rng.NextDouble() * (vocabulary > 100 ? 1.5 : 4) * 4) / 4)).ToArray();
        var settings = new SamplingSettings { Temperature = temperature, TopK = topK, TopP = topP, MinP = minP };
        var q = Reference(logits, settings);
        const int Draws = 20000;
        var counts = new int[vocabulary];
        var sampler = new TokenSampler(seed: 12345);
        for (int d = 0; d < Draws; d++) counts[sampler.Sample(logits, settings).Token]++;

        for (int i = 0; i < vocabulary; i++)
        {
            if (q[i] == 0)
            {
                Assert.True(counts[i] == 0, $"token {i} (logit {logits[i]}) is outside the kept set but was drawn {counts[i]} times");
                continue;
            }
            double expected = q[i] * Draws, sd = Math.Sqrt(Draws * q[i] * (1 - q[i]));
            Assert.True(Math.Abs(counts[i] - expected) <= 5 * sd + 2,
                $"token {i}: drawn {counts[i]} times, expected {expected:0.0} ± {sd:0.0} (q = {q[i]:0.0000})");
        }
    }

    [Fact]
    public void Greedy_takes_the_first_best_token_and_reports_the_models_own_probability()
    {
        var logits = new float[] { 1, 3, 0, 3, -2 };
        var (token, probability) = new TokenSampler(1).Sample(logits, new SamplingSettings { Temperature = 0 });
        Assert.Equal(1, token);
        double softmax = Math.Exp(0) / logits.Sum(l => Math.Exp(l - 3));
        Assert.Equal(softmax, probability, 5);
    }

    [Fact]
    public void The_same_seed_draws_the_same_tokens()
    {
        var rng = new Random(5);
        var logits = Enumerable.Range(0, 500).Select(_ => (float)rng.NextDouble() * 3).ToArray();
        var s = new SamplingSettings { Temperature = 0.9, TopP = 0.9, TopK = 50 };
        var a = new TokenSampler(77);
        var b = new TokenSampler(77);
        var c = new TokenSampler(78);
        var ta = Enumerable.Range(0, 50).Select(_ => a.Sample(logits, s).Token).ToList();
        var tb = Enumerable.Range(0, 50).Select(_ => b.Sample(logits, s).Token).ToList();
        var tc = Enumerable.Range(0, 50).Select(_ => c.Sample(logits, s).Token).ToList();
        Assert.Equal(ta, tb);
        Assert.NotEqual(ta, tc);
    }
}
