using System.Text.RegularExpressions;

namespace Numina.Engine.Answers;

/// <summary>Which normalizer a preset's answers go through.</summary>
public enum AnswerNormalization
{
    /// <summary>The Numina notebook's own normalize_answer (spec: extraction and normalization).</summary>
    Numina,
    /// <summary>Minerva's normalize_final_answer (MATH-style grading; keeps what follows the last "=").</summary>
    Minerva,
}

/// <summary>Normalizes an extracted answer with the named normalizer.</summary>
public static class AnswerNormalizer
{
    public static string Normalize(string answer, AnswerNormalization kind = AnswerNormalization.Numina) => kind switch
    {
        AnswerNormalization.Numina => NuminaNormalizer.Normalize(answer),
        AnswerNormalization.Minerva => MinervaNormalizer.Normalize(answer),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}

/// <summary>
/// The Numina notebook's own normalize_answer, step by step as the spec states it: cut at "Problem:", the
/// substitutions, the removed expressions (units, filler, newlines, \%), \text/\textbf/\overline/\boxed unwrapped, then
/// each split pattern in turn keeping its LAST match (so "answer is" and $…$ pick the answer out of a whole sentence),
/// the "rac" fix, \frac and \sqrt shorthand, no $, and digits with commas joined. There is no split on "=".
/// </summary>
public static partial class NuminaNormalizer
{
    private static readonly (string Before, string After)[] Substitutions =
    [
        ("an ", ""), ("a ", ""), (".$", "$"), ("\\$", ""), ("\\ ", ""), (" ", ""), ("mbox", "text"),
        (",\\text{and}", ","), ("\\text{and}", ","), ("\\text{m}", "\\text{}"), ("\\le", "<"),
    ];

    private static readonly string[] Removed =
    [
        "square", "ways", "integers", "dollars", "mph", "inches", "ft", "hours", "km", "units", "\\ldots", "sue",
        "points", "feet", "minutes", "digits", "cents", "degrees", "cm", "gm", "pounds", "meters", "meals", "edges",
        "students", "childrentickets", "multiples", "\\text{s}", "\\text{.}", "\\text{\ns}", "\\text{}^2",
        "\\text{}^3", "\\text{\n}", "\\text{}", "\\mathrm{th}", "^\\circ", "^{\\circ}", "\\;", ",\\!", "{,}", "\"",
        "\\dots", "\n", "\r", "\f", "\\%",
    ];

    public static string Normalize(string answer)
    {
        var s = answer;
        int problem = s.IndexOf("Problem:", StringComparison.Ordinal);
        if (problem >= 0) s = s[..problem];
        foreach (var (before, after) in Substitutions) s = s.Replace(before, after, StringComparison.Ordinal);
        foreach (var expr in Removed) s = s.Replace(expr, "", StringComparison.Ordinal);

        s = TexAnswerSteps.Unwrap(s);

        foreach (var pattern in SplitPatterns)
        {
            var matches = pattern.Matches(s);
            if (matches.Count > 0) s = matches[^1].Groups[1].Value;
        }
        s = s.Trim();
        if (s.Contains("rac", StringComparison.Ordinal) && !s.Contains("\\frac", StringComparison.Ordinal))
            s = s.Replace("rac", "\\frac", StringComparison.Ordinal);
        return TexAnswerSteps.Finish(s);
    }

    private static readonly Regex[] SplitPatterns = [FinalAnswerIs(), AnswerIs(), Oxed(), Dollars()];

    [GeneratedRegex(@"finalansweris(.*)")] private static partial Regex FinalAnswerIs();
    [GeneratedRegex(@"answer?is:?(.*)")] private static partial Regex AnswerIs();
    [GeneratedRegex(@"oxed\{(.*?)\}")] private static partial Regex Oxed();
    [GeneratedRegex(@"\$(.*?)\$")] private static partial Regex Dollars();
}
