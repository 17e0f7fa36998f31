using System.Text.Json;
using System.Text.RegularExpressions;

namespace Numina.Trainer.Data;

/// <summary>
/// Decontamination against the hand-written probes: a crafted problem worded as a probe problem is worded (numbers,
/// names, case, punctuation, LaTeX markup and a trailing request aside) is never trained on or held out. Why: the probes
/// measure reading what people write; a maker that happens to produce a probe's sentence would turn that measurement
/// into one of recall. Stage 6's broad wording is crafted through it (stages 1-5 never produced a probe's shape: tested).
/// </summary>
public sealed partial class ProbeGuard
{
    private readonly HashSet<string> _keys;

    private ProbeGuard(IEnumerable<string> texts) => _keys = texts.Select(Key).ToHashSet();

    public static ProbeGuard None { get; } = new([]);

    /// <summary>The problems of JSONL probe files (their <c>problem</c> field).</summary>
    public static ProbeGuard FromFiles(IEnumerable<string> files) =>
        new(files.SelectMany(File.ReadLines).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("problem").GetString()!));

    public static ProbeGuard FromTexts(IEnumerable<string> texts) => new(texts);

    public int Count => _keys.Count;

    /// <summary>How many crafted problems were turned away.</summary>
    public int Blocked { get; private set; }

    /// <summary>A wording without its particulars: numbers → #, capitalised words after the first → @, lower case, only letters kept.</summary>
    public static string Key(string text)
    {
        var shape = Names().Replace(Numbers().Replace(text, "#"), "@").ToLowerInvariant();
        return Spaces().Replace(NotWords().Replace(shape, " "), " ").Trim();
    }

    /// <summary>Whether the text is worded as a probe problem, or as one followed by more words.</summary>
    public bool Blocks(string text)
    {
        if (_keys.Count == 0) return false;
        var key = Key(text);
        bool blocked = _keys.Contains(key) || _keys.Any(k => key.StartsWith(k + " ", StringComparison.Ordinal));
        if (blocked) Blocked++;
        return blocked;
    }

    [GeneratedRegex(@"\d[\d,]*")] private static partial Regex Numbers();
    [GeneratedRegex(@"\b[A-Z][a-z]+\b(?<!^\w+)")] private static partial Regex Names();
    [GeneratedRegex(@"[^a-z#@]+")] private static partial Regex NotWords();
    [GeneratedRegex(@"\s+")] private static partial Regex Spaces();
}
