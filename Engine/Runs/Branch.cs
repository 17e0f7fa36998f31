using Numina.Engine.Candidates;
using Numina.Engine.Presets;

namespace Numina.Engine.Runs;

/// <summary>
/// Where a researcher branches a candidate: a point in one of its attempts, given as how many characters of that
/// attempt's transcript (after the prompt) the branch keeps — a token, the end of a code cell (just before its
/// output), or the end of an output. Optionally the cell's code edited, another temperature or another seed.
/// </summary>
public sealed record BranchPoint
{
    public required int Candidate { get; init; }
    public int Attempt { get; init; }
    /// <summary>Characters of the attempt's transcript kept (a point inside an output keeps the whole output).</summary>
    public required int Offset { get; init; }
    /// <summary>Replaces the code of the cell that ends at the point; the branch runs it first. Null: as written.</summary>
    public string? Code { get; init; }
    /// <summary>The branch's own temperature (steering the run's temperature later leaves it as chosen). Null: the run's.</summary>
    public double? Temperature { get; init; }
    /// <summary>The branch's own attempt seed. Null: derived from the run's seed and the branch's index, like any candidate's.</summary>
    public ulong? Seed { get; init; }
}

/// <summary>
/// A branch as the loop starts it: the segments it inherits (the source's transcript up to the point, the edited code in
/// place), the round its own work begins in, and whether that work starts by running the cell at the point.
/// </summary>
public sealed record BranchStart
{
    public required BranchPoint Point { get; init; }
    /// <summary>The run the source candidate belongs to when the branch is a new run; null inside the same run.</summary>
    public string? SourceRunId { get; init; }
    public required IReadOnlyList<Segment> Segments { get; init; }
    /// <summary>The round of the point: the cell's round when <see cref="RunsCode"/>, else the round the branch writes first.</summary>
    public required int Round { get; init; }
    /// <summary>The branch begins by running <see cref="Code"/> (the cell at the point, edited or not) and appending its output.</summary>
    public bool RunsCode { get; init; }
    public string? Code { get; init; }
    /// <summary>Inherited cells that ran: in Jupyter mode they run again, silently, so the namespace is the one the point saw.</summary>
    public IReadOnlyList<string> EarlierCells { get; init; } = [];
    /// <summary>The first round the branch's model writes.</summary>
    [System.Text.Json.Serialization.JsonIgnore] public int FirstWrittenRound => RunsCode ? Round + 1 : Round;
    [System.Text.Json.Serialization.JsonIgnore] public int InheritedExecutions => Segments.Count(s => s.Kind is SegmentKind.Output or SegmentKind.Traceback);

    /// <summary>Cuts the source candidate's attempt at the point; throws <see cref="ArgumentException"/> with a message to show.</summary>
    public static BranchStart From(Candidate source, BranchPoint point, Preset preset, string? sourceRunId = null)
    {
        if (point.Attempt < 0 || point.Attempt >= source.Attempts.Count)
            throw new ArgumentException($"Candidate {source.Index} has no attempt {point.Attempt}.");
        var attempt = source.Attempts[point.Attempt];
        int length = attempt.Segments.Sum(s => s.Text.Length);
        if (point.Offset < 0 || point.Offset > length)
            throw new ArgumentException($"The branch point {point.Offset} is outside candidate {source.Index}'s attempt {point.Attempt} (0 to {length} characters).");

        var kept = new List<Segment>();
        Segment? next = null;
        int at = 0;
        foreach (var s in attempt.Segments)
        {
            int end = at + s.Text.Length;
            if (end <= point.Offset || (at < point.Offset && s.Kind is SegmentKind.Output or SegmentKind.Traceback))
            {
                kept.Add(s); // whole (an output is never cut: the point moves to its end)
                at = end;
                continue;
            }
            if (at < point.Offset) // the point falls inside what the model wrote
            {
                kept.Add(s with { Text = s.Text[..(point.Offset - at)] });
                at = point.Offset;
            }
            next = s;
            break;
        }

        int round = kept.Count > 0 ? kept[^1].Round : attempt.FirstRound;
        bool afterOutput = kept.Count > 0 && kept[^1].Kind is SegmentKind.Output or SegmentKind.Traceback;
        bool beforeOutput = next is { Kind: SegmentKind.Output or SegmentKind.Traceback }; // the loop stops at one only when the point is its start
        if (afterOutput && point.Code is null)
            return new BranchStart { Point = point, SourceRunId = sourceRunId, Segments = kept, Round = round + 1, EarlierCells = Ran(kept, preset) };
        if (!beforeOutput && point.Code is null)
            return new BranchStart { Point = point, SourceRunId = sourceRunId, Segments = kept, Round = round, EarlierCells = Ran(kept, preset) };

        // The point is a code cell (just before its output): the branch runs it, edited or not.
        int cell = kept.FindLastIndex(s => s.Kind == SegmentKind.Code);
        if (!beforeOutput || cell < 0 || kept[cell].Round != round)
            throw new ArgumentException("Edited code needs a branch point at a code cell that ran (the end of its round, before its output).");
        var code = point.Code is { } edited ? edited.Trim('\n', '\r') : CodeOf(kept[cell].Text, preset);
        if (point.Code is not null)
        {
            if (string.IsNullOrWhiteSpace(code)) throw new ArgumentException("The edited code is empty.");
            kept[cell] = kept[cell] with { Text = $"{preset.CodeOpen}\n{code}\n{preset.CodeClose}" };
        }
        return new BranchStart
        {
            Point = point, SourceRunId = sourceRunId, Segments = kept, Round = round, RunsCode = true, Code = code,
            EarlierCells = Ran(kept[..cell], preset),
        };
    }

    /// <summary>The code of cells that ran (a code segment with an output after it in its round).</summary>
    private static List<string> Ran(List<Segment> segments, Preset preset)
    {
        var cells = new List<string>();
        for (int i = 0; i < segments.Count; i++)
            if (segments[i].Kind == SegmentKind.Code &&
                segments.Skip(i + 1).TakeWhile(s => s.Round == segments[i].Round).Any(s => s.Kind is SegmentKind.Output or SegmentKind.Traceback))
                cells.Add(CodeOf(segments[i].Text, preset));
        return cells;
    }

    // A code segment holds one whole block: the last block's content, as check 5 reads it.
    private static string CodeOf(string block, Preset preset) => CodeBlocks.Last(block, preset) ?? block.Trim();
}
