using Numina.Engine.Answers;
using Numina.Engine.Candidates;
using Numina.Workbench.Rendering;

namespace Numina.Workbench.Runs;

public enum TreeNodeKind
{
    /// <summary>The root: the prompt every attempt forks from.</summary>
    Prompt,
    /// <summary>A round the model wrote without code.</summary>
    Text,
    /// <summary>A round that ended in a code block.</summary>
    Code,
    Output,
    Traceback,
    /// <summary>The end of an attempt that was given up: its candidate starts again from the prompt.</summary>
    Restart,
    /// <summary>A leaf with a valid vote.</summary>
    Answer,
    Pruned,
    /// <summary>A leaf without a vote: unanswered, failed, cancelled.</summary>
    NoVote,
    /// <summary>The tip of an attempt still being written.</summary>
    Live,
    /// <summary>A collapsed candidate: its whole history as one node.</summary>
    Collapsed,
}

/// <summary>A node of the run tree, placed on a grid: a column per attempt (a leaf each), a level per step down.</summary>
public sealed record TreeNode(string Id, TreeNodeKind Kind, int Candidate, int Attempt, int? Round, int Column, int Level, string Title)
{
    public string? Answer { get; init; }
    /// <summary>The candidate voted for the winner: its branch is highlighted.</summary>
    public bool Majority { get; init; }
}

/// <summary>An edge from parent to child; a restart's edge from the prompt is drawn dashed.</summary>
public sealed record TreeEdge(string From, string To, bool Restart, bool Majority);

/// <summary>
/// The run as a tree: the prompt at the root; each attempt of each candidate a branch from it (a restart is a new branch
/// from the root, as the engine forks the kept prompt again); each round a level, with its code and output as nodes;
/// answers at the leaves. Levels are rounds, so a branch that restarted late starts deep — the rounds it spent show.
/// Pure layout: the component only draws it.
/// </summary>
public sealed class TreeLayout
{
    public required IReadOnlyList<TreeNode> Nodes { get; init; }
    public required IReadOnlyList<TreeEdge> Edges { get; init; }
    public int Columns { get; init; }
    public int Levels { get; init; }

    /// <summary>Two levels per round (the model's turn, then its output) and one for the leaf.</summary>
    public static int LevelOf(int round, bool output) => 2 * (round - 1) + (output ? 2 : 1);

    public static TreeLayout Build(IReadOnlyList<CandidateSnapshot> candidates, VoteTally tally, IReadOnlySet<int>? collapsed = null)
    {
        var nodes = new List<TreeNode> { new("prompt", TreeNodeKind.Prompt, -1, -1, null, 0, 0, "the prompt") };
        var edges = new List<TreeEdge>();
        int column = 0, levels = 1;
        foreach (var c in candidates)
        {
            bool majority = tally.Winner is { } w && c.Answer == w;
            if (collapsed?.Contains(c.Index) == true)
            {
                var node = new TreeNode($"c{c.Index}", TreeNodeKind.Collapsed, c.Index, -1, null, column++, 1,
                    $"#{c.Index}: {c.StatusText} ({c.Attempts.Count} attempt(s), {c.GeneratedTokens} tok) — click to expand") { Answer = c.Answer, Majority = majority };
                nodes.Add(node);
                edges.Add(new TreeEdge("prompt", node.Id, false, majority));
                continue;
            }
            if (c.Attempts.Count == 0)
            {
                var leaf = new TreeNode($"c{c.Index}", c.IsLive ? TreeNodeKind.Live : Leaf(c), c.Index, 0, null, column++, 1, $"#{c.Index}: {c.StatusText}") { Answer = c.Answer, Majority = majority };
                nodes.Add(leaf);
                edges.Add(new TreeEdge("prompt", leaf.Id, false, majority));
                continue;
            }
            foreach (var attempt in c.Attempts)
            {
                string parent = "prompt";
                bool current = ReferenceEquals(attempt, c.Current);
                bool onMajority = majority && current; // a given-up attempt did not vote
                int lastLevel = 0;
                foreach (var round in attempt.Blocks.GroupBy(b => b.Round))
                {
                    int tokens = round.Sum(b => b.Probabilities.Length);
                    foreach (var block in round)
                    {
                        var (kind, output) = block.Kind switch
                        {
                            BlockKind.Output => (TreeNodeKind.Output, true),
                            BlockKind.Traceback => (TreeNodeKind.Traceback, true),
                            _ => (ModelPart.Split(block.Text, block.Complete).Any(p => p.IsCode) ? TreeNodeKind.Code : TreeNodeKind.Text, false),
                        };
                        var title = output
                            ? $"#{c.Index} round {round.Key}: {(kind == TreeNodeKind.Traceback ? "traceback" : "output")} — {Short(DisplayText.OutputBody(block.Text))}"
                            : $"#{c.Index} round {round.Key}: {(kind == TreeNodeKind.Code ? "code" : "text")}, {tokens} tok — {Short(LastCode(block.Text) ?? block.Text)}";
                        var node = new TreeNode($"c{c.Index}a{attempt.Number}r{round.Key}{(output ? "o" : "m")}{nodes.Count}", kind, c.Index, attempt.Number, round.Key,
                            column, LevelOf(round.Key, output), title) { Majority = onMajority };
                        nodes.Add(node);
                        edges.Add(new TreeEdge(parent, node.Id, parent == "prompt" && attempt.Number > 0, onMajority));
                        (parent, lastLevel) = (node.Id, node.Level);
                    }
                }
                var (leafKind, leafTitle) = !current
                    ? (TreeNodeKind.Restart, $"#{c.Index} attempt {attempt.Number}: restarted — {(attempt.RestartReason is { } r ? RunView.Describe(r) : "")}")
                    : c.IsLive ? (TreeNodeKind.Live, $"#{c.Index}: {c.StatusText}") : (Leaf(c), $"#{c.Index}: {c.StatusText}");
                var end = new TreeNode($"c{c.Index}a{attempt.Number}end", leafKind, c.Index, attempt.Number, null, column++, lastLevel + 1, leafTitle)
                {
                    Answer = current ? c.Answer : null, Majority = onMajority,
                };
                nodes.Add(end);
                edges.Add(new TreeEdge(parent, end.Id, parent == "prompt" && attempt.Number > 0, onMajority));
                levels = Math.Max(levels, end.Level + 1);
            }
        }
        // The root sits above the middle of its branches.
        nodes[0] = nodes[0] with { Column = Math.Max(0, (column - 1) / 2) };
        return new TreeLayout { Nodes = nodes, Edges = edges, Columns = Math.Max(1, column), Levels = levels };
    }

    private static TreeNodeKind Leaf(CandidateSnapshot c) => c.Status switch
    {
        CandidateStatus.Answered when c.Answer is not null => TreeNodeKind.Answer,
        CandidateStatus.Pruned => TreeNodeKind.Pruned,
        _ => TreeNodeKind.NoVote,
    };

    private static string? LastCode(string text) => ModelPart.Split(text, true).LastOrDefault(p => p.IsCode)?.Code();

    private static string Short(string text)
    {
        var line = string.Join(" ⏎ ", text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
        return line.Length <= 140 ? line : line[..139] + "…";
    }
}
