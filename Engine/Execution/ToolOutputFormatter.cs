using Numina.Engine.Presets;

namespace Numina.Engine.Execution;

/// <summary>What the model sees after its code ran: the result as the preset words it, capped, inside the output block.</summary>
public static class ToolOutputFormatter
{
    /// <summary>The exact text appended to the candidate's transcript.</summary>
    public static string Format(CellResult result, Preset preset) =>
        preset.OutputFormat.Replace("{output}", Cap(Result(result, preset), preset), StringComparison.Ordinal);

    /// <summary>The result before capping: stdout, or the error as the preset shows it, or the timeout/refusal text.</summary>
    public static string Result(CellResult result, Preset preset) => result.Outcome switch
    {
        CellOutcome.Success => SuccessText(result),
        CellOutcome.TimedOut => preset.RenderTimeoutMessage(),
        CellOutcome.Refused => $"{result.RefusedWord} is not allowed",
        CellOutcome.Error => ErrorText(result.Traceback ?? result.Stderr, result.ScriptName, preset.ErrorFormat),
        // A process that died shows what it wrote on stderr, as the reference's python3 would (usually nothing); other
        // formats say how it ended.
        CellOutcome.Crashed => ErrorText(preset.ErrorFormat == ErrorFormat.FilteredTraceback ? result.Stderr : result.Traceback ?? result.Stderr, result.ScriptName, preset.ErrorFormat),
        _ => throw new ArgumentOutOfRangeException(nameof(result)),
    };

    private static string SuccessText(CellResult r) =>
        (r.Value is null ? r.Stdout : r.Stdout + (r.Stdout.Length == 0 || r.Stdout.EndsWith('\n') ? "" : "\n") + r.Value).Trim();

    public static string ErrorText(string traceback, string scriptName, ErrorFormat format)
    {
        var text = traceback.Trim();
        return format switch
        {
            ErrorFormat.FullTraceback => text,
            ErrorFormat.LastLine => text.Split('\n')[^1].Trim(),
            ErrorFormat.FilteredTraceback => NuminaFilter(text, scriptName),
            _ => throw new ArgumentOutOfRangeException(nameof(format)),
        };
    }

    /// <summary>
    /// Numina's filtered traceback: lines containing "Traceback"; the last line; each line naming the script, cut where
    /// the script's path begins, and the line after it. Everything else (other files' frames, caret lines) is dropped.
    /// </summary>
    public static string NuminaFilter(string traceback, string scriptName)
    {
        var lines = traceback.Split('\n');
        var kept = new List<string>();
        bool wantNext = false;
        foreach (var line in lines)
        {
            int at = scriptName.Length > 0 ? line.IndexOf(scriptName, StringComparison.Ordinal) : -1;
            if (line.Contains("Traceback", StringComparison.Ordinal)) kept.Add(line);
            else if (line == lines[^1]) kept.Add(line);
            else if (at >= 0)
            {
                kept.Add(line[..at]);
                wantNext = true;
            }
            else if (wantNext)
            {
                kept.Add(line);
                wantNext = false;
            }
        }
        return string.Join('\n', kept).Trim();
    }

    /// <summary>Shortens a result longer than the preset's cap.</summary>
    public static string Cap(string text, Preset preset)
    {
        int cap = preset.OutputCap;
        if (cap <= 0 || text.Length <= cap) return text;
        return preset.Truncation switch
        {
            OutputTruncation.Head => text[..cap] + preset.TruncationMarker,
            OutputTruncation.HeadAndTail => text[..(cap / 2)] + preset.TruncationMarker + text[^(cap - cap / 2)..],
            _ => throw new ArgumentOutOfRangeException(nameof(preset)),
        };
    }
}
