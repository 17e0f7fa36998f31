namespace Numina.Engine.Problems;

/// <summary>A problem to solve: its text (LaTeX/Markdown) and, when known, the reference answer.</summary>
public sealed record Problem
{
    public required string Text { get; init; }
    public string? Id { get; init; }
    public string? KnownAnswer { get; init; }
    public string? Source { get; init; }

    /// <summary>The longest problem taken (characters): far above any competition problem, and what the page carries at ease.</summary>
    public const int MaxLength = 128_000;

    /// <summary>The problem with the text, if any (the same words from the form, the command line and datasets).</summary>
    public static string? Check(string? text) =>
        string.IsNullOrWhiteSpace(text) ? "The problem text is empty."
        : text.Length > MaxLength ? $"The problem is {text.Length:N0} characters long; at most {MaxLength:N0} are taken."
        : text.Contains('\0') ? "The problem text contains a NUL character."
        : null;

    /// <summary>Checks the problem is usable; throws <see cref="ArgumentException"/> with a clear message if not.</summary>
    public static Problem Create(string? text, string? id = null, string? knownAnswer = null, string? source = null)
    {
        if (Check(text) is { } problem) throw new ArgumentException(problem, nameof(text));
        return new Problem { Text = text!, Id = id, KnownAnswer = knownAnswer, Source = source };
    }
}
