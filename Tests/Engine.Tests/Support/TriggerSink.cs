using Numina.Engine.Events;

namespace Numina.Engine.Tests.Support;

/// <summary>
/// Records a run's events and, the first time <c>when</c> holds, calls <c>act</c> once, off the publishing thread — as
/// a researcher's click would come (steering, branching) while the run runs.
/// </summary>
public sealed class TriggerSink(Func<RunEvent, bool> when, Action act) : IRunEventSink
{
    public RecordingEventSink Recorded { get; } = new();
    /// <summary>The action, once started.</summary>
    public Task? Acted;
    /// <summary>What the action threw, if anything.</summary>
    public Exception? Error;
    private int _fired;

    public void Publish(RunEvent e)
    {
        Recorded.Publish(e);
        if (when(e) && Interlocked.Exchange(ref _fired, 1) == 0)
            Acted = Task.Run(() =>
            {
                try { act(); }
                catch (Exception x) { Error = x; }
            });
    }
}
