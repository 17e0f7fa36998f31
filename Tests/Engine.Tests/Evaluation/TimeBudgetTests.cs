using Numina.Engine.Candidates;
using Numina.Engine.Evaluation;
using Numina.Engine.Policies;
using Numina.Engine.Settings;
using Numina.Engine.Tests.Support;

namespace Numina.Engine.Tests.Evaluation;

/// <summary>
/// NemoSkills' AIMO-2 time scheme in an evaluation: each problem has its share, plus a shared buffer that problems
/// faster than their share add to and slower ones spend.
/// </summary>
[Collection("sandbox")]
public class TimeBudgetTests
{
    [Fact]
    public async Task Each_problem_may_spend_its_share_and_what_the_faster_ones_left()
    {
        var set = Path.Combine(Path.GetTempPath(), $"budget-{Guid.NewGuid():N}.jsonl");
        var results = Path.ChangeExtension(set, ".results.jsonl");
        // "quick" ends at once; "slow" problems write two characters every 150 ms and would need seconds.
        File.WriteAllLines(set, [
            "{\"id\": \"quick\", \"problem\": \"quick: 2 + 3?\", \"answer\": 5}",
            "{\"id\": \"slow-1\", \"problem\": \"slow: 2 + 3?\", \"answer\": 5}",
            "{\"id\": \"slow-2\", \"problem\": \"slow: 3 + 2?\", \"answer\": 5}",
        ]);
        try
        {
            // The quick problem's candidates answer without code (restarted until their rounds run out, in
            // milliseconds); the slow ones are still writing their first block when the budget runs out.
            var model = new ScriptedModel(call => call.Context.Contains("slow:") ? "```python\nprint(2 + 3)\n```\n```output\n" : "So \\boxed{5}.")
            {
                PieceLength = 2,
                Delay = call => call.Context.Contains("slow:") ? TimeSpan.FromMilliseconds(150) : TimeSpan.Zero,
            };
            await using var executor = Python.Executor();
            const double share = 1.0, buffer = 0.5;
            var plan = new EvaluationPlan
            {
                Dataset = Dataset.Load(set),
                Policy = GradingPolicy.AimoInteger,
                Greedy = false,
                Settings = new RunSettings { Decoding = new DecodingSettings { Width = 2, Depth = 3, Seed = 1 }, Policies = new RunPolicies { TimeBudgetSeconds = share } },
                SharedBufferSeconds = buffer,
            };
            var r = await new EvaluationRunner(model, executor).RunAsync(plan, results, null, CancellationToken.None);

            // The rule, from the recorded times: problem i may take share + the buffer as the problems before it left it.
            double left = buffer;
            foreach (var result in r)
            {
                Assert.Equal(share + Math.Max(0, left), result.BudgetSeconds!.Value, 9);
                left += share - result.Seconds;
            }
            Assert.Equal(0, r[0].BudgetStopped);
            Assert.True(r[1].BudgetSeconds > share + buffer, "the quick problem left time for the next");
            Assert.Equal(2, r[1].BudgetStopped);
            Assert.InRange(r[1].Seconds, r[1].BudgetSeconds!.Value - 0.05, r[1].BudgetSeconds!.Value + 1.5);
            Assert.True(r[2].BudgetSeconds < r[1].BudgetSeconds, "the slow problem spent the buffer");
            Assert.Equal("0", r[1].Majority); // nobody answered in time: the fallback
        }
        finally
        {
            File.Delete(set);
            File.Delete(results);
        }
    }
}
