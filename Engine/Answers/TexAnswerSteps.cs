using System.Text.RegularExpressions;

namespace Numina.Engine.Answers;

/// <summary>
/// The steps Minerva's and Numina's normalizers take alike (Numina's was written from Minerva's), in their order.
/// Each normalizer keeps its own lists and the steps between these.
/// </summary>
internal static partial class TexAnswerSteps
{
    /// <summary>Keeps what is inside \text{}, \textbf{}, \overline{} and \boxed{} (the last one greedy), in that order.</summary>
    public static string Unwrap(string s)
    {
        s = Text().Replace(s, "$2");
        s = TextBf().Replace(s, "$2");
        s = Overline().Replace(s, "$2");
        return Boxed().Replace(s, "$2");
    }

    /// <summary>Shorthand TeX (\fracab → \frac{a}{b}, \sqrta → \sqrt{a}), no $, and 100,000 → 100000.</summary>
    public static string Finish(string s)
    {
        s = FracShorthand().Replace(s, "frac{$2}{$3}");
        s = SqrtShorthand().Replace(s, "sqrt{$2}");
        s = s.Replace("$", "", StringComparison.Ordinal);
        var withoutCommas = s.Replace(",", "", StringComparison.Ordinal);
        return withoutCommas.Length > 0 && withoutCommas.All(char.IsDigit) ? withoutCommas : s;
    }

    [GeneratedRegex(@"(\\text\{)(.*?)(\})")] private static partial Regex Text();
    [GeneratedRegex(@"(\\textbf\{)(.*?)(\})")] private static partial Regex TextBf();
    [GeneratedRegex(@"(\\overline\{)(.*?)(\})")] private static partial Regex Overline();
    [GeneratedRegex(@"(\\boxed\{)(.*)(\})")] private static partial Regex Boxed();
    [GeneratedRegex(@"(frac)([^{])(.)")] private static partial Regex FracShorthand();
    [GeneratedRegex(@"(sqrt)([^{])")] private static partial Regex SqrtShorthand();
}
