using System.Numerics;
using Numina.Engine.Presets;

namespace Numina.Engine.Policies;

/// <summary>A candidate's weight in the vote, and the tie rule that goes with a weighting.</summary>
public static class VoteWeights
{
    /// <summary>imagination-research's weight of a small or round answer.</summary>
    public const double SmallOrRoundAnswer = 0.6;

    /// <param name="answer">The vote value (after the answer policy).</param>
    /// <param name="confidence">The candidate's mean sampled-token probability in its answering attempt.</param>
    public static double Of(VoteWeighting weighting, string answer, double confidence) => weighting switch
    {
        VoteWeighting.Count => 1,
        VoteWeighting.Imagination => IsSmallOrRound(answer) ? SmallOrRoundAnswer : 1,
        VoteWeighting.Confidence => Math.Clamp(confidence, 0, 1),
        _ => throw new ArgumentOutOfRangeException(nameof(weighting)),
    };

    /// <summary>An integer answer of at most 20, or a multiple of 100 (0 is both); other answers are neither.</summary>
    public static bool IsSmallOrRound(string answer) =>
        BigInteger.TryParse(answer, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var n)
        && (n <= 20 || n % 100 == 0);

    /// <summary>imagination-research breaks ties towards the larger answer; the other weightings keep the preset's rule.</summary>
    public static TieRule TieRuleFor(VoteWeighting weighting, TieRule preset) => weighting == VoteWeighting.Imagination ? TieRule.Larger : preset;

    /// <summary>The most one candidate can add to an answer's weight.</summary>
    public const double MaxWeight = 1;
}
