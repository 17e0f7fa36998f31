using Numina.Engine.Presets;

namespace Numina.Engine.Execution;

/// <summary>Turns a model's code block into the source that runs: forbidden words, Numina's auto-print, the header.</summary>
public static class CellSource
{
    /// <summary>Check 5's execution: code with a forbidden word is refused without running; the rest runs in the session.</summary>
    public static async Task<CellResult> RunAsync(ICodeSession session, string code, Preset preset, CancellationToken cancellationToken) =>
        ForbiddenWord(code, preset.ForbiddenWords) is { } word
            ? new CellResult { Outcome = CellOutcome.Refused, RefusedWord = word }
            : await session.RunAsync(code, cancellationToken).ConfigureAwait(false);

    /// <summary>The first forbidden word the code contains (Numina checks "subprocess", then "venv"), or null.</summary>
    public static string? ForbiddenWord(string code, IReadOnlyList<string> forbidden) =>
        forbidden.FirstOrDefault(word => code.Contains(word, StringComparison.Ordinal));

    /// <summary>
    /// Numina's auto-print. <paramref name="exact"/> (a stateless block, as the reference runs it): strip the block; if
    /// its last line has no "print(", cut a trailing "# comment" and wrap the line in print(...) — whatever the line is:
    /// `x = 5` becomes `print(x = 5)`, a TypeError the model then sees, and a statement a SyntaxError (this shapes what
    /// the model writes next). Only an indented last line is left alone: the reference moved it out of its block, a bug
    /// not to copy. Not exact (Jupyter mode, where a namespace lives on): only a line print could take is wrapped, so
    /// `x = 5` still binds x for the next block (spec golden case: Jupyter mode gives 6).
    /// </summary>
    public static string WrapLastLineInPrint(string code, bool exact = false)
    {
        var lines = code.Trim().Split('\n');
        var last = lines[^1];
        if (last.Contains("print(", StringComparison.Ordinal) || last.Length == 0 || char.IsWhiteSpace(last[0]))
            return string.Join('\n', lines);
        int hash = last.IndexOf('#');
        var expression = hash >= 0 ? last[..hash] : last;
        if (!exact && !LooksLikeExpression(expression)) return string.Join('\n', lines);
        lines[^1] = "print(" + expression.TrimEnd() + ")";
        return string.Join('\n', lines);
    }

    private static readonly HashSet<string> StatementKeywords =
    [
        "import", "from", "def", "class", "return", "for", "while", "if", "elif", "else", "try", "except", "finally",
        "with", "raise", "assert", "del", "pass", "break", "continue", "global", "nonlocal", "async", "match", "case",
    ];

    /// <summary>False for what Python would not accept inside print(...): statements and top-level assignments.</summary>
    public static bool LooksLikeExpression(string line)
    {
        var text = line.Trim();
        if (text.Length == 0 || text.EndsWith(':')) return false;
        int wordEnd = 0;
        while (wordEnd < text.Length && (char.IsLetterOrDigit(text[wordEnd]) || text[wordEnd] == '_')) wordEnd++;
        if (StatementKeywords.Contains(text[..wordEnd]) && (wordEnd == text.Length || !char.IsLetterOrDigit(text[wordEnd]) && text[wordEnd] is not '(' and not '.' and not '['))
            return false;
        int depth = 0;
        char quote = '\0';
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quote != '\0')
            {
                if (c == '\\') i++;
                else if (c == quote) quote = '\0';
                continue;
            }
            switch (c)
            {
                case '\'' or '"': quote = c; break;
                case '(' or '[' or '{': depth++; break;
                case ')' or ']' or '}': depth--; break;
                case ';' when depth == 0: return false;
                case '=' when depth == 0:
                {
                    char before = i > 0 ? text[i - 1] : ' ';
                    char after = i + 1 < text.Length ? text[i + 1] : ' ';
                    bool comparison = after == '=' || before is '=' or '!' || (before is '<' or '>' && !(i > 1 && text[i - 2] == before));
                    if (!comparison) return false; // =, +=, <<=, x: int = ... are assignments
                    break;
                }
            }
        }
        return true;
    }

    /// <summary>The source for one block: header (stateless mode) + the block, auto-printed per the preset.</summary>
    public static string Prepare(string code, string header, AutoPrint autoPrint)
    {
        var body = autoPrint == AutoPrint.LastLine ? WrapLastLineInPrint(code, exact: true) : code;
        return header + body;
    }
}
