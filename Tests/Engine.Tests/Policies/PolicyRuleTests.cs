using System.Diagnostics;
using System.Globalization;
using Numina.Engine.Answers;
using Numina.Engine.Policies;
using Numina.Engine.Presets;

namespace Numina.Engine.Tests.Policies;

/// <summary>The policies' rules on their own, against the published rules and brute force.</summary>
public class PolicyRuleTests
{
    private static VoteTally Tally(params string[] answers) =>
        VoteTally.Count(answers.Select((a, i) => new Ballot(i, 1, a)));

    [Fact]
    public void The_first_K_rule_looks_only_at_the_first_K_answers()
    {
        var p = new RunPolicies { StopWhenFirstAgree = 4 };
        Assert.Null(EarlyStop.Reason(p, ["5", "5", "5"], Tally("5", "5", "5"), unfinished: 13));
        Assert.Equal("the first 4 answers agree (5)", EarlyStop.Reason(p, ["5", "5", "5", "5"], Tally("5", "5", "5", "5"), unfinished: 12));
        Assert.Null(EarlyStop.Reason(p, ["5", "5", "7", "5"], Tally("5", "5", "7", "5"), unfinished: 12));
        Assert.Null(EarlyStop.Reason(p, ["5", "5", "7", "5", "5"], Tally("5", "5", "7", "5", "5"), unfinished: 11)); // the first four never agreed
        Assert.Null(EarlyStop.Reason(p, ["5", "5", "5", "5"], Tally("5", "5", "5", "5"), unfinished: 0));             // nothing left to stop
    }

    [Fact]
    public void The_K_of_last_J_rule_slides()
    {
        var p = new RunPolicies { StopWhenAgree = 4, StopAmongLast = 5 };
        string[] arrived = ["1", "2", "2", "3", "2"];
        Assert.Null(EarlyStop.Reason(p, arrived, Tally(arrived), 5));
        arrived = [.. arrived, "2"]; // the last five: 2 2 3 2 2
        Assert.Equal("4 of the last 5 answers agree (2)", EarlyStop.Reason(p, arrived, Tally(arrived), 4));
    }

    [Fact]
    public void Decided_means_no_completion_of_the_vote_can_change_the_winner()
    {
        // Brute force: every way the unfinished candidates could still vote (for a present answer, a new one, or not at
        // all) under both tie rules; whenever the rule says decided, the winner must never change.
        var random = new Random(4);
        var p = new RunPolicies { StopWhenDecided = true };
        int decided = 0;
        for (int trial = 0; trial < 400; trial++)
        {
            var arrived = Enumerable.Range(0, random.Next(1, 8)).Select(_ => random.Next(1, 4).ToString(CultureInfo.InvariantCulture)).ToArray();
            int unfinished = random.Next(1, 4);
            foreach (var tie in new[] { TieRule.FirstSeen, TieRule.Larger })
            {
                var ballots = arrived.Select((a, i) => new Ballot(i, 1, a)).ToList();
                var tally = VoteTally.Count(ballots, tie);
                if (EarlyStop.Reason(p, arrived, tally, unfinished) is null) continue;
                decided++;
                foreach (var rest in Completions(unfinished, ["1", "2", "3", "99", null]))
                {
                    var all = ballots.Concat(rest.Select((a, i) => new Ballot(arrived.Length + i, 0, a))).ToList(); // even retiring earlier
                    Assert.Equal(tally.Winner, VoteTally.Count(all, tie).Winner);
                }
            }
        }
        Assert.True(decided > 50, $"only {decided} decided cases");
    }

    private static IEnumerable<string?[]> Completions(int n, string?[] choices) =>
        n == 0 ? [[]] : Completions(n - 1, choices).SelectMany(rest => choices.Select(c => (string?[])[c, .. rest]));

    [Fact]
    public void Imagination_weights_follow_the_published_rule()
    {
        // imagination-research (spec): 0.6 for answers <= 20 or multiples of 100, ties to the larger answer.
        foreach (var (answer, weight) in new[] { ("0", 0.6), ("7", 0.6), ("20", 0.6), ("21", 1.0), ("100", 0.6), ("250", 1.0), ("300", 0.6), ("999", 1.0), ("\\frac{1}{2}", 1.0) })
            Assert.Equal(weight, VoteWeights.Of(VoteWeighting.Imagination, answer, 1));
        var tie = VoteWeights.TieRuleFor(VoteWeighting.Imagination, TieRule.FirstSeen);
        Assert.Equal("40", VoteTally.Count([new Ballot(0, 1, "30", 1), new Ballot(1, 1, "40", 1)], tie).Winner);
        Assert.Equal("12", VoteTally.Count([new Ballot(0, 1, "50", 1), new Ballot(1, 1, "12", 0.6), new Ballot(2, 1, "12", 0.6)], tie).Winner);
        Assert.Equal(TieRule.FirstSeen, VoteWeights.TieRuleFor(VoteWeighting.Confidence, TieRule.FirstSeen));
    }

