using System.Text.Json;

namespace Numina.Engine.Models.Gguf;

/// <summary>What a <c>tokenizer.json</c> does not say, or what a caller wants otherwise (names are token pieces).</summary>
public sealed record HuggingFaceTokenizerOptions
{
    /// <summary>llama.cpp's pre-tokenizer name for byte-level BPE ("qwen2", "deepseek-llm", ...); guessed from the regex when null.</summary>
    public string? Pre { get; init; }
    public string? Bos { get; init; }
    public string? Eos { get; init; }
    public bool? AddBos { get; init; }
    /// <summary>Replaces the chat template of <c>tokenizer_config.json</c> (or gives one where it has none).</summary>
    public string? ChatTemplate { get; init; }
}

/// <summary>
/// Reads a Hugging Face <c>tokenizer.json</c> (and the <c>tokenizer_config.json</c> beside it) into the GGUF
/// vocabulary llama.cpp expects, as llama.cpp's converter does: byte-level BPE becomes "gpt2" (pieces, merges, a
/// pre-tokenizer name), SentencePiece-style BPE with byte fallback becomes "llama" (pieces, scores, byte tokens).
/// Added tokens marked special become control tokens, the others user-defined; ids nobody uses become unused pads.
/// </summary>
public static class HuggingFaceTokenizer
{
    /// <summary>The Split regexes of pre-tokenizers llama.cpp knows, by the name it knows them under.</summary>
    private static readonly (string Name, string Fragment)[] KnownPreTokenizers =
    [
        ("qwen2", @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"),
        ("deepseek-v3", @"[!""#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"),
        ("llama3", @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"),
    ];

    public static GgufVocabulary Read(string tokenizerJsonPath, HuggingFaceTokenizerOptions? options = null)
    {
        options ??= new();
        if (!File.Exists(tokenizerJsonPath)) throw new FileNotFoundException($"The tokenizer file '{tokenizerJsonPath}' does not exist.", tokenizerJsonPath);
        using var tokenizer = JsonDocument.Parse(File.ReadAllBytes(tokenizerJsonPath));
        var configPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(tokenizerJsonPath))!, "tokenizer_config.json");
        using var config = File.Exists(configPath) ? JsonDocument.Parse(File.ReadAllBytes(configPath)) : JsonDocument.Parse("{}");

        var root = tokenizer.RootElement;
        var model = root.GetProperty("model");
        var type = model.GetProperty("type").GetString();
        if (type != "BPE")
            throw new InvalidDataException($"'{tokenizerJsonPath}': a {type} tokenizer; only BPE (byte-level or SentencePiece-style) is supported.");
        bool byteFallback = model.TryGetProperty("byte_fallback", out var bf) && bf.ValueKind == JsonValueKind.True;
        bool byteLevel = root.GetRawText().Contains("\"ByteLevel\"", StringComparison.Ordinal);
        if (!byteLevel && !byteFallback)
            throw new InvalidDataException($"'{tokenizerJsonPath}': a BPE tokenizer that is neither byte-level nor SentencePiece-style with byte fallback.");

        // Ids: the model's vocabulary, then added tokens (which may repeat ids of the vocabulary).
        var pieces = new Dictionary<int, string>();
        foreach (var entry in model.GetProperty("vocab").EnumerateObject()) pieces[entry.Value.GetInt32()] = entry.Name;
        var added = new Dictionary<int, bool>(); // id → special
        foreach (var token in root.GetProperty("added_tokens").EnumerateArray())
        {
            int id = token.GetProperty("id").GetInt32();
            pieces[id] = token.GetProperty("content").GetString()!;
            added[id] = token.TryGetProperty("special", out var s) && s.ValueKind == JsonValueKind.True;
        }
        int count = pieces.Keys.Max() + 1;
        var tokens = new string[count];
        var types = new int[count];
        for (int id = 0; id < count; id++)
        {
            if (!pieces.TryGetValue(id, out var piece))
            {
                tokens[id] = $"[PAD{id}]";
                types[id] = TokenType.Unused;
                continue;
            }
            tokens[id] = piece;
            types[id] = added.TryGetValue(id, out var special)
                ? special || LooksSpecial(piece) ? (piece == "<unk>" ? TokenType.Unknown : TokenType.Control) : TokenType.UserDefined
                : !byteLevel && IsByteToken(piece) ? TokenType.Byte : TokenType.Normal;
        }

        var cfg = config.RootElement;
        int? Lookup(string? piece) => piece is null ? null : Array.IndexOf(tokens, piece) is var i && i >= 0 ? i
            : throw new InvalidDataException($"'{tokenizerJsonPath}' has no token '{piece}'.");
        var bos = Lookup(options.Bos ?? ConfigToken(cfg, "bos_token"));
        var eos = Lookup(options.Eos ?? ConfigToken(cfg, "eos_token"));
        var pad = Lookup(ConfigToken(cfg, "pad_token"));
        var unk = byteLevel ? null : Lookup(ConfigToken(cfg, "unk_token"));
        bool addBos = options.AddBos ?? (cfg.TryGetProperty("add_bos_token", out var ab) && ab.ValueKind == JsonValueKind.True);
        bool addEos = cfg.TryGetProperty("add_eos_token", out var ae) && ae.ValueKind == JsonValueKind.True;
        var template = options.ChatTemplate ?? ConfigTemplate(cfg);

        if (byteLevel)
        {
            var merges = model.GetProperty("merges").EnumerateArray()
                .Select(m => m.ValueKind == JsonValueKind.Array ? $"{m[0].GetString()} {m[1].GetString()}" : m.GetString()!).ToList();
            return new GgufVocabulary
            {
                Model = "gpt2", Pre = options.Pre ?? GuessPre(root), Tokens = tokens, TokenTypes = types, Merges = merges,
                Bos = bos, Eos = eos, Padding = pad, AddBos = addBos, AddEos = addEos, ChatTemplate = template,
            };
        }
        // SentencePiece merges the adjacent pair whose piece scores highest; tokenizer.json keeps no scores but lists the
        // merges in that order, so a piece scores minus the rank of the first merge that makes it. Pieces no merge
        // makes (single characters, and the few a model carries unreachable) come after every merge.
        var spmMerges = model.TryGetProperty("merges", out var m) ? m.EnumerateArray()
            .Select(x => x.ValueKind == JsonValueKind.Array ? x[0].GetString() + x[1].GetString() : x.GetString()!.Replace(" ", "")).ToList() : [];
        var ids = new Dictionary<string, int>();
        for (int id = 0; id < count; id++) ids.TryAdd(tokens[id], id);
        var scores = Enumerable.Range(0, count).Select(id => types[id] == TokenType.Normal ? -(float)(spmMerges.Count + id) : 0f).ToArray();
        for (int rank = spmMerges.Count - 1; rank >= 0; rank--)
            if (ids.TryGetValue(spmMerges[rank], out var made)) scores[made] = -rank;
        return new GgufVocabulary
        {
            Model = "llama", Tokens = tokens, TokenTypes = types, Scores = scores,
            Bos = bos, Eos = eos, Unknown = unk, Padding = pad, AddBos = addBos, AddEos = addEos,
            AddSpacePrefix = root.GetProperty("normalizer").GetRawText().Contains("\"Prepend\"", StringComparison.Ordinal),
            ChatTemplate = template,
        };
    }

