namespace Numina.Engine.Settings;

/// <summary>Thrown when settings are invalid; <see cref="Problems"/> lists every problem found, one sentence each.</summary>
public sealed class InvalidSettingsException(IReadOnlyList<string> problems)
    : ArgumentException("Invalid settings: " + string.Join(" ", problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>The limits a run's settings must respect, with messages a researcher can act on.</summary>
public static class SettingsValidator
{
    public const int MaxWidth = 512;
    public const int MaxDepth = 16;
    public const double MaxTemperature = 5;
    public const int MinContextSize = 16;
    public const int MaxContextSize = 1 << 20;

    public static IReadOnlyList<string> Check(DecodingSettings s)
    {
        var problems = new List<string>();
        if (s.Width is < 1 or > MaxWidth)
            problems.Add($"Width N must be between 1 and {MaxWidth} (got {s.Width}).");
        if (s.Depth is < 1 or > MaxDepth)
            problems.Add($"Depth M must be between 1 and {MaxDepth} (got {s.Depth}).");
        if (!double.IsFinite(s.Temperature) || s.Temperature < 0 || s.Temperature > MaxTemperature)
            problems.Add($"Temperature must be a finite number from 0 to {MaxTemperature} (got {s.Temperature}).");
        if (!double.IsFinite(s.TopP) || s.TopP <= 0 || s.TopP > 1)
            problems.Add($"top_p must be greater than 0 and at most 1 (got {s.TopP}).");
        if (s.TopK < 0)
            problems.Add($"top_k must be 0 (off) or a positive count (got {s.TopK}).");
        if (!double.IsFinite(s.MinP) || s.MinP < 0 || s.MinP >= 1)
            problems.Add($"min_p must be at least 0 and below 1 (got {s.MinP}).");
        if (!double.IsFinite(s.RepetitionPenalty) || s.RepetitionPenalty <= 0 || s.RepetitionPenalty > 10)
            problems.Add($"The repetition penalty must be greater than 0 and at most 10 (got {s.RepetitionPenalty}).");
        if (s.ContextSize is < MinContextSize or > MaxContextSize)
            problems.Add($"The context size must be between {MinContextSize} and {MaxContextSize} tokens (got {s.ContextSize}).");
        if (s.MaxNewTokensPerRound < 1)
            problems.Add($"Max new tokens per round must be at least 1 (got {s.MaxNewTokensPerRound}).");
        else if (s.MaxNewTokensPerRound > s.ContextSize)
            problems.Add($"Max new tokens per round ({s.MaxNewTokensPerRound}) cannot exceed the context size ({s.ContextSize}).");
        return problems;
    }

    public static void Validate(DecodingSettings s)
    {
        var problems = Check(s);
        if (problems.Count > 0) throw new InvalidSettingsException(problems);
    }
}
