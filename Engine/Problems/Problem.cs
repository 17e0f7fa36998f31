namespace Numina.Engine.Problems;

/// <summary>A problem to solve: its text (LaTeX/Markdown) and, when known, the reference answer.</summary>
public sealed record Problem
{
    public required string Text { get; init; }
    public string? Id { get; init; }
    public string? KnownAnswer { get; init; }
    public string? Source { get; init; }

    /// <summary>Checks the problem is usable; throws <see cref="ArgumentException"/> with a clear message if not.</summary>
    public static Problem Create(string? text, string? id = null, string? knownAnswer = null, string? source = null)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw new ArgumentException("The problem text is empty.", nameof(text));
        if (text.Contains('\0'))
            throw new ArgumentException("The problem text contains a NUL character.", nameof(text));
        return new Problem { Text = text, Id = id, KnownAnswer = knownAnswer, Source = source };
    }
}
