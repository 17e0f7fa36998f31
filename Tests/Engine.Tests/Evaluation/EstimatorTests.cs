using Numina.Engine.Answers;
using Numina.Engine.Evaluation;
using Numina.Engine.Tests.Support;

namespace Numina.Engine.Tests.Evaluation;

/// <summary>pass@k and maj@k against brute-force enumeration (the majority by the engine's own VoteTally).</summary>
public class EstimatorTests
{
    [Fact]
    public void Pass_at_k_equals_the_share_of_k_subsets_with_a_correct_candidate()
    {
        for (int n = 1; n <= 9; n++)
            for (int c = 0; c <= n; c++)
                for (int k = 1; k <= n; k++)
                {
                    var correct = Enumerable.Range(0, n).Select(i => i < c).ToArray();
                    var subsets = Estimators.Subsets(n, k).ToList();
                    double brute = subsets.Count(s => s.Any(i => correct[i])) / (double)subsets.Count;
                    Assert.Equal(brute, Estimators.PassAtK(n, c, k), 12);
                }
    }

    private static double BruteMajority(IReadOnlyList<Sample> samples, string truth, int k)
    {
        var subsets = Estimators.Subsets(samples.Count, k).ToList();
        int right = subsets.Count(s => VoteTally.Count(s.Select(i => new Ballot(samples[i].Index, samples[i].RetiredRound, samples[i].Answer))).Winner == truth);
        return right / (double)subsets.Count;
    }

    [Fact]
    public void Maj_at_k_equals_the_engine_vote_over_every_k_subset()
    {
        var random = new Random(3);
        string?[] values = ["1", "2", "3", null];
        for (int trial = 0; trial < 60; trial++)
        {
            int n = random.Next(1, 9);
            var samples = Enumerable.Range(0, n).Select(i => new Sample(values[random.Next(values.Length)], random.Next(1, 4), i)).ToList();
            for (int k = 1; k <= n; k++)
                Assert.Equal(BruteMajority(samples, "1", k), Estimators.MajorityAtK(samples, a => a == "1", k), 12);
        }
    }

    [Fact]
    public void Ties_go_to_the_answer_that_retired_first_as_in_the_engine()
    {
        // Candidate 3 retired in round 1 with "7"; candidates 0-2 later. A 1-1 tie of 7 and 9 goes to 7.
        var samples = new List<Sample> { new("9", 2, 0), new("9", 3, 1), new("7", 3, 2), new("7", 1, 3) };
        Assert.Equal(BruteMajority(samples, "7", 2), Estimators.MajorityAtK(samples, a => a == "7", 2), 12);
        Assert.Equal(1.0, Estimators.MajorityAtK(samples, a => a == "7", 4)); // 2-2: 7 was seen first
    }

    [Fact]
    public void With_too_many_subsets_maj_at_k_is_sampled_close_to_the_truth()
    {
        var random = new Random(5);
        var samples = Enumerable.Range(0, 30).Select(i => new Sample(random.NextDouble() < 0.45 ? "1" : random.Next(2, 5).ToString(), 1, i)).ToList();
        Assert.True(Estimators.Binomial(30, 15) > Estimators.ExactSubsetLimit);
        double estimate = Estimators.MajorityAtK(samples, a => a == "1", 15);

        // An independent Monte Carlo with the engine's tally and many more draws.
        int right = 0, draws = 40_000;
        var r = new Random(11);
        for (int d = 0; d < draws; d++)
        {
            var pick = Enumerable.Range(0, 30).OrderBy(_ => r.Next()).Take(15);
            if (VoteTally.Count(pick.Select(i => new Ballot(i, 1, samples[i].Answer))).Winner == "1") right++;
        }
        Assert.Equal(right / (double)draws, estimate, 0.03);
    }

    [Fact]
    public void The_shared_evaluation_sets_load_with_their_suggested_policies()
    {
        var expected = new Dictionary<string, GradingPolicy>
        {
            ["aimo1_train"] = GradingPolicy.AimoInteger,
            ["aime24"] = GradingPolicy.AimoInteger,
            ["gsm8k_test"] = GradingPolicy.Integer,
            ["math500"] = GradingPolicy.Symbolic,
        };
        foreach (var (name, policy) in expected)
        {
            var set = Dataset.Load(Path.Combine(Repo.SharedData, name + ".jsonl"));
            Assert.True(set.Problems.Count >= 10);
            Assert.Equal(policy, set.SuggestedPolicy());
        }
        var math = Dataset.Load(Path.Combine(Repo.SharedData, "math500.jsonl"), limit: 5);
        Assert.Equal(5, math.Problems.Count);
        Assert.True(math.Problems[0].Fields.ContainsKey("subject"));
    }

    [Fact]
    public void A_malformed_dataset_names_its_bad_lines()
    {
        var path = Path.GetTempFileName();
        File.WriteAllLines(path, ["{\"problem\": \"1+1?\", \"answer\": 2}", "not json", "{\"answer\": 3}", "{\"problem\": \"x\", \"answer\": [1]}"]);
        var e = Assert.Throws<InvalidDataException>(() => Dataset.Load(path));
        Assert.Contains("3 malformed line(s)", e.Message);
        Assert.Contains("line 2: not JSON", e.Message);
        Assert.Contains("line 3: no \"problem\" text", e.Message);
        Assert.Contains("line 4: no \"answer\"", e.Message);
        File.Delete(path);
    }
}
