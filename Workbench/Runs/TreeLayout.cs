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

/// <summary>An edge from parent to child; a restart's edge from the prompt is drawn dashed, a branch's from its source dotted.</summary>
public sealed record TreeEdge(string From, string To, bool Restart, bool Majority)
{
    public bool Branch { get; init; }
}

/// <summary>
/// The run as a tree: the prompt at the root; each attempt of each candidate a branch from it (a restart is a new branch
/// from the root, as the engine forks the kept prompt again); each round a level, with its code and output as nodes;
/// answers at the leaves. Levels are rounds, so a branch that restarted late starts deep — the rounds it spent show.
/// A researcher's branch grows from the node of its source where it was cut (placed beside its source); in a run of
/// branches the inherited part is drawn once, as a trunk under the root. Pure layout: the component only draws it.
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
        var blockNodes = new Dictionary<(int Candidate, int Attempt), List<string>>(); // a node id per block, for branches to grow from
        var folded = new Dictionary<int, string>();
        string? trunk = null; // a run of branches: the inherited part, drawn once
        int column = 0, levels = 1;
        foreach (var c in InBranchOrder(candidates))
        {
            bool majority = tally.Winner is { } w && c.Answer == w;
            string root = RootOf(c);
            if (collapsed?.Contains(c.Index) == true)
            {
                var node = new TreeNode($"c{c.Index}", TreeNodeKind.Collapsed, c.Index, -1, null, column++, Math.Max(1, LevelOf(root) + 1),
                    $"#{c.Index}: {c.StatusText} ({c.Attempts.Count} attempt(s), {c.GeneratedTokens} tok) — click to expand") { Answer = c.Answer, Majority = majority };
                nodes.Add(node);
                edges.Add(new TreeEdge(root, node.Id, false, majority) { Branch = c.Branch is not null && root != "prompt" });
                folded[c.Index] = node.Id;
                continue;
            }
            if (c.Attempts.Count == 0)
            {
                var leaf = new TreeNode($"c{c.Index}", c.IsLive ? TreeNodeKind.Live : Leaf(c), c.Index, 0, null, column++, Math.Max(1, LevelOf(root) + 1), $"#{c.Index}: {c.StatusText}") { Answer = c.Answer, Majority = majority };
                nodes.Add(leaf);
                edges.Add(new TreeEdge(root, leaf.Id, false, majority) { Branch = c.Branch is not null && root != "prompt" });
                continue;
            }
            foreach (var attempt in c.Attempts)
            {
                string parent = root;
                bool current = ReferenceEquals(attempt, c.Current);
                bool onMajority = majority && current; // a given-up attempt did not vote
                int lastLevel = LevelOf(root);
                var ids = blockNodes[(c.Index, attempt.Number)] = [];
                foreach (var round in attempt.Blocks.GroupBy(b => b.Round))
                {
                    int tokens = round.Sum(b => b.Probabilities.Length);
                    foreach (var block in round)
                    {
                        if (block.Inherited)
                        {
                            ids.Add(parent); // drawn where it came from
                            continue;
                        }
                        var node = Node(c.Index, attempt.Number, round.Key, block, tokens, column, nodes.Count) with { Majority = onMajority };
                        nodes.Add(node);
                        edges.Add(new TreeEdge(parent, node.Id, parent == "prompt" && attempt.Number > 0, onMajority) { Branch = parent == root && c.Branch is not null && root != "prompt" });
                        ids.Add(node.Id);
                        (parent, lastLevel) = (node.Id, node.Level);
                    }
                }
                var (leafKind, leafTitle) = !current
                    ? (TreeNodeKind.Restart, $"#{c.Index} attempt {attempt.Number}: restarted — {(attempt.RestartReason is { } r ? RunView.Describe(r) : "")}")
                    : c.IsLive ? (TreeNodeKind.Live, $"#{c.Index}: {c.StatusText}") : (Leaf(c), $"#{c.Index}: {c.StatusText}");
                if (c.Branch is { } origin && current) leafTitle += $" ({origin.Describe()})";
                var end = new TreeNode($"c{c.Index}a{attempt.Number}end", leafKind, c.Index, attempt.Number, null, column++, lastLevel + 1, leafTitle)
                {
                    Answer = current ? c.Answer : null, Majority = onMajority,
                };
                nodes.Add(end);
                edges.Add(new TreeEdge(parent, end.Id, parent == "prompt" && attempt.Number > 0, onMajority) { Branch = parent == root && c.Branch is not null && root != "prompt" });
                levels = Math.Max(levels, end.Level + 1);
            }
        }
        // The root sits above the middle of its branches.
        nodes[0] = nodes[0] with { Column = Math.Max(0, (column - 1) / 2) };
        return new TreeLayout { Nodes = nodes, Edges = edges, Columns = Math.Max(1, column), Levels = levels };

        int LevelOf(string id) => id == "prompt" ? 0 : nodes.First(n => n.Id == id).Level;

        // Where a candidate's own nodes hang: the prompt; for a branch, its source's node at the point (or the trunk).
        string RootOf(CandidateSnapshot c)
        {
            if (c.Branch is not { } origin) return "prompt";
            if (origin.SourceRunId is not null)
            {
                if (trunk is null)
                {
                    string parent = "prompt";
                    var inherited = c.Attempts.FirstOrDefault()?.Blocks.Where(b => b.Inherited).ToList() ?? [];
                    foreach (var block in inherited)
                    {
                        var node = Node(-1, 0, block.Round, block, 0, Math.Max(0, candidates.Count / 2), nodes.Count) with
                        {
                            Title = $"inherited from run {origin.SourceRunId}, candidate #{origin.From.Candidate}: round {block.Round}",
                        };
                        nodes.Add(node);
                        edges.Add(new TreeEdge(parent, node.Id, false, false));
                        parent = node.Id;
                    }
                    trunk = parent;
                }
                return trunk;
            }
            if (folded.TryGetValue(origin.From.Candidate, out var fold)) return fold;
            if (!blockNodes.TryGetValue((origin.From.Candidate, origin.From.Attempt), out var ids) || ids.Count == 0) return "prompt";
            return ids[Math.Clamp(origin.InheritedBlocks - 1, 0, ids.Count - 1)];
        }
    }

    private static TreeNode Node(int candidate, int attempt, int round, BlockSnapshot block, int tokens, int column, int serial)
    {
        var (kind, output) = block.Kind switch
        {
            BlockKind.Output => (TreeNodeKind.Output, true),
            BlockKind.Traceback => (TreeNodeKind.Traceback, true),
            _ => (ModelPart.Split(block.Text, block.Complete).Any(p => p.IsCode) ? TreeNodeKind.Code : TreeNodeKind.Text, false),
        };
        var title = output
            ? $"#{candidate} round {round}: {(kind == TreeNodeKind.Traceback ? "traceback" : "output")} — {Short(DisplayText.OutputBody(block.Text))}"
            : $"#{candidate} round {round}: {(kind == TreeNodeKind.Code ? "code" : "text")}, {tokens} tok — {Short(LastCode(block.Text) ?? block.Text)}";
        return new TreeNode($"c{candidate}a{attempt}r{round}{(output ? "o" : "m")}{serial}", kind, candidate, attempt, round, column, LevelOf(round, output), title);
    }

    /// <summary>Candidates in index order, each branch made inside the run right after its source (and its source's branches).</summary>
    private static IEnumerable<CandidateSnapshot> InBranchOrder(IReadOnlyList<CandidateSnapshot> candidates)
    {
        var byIndex = candidates.ToDictionary(c => c.Index);
        var children = candidates.Where(c => c.Branch is { SourceRunId: null } b && byIndex.ContainsKey(b.From.Candidate) && b.From.Candidate != c.Index)
            .ToLookup(c => c.Branch!.From.Candidate);
        var placed = new HashSet<int>();
        var order = new List<CandidateSnapshot>();
        void Visit(CandidateSnapshot c)
        {
            if (!placed.Add(c.Index)) return;
            order.Add(c);
            foreach (var child in children[c.Index]) Visit(child);
        }
        foreach (var c in candidates.Where(c => c.Branch is not { SourceRunId: null } b || !byIndex.ContainsKey(b.From.Candidate))) Visit(c);
        foreach (var c in candidates) Visit(c); // a cycle cannot happen; anything left over keeps its place
        return order;
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
