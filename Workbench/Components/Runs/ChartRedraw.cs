namespace Numina.Workbench.Components.Runs;

/// <summary>
/// How often a live run's charts are drawn again. A plotly redraw costs the browser far more than a text update, and
/// at N = 48 the answers land within a second or two: redrawn on each, the charts alone kept the page seconds behind.
/// </summary>
public static class ChartRedraw
{
    public static readonly TimeSpan LiveInterval = TimeSpan.FromSeconds(1);
}
