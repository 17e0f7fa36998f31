using System.Globalization;
using Numina.Engine.Answers;

namespace Numina.Engine.Policies;

/// <summary>
/// When a run may stop before every candidate has finished (the early-stopping rules of the AIMO-2 systems). Called
/// each time a candidate finishes; the answer it returns is the sentence the decision log shows.
/// </summary>
public static class EarlyStop
{
    /// <param name="arrived">The valid answers in the order the candidates gave them.</param>
    /// <param name="tally">The vote now (weighted as the run weighs it).</param>
    /// <param name="unfinished">Candidates still decoding, executing or waiting to start: the votes still to come.</param>
    /// <returns>Why to stop now, or null to go on.</returns>
    public static string? Reason(RunPolicies policies, IReadOnlyList<string> arrived, VoteTally tally, int unfinished)
    {
        if (unfinished == 0) return null; // nothing left to stop
        if (policies.StopWhenFirstAgree is var k and > 0 && arrived.Count == k && arrived.Distinct().Count() == 1)
            return $"the first {k} answers agree ({arrived[0]})";
        if (policies.StopWhenAgree > 0)
        {
            var last = arrived.TakeLast(policies.StopAmongLast).ToList();
            var top = last.GroupBy(a => a).OrderByDescending(g => g.Count()).FirstOrDefault();
            if (top is not null && top.Count() >= policies.StopWhenAgree)
                return $"{top.Count()} of the last {last.Count} answers agree ({top.Key})";
        }
        if (policies.StopWhenDecided && tally.Buckets.Count > 0)
        {
            // Strictly ahead even if every vote still to come goes to the runner-up (or to a new answer): no tie is
            // possible, so the winner is the one the full run would give, whatever the tie rule.
            double lead = tally.Buckets[0].Weight, second = tally.Buckets.Count > 1 ? tally.Buckets[1].Weight : 0;
            if (lead > second + unfinished * VoteWeights.MaxWeight)
                return $"{unfinished} unfinished candidate(s) cannot change the winner {tally.Winner} ({F(lead)} to {F(second)})";
        }
        return null;
    }

    private static string F(double x) => x.ToString("0.##", CultureInfo.InvariantCulture);
}
