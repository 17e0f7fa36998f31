namespace Numina.Engine.Models.Gguf;

/// <summary>The shape of a llama-architecture model.</summary>
public sealed record LlamaShape
{
    public int Dim { get; init; } = 64;
    public int Layers { get; init; } = 2;
    public int Heads { get; init; } = 4;
    public int KvHeads { get; init; } = 4;
    public int FeedForward { get; init; } = 128;
    public int ContextLength { get; init; } = 2048;
    public int Vocab { get; init; } = CharacterVocabulary.Size;
    public float RmsEpsilon { get; init; } = 1e-5f;
    public float RopeBase { get; init; } = 10000f;
    public int HeadDim => Dim / Heads;
    public int KvDim => HeadDim * KvHeads;

    public long Parameters =>
        2L * Vocab * Dim + Dim + (long)Layers * (2L * Dim + 2L * Dim * Dim + 2L * Dim * KvDim + 3L * Dim * FeedForward);

    /// <summary>Every tensor of the model with its dimensions (ne0 first), in file order.</summary>
    public IEnumerable<(string Name, ulong[] Dims)> Tensors()
    {
        ulong d = (ulong)Dim, v = (ulong)Vocab, kv = (ulong)KvDim, ff = (ulong)FeedForward;
        yield return ("token_embd.weight", [d, v]);
        for (int l = 0; l < Layers; l++)
        {
            yield return ($"blk.{l}.attn_norm.weight", [d]);
            yield return ($"blk.{l}.attn_q.weight", [d, d]);
            yield return ($"blk.{l}.attn_k.weight", [d, kv]);
            yield return ($"blk.{l}.attn_v.weight", [d, kv]);
            yield return ($"blk.{l}.attn_output.weight", [d, d]);
            yield return ($"blk.{l}.ffn_norm.weight", [d]);
            yield return ($"blk.{l}.ffn_gate.weight", [d, ff]);
            yield return ($"blk.{l}.ffn_up.weight", [d, ff]);
            yield return ($"blk.{l}.ffn_down.weight", [ff, d]);
        }
        yield return ("output_norm.weight", [d]);
        yield return ("output.weight", [d, v]);
    }
}

/// <summary>
/// Writes llama-architecture GGUF models: the bundled tiny model and test models, with the <see cref="CharacterVocabulary"/>
/// or any <see cref="GgufVocabulary"/> (e.g. a real model's, read from its tokenizer.json).
/// </summary>
public static class LlamaGguf
{
    /// <summary>Writes a model whose tensors come from <paramref name="weights"/> (name, dimensions → values).</summary>
    /// <param name="tensorType">How each tensor is stored (default F32; large vocabularies are written smaller in Q8_0).</param>
    public static void Write(string path, LlamaShape shape, Func<string, ulong[], float[]> weights, string name = "numina-tiny",
        string architecture = "llama", GgufVocabulary? vocabulary = null, Func<string, GgmlType>? tensorType = null)
    {
        vocabulary ??= GgufVocabulary.Characters;
        if (shape.Dim % shape.Heads != 0) throw new ArgumentException("Dim must be a multiple of Heads.");
        if (shape.Vocab != vocabulary.Count) throw new ArgumentException($"The shape has {shape.Vocab} tokens; the vocabulary {vocabulary.Count}.");
        bool allF32 = tensorType is null || shape.Tensors().All(t => tensorType(t.Name) == GgmlType.F32);
        var w = new GgufWriter()
            .Add("general.architecture", architecture)
            .Add("general.name", name)
            .Add("general.file_type", allF32 ? 0u : 7u) // all F32, or "mostly Q8_0"
            .Add($"{architecture}.context_length", (uint)shape.ContextLength)
            .Add($"{architecture}.embedding_length", (uint)shape.Dim)
            .Add($"{architecture}.block_count", (uint)shape.Layers)
            .Add($"{architecture}.feed_forward_length", (uint)shape.FeedForward)
            .Add($"{architecture}.attention.head_count", (uint)shape.Heads)
            .Add($"{architecture}.attention.head_count_kv", (uint)shape.KvHeads)
            .Add($"{architecture}.attention.layer_norm_rms_epsilon", shape.RmsEpsilon)
            .Add($"{architecture}.rope.dimension_count", (uint)shape.HeadDim)
            .Add($"{architecture}.rope.freq_base", shape.RopeBase)
            .Add($"{architecture}.vocab_size", (uint)shape.Vocab);
        vocabulary.WriteTo(w);
        foreach (var (tensor, dims) in shape.Tensors()) w.AddTensor(tensor, dims, weights(tensor, dims), tensorType?.Invoke(tensor) ?? GgmlType.F32);
        w.Write(path);
    }

