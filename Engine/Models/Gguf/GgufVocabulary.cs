using System.Text;

namespace Numina.Engine.Models.Gguf;

/// <summary>llama.cpp's token types (<c>tokenizer.ggml.token_type</c>).</summary>
public static class TokenType
{
    public const int Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6;
}

/// <summary>
/// The tokenizer part of a GGUF file — what llama.cpp reads to tokenize (<c>tokenizer.ggml.*</c>) and the chat
/// template. Either SentencePiece-style (<c>llama</c>: pieces with "▁" for the space, byte-fallback tokens, scores) or
/// byte-level BPE (<c>gpt2</c>: GPT-2's byte-to-unicode pieces, merges, a named pre-tokenizer).
/// </summary>
public sealed record GgufVocabulary
{
    /// <summary>"llama" (SentencePiece) or "gpt2" (byte-level BPE).</summary>
    public required string Model { get; init; }
    /// <summary>The pre-tokenizer llama.cpp applies to byte-level BPE ("qwen2", "deepseek-llm", ...); null for SentencePiece.</summary>
    public string? Pre { get; init; }
    public required IReadOnlyList<string> Tokens { get; init; }
    public required IReadOnlyList<int> TokenTypes { get; init; }
    /// <summary>SentencePiece merge priorities (higher merges first); null for byte-level BPE.</summary>
    public IReadOnlyList<float>? Scores { get; init; }
    /// <summary>Byte-level BPE merges, "left right", in priority order; null for SentencePiece.</summary>
    public IReadOnlyList<string>? Merges { get; init; }
    public int? Bos { get; init; }
    public int? Eos { get; init; }
    public int? Unknown { get; init; }
    public int? Padding { get; init; }
    public bool AddBos { get; init; }
    public bool AddEos { get; init; }
    /// <summary>SentencePiece's leading space before text (absent in a file means true for "llama").</summary>
    public bool? AddSpacePrefix { get; init; }
    /// <summary><c>tokenizer.chat_template</c>: the model's Jinja chat template, as Hugging Face ships it.</summary>
    public string? ChatTemplate { get; init; }

    public int Count => Tokens.Count;

    /// <summary>Writes every <c>tokenizer.*</c> key this vocabulary has.</summary>
    public void WriteTo(GgufWriter w)
    {
        w.Add("tokenizer.ggml.model", Model);
        if (Pre is not null) w.Add("tokenizer.ggml.pre", Pre);
        w.Add("tokenizer.ggml.tokens", Tokens);
        w.Add("tokenizer.ggml.token_type", TokenTypes);
        if (Scores is not null) w.Add("tokenizer.ggml.scores", Scores);
        if (Merges is not null) w.Add("tokenizer.ggml.merges", Merges);
        if (Bos is { } bos) w.Add("tokenizer.ggml.bos_token_id", (uint)bos);
        if (Eos is { } eos) w.Add("tokenizer.ggml.eos_token_id", (uint)eos);
        if (Unknown is { } unk) w.Add("tokenizer.ggml.unknown_token_id", (uint)unk);
        if (Padding is { } pad) w.Add("tokenizer.ggml.padding_token_id", (uint)pad);
        w.Add("tokenizer.ggml.add_bos_token", AddBos);
        w.Add("tokenizer.ggml.add_eos_token", AddEos);
        if (AddSpacePrefix is { } prefix) w.Add("tokenizer.ggml.add_space_prefix", prefix);
        if (ChatTemplate is not null) w.Add("tokenizer.chat_template", ChatTemplate);
    }

    /// <summary>The one-character-per-token vocabulary of the bundled tiny model.</summary>
    public static GgufVocabulary Characters { get; } = new()
    {
        Model = "llama",
        Tokens = CharacterVocabulary.Tokens,
        TokenTypes = CharacterVocabulary.TokenTypes,
        Scores = CharacterVocabulary.Scores,
        Bos = CharacterVocabulary.Bos,
        Eos = CharacterVocabulary.Eos,
        Unknown = CharacterVocabulary.Unknown,
        AddBos = true,
        AddEos = false,
        AddSpacePrefix = false,
    };

    private Dictionary<string, int>? _ids;

    /// <summary>The id of a token given as its piece (e.g. "<|im_end|>", "Ġthe", "▁the", "<0x0A>").</summary>
    public int Id(string piece)
    {
        _ids ??= Tokens.Select((t, i) => (t, i)).GroupBy(x => x.t).ToDictionary(g => g.Key, g => g.First().i);
        return _ids.TryGetValue(piece, out var id) ? id : throw new KeyNotFoundException($"The vocabulary has no token '{piece}'.");
    }

    /// <summary>
    /// The bytes a token stands for in text, as llama.cpp renders it with special tokens shown: byte-level pieces
    /// decoded through GPT-2's byte-to-unicode table, SentencePiece "▁" as a space and &lt;0xNN&gt; as its byte, control
    /// and user-defined tokens as their own text.
    /// </summary>
    public byte[] TokenBytes(int id)
    {
        var piece = Tokens[id];
        int type = TokenTypes[id];
        if (type is TokenType.Control or TokenType.UserDefined or TokenType.Unknown or TokenType.Unused) return Encoding.UTF8.GetBytes(piece);
        if (Model == "gpt2") return ByteLevel.Decode(piece);
        if (type == TokenType.Byte && piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal))
            return [Convert.ToByte(piece[3..5], 16)];
        return Encoding.UTF8.GetBytes(piece.Replace('\u2581', ' '));
    }
}

/// <summary>GPT-2's reversible map between bytes and printable characters, which byte-level BPE pieces are spelled in.</summary>
public static class ByteLevel
{
    private static readonly char[] ByteToChar = BuildTable();
    private static readonly Dictionary<char, byte> CharToByte = ByteToChar.Select((c, b) => (c, b)).ToDictionary(x => x.c, x => (byte)x.b);

    private static char[] BuildTable()
    {
        var table = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            table[b] = printable ? (char)b : (char)next++;
        }
        return table;
    }

    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder(bytes.Length);
        foreach (var b in bytes) sb.Append(ByteToChar[b]);
        return sb.ToString();
    }

    /// <summary>The bytes of a byte-level piece; characters outside the table (added tokens) are taken as UTF-8.</summary>
    public static byte[] Decode(string piece)
    {
        var bytes = new List<byte>(piece.Length);
        foreach (var c in piece)
        {
            if (CharToByte.TryGetValue(c, out var b)) bytes.Add(b);
            else bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
        }
        return [.. bytes];
    }
}
