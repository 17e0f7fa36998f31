using Numina.Engine.Candidates;
using Numina.Engine.Execution;

namespace Numina.Workbench.Runs;

/// <summary>What a cell of an overview tile shows: one round of a candidate, a restart between attempts, or how it ended.</summary>
public enum TileCellKind
{
    /// <summary>Not started yet (waiting for a place).</summary>
    Waiting,
    /// <summary>The model is writing this round.</summary>
    Decoding,
    /// <summary>This round's code block is running.</summary>
    Executing,
    /// <summary>This round's code ran and its output was appended.</summary>
    Output,
    /// <summary>This round's code raised or crashed: a traceback was appended.</summary>
    Traceback,
    /// <summary>A round of prose only (the round that answered, or one that ended the attempt).</summary>
    Text,
    /// <summary>The attempt was given up and a new one started from the prompt.</summary>
    Restart,
    Answered,
    Pruned,
    /// <summary>Ended without a valid vote: unanswered, failed or cancelled.</summary>
    Unanswered,
}

public sealed record TileCell(TileCellKind Kind, int? Round, string Title);

/// <summary>
/// A candidate as one compact row of cells for the run overview (a cell per round, a mark per restart, and its end), so
/// 64 candidates' states fit one screen. Built from the snapshot alone: a live run and a replay give the same tiles.
/// </summary>
public static class TileCells
{
    public static IReadOnlyList<TileCell> For(CandidateSnapshot c)
    {
        var cells = new List<TileCell>();
        if (c.Attempts.Count == 0 && c.IsLive) return [new TileCell(TileCellKind.Waiting, null, "waiting for a place")];
        foreach (var attempt in c.Attempts)
        {
            if (attempt.Number > 0) cells.Add(new TileCell(TileCellKind.Restart, null, $"restart {attempt.Number} from the prompt"));
            var rounds = attempt.Blocks.GroupBy(b => b.Round).ToList();
            for (int i = 0; i < rounds.Count; i++)
            {
                var round = rounds[i];
                bool lastOfCandidate = ReferenceEquals(attempt, c.Current) && i == rounds.Count - 1;
                cells.Add(Round(round.Key, [.. round], lastOfCandidate ? c.Status : null));
            }
            if (attempt.RestartReason is { } why)
                cells[^1] = cells[^1] with { Title = cells[^1].Title + $"; restarted: {RunView.Describe(why)}" };
        }
        var end = c.Status switch
        {
            CandidateStatus.Answered when c.Answer is not null => new TileCell(TileCellKind.Answered, null, $"answered {c.Answer}"),
            CandidateStatus.Pruned => new TileCell(TileCellKind.Pruned, null, c.StatusText),
            CandidateStatus.Answered or CandidateStatus.Unanswered or CandidateStatus.Failed or CandidateStatus.Cancelled => new TileCell(TileCellKind.Unanswered, null, c.StatusText),
            _ => null,
        };
        if (end is not null) cells.Add(end);
        return cells;
    }

    private static TileCell Round(int round, IReadOnlyList<BlockSnapshot> blocks, CandidateStatus? liveStatus)
    {
        int tokens = blocks.Sum(b => b.Probabilities.Length);
        if (blocks.LastOrDefault(b => b.Kind != BlockKind.Model) is { } tool)
        {
            bool failed = tool.Kind == BlockKind.Traceback;
            string outcome = tool.Outcome is { } o and not CellOutcome.Success ? o.ToString().ToLowerInvariant() : failed ? "error" : "ok";
            return new TileCell(failed ? TileCellKind.Traceback : TileCellKind.Output, round, $"round {round}: {tokens} tok, code ran ({outcome}, {tool.Seconds:0.00} s)");
        }
        return liveStatus switch
        {
            CandidateStatus.Executing => new TileCell(TileCellKind.Executing, round, $"round {round}: {tokens} tok, code running"),
            CandidateStatus.Decoding when !blocks[^1].Complete => new TileCell(TileCellKind.Decoding, round, $"round {round}: writing ({tokens} tok)"),
            _ => new TileCell(TileCellKind.Text, round, $"round {round}: {tokens} tok"),
        };
    }

    /// <summary>The last line the candidate wrote (or was given), for a tile's hover text.</summary>
    public static string LastLine(CandidateSnapshot c, int max = 160)
    {
        if (c.Current is not { } attempt) return "not started";
        for (int b = attempt.Blocks.Count - 1; b >= 0; b--)
        {
            var lines = attempt.Blocks[b].Text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var line = lines.LastOrDefault(l => !l.StartsWith("```", StringComparison.Ordinal));
            if (line is not null) return line.Length <= max ? line : line[..(max - 1)] + "…";
        }
        return "";
    }
}
