using Numina.Engine.Candidates;
using Numina.Engine.Events;
using Numina.Engine.Execution;
using Numina.Engine.Models;
using Numina.Engine.Runs;
using Numina.Workbench.Components.Runs;
using Numina.Workbench.Runs;

namespace Numina.Components.Tests;

/// <summary>The run tree: prompt at the root, a branch per attempt (restarts branch from the root), a level per round.</summary>
public sealed class TreeTests : MudTestContext
{
    /// <summary>0 answers 5 in two rounds; 1 writes prose, restarts, then answers 7 in rounds 2-3; 2 is pruned in round 1.</summary>
    private static Events RunWithARestart()
    {
        var events = new Events().Start(3).Solve(0, "5");
        events.Add(new TextDelta(1, 0, 1, "I think it is 5.", [0.4f]));
        events.Add(new RoundFinished(1, 0, 1, StopReason.EndOfSequence, 1));
        events.Add(new CandidateRestarted(1, 1, 1, DecisionReason.NoCodeBlock));
        events.Add(new TextDelta(1, 1, 2, "```python\nprint(7)\n```\n```output\n", [0.9f]));
        events.Add(new RoundFinished(1, 1, 2, StopReason.StopString, 1));
        events.Add(new OutputReceived(1, 1, 2, CellOutcome.Success, "7\n```", 0.01, 2));
        events.Add(new TextDelta(1, 1, 3, "\\boxed{7}", [0.9f]));
        events.Add(new RoundFinished(1, 1, 3, StopReason.EndOfSequence, 1));
        events.Add(new CandidateAnswered(1, 3, "7", "7", "7"));
        events.Add(new TextDelta(2, 0, 1, "It is \\boxed{4}.", [0.9f]));
        events.Add(new RoundFinished(2, 0, 1, StopReason.EndOfSequence, 1));
        events.Add(new CandidatePruned(2, 1, PruneReason.AnswerWithoutExecutedCode));
        return events.Vote(("5", [0]), ("7", [1]));
    }

    [Fact]
    public void The_layout_has_a_node_per_round_step_a_branch_per_attempt_and_restarts_branch_from_the_root()
    {
        var run = RunWithARestart().View.Snapshot();
        var tree = TreeLayout.Build(run.Candidates, run.Tally);

        // Root; #0: code, output, text, answer; #1: text, restart | code, output, text, answer; #2: text, pruned.
        Assert.Equal(13, tree.Nodes.Count);
        Assert.Equal(12, tree.Edges.Count); // a tree: every node but the root has one parent
        Assert.Equal(tree.Nodes.Skip(1).Select(n => n.Id).Order(), tree.Edges.Select(e => e.To).Order());
        Assert.Equal(4, tree.Columns); // a leaf per attempt
        Assert.Equal([0, 1, 1, 2], tree.Edges.Where(e => e.From == "prompt").Select(e => tree.Nodes.Single(n => n.Id == e.To).Candidate));
        var restart = Assert.Single(tree.Edges, e => e.Restart);
        Assert.Equal((1, 1), tree.Nodes.Single(n => n.Id == restart.To) is var first ? (first.Candidate, first.Attempt) : default);
        Assert.Equal(TreeNodeKind.Code, tree.Nodes.Single(n => n.Id == restart.To).Kind);

        var kinds = tree.Nodes.GroupBy(n => n.Kind).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal((2, 2, 4, 1, 2, 1), (kinds[TreeNodeKind.Code], kinds[TreeNodeKind.Output], kinds[TreeNodeKind.Text], kinds[TreeNodeKind.Restart],
            kinds[TreeNodeKind.Answer], kinds[TreeNodeKind.Pruned]));

        // Levels are rounds: #1's second attempt starts at round 2, below #0's first round.
        var second = tree.Nodes.Where(n => n.Candidate == 1 && n.Attempt == 1).ToList();
        Assert.Equal([3, 4, 5, 6], second.Select(n => n.Level));
        Assert.Equal(7, tree.Levels);

        // The majority (5) is #0's branch, all four of its edges; #1's given-up attempt is not on it.
        Assert.Equal(4, tree.Edges.Count(e => e.Majority));
        Assert.All(tree.Nodes.Where(n => n.Majority), n => Assert.Equal(0, n.Candidate));
        Assert.Equal(["5", "7"], tree.Nodes.Where(n => n.Kind == TreeNodeKind.Answer).Select(n => n.Answer));

        // Collapsing #1 folds its two branches into one node.
        var folded = TreeLayout.Build(run.Candidates, run.Tally, new HashSet<int> { 1 });
        Assert.Equal(8, folded.Nodes.Count);
        Assert.Equal(3, folded.Columns);
        Assert.Equal("7", Assert.Single(folded.Nodes, n => n.Kind == TreeNodeKind.Collapsed).Answer);
    }

