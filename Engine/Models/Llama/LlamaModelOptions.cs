namespace Numina.Engine.Models.Llama;

/// <summary>How the KV cache stores keys and values.</summary>
public enum KvCacheType { F32, F16, Q8_0 }

/// <summary>How sequences hold their KV cells (llama.cpp's <c>kv_unified</c>).</summary>
public enum KvLayout
{
    /// <summary>
    /// One pool for all sequences: forks share the prompt's cells and a sequence takes only the cells it fills, so a
    /// pool holds the most candidates. But every sequence's attention runs over every live cell, so a step costs more
    /// the more sequences are live (several runs together can be slower than one after another), and where a
    /// sequence's cells lie changes its float rounding: a run's tokens can differ when other runs share the pool.
    /// </summary>
    Shared,
    /// <summary>
    /// A stream of <c>KvPoolTokens / MaxParallelSequences</c> cells for each sequence (a fork copies its prompt's
    /// stream): attention runs over a sequence's own cells only, so a step's cost grows with the sequences in it, not
    /// with their square, and a run's tokens are the same alone or beside others. Each stream must hold a whole
    /// context (prompt and generation), so memory is the most sequences × the context size.
    /// </summary>
    PerSequence,
}

/// <summary>How a GGUF model is loaded (appsettings.json: <c>Engine:Model</c>).</summary>
public sealed record LlamaModelOptions
{
    public string Path { get; init; } = "";
    /// <summary>KV cells shared by all sequences (the llama.cpp context size). Forks share the prompt's cells.</summary>
    public int KvPoolTokens { get; init; } = 16384;
    /// <summary>Layers offloaded to the GPU (needs the CUDA backend build); 0 = CPU only.</summary>
    public int GpuLayers { get; init; }
    /// <summary>CPU threads for decoding; 0 = all cores.</summary>
    public int Threads { get; init; }
    /// <summary>Most tokens llama.cpp takes in one batch (prompt chunks and lock-step steps are split to fit).</summary>
    public int BatchSize { get; init; } = 1024;
    /// <summary>Most sequences alive at once (llama.cpp n_seq_max, at most 256); more candidates wait in waves.</summary>
    public int MaxParallelSequences { get; init; } = 64;
    /// <summary>
    /// How the KV cache stores keys and values. F32 (the default) is twice the memory of F16: batches of different
    /// shapes give a token's keys and values last-bit differences, and F16 storage rounds them apart (token
    /// probabilities moved by ~1e-4 here), enough to flip a sampled token now and then, so a candidate's text would
    /// depend on which others shared its steps. F16 or Q8_0 (a quarter of F32) when memory matters more.
    /// </summary>
    public KvCacheType KvCacheType { get; init; } = KvCacheType.F32;
    /// <summary>
    /// llama.cpp's flash attention. Faster on GPUs, but its CPU kernel accumulates in F16: probabilities moved by
    /// ~1e-3 with the batch's shape here, and reruns of the same seed diverged. Off unless speed matters more.
    /// </summary>
    public bool FlashAttention { get; init; }
    /// <summary>
    /// Map the model file into memory instead of reading it (llama.cpp's default: faster start, pages shared with the
    /// file cache). Off by default: a mapped file that is replaced or truncated in place while the model is loaded
    /// takes the process down (SIGBUS) or changes its weights under it; read, the loaded model is the file as it was.
    /// </summary>
    public bool MemoryMap { get; init; }
    /// <summary>How sequences hold their KV cells (see <see cref="Llama.KvLayout"/>).</summary>
    public KvLayout KvLayout { get; init; } = KvLayout.Shared;
}
