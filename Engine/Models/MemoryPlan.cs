namespace Numina.Engine.Models;

/// <summary>
/// What a loaded model will take, in bytes, worked out from the model file's header before anything is loaded:
/// the weights, the KV cache (the pool every candidate shares), the compute buffers, and the logits of a batch.
/// After loading, <see cref="Reported"/> holds llama.cpp's own figures for the same buffers.
/// </summary>
public sealed record MemoryPlan
{
    public long WeightBytes { get; init; }
    public long KvCacheBytes { get; init; }
    public long ComputeBytes { get; init; }
    public long OutputBytes { get; init; }
    /// <summary>Bytes in host memory (everything not offloaded).</summary>
    public long HostBytes { get; init; }
    /// <summary>Bytes on the GPU (offloaded layers' weights and KV cells); 0 on a CPU-only plan.</summary>
    public long DeviceBytes { get; init; }
    /// <summary>Memory the machine had available when the plan was made (host; and the GPU's free memory when offloading).</summary>
    public long? HostAvailableBytes { get; init; }
    public long? DeviceAvailableBytes { get; init; }
    /// <summary>The inputs, for the record: KV cells, cache type, parallel sequences, layers offloaded.</summary>
    public int KvCells { get; init; }
    /// <summary>The cells one micro-batch's attention scores run against: all of them, or one sequence's stream.</summary>
    public long AttendedCells { get; init; }
    public string KvType { get; init; } = "";
    public int ParallelSequences { get; init; }
    public int GpuLayers { get; init; }
    /// <summary>Keys and values of one KV cell, all layers.</summary>
    public long KvBytesPerCell { get; init; }
    /// <summary>Attention buffer per KV cell for one micro-batch (the scores of every head, or flash attention's F16 mask).</summary>
    public long AttentionBytesPerCell { get; init; }
    /// <summary>A micro-batch's logits (the compute buffer's other large phase) and activations.</summary>
    public long BatchLogitsBytes { get; init; }
    public long ActivationBytes { get; init; }
    /// <summary>Width of one attention head's keys (values per head per cell).</summary>
    public long HeadWidth { get; init; }
    /// <summary>llama.cpp's own buffer sizes after loading ("CPU KV buffer" → bytes), when it reported them.</summary>
    public IReadOnlyDictionary<string, long> Reported { get; init; } = new Dictionary<string, long>();

    public long TotalBytes => WeightBytes + KvCacheBytes + ComputeBytes + OutputBytes;

    public static string Format(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.0} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MiB",
        _ => $"{bytes / 1024.0:0.0} KiB",
    };

    public override string ToString() =>
        $"weights {Format(WeightBytes)} + KV cache {Format(KvCacheBytes)} ({KvCells:N0} cells, {KvType}) + compute {Format(ComputeBytes)} + logits {Format(OutputBytes)} = {Format(TotalBytes)}" +
        (DeviceBytes > 0 ? $" ({Format(DeviceBytes)} on the GPU)" : "") +
        (HostAvailableBytes is { } free ? $"; {Format(free)} available" : "");
}
