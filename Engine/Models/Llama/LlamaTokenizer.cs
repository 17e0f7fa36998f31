using System.Text;
using LLama;
using LLama.Native;

namespace Numina.Engine.Models.Llama;

/// <summary>
/// Tokenizes and detokenizes exactly as llama.cpp does for one loaded model, with the rules SC-TIR needs:
/// <list type="bullet">
/// <item>a prompt's special tokens come only from its template parts, and it starts with exactly one BOS when the model
/// asks for one (never two, even when a template writes its own);</item>
/// <item>appended text enters exactly as written: a SentencePiece tokenizer puts a space before any text it tokenizes on
/// its own ("56" → "▁5 6"), which the model would read but the transcript does not show, so such text is tokenized
/// behind an anchor that takes the space and the anchor's tokens are dropped;</item>
/// <item>a token's text is its exact bytes, special tokens shown as their own text.</item>
/// </list>
/// Not thread-safe on its own: <see cref="LlamaModel"/> calls it under its lock.
/// </summary>
internal sealed class LlamaTokenizer
{
    private readonly LLamaWeights _weights;
    private readonly SafeLlamaModelHandle.Vocabulary _vocab;
    private readonly byte[][] _bytes;
    /// <summary>Texts that become special tokens in template parts, longest first (llama.cpp matches them the same way).</summary>
    private readonly (string Text, int Id)[] _special;

    public LlamaTokenizer(LLamaWeights weights)
    {
        _weights = weights;
        _vocab = weights.Vocab;
        Count = _vocab.Count;
        _bytes = new byte[Count][];
        var special = new List<(string, int)>();
        Span<byte> buffer = stackalloc byte[256];
        for (int id = 0; id < Count; id++)
        {
            var token = (LLamaToken)id;
            int n = (int)weights.NativeHandle.TokenToSpan(token, buffer, 0, special: true);
            _bytes[id] = n <= buffer.Length ? buffer[..n].ToArray() : Piece(token, n);
            var attributes = token.GetAttributes(_vocab);
            if ((attributes & (LLamaTokenAttr.Control | LLamaTokenAttr.UserDefined)) != 0 && _bytes[id].Length > 0)
                special.Add((Encoding.UTF8.GetString(_bytes[id]), id));
        }
        _special = [.. special.OrderByDescending(s => s.Item1.Length).ThenBy(s => s.Item2)];
        Bos = _vocab.BOS is { } bos ? (int)bos : null;
        AddsBos = _vocab.ShouldAddBOS && Bos is not null;
        _specialIds = [.. _special.Select(s => s.Id)];
        if (Bos is { } b) _specialIds.Add(b);
        // SentencePiece with add_space_prefix puts a space before each text fragment it tokenizes.
        _spaceBeforeFragments = Tokenize("a") is [var only] && _bytes[only] is [(byte)' ', (byte)'a'];
    }

    private readonly HashSet<int> _specialIds;
    private readonly bool _spaceBeforeFragments;

