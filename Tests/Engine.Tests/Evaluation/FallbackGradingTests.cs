using Numina.Engine.Evaluation;
using Numina.Engine.Runs;
using Numina.Engine.Settings;
using Numina.Engine.Tests.Support;

namespace Numina.Engine.Tests.Evaluation;

/// <summary>
/// When no candidate gives a valid answer, Numina's run answers its fallback "0" (spec: "if no valid answer, 0"); the
/// run page and the evaluation grade that one answer alike.
/// </summary>
[Collection("sandbox")]
public class FallbackGradingTests
{
    [Fact]
    public void A_subset_without_a_valid_answer_votes_the_fallback()
    {
        var samples = new List<Sample> { new(null, 2, 0), new(null, 3, 1), new("7", 3, 2) };
        // Of the three 1-subsets, two have no valid answer: they vote "0", which is right here.
        Assert.Equal(2 / 3.0, Estimators.MajorityAtK(samples, a => a == "0", 1, fallback: "0"), 12);
        Assert.Equal(0.0, Estimators.MajorityAtK(samples, a => a == "0", 1));
        Assert.Equal(1 / 3.0, Estimators.MajorityAtK(samples, a => a == "7", 1, fallback: "0"), 12);
    }

    [Fact]
    public async Task An_evaluation_grades_the_fallback_its_run_answers()
    {
        // Every candidate answers without code, so every attempt is restarted and nobody answers; the truth is 0.
        var set = Path.Combine(Path.GetTempPath(), $"fallback-{Guid.NewGuid():N}.jsonl");
        var results = Path.ChangeExtension(set, ".results.jsonl");
        File.WriteAllLines(set, ["{\"id\": \"zero\", \"problem\": \"How many primes are even and odd at once?\", \"answer\": 0}"]);
        try
        {
            var model = new ScriptedModel(_ => "The answer is \\boxed{0}.");
            await using var executor = Python.Executor();
            var plan = new EvaluationPlan
            {
                Dataset = Dataset.Load(set),
                Policy = GradingPolicy.AimoInteger,
                Greedy = true,
                Settings = new RunSettings { Decoding = new DecodingSettings { Width = 3, Depth = 2, Seed = 1 } },
            };
            var result = Assert.Single(await new EvaluationRunner(model, executor).RunAsync(plan, results, null, CancellationToken.None));

            Assert.All(result.Candidates, c => Assert.Null(c.Answer));
            Assert.Equal("0", result.Majority);
            Assert.True(result.MajorityCorrect);
            Assert.Equal("0", result.GreedyAnswer);
            Assert.True(result.GreedyCorrect);
            var summary = EvaluationSummary.From([result]);
            Assert.Equal(1.0, summary.MajorityAccuracy);
            Assert.Equal(1.0, summary.NoAnswerRate);
            Assert.All(summary.MajorityAtK, m => Assert.Equal(1.0, m));
            Assert.All(summary.PassAtK, p => Assert.Equal(0.0, p)); // no candidate itself was right
        }
        finally
        {
            File.Delete(set);
            File.Delete(results);
        }
    }
}
