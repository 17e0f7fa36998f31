using System.Text.RegularExpressions;

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

    /// <summary>
    /// An answer in free text — another system's output, a reference solution — for the symbolic policy (Numina's own
    /// rules are <see cref="ExtractNumina"/>): the last \boxed{} (or \fbox{}); else what follows the last "answer is"
    /// ("The final answer is $3$."); else the last display math (\[…\], $$…$$); else the last inline math ($…$, \(…\));
    /// else the text itself when it is a bare answer (short, no words). Null when none of these is there.
    /// </summary>
    public static string? ExtractFreeText(string text)
    {
        if (LastBoxes(text) is { } boxed) return boxed;
        int answerIs = text.LastIndexOf(AnswerIs, StringComparison.Ordinal);
        if (answerIs >= 0 && AfterAnswerIs(text[(answerIs + AnswerIs.Length)..]) is { } stated)
        {
            // "The final answer is $28\%$. I hope it is correct.": the math, else the sentence.
            if (LastMath(stated, ["\\(", "$"], ["\\)", "$"], first: true) is { } math) return math;
            int stop = stated.IndexOf(". ", StringComparison.Ordinal);
            return stop > 0 ? stated[..stop] : stated;
        }
        if (LastMath(text, ["\\[", "$$"], ["\\]", "$$"]) is { } display) return display;
        if (LastMath(text, ["\\(", "$"], ["\\)", "$"]) is { } inline) return inline;
        var bare = text.Trim();
        return bare.Length is > 0 and <= 40 && !Regex.IsMatch(bare, "[A-Za-z]{3,}") ? bare : null;
    }

    /// <summary>
    /// The last box, joined with the boxes just before it when only a few words separate them ("\boxed{(2, 2)} and
    /// \boxed{(6, 2)}" is one answer, "\boxed{1}, \boxed{2}, \boxed{3}" too); a sentence of text between two boxes
    /// separates them.
    /// </summary>
    private static string? LastBoxes(string text)
    {
        var boxes = new List<(int Start, int End, string Content)>();
        foreach (Match m in Regex.Matches(text, @"\\(?:boxed|fbox)(?![a-zA-Z])"))
            if (BalancedGroup(text, m.Index + m.Length) is { } group) boxes.Add((m.Index, group.End, group.Content));
        if (boxes.Count == 0) return null;
        int first = boxes.Count - 1;
        while (first > 0 && boxes[first - 1].End <= boxes[first].Start && IsJoiner(text[boxes[first - 1].End..boxes[first].Start])) first--;
        return string.Join(", ", boxes.Skip(first).Select(b => b.Content));
    }

    /// <summary>What may stand between two boxes of one answer: punctuation, math delimiters, spacing and at most three words.</summary>
    private static bool IsJoiner(string between)
    {
        if (between.Contains("\n\n") || between.Contains(". ")) return false;
        var words = Regex.Matches(Regex.Replace(between, @"\\[a-zA-Z]+", " "), "[A-Za-z]{2,}");
        return words.Count <= 3;
    }

    /// <summary>The content of the last (or first) complete math span opened by one of <paramref name="opens"/> and closed by its pair.</summary>
    private static string? LastMath(string text, string[] opens, string[] closes, bool first = false)
    {
        string? last = null;
        int lastStart = -1;
        for (int k = 0; k < opens.Length; k++)
        {
            int i = 0;
            while ((i = text.IndexOf(opens[k], i, StringComparison.Ordinal)) >= 0)
            {
                // "$" never opens inside "$$", and an escaped "\$" is a dollar sign
                if (opens[k] == "$" && (text.AsSpan(i).StartsWith("$$") || (i > 0 && text[i - 1] == '\\'))) { i += text.AsSpan(i).StartsWith("$$") ? 2 : 1; continue; }
                int from = i + opens[k].Length;
                int end = text.IndexOf(closes[k], from, StringComparison.Ordinal);
                while (closes[k] == "$" && end > 0 && text[end - 1] == '\\') end = text.IndexOf('$', end + 1);
                if (end < 0) break;
                var raw = text[from..end];
                var content = raw.Trim();
                bool inline = opens[k] is "$" or "\\(";
                // inline math does not span lines ("Answer $ \n 9 \n $" is not an answer)
                if (content.Length > 0 && !(inline && raw.Contains('\n')) && (first ? lastStart < 0 || i < lastStart : i > lastStart)) { last = content; lastStart = i; }
                i = end + closes[k].Length;
            }
        }
        return last;
    }

    /// <summary>The text inside the brace group that opens at or after <paramref name="from"/> (spaces allowed before it).</summary>
    private static string? BalancedGroupAfter(string text, int from) => BalancedGroup(text, from)?.Content;

    /// <summary>That group's content and the index just after its closing brace; null when there is none or it never closes.</summary>
    private static (string Content, int End)? BalancedGroup(string text, int from)
    {
        int i = from;
        while (i < text.Length && text[i] == ' ') i++;
        if (i >= text.Length || text[i] != '{') return null;
        int depth = 0;
        for (int j = i; j < text.Length; j++)
        {
            if (text[j] == '{') depth++;
            else if (text[j] == '}' && --depth == 0) return (text[(i + 1)..j], j + 1);
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
