using System.Text;

namespace Numina.Engine.Models;

/// <summary>Stop strings on streamed text: they may span tokens (or a server's chunks), so each new piece is searched together with the stop's length before it.</summary>
public static class StopStrings
{
    /// <summary>The earliest stop string completed by the text added from <paramref name="from"/> on: where it ends, and which; (length, null) when none.</summary>
    public static (int End, string? Stop) FindEarliest(StringBuilder text, int from, IReadOnlyList<string> stops)
    {
        int bestEnd = int.MaxValue;
        string? best = null;
        foreach (var stop in stops)
        {
            if (stop.Length == 0) continue;
            int start = Math.Max(0, from - stop.Length + 1);
            if (text.Length - start < stop.Length) continue;
            int at = text.ToString(start, text.Length - start).IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && start + at + stop.Length < bestEnd) (bestEnd, best) = (start + at + stop.Length, stop);
        }
        return (best is null ? text.Length : bestEnd, best);
    }
}
