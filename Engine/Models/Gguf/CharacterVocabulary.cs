using System.Text;

namespace Numina.Engine.Models.Gguf;

/// <summary>
/// A SentencePiece-style character vocabulary that round-trips any text exactly: &lt;unk&gt;, &lt;s&gt;, &lt;/s&gt;,
/// the 256 byte tokens, "▁" (the space), then the printable ASCII characters. Anything else (newlines, tabs,
/// non-ASCII) is spelled in UTF-8 byte tokens. llama.cpp's "llama" tokenizer reads it with add_space_prefix off.
/// </summary>
public static class CharacterVocabulary
{
    public const int Unknown = 0, Bos = 1, Eos = 2, FirstByte = 3, Space = 259, FirstPrintable = 260;
    private const int TypeNormal = 1, TypeUnknown = 2, TypeControl = 3, TypeByte = 6;

    public static IReadOnlyList<string> Tokens { get; } = BuildTokens();
    public static int Size => Tokens.Count;

    private static List<string> BuildTokens()
    {
        var tokens = new List<string> { "<unk>", "<s>", "</s>" };
        for (int b = 0; b < 256; b++) tokens.Add($"<0x{b:X2}>");
        tokens.Add("\u2581");
        for (char c = '!'; c <= '~'; c++) tokens.Add(c.ToString());
        return tokens;
    }

    public static IReadOnlyList<int> TokenTypes { get; } = Enumerable.Range(0, Size).Select(i => i switch
    {
        Unknown => TypeUnknown,
        Bos or Eos => TypeControl,
        < Space => TypeByte,
        _ => TypeNormal,
    }).ToList();

    /// <summary>Scores only matter for merges; a character vocabulary has none, so all are equal.</summary>
    public static IReadOnlyList<float> Scores { get; } = Enumerable.Repeat(0f, Size).ToList();

    /// <summary>The ids llama.cpp produces for <paramref name="text"/> (no BOS), computed here for training tools.</summary>
    public static List<int> Encode(string text)
    {
        var ids = new List<int>(text.Length);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in text.EnumerateRunes())
        {
            if (rune.Value == ' ') ids.Add(Space);
            else if (rune.Value is >= '!' and <= '~') ids.Add(FirstPrintable + rune.Value - '!');
            else
            {
                int n = rune.EncodeToUtf8(utf8);
                for (int i = 0; i < n; i++) ids.Add(FirstByte + utf8[i]);
            }
        }
        return ids;
    }

    /// <summary>The text of a sequence of ids (control tokens skipped).</summary>
    public static string Decode(IEnumerable<int> ids)
    {
        var bytes = new List<byte>();
        foreach (var id in ids)
        {
            if (id is >= FirstByte and < Space) bytes.Add((byte)(id - FirstByte));
            else if (id == Space) bytes.Add((byte)' ');
            else if (id >= FirstPrintable && id < Size) bytes.Add((byte)('!' + id - FirstPrintable));
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}
