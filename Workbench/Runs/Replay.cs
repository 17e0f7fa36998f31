using Numina.Engine.Events;
using Numina.Engine.Runs;

namespace Numina.Workbench.Runs;

/// <summary>
/// Plays a stored run's events into a fresh <see cref="RunView"/> with their original spacing divided by a speed factor
/// (pauses longer than a second are shortened to one), so a run can be watched again as it happened.
/// </summary>
public static class Replay
{
    public static async Task PlayAsync(IReadOnlyList<RunEvent> events, RunView view, Func<double> speed, RunStatus storedStatus, CancellationToken ct)
    {
        for (int i = 0; i < events.Count; i++)
        {
            if (i > 0)
            {
                var gap = (events[i].Time - events[i - 1].Time).TotalSeconds;
                var wait = Math.Min(gap, 1.0) / Math.Max(speed(), 0.01);
                if (wait > 0.002) await Task.Delay(TimeSpan.FromSeconds(wait), ct);
            }
            view.Apply(events[i]);
        }
        if (storedStatus == RunStatus.Interrupted) view.MarkInterrupted();
    }
}
