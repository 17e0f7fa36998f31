using Numina.Engine.Answers;
using Numina.Engine.Candidates;
using Numina.Engine.Events;
using Numina.Engine.Policies;
using Numina.Engine.Presets;
using Numina.Engine.Runs;
using Numina.Engine.Settings;
using Numina.Engine.Tests.Support;
using static Numina.Engine.Tests.Loop.LoopHarness;

namespace Numina.Engine.Tests.Policies;

/// <summary>
/// The decoding policies in the real loop, with scripted candidates and real python3. With at most one candidate at
/// once, candidates run and answer in index order, so which one a policy stops is known in advance.
/// </summary>
[Collection("sandbox")]
public class PolicyLoopTests
{
    private static string Code(string value) => $"Let me compute.\n```python\nprint({value})\n```\n```output\n";
    private static string Box(string answer) => $"\nSo the answer is \\boxed{{{answer}}}.";

    /// <summary>Candidate i computes answers[i] in round 1 and answers it in round 2.</summary>
    private static ScriptedModel Answering(params string[] answers) =>
        ScriptedModel.PerCandidate(Seed, answers.Select(a => new[] { new[] { Code(a), Box(a) } }).ToArray());

    private static int CandidateOf(ulong seed, int width) => Enumerable.Range(0, width).Single(i => Seeds.ForAttempt(Seed, i, 0) == seed);

    [Fact]
    public async Task When_the_first_K_answers_agree_the_rest_never_start()
    {
        string[] answers = ["5", "5", "5", "7", "7", "7", "7", "7"];
        var model = Answering(answers);
        var (record, events) = await Run(model, width: 8, depth: 4, policies: new RunPolicies { StopWhenFirstAgree = 3, MaxConcurrentCandidates = 1 });

        Assert.Equal("5", record.Answer);
        Assert.All(record.Candidates.Take(3), c => Assert.Equal(CandidateStatus.Answered, c.Status));
        Assert.All(record.Candidates.Skip(3), c =>
        {
            Assert.Equal((CandidateStatus.Pruned, PruneReason.StoppedEarly), (c.Status, c.PruneReason));
            Assert.Empty(c.Attempts);
            Assert.Equal(0, c.GeneratedTokens);
        });
        Assert.Equal(3, model.ForkCount);
        var action = Assert.Single(record.PolicyActions);
        Assert.Equal("stopped early: the first 3 answers agree (5); 5 candidate(s) stopped", action.Message);
        Assert.Equal([3, 4, 5, 6, 7], action.Candidates.Order());
        Assert.Equal(action.Message, Assert.Single(events.OfType<PolicyActed>()).Message);
        Assert.Equal(5, record.Decisions.Count(d => d.Reason == DecisionReason.StoppedEarly));

        // The same run without the policy: every candidate votes, and here the majority is another answer.
        var (full, _) = await Run(Answering(answers), width: 8, depth: 4, policies: new RunPolicies { MaxConcurrentCandidates = 1 });
        Assert.Equal("7", full.Answer);
        Assert.Empty(full.PolicyActions);
    }

    [Fact]
    public async Task K_equal_answers_among_the_last_J_stop_the_run()
    {
        var model = Answering("1", "2", "2", "3", "2", "9", "9", "9");
        var (record, _) = await Run(model, width: 8, depth: 4, policies: new RunPolicies { StopWhenAgree = 3, StopAmongLast = 4, MaxConcurrentCandidates = 1 });

        // Arrivals 1 2 2 3: at most two equal among the last four; then 2: the last four are 2 2 3 2.
        Assert.Equal("stopped early: 3 of the last 4 answers agree (2); 3 candidate(s) stopped", Assert.Single(record.PolicyActions).Message);
        Assert.Equal(5, record.Candidates.Count(c => c.Status == CandidateStatus.Answered));
        Assert.Equal("2", record.Answer);
    }