    /// <summary>
    /// A prompt's text from its tokens: as <see cref="Decode"/>, less the space a SentencePiece tokenizer put before each
    /// text fragment (at the start, and after each special token) — the space those models were trained with, which
    /// the prompt's text does not have. Decodes <see cref="TokenizePrompt"/>'s tokens back to the prompt exactly.
    /// </summary>
    /// <param name="addedBos">The first token is a BOS the tokenizer added, which the prompt's text does not show.</param>
    public string DecodePrompt(IReadOnlyList<int> tokens, bool addedBos)
    {
        var bytes = new List<byte>();
        bool fragmentStart = true;
        foreach (var t in addedBos ? tokens.Skip(1) : tokens)
        {
            var piece = _bytes[t];
            bool special = _specialIds.Contains(t);
            if (fragmentStart && !special && _spaceBeforeFragments && piece.Length > 0 && piece[0] == (byte)' ') piece = piece[1..];
            bytes.AddRange(piece);
            fragmentStart = special;
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private byte[] Piece(LLamaToken token, int size)
    {
        var big = new byte[size];
        _weights.NativeHandle.TokenToSpan(token, big, 0, special: true);
        return big;
    }

    public int Count { get; }
    public int? Bos { get; }
    /// <summary>Whether the model wants a BOS token at the start of a prompt (tokenizer.ggml.add_bos_token).</summary>
    public bool AddsBos { get; }
    public IReadOnlyList<string> SpecialTokenTexts => _special.Select(s => s.Text).ToList();

    /// <summary>The exact bytes a token stands for (special tokens as their own text).</summary>
    public ReadOnlySpan<byte> Bytes(int token) => _bytes[token];

    public string Decode(IEnumerable<int> tokens)
    {
        var bytes = new List<byte>();
        foreach (var t in tokens) bytes.AddRange(_bytes[t]);
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>llama.cpp's tokenization of plain text: no BOS, no special tokens recognized.</summary>
    public int[] Tokenize(string text) =>
        text.Length == 0 ? [] : _weights.Tokenize(text, false, false, Encoding.UTF8).Select(t => (int)t).ToArray();

    /// <summary>
    /// A prompt's tokens: special tokens found in template parts, the text between them (template and content alike)
    /// tokenized as llama.cpp tokenizes each text fragment, then one BOS in front when the model wants one and the
    /// template did not write it.
    /// </summary>
    public int[] TokenizePrompt(PromptText prompt) => TokenizePrompt(prompt, out _);

    /// <param name="addedBos">Whether the BOS in front was added here (the prompt's text does not show it).</param>
    public int[] TokenizePrompt(PromptText prompt, out bool addedBos)
    {
        var tokens = new List<int>();
        var run = new StringBuilder();
        void Flush()
        {
            if (run.Length == 0) return;
            tokens.AddRange(Tokenize(run.ToString()));
            run.Clear();
        }
        foreach (var part in prompt.Parts)
        {
            if (!part.IsTemplate)
            {
                run.Append(part.Text);
                continue;
            }
            var text = part.Text;
            for (int i = 0; i < text.Length;)
            {
                int special = SpecialAt(text, i);
                if (special < 0)
                {
                    run.Append(text[i++]);
                    continue;
                }
                Flush();
                tokens.Add(_special[special].Id);
                i += _special[special].Text.Length;
            }
        }
        Flush();
        addedBos = AddsBos && (tokens.Count == 0 || tokens[0] != Bos);
        if (addedBos) tokens.Insert(0, Bos!.Value);
        return [.. tokens];
    }

    private int SpecialAt(string text, int at)
    {
        for (int s = 0; s < _special.Length; s++)
            if (string.CompareOrdinal(text, at, _special[s].Text, 0, _special[s].Text.Length) == 0 && at + _special[s].Text.Length <= text.Length)
                return s;
        return -1;
    }

    /// <summary>Anchors put before text that a tokenizer would otherwise give a leading space.</summary>
    private static readonly string[] Anchors = ["\n", "a", "."];

    /// <summary>
    /// Tokens that spell exactly <paramref name="text"/> when it follows other text in a sequence (tool output, the
    /// cut text of a stop). Byte-level BPE tokenizes it as it is; SentencePiece would add a leading "▁", so the text is
    /// tokenized behind an anchor that takes that space and the anchor's own tokens are dropped.
    /// </summary>
    public int[] TokenizeContinuation(string text)
    {
        if (text.Length == 0) return [];
        var plain = Tokenize(text);
        if (Decode(plain) == text) return plain;
        foreach (var anchor in Anchors)
        {
            var anchored = Tokenize(anchor + text);
            int cut = PrefixSpelling(anchored, [" " + anchor, anchor]);
            if (cut < 0) continue;
            var rest = anchored[cut..];
            if (Decode(rest) == text) return rest;
        }
        throw new InvalidOperationException($"The tokenizer cannot spell the appended text exactly: '{Shorten(text)}' comes back as '{Shorten(Decode(plain))}'.");
    }

    /// <summary>How many leading tokens spell one of <paramref name="prefixes"/> exactly; -1 when none do.</summary>
    private int PrefixSpelling(int[] tokens, string[] prefixes)
    {
        var bytes = new List<byte>();
        for (int i = 0; i < tokens.Length; i++)
        {
            bytes.AddRange(_bytes[tokens[i]]);
            var text = Encoding.UTF8.GetString(bytes.ToArray());
            if (prefixes.Contains(text)) return i + 1;
            if (!prefixes.Any(p => p.StartsWith(text, StringComparison.Ordinal))) return -1;
        }
        return -1;
    }

    private static string Shorten(string s) => (s.Length > 40 ? s[..40] + "…" : s).Replace("\n", "\\n");

    /// <summary>
    /// Renders chat messages through llama.cpp's chat template support: <paramref name="template"/> is a Jinja template
    /// (the model's own tokenizer.chat_template) or a template name llama.cpp knows ("chatml", "llama2", ...).
    /// </summary>
    public static string ApplyChatTemplate(string template, IReadOnlyList<ChatMessage> messages, bool addAssistant)
    {
        var renderer = new LLamaTemplate(template) { AddAssistant = addAssistant };
        foreach (var m in messages) renderer.Add(m.Role, m.Content);
        try
        {
            return Encoding.UTF8.GetString(renderer.Apply());
        }
        catch (LLama.Exceptions.MissingTemplateException)
        {
            throw new ChatTemplateException($"llama.cpp does not know this chat template: '{Shorten(template)}'.");
        }
    }
}