    /// <summary>Added tokens some tokenizers forget to mark special (llama.cpp's converter and loader treat them as control).</summary>
    private static bool LooksSpecial(string piece) =>
        piece is "<s>" or "</s>" or "<pad>" || piece.StartsWith("<|", StringComparison.Ordinal) && piece.EndsWith("|>", StringComparison.Ordinal)
        || piece.StartsWith("<｜", StringComparison.Ordinal) && piece.EndsWith("｜>", StringComparison.Ordinal);

    private static bool IsByteToken(string piece) =>
        piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>' && Uri.IsHexDigit(piece[3]) && Uri.IsHexDigit(piece[4]);

    private static string? ConfigToken(JsonElement config, string key) =>
        config.TryGetProperty(key, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Object when v.TryGetProperty("content", out var c) => c.GetString(),
            _ => null,
        } : null;

    private static string? ConfigTemplate(JsonElement config)
    {
        if (!config.TryGetProperty("chat_template", out var t)) return null;
        if (t.ValueKind == JsonValueKind.String) return t.GetString() is { Length: > 0 } s ? s : null;
        if (t.ValueKind == JsonValueKind.Array)
            foreach (var named in t.EnumerateArray())
                if (named.GetProperty("name").GetString() == "default") return named.GetProperty("template").GetString();
        return null;
    }

    private static string GuessPre(JsonElement root)
    {
        var regexes = new List<string>();
        if (root.TryGetProperty("pre_tokenizer", out var pre)) CollectRegexes(pre, regexes);
        foreach (var (name, fragment) in KnownPreTokenizers)
            if (regexes.Contains(fragment)) return name;
        return "default";
    }

    private static void CollectRegexes(JsonElement e, List<string> regexes)
    {
        if (e.ValueKind == JsonValueKind.Object)
            foreach (var p in e.EnumerateObject())
                if (p.Name == "Regex" && p.Value.ValueKind == JsonValueKind.String) regexes.Add(p.Value.GetString()!);
                else CollectRegexes(p.Value, regexes);
        else if (e.ValueKind == JsonValueKind.Array)
            foreach (var item in e.EnumerateArray()) CollectRegexes(item, regexes);
    }
}