    [Fact]
    public async Task Stopping_when_decided_never_changes_the_winner()
    {
        var random = new Random(17);
        int fired = 0;
        for (int trial = 0; trial < 6; trial++)
        {
            var answers = Enumerable.Range(0, 9).Select(_ => random.NextDouble() < 0.6 ? "4" : random.Next(5, 8).ToString()).ToArray();
            var (full, _) = await Run(Answering(answers), width: 9, depth: 4);
            var (early, _) = await Run(Answering(answers), width: 9, depth: 4, policies: new RunPolicies { StopWhenDecided = true, MaxConcurrentCandidates = 2 });
            Assert.Equal(full.Answer, early.Answer);
            Assert.True(early.GeneratedTokens <= full.GeneratedTokens);
            if (early.PolicyActions.Count > 0)
            {
                fired++;
                Assert.Contains("cannot change the winner", early.PolicyActions[0].Message);
                Assert.True(early.GeneratedTokens < full.GeneratedTokens);
            }
        }
        Assert.True(fired >= 3, $"the rule fired in {fired} of 6 runs");
    }

    [Fact]
    public async Task The_time_budget_stops_what_is_unfinished_and_keeps_what_it_wrote()
    {
        // Candidate 0 answers at once (its one python3 run included, which takes well over a second on a loaded CI
        // machine: hence a 3 s budget); the others write two characters every 250 ms and would need six seconds.
        var fast = Seeds.ForAttempt(Seed, 0, 0);
        var model = new ScriptedModel(call => call.CallNumber == 1 ? Code("3") : Box("3"))
        {
            PieceLength = 2,
            Jitter = (seed, _) => seed == fast ? TimeSpan.Zero : TimeSpan.FromMilliseconds(250),
        };
        var (record, events) = await Run(model, width: 4, depth: 4, policies: new RunPolicies { TimeBudgetSeconds = 3 });

        Assert.Equal(CandidateStatus.Answered, record.Candidates[0].Status);
        Assert.All(record.Candidates.Skip(1), c =>
        {
            Assert.Equal((CandidateStatus.Pruned, PruneReason.TimeBudget), (c.Status, c.PruneReason));
            Assert.InRange(c.GeneratedTokens, 2, Code("3").Length - 1); // what it wrote before the budget ran out is counted...
            Assert.StartsWith(c.Current.Text(), Code("3"));               // ...and kept in its transcript
            Assert.NotEmpty(c.Current.Text());
        });
        Assert.Equal("time budget of 3 s spent: 3 unfinished candidate(s) stopped", Assert.Single(record.PolicyActions).Message);
        Assert.Equal("3", record.Answer);
        Assert.InRange(record.ElapsedSeconds, 2.9, 5.5);
        Assert.Equal(3, events.OfType<CandidatePruned>().Count(p => p.Reason == PruneReason.TimeBudget));
    }

    [Fact]
    public async Task Confidence_pruning_calibrates_on_the_first_answers_and_stops_an_unsure_trace()
    {
        // Candidates 0-3 are sure (every token 0.9) and quick; 4 and 5 are unsure (0.3) and slow, and start only when
        // a place frees up.
        var model = new ScriptedModel(call => call.CallNumber == 1 ? Code("6") : Box("6"))
        {
            Probability = (call, _) => CandidateOf(call.Seed, 6) < 4 ? 0.9f : 0.3f,
            Jitter = (seed, _) => CandidateOf(seed, 6) < 4 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(40),
        };
        var policies = new RunPolicies { ConfidencePruning = true, ConfidenceWindow = 3, ConfidenceWarmup = 4, MaxConcurrentCandidates = 4 };
        var (record, _) = await Run(model, width: 6, depth: 4, policies: policies);

        Assert.All(record.Candidates.Take(4), c => Assert.Equal(CandidateStatus.Answered, c.Status));
        Assert.All(record.Candidates.Skip(4), c => Assert.Equal((CandidateStatus.Pruned, PruneReason.LowConfidence), (c.Status, c.PruneReason)));
        // The threshold is the 10th percentile (keep 90 %) of the warm-up's lowest windows: all 0.9 here.
        Assert.Equal(0.9, record.Candidates[0].Attempts[0].LowestWindowConfidence!.Value, 6);
        Assert.StartsWith("threshold 0.90 calibrated on the first 4 answers' lowest windows", record.PolicyActions[0].Message);
        Assert.Equal(["candidate 4 stopped: confidence 0.30 < 0.90 over its last 3 tokens", "candidate 5 stopped: confidence 0.30 < 0.90 over its last 3 tokens"],
            record.PolicyActions.Skip(1).Select(a => a.Message).Order());
        Assert.Equal("6", record.Answer);
    }

