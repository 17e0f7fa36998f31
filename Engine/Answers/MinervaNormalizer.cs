using System.Text.RegularExpressions;

namespace Numina.Engine.Answers;

/// <summary>
/// Minerva's "normalize_final_answer" (MATH-style grading): keep what follows the last "=", drop units and filler
/// words, \text{}, $, spaces and thousands commas; fix \frac and \sqrt shorthand. The order of the steps matters and
/// is kept. Numina's own normalizer is <see cref="NuminaNormalizer"/>; presets name theirs.
/// </summary>
public static partial class MinervaNormalizer
{
    private static readonly (string Before, string After)[] Substitutions =
    [
        ("an ", ""), ("a ", ""), (".$", "$"), ("\\$", ""), ("\\ ", ""), (" ", ""), ("mbox", "text"),
        (",\\text{and}", ","), ("\\text{and}", ","), ("\\text{m}", "\\text{}"),
    ];

    private static readonly string[] RemovedExpressions =
    [
        "square", "ways", "integers", "dollars", "mph", "inches", "ft", "hours", "km", "units", "\\ldots", "sue",
        "points", "feet", "minutes", "digits", "cents", "degrees", "cm", "gm", "pounds", "meters", "meals", "edges",
        "students", "childrentickets", "multiples", "\\text{s}", "\\text{.}", "\\text{\ns}", "\\text{}^2",
        "\\text{}^3", "\\text{\n}", "\\text{}", "\\mathrm{th}", "^\\circ", "^{\\circ}", "\\;", ",\\!", "{,}", "\"",
        "\\dots",
    ];

    public static string Normalize(string answer)
    {
        var s = answer.Split('=')[^1];
        foreach (var (before, after) in Substitutions) s = s.Replace(before, after, StringComparison.Ordinal);
        foreach (var expr in RemovedExpressions) s = s.Replace(expr, "", StringComparison.Ordinal);

        // Keep what is inside math, bold, overline or a box; then shorthand TeX, no $, digit groups joined.
        s = InlineMath().Replace(s, "$$$3$$");
        return TexAnswerSteps.Finish(TexAnswerSteps.Unwrap(s));
    }

    [GeneratedRegex(@"(.*?)(\$)(.*?)(\$)(.*)")] private static partial Regex InlineMath();
}
