namespace Numina.Engine.Models.Llama;

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
}