    [Fact]
    public void The_drawn_tree_shows_the_layout_zooms_and_folds_a_candidate_by_its_tip()
    {
        var run = RunWithARestart().View.Snapshot();
        var cut = Ctx.Render<CandidateTree>(p => p.Add(c => c.Candidates, run.Candidates).Add(c => c.Tally, run.Tally).Add(c => c.PromptTokens, 20));

        Assert.Equal(13, cut.FindAll("[data-testid=tree-node]").Count);
        Assert.Equal(12, cut.FindAll("[data-testid=tree-edge]").Count);
        Assert.Equal(4, cut.FindAll("line.majority").Count);
        Assert.Single(cut.FindAll("line.restart"));
        Assert.Equal("prompt · 20 tok", cut.Find("[data-kind=Prompt] text").TextContent);
        Assert.Contains("restarted — no code block (check 1)", cut.Find("[data-kind=Restart] title").TextContent);

        var width = cut.Find("[data-testid=tree-svg]").GetAttribute("width");
        cut.Find("[data-testid=tree-zoom-in] button, button[data-testid=tree-zoom-in]").Click();
        Assert.Equal("125%", cut.Find("[data-testid=tree-zoom]").TextContent.Replace(" ", ""));
        Assert.NotEqual(width, cut.Find("[data-testid=tree-svg]").GetAttribute("width"));

        cut.FindAll("[data-kind=Pruned]")[0].Click(); // #2's tip
        Assert.Equal(12, cut.FindAll("[data-testid=tree-node]").Count);
        Assert.Single(cut.FindAll("[data-kind=Collapsed]"));
        cut.Find("[data-kind=Collapsed]").Click();
        Assert.Equal(13, cut.FindAll("[data-testid=tree-node]").Count);

        cut.Find("button[data-testid=tree-collapse-all]").Click();
        Assert.Equal(4, cut.FindAll("[data-testid=tree-node]").Count); // root + a node per candidate
    }

    [Fact]
    public void A_branch_grows_from_its_sources_cell_beside_it_and_its_card_marks_what_it_inherited()
    {
        var events = RunWithARestart();
        var point = new BranchPoint { Candidate = 0, Offset = "Let me compute.\n```python\nprint(2 + 3)\n```\n```output\n".Length, Code = "print(2 * 3)" };
        events.Add(new BranchStarted(3, 0, point, null,
        [
            new Segment(SegmentKind.Text, "Let me compute.\n", 1), new Segment(SegmentKind.Code, "```python\nprint(2 * 3)\n```", 1), new Segment(SegmentKind.Text, "\n```output\n", 1),
        ]));
        events.Add(new CodeSubmitted(3, 0, 1, "print(2 * 3)"));
        events.Add(new OutputReceived(3, 0, 1, CellOutcome.Success, "6\n```", 0.01, 2));
        events.Add(new TextDelta(3, 0, 2, "\nSo \\boxed{6}.", [0.9f]));
        events.Add(new RoundFinished(3, 0, 2, StopReason.EndOfSequence, 1));
        events.Add(new CandidateAnswered(3, 2, "6", "6", "6"));
        events.Vote(("5", [0]), ("7", [1]), ("6", [3]));
        var run = events.View.Snapshot();

        var tree = TreeLayout.Build(run.Candidates, run.Tally);
        Assert.Equal(16, tree.Nodes.Count); // 13 as before, and the branch's own output, text and answer
        Assert.Equal(15, tree.Edges.Count);
        var branchEdge = Assert.Single(tree.Edges, e => e.Branch);
        var from = tree.Nodes.Single(n => n.Id == branchEdge.From);
        var to = tree.Nodes.Single(n => n.Id == branchEdge.To);
        Assert.Equal((0, TreeNodeKind.Code, 1), (from.Candidate, from.Kind, from.Round)); // cut at #0's cell
        Assert.Equal((3, TreeNodeKind.Output), (to.Candidate, to.Kind));
        Assert.Equal(1, tree.Nodes.Single(n => n.Kind == TreeNodeKind.Answer && n.Candidate == 3).Column); // beside its source
        Assert.Equal(5, tree.Columns);

        var card = Ctx.Render<CandidateCard>(p => p.Add(c => c.Candidate, run.Candidates[3]));
        Assert.Contains("branch of #0, code edited", card.Find("[data-testid=branch-chip]").TextContent);
        Assert.Contains("its own writing from here", card.Find("[data-testid=branch-mark]").TextContent);
        Assert.Contains("print(2 * 3)", card.Find("pre.code.inherited").TextContent);
        Assert.Empty(card.FindAll("pre.output.inherited"));
        Assert.Equal("6", card.Find("pre.output").TextContent);

        var overview = Ctx.Render<RunOverview>(p => p.Add(o => o.Candidates, run.Candidates).Add(o => o.Tally, run.Tally));
        Assert.Equal("0", overview.Find("[data-candidate='3'] [data-testid=tile-branch]").TextContent);
        Assert.Equal(["Output", "Text", "Answered"], overview.Find("[data-candidate='3']").QuerySelectorAll(".cell").Select(c => c.GetAttribute("data-kind")));
    }
}