    [Fact]
    public async Task A_fixed_confidence_threshold_needs_no_warm_up()
    {
        var model = new ScriptedModel(call => call.CallNumber == 1 ? Code("6") : Box("6"))
        {
            Probability = (call, _) => CandidateOf(call.Seed, 3) == 1 ? 0.2f : 0.95f,
        };
        var (record, _) = await Run(model, width: 3, depth: 4, policies: new RunPolicies { ConfidencePruning = true, ConfidenceWindow = 2, ConfidenceThreshold = 0.5 });
        Assert.Equal(PruneReason.LowConfidence, record.Candidates[1].PruneReason);
        Assert.Equal(2, record.Candidates.Count(c => c.Status == CandidateStatus.Answered));
        Assert.Equal("candidate 1 stopped: confidence 0.20 < 0.50 over its last 2 tokens", Assert.Single(record.PolicyActions).Message);
    }

    [Fact]
    public async Task Imagination_weights_small_and_round_answers_and_breaks_ties_to_the_larger()
    {
        string[] answers = ["7", "7", "7", "45", "45", "300", "300", "300"];
        var (weighted, _) = await Run(Answering(answers), width: 8, depth: 4, policies: new RunPolicies { Vote = VoteWeighting.Imagination });
        // imagination-research: 0.6 for answers <= 20 or multiples of 100, 1 otherwise: 7 -> 1.8, 45 -> 2.0, 300 -> 1.8.
        Assert.Equal("45", weighted.Answer);
        Assert.Equal([("45", 2.0), ("300", 1.8), ("7", 1.8)], weighted.Vote.Buckets.Select(b => (b.Answer, Math.Round(b.Weight, 9))));
        var (plain, _) = await Run(Answering(answers), width: 8, depth: 4);
        Assert.Equal("7", plain.Answer); // one vote each: 7 and 300 tie at 3, and 7 was seen first
    }

    [Fact]
    public async Task A_confidence_weighted_vote_weighs_each_answer_by_its_mean_token_probability()
    {
        string[] answers = ["7", "7", "7", "9", "9"];
        var model = new ScriptedModel(call => call.CallNumber == 1 ? Code(answers[CandidateOf(call.Seed, 5)]) : Box(answers[CandidateOf(call.Seed, 5)]))
        {
            Probability = (call, _) => CandidateOf(call.Seed, 5) < 3 ? 0.3f : 0.95f,
        };
        var (record, _) = await Run(model, width: 5, depth: 4, policies: new RunPolicies { Vote = VoteWeighting.Confidence });
        Assert.Equal("9", record.Answer);
        Assert.Equal(1.9, record.Vote.Buckets.Single(b => b.Answer == "9").Weight, 6);
        Assert.Equal(0.9, record.Vote.Buckets.Single(b => b.Answer == "7").Weight, 6);
    }

