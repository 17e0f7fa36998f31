using System.Globalization;
using System.Numerics;

namespace Numina.Engine.Answers;

/// <summary>How a normalized answer becomes a vote. A per-run setting: AIMO's rule is wrong for AMC or GSM8K.</summary>
public enum AnswerPolicy
{
    /// <summary>AIMO: round(float(x)) half-to-even; non-numeric or negative dropped; the rest mod 1000.</summary>
    AimoInteger,
    /// <summary>Any integer, negative or large, kept as it is; non-integral values dropped.</summary>
    Integer,
    /// <summary>The normalized text as it is (symbolic answers; equivalence is the evaluation harness's job).</summary>
    Normalized,
}

public static class AnswerPolicies
{
    /// <summary>The vote value of a normalized answer under <paramref name="policy"/>, or null when it is dropped.</summary>
    public static string? Apply(AnswerPolicy policy, string? normalized)
    {
        if (normalized is null) return null;
        switch (policy)
        {
            case AnswerPolicy.AimoInteger:
            {
                var value = RoundedFloat(normalized);
                if (value is null || value.Value.Sign < 0) return null;
                return (value.Value % 1000).ToString(CultureInfo.InvariantCulture);
            }
            case AnswerPolicy.Integer:
            {
                if (!TryParseFloat(normalized, out var d)) return null;
                var rounded = Math.Round(d, MidpointRounding.ToEven);
                if (Math.Abs(d - rounded) > 1e-9 * Math.Max(1, Math.Abs(d))) return null;
                return new BigInteger(rounded).ToString(CultureInfo.InvariantCulture);
            }
            case AnswerPolicy.Normalized:
                return normalized.Length == 0 ? null : normalized;
            default:
                throw new ArgumentOutOfRangeException(nameof(policy), policy, null);
        }
    }

    /// <summary>The AIMO integer filter applied to a list, dropping what it drops (spec golden case).</summary>
    public static IReadOnlyList<long> AimoFilter(IEnumerable<string> answers) =>
        answers.Select(a => Apply(AnswerPolicy.AimoInteger, a)).OfType<string>().Select(long.Parse).ToList();

    /// <summary>Python's round(float(x)): null when float() fails or the value is not finite.</summary>
    private static BigInteger? RoundedFloat(string text) =>
        TryParseFloat(text, out var d) ? new BigInteger(Math.Round(d, MidpointRounding.ToEven)) : null;

    /// <summary>Parses like Python's float(): decimal or exponent notation, optional sign and surrounding spaces.</summary>
    private static bool TryParseFloat(string text, out double value)
    {
        var t = text.Trim();
        value = 0;
        if (t.Length == 0 || t.Any(ch => !(char.IsAsciiDigit(ch) || ch is '.' or 'e' or 'E' or '+' or '-')))
            return false; // also rules out "Infinity"/"NaN", which round() rejects in Python
        return double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
    }
}
