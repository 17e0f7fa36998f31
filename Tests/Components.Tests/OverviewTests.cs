using Numina.Engine.Candidates;
using Numina.Engine.Events;
using Numina.Engine.Execution;
using Numina.Engine.Models;
using Numina.Engine.Runs;
using Numina.Workbench.Components.Runs;
using Numina.Workbench.Runs;

namespace Numina.Components.Tests;

/// <summary>The run overview: a compact tile per candidate, a cell per round, coloured by answer, updating live.</summary>
public sealed class OverviewTests : MudTestContext
{
    private static string[] Kinds(AngleSharp.Dom.IElement tile) => tile.QuerySelectorAll(".cell").Select(c => c.GetAttribute("data-kind")!).ToArray();

    [Fact]
    public void Each_tile_has_a_cell_per_round_a_mark_per_restart_and_its_end()
    {
        var events = new Events().Start(64).Solve(0, "5");
        // 1: a traceback in round 1, restarted in round 2, writing its new attempt's round 3.
        events.Add(new TextDelta(1, 0, 1, "```python\nprint(y)\n```\n```output\n", [0.3f]));
        events.Add(new RoundFinished(1, 0, 1, StopReason.StopString, 1));
        events.Add(new OutputReceived(1, 0, 1, CellOutcome.Error, "NameError: name 'y' is not defined\n```", 0.01, 9));
        events.Add(new TextDelta(1, 0, 2, "I give up.", [0.2f]));
        events.Add(new RoundFinished(1, 0, 2, StopReason.EndOfSequence, 1));
        events.Add(new CandidateRestarted(1, 2, 1, DecisionReason.NoCodeBlock));
        events.Add(new TextDelta(1, 1, 3, "Let me try again", [0.7f]));
        // 2: its code is running.
        events.Add(new TextDelta(2, 0, 1, "```python\nprint(1)\n```\n```output\n", [0.9f]));
        events.Add(new RoundFinished(2, 0, 1, StopReason.StopString, 1));
        events.Add(new CodeSubmitted(2, 0, 1, "print(1)"));
        // 3: answered without running code: pruned.
        events.Add(new TextDelta(3, 0, 1, "It is \\boxed{4}.", [0.9f]));
        events.Add(new RoundFinished(3, 0, 1, StopReason.EndOfSequence, 1));
        events.Add(new CandidatePruned(3, 1, PruneReason.AnswerWithoutExecutedCode));
        events.Vote(("5", [0]));
        var run = events.View.Snapshot();

        var overview = Ctx.Render<RunOverview>(p => p.Add(o => o.Candidates, run.Candidates).Add(o => o.Tally, run.Tally).Add(o => o.RunId, "run1"));

        var tiles = overview.FindAll("[data-testid=tile]");
        Assert.Equal(64, tiles.Count);
        Assert.Equal(["Output", "Text", "Answered"], Kinds(tiles[0]));
        Assert.Equal(["Traceback", "Text", "Restart", "Decoding"], Kinds(tiles[1]));
        Assert.Equal(["Executing"], Kinds(tiles[2]));
        Assert.Equal(["Text", "Pruned"], Kinds(tiles[3]));
        Assert.Equal(["Waiting"], Kinds(tiles[4]));
        Assert.Contains("restarted: no code block (check 1)", tiles[1].QuerySelectorAll(".cell")[1].GetAttribute("title"));

        // Coloured by answer: the answered tile's edge and end cell carry the winner's colour; the others are grey.
        string winner = AnswerColors.For(run.Tally, "5");
        Assert.Contains(winner, tiles[0].GetAttribute("style"));
        Assert.Contains(winner, tiles[0].QuerySelector("[data-kind=Answered]")!.GetAttribute("style"));
        Assert.Equal("5", tiles[0].QuerySelector(".tile-answer")!.TextContent);
        Assert.Contains(AnswerColors.None, tiles[1].GetAttribute("style"));

        // A tile opens its candidate; hovering shows its last line.
        Assert.Equal("/runs/run1/candidates/1", tiles[1].GetAttribute("href"));
        Assert.EndsWith("Let me try again", tiles[1].GetAttribute("title"));
        Assert.EndsWith("So the answer is $\\boxed{5}$.", tiles[0].GetAttribute("title"));
    }

    [Fact]
    public void Tiles_follow_the_run_and_only_the_changed_ones_render_again()
    {
        var events = new Events().Start(48);
        var overview = Ctx.Render<RunOverview>(p => p.Add(o => o.Candidates, events.View.Snapshot().Candidates));
        Assert.All(overview.FindAll("[data-testid=tile]"), t => Assert.Equal(["Waiting"], Kinds(t)));
        var before = overview.FindComponents<OverviewTile>().Select(t => t.RenderCount).ToArray();

        events.Solve(7, "12").Vote(("12", [7]));
        var run = events.View.Snapshot();
        overview.Render(p => p.Add(o => o.Candidates, run.Candidates).Add(o => o.Tally, run.Tally));

        var tiles = overview.FindAll("[data-testid=tile]");
        Assert.Equal(["Output", "Text", "Answered"], Kinds(tiles[7]));
        Assert.Equal("Answered", tiles[7].GetAttribute("data-status"));
        var after = overview.FindComponents<OverviewTile>().Select(t => t.RenderCount).ToArray();
        Assert.Equal([7], Enumerable.Range(0, 48).Where(i => after[i] != before[i]));

        // Picking an answer in the histogram dims the other tiles rather than hiding them.
        overview.Render(p => p.Add(o => o.Filter, "12"));
        Assert.Equal(48, overview.FindAll("[data-testid=tile]").Count);
        Assert.Equal(47, overview.FindAll(".tile.dimmed").Count);
    }
}