    /// <summary>Q8_0 for the two vocabulary-sized tensors when the vocabulary is large (a 152k × 64 F32 matrix is 39 MB).</summary>
    public static Func<string, GgmlType> CompactTypes(GgufVocabulary vocabulary) => name =>
        vocabulary.Count > 4096 && name is "token_embd.weight" or "output.weight" ? GgmlType.Q8_0 : GgmlType.F32;

    /// <summary>
    /// A random model (norms 1, other weights normal with std <paramref name="scale"/>), reproducible from its seed.
    /// With <paramref name="preferPrintable"/> (character vocabulary only), the output rows of control and byte tokens
    /// are shrunk so that the model mostly writes printable ASCII and spaces: its text then re-tokenizes to the very
    /// tokens it sampled.
    /// </summary>
    public static void WriteRandom(string path, LlamaShape shape, int seed, float scale = 0.05f, string architecture = "llama",
        bool preferPrintable = false, GgufVocabulary? vocabulary = null)
    {
        vocabulary ??= GgufVocabulary.Characters;
        var rng = new Random(seed);
        Write(path, shape, (name, dims) =>
        {
            var data = new float[(long)dims.Aggregate(1UL, (a, b) => a * b)];
            if (name.EndsWith("norm.weight", StringComparison.Ordinal)) Array.Fill(data, 1f);
            else
                for (long i = 0; i < data.LongLength; i++)
                {
                    // Box-Muller: a normal value from two uniform ones.
                    double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
                    data[i] = (float)(scale * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
                }
            if (preferPrintable && name == "output.weight" && ReferenceEquals(vocabulary, GgufVocabulary.Characters))
                for (long i = 0; i < (long)CharacterVocabulary.Space * shape.Dim; i++) data[i] *= 0.02f;
            return data;
        }, name: $"random-{seed}", architecture: architecture, vocabulary: vocabulary, tensorType: CompactTypes(vocabulary));
    }

    /// <summary>
    /// A model whose next token is a fixed function of the current one, whatever came before: attention and
    /// feed-forward outputs are zero, so the last hidden state is the current token's embedding; each token in
    /// <paramref name="next"/> gets its own one-hot embedding and the output matrix maps it to its successor with a
    /// margin no sampler setting can overturn. Every other token leads to <paramref name="otherwise"/>. Tests push exact
    /// token paths through the whole engine with it, on real vocabularies.
    /// </summary>
    public static void WriteSuccessor(string path, GgufVocabulary vocabulary, IReadOnlyDictionary<int, int> next, int otherwise, int contextLength = 4096)
    {
        int dim = Math.Max(64, (next.Count + 1 + 31) / 32 * 32);
        var shape = new LlamaShape { Dim = dim, Layers = 1, Heads = 4, KvHeads = 4, FeedForward = 32, ContextLength = contextLength, Vocab = vocabulary.Count };
        var slot = next.Keys.Select((token, i) => (token, i)).ToDictionary(x => x.token, x => x.i + 1); // slot 0: every other token
        const float Margin = 4f; // × √dim after the final RMS norm: logits of 32+ against 0
        Write(path, shape, (name, dims) =>
        {
            var data = new float[(long)dims.Aggregate(1UL, (a, b) => a * b)];
            switch (name)
            {
                case var n when n.EndsWith("norm.weight", StringComparison.Ordinal):
                    Array.Fill(data, 1f);
                    break;
                case "token_embd.weight":
                    for (int t = 0; t < vocabulary.Count; t++) data[(long)t * dim + slot.GetValueOrDefault(t)] = 1f;
                    break;
                case "output.weight":
                    foreach (var (from, to) in next) data[(long)to * dim + slot[from]] = Margin;
                    data[(long)otherwise * dim] = Margin;
                    break;
            }
            return data; // attention and feed-forward weights stay zero
        }, name: "successor", vocabulary: vocabulary, tensorType: CompactTypes(vocabulary));
    }
}
