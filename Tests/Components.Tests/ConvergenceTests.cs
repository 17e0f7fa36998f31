using Numina.Engine.Candidates;
using Numina.Engine.Events;
using Numina.Engine.Runs;
using Numina.Workbench.Components.Runs;
using Numina.Workbench.Runs;

namespace Numina.Components.Tests;

/// <summary>How the vote converged (leader and runner-up shares over time and candidates finished), and the confidence sparklines.</summary>
public sealed class ConvergenceTests : MudTestContext
{
    /// <summary>Four candidates: 0 answers 5, 1 ends unanswered, 2 answers 5, 3 answers 7.</summary>
    private static Events FourCandidates(string policies = "none")
    {
        var events = new Events().Add(new RunStarted(4, 4, 7, "Numina", "### Problem: What is 2 + 3?\n### Solution: ", 20, policies));
        events.Solve(0, "5").Vote(("5", [0]));
        events.Add(new CandidateUnanswered(1, 4, DecisionReason.LastRound));
        events.Solve(2, "5").Vote(("5", [0, 2]));
        return events.Solve(3, "7").Vote(("5", [0, 2]), ("7", [3]));
    }

    [Fact]
    public void The_series_follows_the_leader_and_runner_up_and_marks_where_early_stopping_would_have_stopped()
    {
        var run = FourCandidates().View.Snapshot();
        var series = Convergence.From(run);

        Assert.Equal([1, 2, 3, 4], series.Points.Select(p => p.Finished));
        Assert.Equal([1.0, 1.0, 1.0, 2 / 3.0], series.Points.Select(p => Math.Round(p.LeaderShare, 6)).Select(x => x == Math.Round(2 / 3.0, 6) ? 2 / 3.0 : x));
        Assert.Equal([0, 0, 0, 1 / 3.0], series.Points.Select(p => p.RunnerUpShare).Select(x => Math.Abs(x - 1 / 3.0) < 1e-9 ? 1 / 3.0 : x));
        Assert.Equal("7", series.Points[^1].RunnerUp);
        Assert.True(series.Points.Zip(series.Points.Skip(1)).All(p => p.First.Seconds < p.Second.Seconds), "points in time order");

        // After #2: 2 votes for 5, none against, 1 candidate to come — the winner cannot change.
        var marker = Assert.Single(series.Markers);
        Assert.False(marker.Happened);
        Assert.Equal(3, marker.Finished);
        Assert.Equal(series.Points[2].Seconds, marker.Seconds);
        Assert.StartsWith("early stop (decided) would have stopped here: 3 of 4 finished", marker.Label);
    }

    [Fact]
    public void With_the_policy_on_the_chart_marks_where_it_acted_not_where_it_would_have()
    {
        var events = FourCandidates("stop when decided");
        events.Add(new PolicyActed("early stop", "stopped early: 1 unfinished candidate(s) cannot change the winner 5 (2 to 0); 1 candidate(s) stopped", [3]));
        var series = Convergence.From(events.View.Snapshot());

        var marker = Assert.Single(series.Markers);
        Assert.True(marker.Happened);
        Assert.Contains("cannot change the winner 5", marker.Label);

        var chart = Ctx.Render<ConvergenceChart>(p => p.Add(c => c.Run, events.View.Snapshot()));
        Assert.Equal("4", chart.Find("[data-testid=convergence-summary]").GetAttribute("data-points"));
        Assert.Contains("cannot change the winner 5", chart.Find("[data-testid=convergence-marker][data-happened=yes]").TextContent);
        // Drawn: the leader's step line holds 100 % for three points, then drops to 2/3; one mark where the policy acted.
        var leader = chart.Find("[data-testid=convergence-leader]").GetAttribute("points")!.Split(' ');
        Assert.Equal(7, leader.Length); // 4 points, each after the first with its step
        Assert.Equal("6", leader[0].Split(',')[1]); // 100 % is the top of the plot
        Assert.Single(chart.FindAll("line.marker.acted"));
        chart.Find("[data-testid=convergence-axis] button:last-child, [data-testid=convergence-axis] .mud-toggle-item:last-child").Click();
        Assert.Contains("candidates finished", chart.Find("[data-testid=convergence-svg]").TextContent);
    }

    [Fact]
    public void A_sparkline_averages_the_tokens_a_candidate_wrote_into_buckets()
    {
        Assert.Equal([1.0, 0.0], Sparkline.Buckets([1f, 1f, 0f, 0f], 2));
        Assert.Equal([0.5, 0.25, 1.0], Sparkline.Buckets([0.5f, 0.25f, 1f], 45)); // fewer tokens than buckets: each token
        Assert.Equal("0,0 90,18", Sparkline.Points([1.0, 0.0], 90, 18));

        var run = new Events().Start(1).Solve(0, "5").View.Snapshot(); // tokens 0.9, 0.5 (round 1) and 0.8 (round 2)
        Assert.Equal([0.9f, 0.5f, 0.8f], Sparkline.Confidences(run.Candidates[0]));
        var line = Ctx.Render<ConfidenceSparkline>(p => p.Add(s => s.Candidate, run.Candidates[0]));
        Assert.Equal("3", line.Find("[data-testid=sparkline]").GetAttribute("data-points"));
        Assert.Contains("mean 0.73", line.Find("title").TextContent);
    }
}
