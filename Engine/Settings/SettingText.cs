using System.Globalization;

namespace Numina.Engine.Settings;

/// <summary>
/// Reads a setting typed as text (the Solve form, the steering bar, the command line) the same way everywhere: a value
/// that is not a number of the right kind is a problem with its own message, never a default, a zero or a clamp.
/// Ranges are <see cref="SettingsValidator"/>'s; this is only "is it a number at all".
/// </summary>
public static class SettingText
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>A whole number, or the problem with it (<paramref name="what"/> names the setting: "Width N").</summary>
    public static string? ParseInt(string what, string? text, out int value)
    {
        value = 0;
        var t = text?.Trim() ?? "";
        if (t.Length == 0) return $"{what} is empty: enter a whole number.";
        if (int.TryParse(t, NumberStyles.AllowLeadingSign, Invariant, out value)) return null;
        if (double.TryParse(t, NumberStyles.Float, Invariant, out var d) && double.IsFinite(d))
            return Math.Abs(d) > int.MaxValue ? $"{what} is far too large (got \"{t}\")." : $"{what} must be a whole number (got \"{t}\").";
        return $"{what} must be a whole number (got \"{t}\").";
    }

    /// <summary>A finite number written with a dot (0.8), or the problem with it.</summary>
    public static string? ParseDouble(string what, string? text, out double value)
    {
        value = 0;
        var t = text?.Trim() ?? "";
        if (t.Length == 0) return $"{what} is empty: enter a number.";
        if (double.TryParse(t, NumberStyles.Float, Invariant, out value) && double.IsFinite(value)) return null;
        return t.Contains(',') && double.TryParse(t.Replace(',', '.'), NumberStyles.Float, Invariant, out _)
            ? $"{what} must be written with a decimal point, not a comma (got \"{t}\")."
            : $"{what} must be a number, such as 0.8 (got \"{t}\").";
    }

    /// <summary>A run's seed: empty draws one; otherwise a whole number from 0 to 2^64 − 1.</summary>
    public static string? ParseSeed(string? text, out ulong? seed)
    {
        seed = null;
        var t = text?.Trim() ?? "";
        if (t.Length == 0) return null;
        if (ulong.TryParse(t, NumberStyles.None, Invariant, out var s))
        {
            seed = s;
            return null;
        }
        return $"The seed must be a whole number from 0 to {ulong.MaxValue}, or empty to draw one (got \"{t}\").";
    }

    /// <summary>How a number is shown for editing: invariant, shortest round-trip.</summary>
    public static string Format(double value) => value.ToString("R", Invariant);
    public static string Format(int value) => value.ToString(Invariant);
}
