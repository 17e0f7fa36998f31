namespace Numina.Engine.Runs;

/// <summary>
/// Steers a run while it runs: width N, depth M, temperature and top_p. Each change is applied by the loop, written to
/// the record's <see cref="RunRecord.Steering"/> and published as a <see cref="Events.SettingsChanged"/> event.
/// Created by the caller and handed to <see cref="SctirLoop.RunAsync"/>; calls before the run starts or after it ends
/// are refused with <see cref="InvalidOperationException"/>.
/// </summary>
public sealed class RunControl
{
    private readonly object _gate = new();
    private ISteerable? _run;

    public bool IsAttached
    {
        get { lock (_gate) return _run is not null; }
    }

    /// <summary>Raise N: new candidates fork from the kept prompt. Lower N: the newest unfinished candidates are removed.</summary>
    public SteeringChange SetWidth(int width) => Target().SetWidth(width);

    /// <summary>Raise or lower M; a candidate already past the new depth ends at its next check.</summary>
    public SteeringChange SetDepth(int depth) => Target().SetDepth(depth);

    /// <summary>Applies to every token sampled from now on, in running and future attempts.</summary>
    public SteeringChange SetTemperature(double temperature) => Target().SetSampling(temperature, null);

    public SteeringChange SetTopP(double topP) => Target().SetSampling(null, topP);

    /// <summary>
    /// Branches a candidate: a new candidate goes on from the point (edited code, temperature, seed as given), is
    /// recorded with where it came from, and joins the vote. Returns its index. Throws <see cref="ArgumentException"/>
    /// for a point that is not in the run.
    /// </summary>
    public int Branch(BranchPoint point) => Target().Branch(point);

    /// <summary>The running run's steering, as a caller that looked it up just before the run ended still holds it.</summary>
    internal ISteerable? Attached
    {
        get { lock (_gate) return _run; }
    }

    internal void Attach(ISteerable run)
    {
        lock (_gate) _run = run;
    }

    internal void Detach()
    {
        lock (_gate) _run = null;
    }

    private ISteerable Target()
    {
        lock (_gate) return _run ?? throw new InvalidOperationException("The run is not running: nothing to steer.");
    }
}

internal interface ISteerable
{
    SteeringChange SetWidth(int width);
    SteeringChange SetDepth(int depth);
    SteeringChange SetSampling(double? temperature, double? topP);
    int Branch(BranchPoint point);
}

/// <summary>One change made by the researcher while the run ran.</summary>
public sealed record SteeringChange(string Setting, string From, string To, DateTimeOffset Time, IReadOnlyList<int> Candidates)
{
    /// <summary>What the change will do beyond the setting, when that is not obvious (N past what the KV pool holds at once: waves).</summary>
    public string? Note { get; init; }

    public override string ToString() => $"{Setting} {From} → {To}" + (Note is null ? "" : $" ({Note})");

    /// <summary>How a sampler value is written in a change ("0.8", "2.5"); the workbench compares values in this form.</summary>
    public static string Format(double value) => value.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
}
