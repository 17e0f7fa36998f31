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

/// <summary>Writes llama-architecture GGUF models with the <see cref="CharacterVocabulary"/>: test models and trained ones.</summary>
public static class LlamaGguf
{
    /// <summary>Writes a model whose tensors come from <paramref name="weights"/> (name, element count → values).</summary>
    public static void Write(string path, LlamaShape shape, Func<string, ulong[], float[]> weights, string name = "numina-tiny", string architecture = "llama")
    {
        if (shape.Dim % shape.Heads != 0) throw new ArgumentException("Dim must be a multiple of Heads.");
        if (shape.Vocab != CharacterVocabulary.Size) throw new ArgumentException($"The vocabulary has {CharacterVocabulary.Size} tokens.");
        var w = new GgufWriter()
            .Add("general.architecture", architecture)
            .Add("general.name", name)
            .Add("general.file_type", 0u) // all F32
            .Add($"{architecture}.context_length", (uint)shape.ContextLength)
            .Add($"{architecture}.embedding_length", (uint)shape.Dim)
            .Add($"{architecture}.block_count", (uint)shape.Layers)
            .Add($"{architecture}.feed_forward_length", (uint)shape.FeedForward)
            .Add($"{architecture}.attention.head_count", (uint)shape.Heads)
            .Add($"{architecture}.attention.head_count_kv", (uint)shape.KvHeads)
            .Add($"{architecture}.attention.layer_norm_rms_epsilon", shape.RmsEpsilon)
            .Add($"{architecture}.rope.dimension_count", (uint)shape.HeadDim)
            .Add($"{architecture}.rope.freq_base", shape.RopeBase)
            .Add($"{architecture}.vocab_size", (uint)shape.Vocab)
            .Add("tokenizer.ggml.model", "llama")
            .Add("tokenizer.ggml.tokens", CharacterVocabulary.Tokens)
            .Add("tokenizer.ggml.scores", CharacterVocabulary.Scores)
            .Add("tokenizer.ggml.token_type", CharacterVocabulary.TokenTypes)
            .Add("tokenizer.ggml.bos_token_id", (uint)CharacterVocabulary.Bos)
            .Add("tokenizer.ggml.eos_token_id", (uint)CharacterVocabulary.Eos)
            .Add("tokenizer.ggml.unknown_token_id", (uint)CharacterVocabulary.Unknown)
            .Add("tokenizer.ggml.add_bos_token", true)
            .Add("tokenizer.ggml.add_eos_token", false)
            .Add("tokenizer.ggml.add_space_prefix", false);
        foreach (var (tensor, dims) in shape.Tensors()) w.AddTensor(tensor, dims, weights(tensor, dims));
        w.Write(path);
    }

    /// <summary>
    /// A random model (norms 1, other weights normal with std <paramref name="scale"/>), reproducible from its seed.
    /// With <paramref name="preferPrintable"/>, the output rows of control and byte tokens are shrunk so that the
    /// model mostly writes printable ASCII and spaces: its text then re-tokenizes to the very tokens it sampled.
    /// </summary>
    public static void WriteRandom(string path, LlamaShape shape, int seed, float scale = 0.05f, string architecture = "llama", bool preferPrintable = false)
    {
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
            if (preferPrintable && name == "output.weight")
                for (long i = 0; i < (long)CharacterVocabulary.Space * shape.Dim; i++) data[i] *= 0.02f;
            return data;
        }, name: $"random-{seed}", architecture: architecture);
    }
}
