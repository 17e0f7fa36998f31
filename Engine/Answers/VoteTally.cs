using System.Numerics;
using Numina.Engine.Presets;

namespace Numina.Engine.Answers;

/// <summary>One candidate's vote: its answer value (after the policy), when it retired, and its weight (1 unless a weighted vote).</summary>
public sealed record Ballot(int CandidateIndex, int RetiredRound, string? Value, double Weight = 1);

/// <summary>All candidates behind one answer value, and the sum of their weights (their count in a plain vote).</summary>
public sealed record VoteBucket(string Answer, int Count, IReadOnlyList<int> Candidates)
{
    public double Weight { get; init; } = Count;
}

/// <summary>
/// The majority vote. Ballots are ordered by the round in which their candidate retired, then by candidate index,
/// so "first seen" is deterministic whatever the scheduling. Buckets are listed by weight (the count, in a plain
/// vote), ties by the tie rule.
/// </summary>
public sealed record VoteTally
{
    public IReadOnlyList<VoteBucket> Buckets { get; init; } = [];
    /// <summary>The winning answer; null when no ballot had a valid value.</summary>
    public string? Winner { get; init; }
    public int ValidVotes { get; init; }
    /// <summary>Ballots whose answer the policy dropped (non-numeric, negative, ...).</summary>
    public int InvalidVotes { get; init; }

    public static VoteTally Empty { get; } = new();

    public static VoteTally Count(IEnumerable<Ballot> ballots, TieRule tieRule = TieRule.FirstSeen)
    {
        var ordered = ballots.OrderBy(b => b.RetiredRound).ThenBy(b => b.CandidateIndex).ToList();
        var firstSeen = new Dictionary<string, int>();
        var members = new Dictionary<string, List<int>>();
        var weights = new Dictionary<string, double>();
        int invalid = 0;
        foreach (var ballot in ordered)
        {
            if (ballot.Value is null) { invalid++; continue; }
            if (!members.TryGetValue(ballot.Value, out var list))
            {
                members[ballot.Value] = list = [];
                firstSeen[ballot.Value] = firstSeen.Count;
            }
            list.Add(ballot.CandidateIndex);
            weights[ballot.Value] = weights.GetValueOrDefault(ballot.Value) + ballot.Weight;
        }

        // Weights are summed in ballot order, so equal sums compare equal whatever the scheduling.
        IEnumerable<string> answers = members.Keys.OrderByDescending(a => weights[a]);
        answers = tieRule switch
        {
            TieRule.FirstSeen => ((IOrderedEnumerable<string>)answers).ThenBy(a => firstSeen[a]),
            TieRule.Larger => ((IOrderedEnumerable<string>)answers).ThenByDescending(NumericKey).ThenBy(a => firstSeen[a]),
            _ => throw new ArgumentOutOfRangeException(nameof(tieRule)),
        };
        var buckets = answers.Select(a => new VoteBucket(a, members[a].Count, members[a]) { Weight = weights[a] }).ToList();
        return new VoteTally
        {
            Buckets = buckets,
            Winner = buckets.Count > 0 ? buckets[0].Answer : null,
            ValidVotes = buckets.Sum(b => b.Count),
            InvalidVotes = invalid,
        };
    }

    /// <summary>The share of valid votes behind the winner (0 when there is none).</summary>
    public double Agreement => ValidVotes == 0 ? 0 : (double)Buckets[0].Count / ValidVotes;

    private static BigInteger NumericKey(string answer) =>
        BigInteger.TryParse(answer, out var v) ? v : BigInteger.MinusOne << 4096;
}
