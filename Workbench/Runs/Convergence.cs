using Numina.Engine.Answers;
using Numina.Engine.Policies;

namespace Numina.Workbench.Runs;

/// <summary>The vote at one moment, as the convergence chart draws it: the leading answer's share of valid votes and the runner-up's.</summary>
public sealed record ConvergencePoint(double Seconds, int Finished, int Valid, string? Leader, double LeaderShare, string? RunnerUp, double RunnerUpShare);

/// <summary>A moment a policy acted (<see cref="Happened"/>) or would have acted had it been on.</summary>
public sealed record ConvergenceMarker(double Seconds, int Finished, string Label, bool Happened);

/// <summary>
/// How a run's vote converged: a point each time the vote or the number of finished candidates changed, and the
/// moments the decoding policies acted — or, when early stopping was off, the moment its "decided" rule (no vote still
/// to come can change the winner; the engine's own <see cref="EarlyStop"/>) would have stopped the run, and what that
/// would have saved.
/// </summary>
public sealed record Convergence(IReadOnlyList<ConvergencePoint> Points, IReadOnlyList<ConvergenceMarker> Markers)
{
    public static Convergence From(RunSnapshot run)
    {
        var points = run.VoteHistory.Select(p =>
        {
            var b = p.Tally.Buckets;
            double valid = Math.Max(1, p.Tally.ValidVotes);
            return new ConvergencePoint(p.Seconds, p.Finished, p.Tally.ValidVotes,
                b.Count > 0 ? b[0].Answer : null, b.Count > 0 ? b[0].Count / valid : 0,
                b.Count > 1 ? b[1].Answer : null, b.Count > 1 ? b[1].Count / valid : 0);
        }).ToList();

        var markers = new List<ConvergenceMarker>();
        foreach (var d in run.Decisions.Where(d => d.Kind == "policy"))
            markers.Add(new ConvergenceMarker(d.Seconds, FinishedAt(run.VoteHistory, d.Seconds), d.Reason, Happened: true));
        if (!run.Policies.Contains("stop when decided", StringComparison.OrdinalIgnoreCase))
        {
            var decided = new RunPolicies { StopWhenDecided = true };
            var first = run.VoteHistory.FirstOrDefault(p => EarlyStop.Reason(decided, [], p.Tally, p.Unfinished) is not null);
            if (first is not null && run.VoteHistory.Count > 0)
            {
                double end = run.VoteHistory[^1].Seconds;
                var saved = end > 0 ? $", {1 - first.Seconds / end:P0} of the time saved" : "";
                markers.Add(new ConvergenceMarker(first.Seconds, first.Finished,
                    $"early stop (decided) would have stopped here: {first.Finished} of {first.Finished + first.Unfinished} finished{saved}", Happened: false));
            }
        }
        return new Convergence(points, markers);
    }

    private static int FinishedAt(IReadOnlyList<VotePoint> history, double seconds) =>
        history.LastOrDefault(p => p.Seconds <= seconds)?.Finished ?? 0;
}
