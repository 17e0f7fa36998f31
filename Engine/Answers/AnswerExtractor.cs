namespace Numina.Engine.Answers;

/// <summary>Finds a candidate's final answer near the end of its transcript (Numina: the last 100 characters).</summary>
public static class AnswerExtractor
{
    private static readonly string[] BoxCommands = ["\\boxed", "\\fbox"];
    private const string AnswerIs = "answer is";

    /// <summary>The text the answer is searched in: the last <paramref name="window"/> characters.</summary>
    public static string Window(string transcript, int window) =>
        transcript.Length <= window ? transcript : transcript[^window..];

    /// <summary>Check 2's trigger: "\boxed" (or "\fbox") or "answer is" appears in the window.</summary>
    public static bool HasAnswerMarker(string transcript, int window)
    {
        var tail = Window(transcript, window);
        return BoxCommands.Any(b => tail.Contains(b, StringComparison.Ordinal)) || tail.Contains(AnswerIs, StringComparison.Ordinal);
    }

    /// <summary>The answer as the preset's normalizer expects it (<see cref="AnswerNormalization"/>).</summary>
    public static string? Extract(string transcript, int window, AnswerNormalization kind) =>
        kind == AnswerNormalization.Numina ? ExtractNumina(transcript, window) : Extract(transcript, window);

    /// <summary>
    /// Numina's extraction (spec): in the region (the last <paramref name="window"/> characters), when it contains
    /// "boxed", the content of its last \boxed{...} with balanced braces (or none: no other reading is tried); else, when
    /// it contains "answer is", the whole region, whose split patterns the normalizer applies. Unlike the reference,
    /// "\boxed {9}" (a space before the brace) and \fbox{17} are read.
    /// </summary>
    public static string? ExtractNumina(string transcript, int window)
    {
        var region = Window(transcript, window);
        if (region.Contains("boxed", StringComparison.Ordinal) || region.Contains("\\fbox", StringComparison.Ordinal))
        {
            int box = -1;
            string command = "";
            foreach (var c in BoxCommands)
            {
                int at = region.LastIndexOf(c, StringComparison.Ordinal);
                if (at > box) { box = at; command = c; }
            }
            return box < 0 ? null : BalancedGroupAfter(region, box + command.Length);
        }
        return region.Contains(AnswerIs, StringComparison.Ordinal) ? region : null;
    }

    /// <summary>
    /// The content of the last \boxed{...} (or \fbox{...}) that starts inside the window, read with balanced braces
    /// to wherever it closes; else the text after the last "answer is" in the window. Null when neither is there.
    /// </summary>
    public static string? Extract(string transcript, int window)
    {
        int windowStart = Math.Max(0, transcript.Length - window);
        int box = -1;
        string command = "";
        foreach (var c in BoxCommands)
        {
            int at = transcript.LastIndexOf(c, StringComparison.Ordinal);
            if (at >= windowStart && at > box) { box = at; command = c; }
        }
        if (box >= 0)
        {
            var content = BalancedGroupAfter(transcript, box + command.Length);
            if (content is not null) return content;
        }
        int answerIs = transcript.LastIndexOf(AnswerIs, StringComparison.Ordinal);
        if (answerIs >= windowStart)
            return AfterAnswerIs(transcript[(answerIs + AnswerIs.Length)..]);
        return null;
    }

    /// <summary>The text inside the brace group that opens at or after <paramref name="from"/> (spaces allowed before it).</summary>
    private static string? BalancedGroupAfter(string text, int from)
    {
        int i = from;
        while (i < text.Length && text[i] == ' ') i++;
        if (i >= text.Length || text[i] != '{') return null;
        int depth = 0;
        for (int j = i; j < text.Length; j++)
        {
            if (text[j] == '{') depth++;
            else if (text[j] == '}' && --depth == 0) return text[(i + 1)..j];
        }
        return null; // unbalanced: the box never closed
    }

    /// <summary>"The answer is $42$." → "$42$": the rest of that line, trimmed, without a final full stop.</summary>
    private static string? AfterAnswerIs(string rest)
    {
        int newline = rest.IndexOf('\n');
        if (newline >= 0) rest = rest[..newline];
        rest = rest.Trim().TrimStart(':').Trim();
        if (rest.EndsWith('.')) rest = rest[..^1].TrimEnd();
        return rest.Length == 0 ? null : rest;
    }
}