    [Fact]
    public void A_plain_vote_weighs_each_candidate_one()
    {
        var tally = Tally("5", "7", "7", "5");
        Assert.All(tally.Buckets, b => Assert.Equal(b.Count, b.Weight));
        Assert.Equal("5", tally.Winner); // the golden case: first seen wins
    }

    [Fact]
    public void The_sliding_window_mean_and_its_lowest_value()
    {
        var trace = new SlidingConfidence(3);
        foreach (var p in new[] { 0.9, 0.9, 0.9 }) trace.Add(p);
        Assert.Equal(0.9, trace.Window!.Value, 12);
        trace.Add(0.3); // 0.9 0.9 0.3
        trace.Add(0.3); // 0.9 0.3 0.3
        Assert.Equal(0.5, trace.Window!.Value, 12);
        trace.Add(0.9); // 0.3 0.3 0.9
        Assert.Equal(0.5, trace.Lowest, 12);
        Assert.Equal((0.9 * 4 + 0.3 * 2) / 6, trace.Mean, 12);
        var brief = new SlidingConfidence(10);
        brief.Add(0.4);
        brief.Add(0.8);
        Assert.Null(brief.Window);
        Assert.Equal(0.6, brief.LowestOrMean, 12);
    }

    [Fact]
    public void The_threshold_percentile_is_numpys()
    {
        // DeepConf computes its threshold with np.percentile; compare with numpy itself.
        var random = new Random(8);
        var cases = Enumerable.Range(0, 12).Select(_ => (Values: Enumerable.Range(0, random.Next(1, 9)).Select(_ => Math.Round(random.NextDouble(), 4)).ToArray(), P: new[] { 10.0, 50, 90, 0, 100, 37.5 }[random.Next(6)])).ToList();
        var script = "import numpy as np\n" + string.Concat(cases.Select(c => $"print(repr(float(np.percentile([{string.Join(", ", c.Values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}], {c.P.ToString(CultureInfo.InvariantCulture)}))))\n"));
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardInput = true, RedirectStandardOutput = true };
        using var python = Process.Start(psi)!;
        python.StandardInput.Write(script);
        python.StandardInput.Close();
        var lines = python.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        python.WaitForExit();
        Assert.Equal(cases.Count, lines.Length);
        for (int i = 0; i < cases.Count; i++)
            Assert.Equal(double.Parse(lines[i], CultureInfo.InvariantCulture), ConfidenceGate.Percentile(cases[i].Values, cases[i].P), 12);
    }

    [Fact]
    public void The_gate_calibrates_once_after_the_warm_up()
    {
        var gate = new ConfidenceGate(new RunPolicies { ConfidencePruning = true, ConfidenceWarmup = 3, ConfidenceKeepPercent = 50, ConfidenceWindow = 2 });
        var unsure = new SlidingConfidence(2);
        unsure.Add(0.1);
        unsure.Add(0.1);
        Assert.Null(gate.Verdict(unsure)); // nothing calibrated yet: nothing is stopped
        Assert.False(gate.TraceFinished(0.8));
        Assert.False(gate.TraceFinished(0.6));
        Assert.True(gate.TraceFinished(0.7));
        Assert.Equal(0.7, gate.Threshold!.Value, 12); // the median of 0.6 0.7 0.8
        Assert.False(gate.TraceFinished(0.1));       // later answers do not move it
        Assert.Equal(0.7, gate.Threshold!.Value, 12);
        Assert.Equal("confidence 0.10 < 0.70 over its last 2 tokens", gate.Verdict(unsure));
    }

    [Fact]
    public void Policies_name_every_problem()
    {
        var problems = new RunPolicies { StopWhenFirstAgree = -1, TimeBudgetSeconds = double.NaN, ConfidenceWindow = 0, ConfidenceKeepPercent = 0, ConfidenceThreshold = 1.5, MaxConcurrentCandidates = -2 }.Check();
        Assert.Equal(6, problems.Count);
        Assert.Equal("none", new RunPolicies().ToString());
        Assert.Equal("stop when the first 4 agree; remaining-code-calls hint", BuiltInPresets.NemoSkills.Policies.ToString());
        Assert.Equal("none", BuiltInPresets.Numina.Policies.ToString());
    }
}