    [Fact]
    public async Task The_remaining_calls_hint_follows_each_output_in_NemoSkills_words()
    {
        var model = ScriptedModel.PerCandidate(Seed, [[Code("1"), "\nAgain." + Code("2"), Box("2")]]);
        var (record, _) = await Run(model, width: 1, depth: 4, policies: new RunPolicies { RemainingCallsHint = true });
        // NeMo-Skills code_execution/utils.py format_code_output, after the output block.
        static string Hint(int n) => $"```system\nRemaining code executions: {n}. You will not be able to call code when you run out of executions, so use it wisely. Note that you can still continue solving the problem without code after that.\n```\n";
        Assert.Equal(Prompt + Code("1") + "1\n```" + Hint(2), ContextAt(model, 0, 0, 2)); // depth 4: rounds 2 and 3 may still run code
        Assert.EndsWith("2\n```" + Hint(1), ContextAt(model, 0, 0, 3));
        Assert.Equal("2", record.Answer);

        // A preset budget of one call: after it, the model is told it has none left.
        var once = ScriptedModel.PerCandidate(Seed, [[Code("1"), Box("1")]]);
        await Run(once, width: 1, depth: 4, preset: BuiltInPresets.Numina with { MaxCodeExecutions = 1 }, policies: new RunPolicies { RemainingCallsHint = true });
        Assert.EndsWith("1\n```" + "```system\nYou have run out of code executions! You can no longer write or execute code. Now you should continue solving the problem by relying on your mathematical reasoning and analytical skills.\n```\n",
            ContextAt(once, 0, 0, 2));
    }

    [Fact]
    public async Task Equal_answers_vote_together_while_the_run_runs()
    {
        var model = Answering("\\frac{1}{2}", "0.5", "3", "1/2");
        var (record, events) = await Run(model, width: 4, depth: 4, answerPolicy: AnswerPolicy.Normalized,
            policies: new RunPolicies { GroupEquivalentAnswers = true, MaxConcurrentCandidates = 1 });
        Assert.Equal("\\frac{1}{2}", record.Answer);
        Assert.Equal(3, record.Vote.Buckets[0].Count);
        Assert.Equal(["candidate 1's 0.5 votes as \\frac{1}{2}", "candidate 3's 1/2 votes as \\frac{1}{2}"], record.PolicyActions.Select(a => a.Message));
        Assert.Equal("0.5", record.Candidates[1].NormalizedAnswer); // what it wrote stays in the record
        var (apart, _) = await Run(Answering("\\frac{1}{2}", "0.5", "3", "1/2"), width: 4, depth: 4, answerPolicy: AnswerPolicy.Normalized);
        Assert.Equal(4, apart.Vote.Buckets.Count);
    }

    [Fact]
    public async Task At_most_K_candidates_decode_at_once_and_all_still_vote()
    {
        var model = new ScriptedModel(call => call.CallNumber == 1 ? Code("8") : Box("8")) { DelayPerPiece = TimeSpan.FromMilliseconds(5) };
        var (record, _) = await Run(model, width: 6, depth: 4, policies: new RunPolicies { MaxConcurrentCandidates = 2 });
        Assert.Equal(2, model.MostLiveSequences);
        Assert.Equal(6, record.Vote.Buckets.Single().Count);
        var unlimited = new ScriptedModel(call => call.CallNumber == 1 ? Code("8") : Box("8")) { DelayPerPiece = TimeSpan.FromMilliseconds(5) };
        await Run(unlimited, width: 6, depth: 4);
        Assert.Equal(6, unlimited.MostLiveSequences);
    }

    [Fact]
    public async Task Invalid_policies_are_refused_before_the_run_starts()
    {
        var model = Answering("1");
        var e = await Assert.ThrowsAsync<InvalidSettingsException>(() => Run(model, width: 1, depth: 2, policies: new RunPolicies { StopWhenFirstAgree = 1, StopWhenAgree = 3, StopAmongLast = 2 }));
        Assert.Contains("K must be 0 (off) or at least 2 (got 1)", e.Message);
        Assert.Contains("J must be at least K (got K = 3, J = 2)", e.Message);
        Assert.Equal(0, model.ForkCount);
    }
}
