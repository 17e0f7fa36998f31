using Numina.Engine.Answers;

namespace Numina.Workbench.Runs;

/// <summary>One colour per answer, by its place in the vote, so agreement is visible at a glance across cards and chart.</summary>
public static class AnswerColors
{
    private static readonly string[] Palette = ["#2563eb", "#16a34a", "#ea580c", "#9333ea", "#0891b2", "#ca8a04", "#db2777", "#4d7c0f", "#7c2d12", "#334155"];
    public const string None = "#9ca3af";

    /// <summary>The colour of the i-th answer (by votes), as in a run's vote.</summary>
    public static string ForIndex(int i) => Palette[i % Palette.Length];

    public static string For(VoteTally tally, string? answer)
    {
        if (answer is null) return None;
        for (int i = 0; i < tally.Buckets.Count; i++)
            if (tally.Buckets[i].Answer == answer) return Palette[i % Palette.Length];
        return None;
    }
}
