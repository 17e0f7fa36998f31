using Numina.Engine.Models.Gguf;

namespace Numina.Engine.Models.Llama;

/// <summary>The memory a model would need does not fit the machine; the message has the numbers and what to change.</summary>
public sealed class MemoryPlanException(string message, MemoryPlan plan) : InvalidOperationException(message)
{
    public MemoryPlan Plan { get; } = plan;
}

/// <summary>
/// Works out, from a GGUF header and the load options, what llama.cpp will allocate — before it allocates anything —
/// so that a configuration that cannot fit is refused with its numbers instead of ending in an out-of-memory kill:
/// <list type="bullet">
/// <item>weights: the file's tensor data (memory-mapped, but every page is read while decoding);</item>
/// <item>KV cache: 2 (keys, values) × layers × cells × KV width × bytes per value of the cache type;</item>
/// <item>compute buffers: the larger of a micro-batch's attention scores against every cell (cells × micro-batch ×
/// (heads + 1 for the mask) × 4 bytes; with flash attention only the F16 mask, cells × micro-batch × 2) and its logits
/// (vocabulary × micro-batch × 4), plus its activations — llama.cpp reuses one buffer for the graph's phases;</item>
/// <item>logits: vocabulary × most sequences sampled in one step × 4 bytes.</item>
/// </list>
/// The figures are checked against llama.cpp's own buffer report in the tests.
/// </summary>
public static class MemoryPlanner
{
    public static MemoryPlan Plan(GgufHeader header, long fileBytes, LlamaModelOptions options, long? hostAvailable = null, long? deviceAvailable = null)
    {
        var arch = header.GetString("general.architecture") ?? "llama";
        long Int(string key, long fallback) => header.GetInteger($"{arch}.{key}") ?? fallback;
        long layers = Int("block_count", 1);
        long embd = Int("embedding_length", 1);
        long heads = Math.Max(1, Int("attention.head_count", 1));
        long kvHeads = Math.Max(1, Int("attention.head_count_kv", heads));
        long keyWidth = Int("attention.key_length", embd / heads) * kvHeads;
        long valueWidth = Int("attention.value_length", embd / heads) * kvHeads;
        long ff = Int("feed_forward_length", 4 * embd);
        long vocab = header.Values.TryGetValue("tokenizer.ggml.tokens", out var t) && t is object[] tokens ? tokens.Length : Int("vocab_size", 32000);

        long cells = options.KvPoolTokens;
        double bytesPerValue = options.KvCacheType switch { KvCacheType.F16 => 2, KvCacheType.Q8_0 => 34.0 / 32, _ => 4 };
        long kv = (long)(layers * cells * (keyWidth + valueWidth) * bytesPerValue);

        long ubatch = Math.Min(options.BatchSize, 512);
        long attentionPerCell = options.FlashAttention ? ubatch * 2 : ubatch * (heads + 1) * 4;
        long activations = ubatch * (4 * embd + 2 * ff) * 4;
        long batchLogits = vocab * ubatch * 4;
        // Per-sequence streams: a micro-batch's scores run against one stream's cells, not the whole pool's.
        long attended = options.KvLayout == KvLayout.PerSequence ? cells / Math.Max(1, options.MaxParallelSequences) : cells;
        long compute = Math.Max(attentionPerCell * attended, batchLogits) + activations;
        long outputs = vocab * options.MaxParallelSequences * 4;
        long weights = Math.Max(0, fileBytes - header.DataOffset);

        double offloaded = options.GpuLayers <= 0 ? 0 : Math.Min(1.0, options.GpuLayers / (double)(layers + 1));
        long device = options.GpuLayers <= 0 ? 0 : (long)(weights * offloaded) + (long)(kv * Math.Min(1.0, options.GpuLayers / (double)layers)) + compute;
        long host = weights + kv + compute + outputs - device + (options.GpuLayers > 0 ? compute / 4 : 0);

        return new MemoryPlan
        {
            WeightBytes = weights, KvCacheBytes = kv, ComputeBytes = compute, OutputBytes = outputs,
            HostBytes = host, DeviceBytes = device,
            HostAvailableBytes = hostAvailable ?? AvailableHostBytes(),
            DeviceAvailableBytes = options.GpuLayers > 0 ? deviceAvailable ?? AvailableGpuBytes() : null,
            KvCells = options.KvPoolTokens, KvType = options.KvCacheType.ToString(), HeadWidth = keyWidth / kvHeads,
            KvBytesPerCell = (long)(layers * (keyWidth + valueWidth) * bytesPerValue), AttentionBytesPerCell = attentionPerCell * attended / Math.Max(1, cells), AttendedCells = attended,
            BatchLogitsBytes = batchLogits, ActivationBytes = activations,
            ParallelSequences = options.MaxParallelSequences, GpuLayers = options.GpuLayers,
        };
    }

    /// <summary>Refuses a plan that does not fit, naming the biggest part and what would make it fit.</summary>
    public static void EnsureFits(MemoryPlan plan, LlamaModelOptions options)
    {
        // llama.cpp's CPU backend crashes (it does not refuse) on a Q8_0 cache without flash attention or with heads
        // whose width is not a multiple of Q8_0's 32-value blocks: refuse those here.
        if (options.KvCacheType == KvCacheType.Q8_0 && (!options.FlashAttention || plan.HeadWidth % 32 != 0))
            throw new MemoryPlanException(
                $"A Q8_0 KV cache needs flash attention (Engine:Model:FlashAttention: true) and attention heads whose width is a multiple of 32 " +
                $"(this model's: {plan.HeadWidth}). Use KvCacheType F16 or F32.", plan);
        if (plan.HostAvailableBytes is { } host && plan.HostBytes > host)
            throw new MemoryPlanException(
                $"The model needs about {MemoryPlan.Format(plan.HostBytes)} of memory and the machine has {MemoryPlan.Format(host)} available: {plan}. " +
                Advice(plan, options, host), plan);
        if (plan.DeviceAvailableBytes is { } device && plan.DeviceBytes > device)
            throw new MemoryPlanException(
                $"The offloaded part needs about {MemoryPlan.Format(plan.DeviceBytes)} of GPU memory and the GPU has {MemoryPlan.Format(device)} free: {plan}. " +
                $"Offload fewer layers (Engine:Model:GpuLayers, now {options.GpuLayers}) or {Advice(plan, options, device)}", plan);
    }

    private static string Advice(MemoryPlan plan, LlamaModelOptions options, long available)
    {
        // Without the cells: weights, logits, activations. Each cell: its keys and values, and (without flash
        // attention) a micro-batch's attention scores against it, unless the batch's logits buffer is the larger.
        long fixedBytes = plan.WeightBytes + plan.OutputBytes + plan.ActivationBytes;
        long room = available - fixedBytes;
        long cells = plan.KvBytesPerCell > 0 ? (room - plan.BatchLogitsBytes) / plan.KvBytesPerCell : 0;
        if (plan.AttentionBytesPerCell * cells > plan.BatchLogitsBytes)
            cells = room / (plan.KvBytesPerCell + plan.AttentionBytesPerCell);
        if (cells < 64)
            return $"The weights and fixed buffers alone ({MemoryPlan.Format(fixedBytes + plan.BatchLogitsBytes)}) leave no room for a KV cache: use a smaller or more quantized model file, or a smaller batch (Engine:Model:BatchSize, now {options.BatchSize}).";
        var also = new List<string>();
        if (!options.FlashAttention && plan.AttentionBytesPerCell * plan.KvCells > plan.KvCacheBytes)
            also.Add($"turn on flash attention (Engine:Model:FlashAttention), which keeps {MemoryPlan.Format(plan.AttendedCells * (Math.Min(options.BatchSize, 512) * 2L))} of attention buffers instead of {MemoryPlan.Format(plan.AttentionBytesPerCell * plan.KvCells)}");
        if (options.KvCacheType == KvCacheType.F32) also.Add("store the cache as F16 (half) with Engine:Model:KvCacheType");
        else if (options.KvCacheType == KvCacheType.F16 && options.FlashAttention) also.Add("store the cache as Q8_0 (about half) with Engine:Model:KvCacheType");
        return $"Lower Engine:Model:KvPoolTokens from {options.KvPoolTokens:N0} to at most about {cells:N0} (fewer candidates decode at once and the rest wait in waves, or lower the context size per candidate)" +
               (also.Count > 0 ? ", or " + string.Join(", or ", also) : "") + ".";
    }

    /// <summary>MemAvailable, or the cgroup's limit minus its usage when that is smaller (containers).</summary>
    public static long? AvailableHostBytes()
    {
        long? available = null;
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
                if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                    available = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
            if (File.Exists("/sys/fs/cgroup/memory.max") && File.ReadAllText("/sys/fs/cgroup/memory.max").Trim() is var max && max != "max"
                && File.Exists("/sys/fs/cgroup/memory.current"))
            {
                long room = long.Parse(max) - long.Parse(File.ReadAllText("/sys/fs/cgroup/memory.current").Trim());
                available = available is { } a ? Math.Min(a, room) : room;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { }
        return available;
    }

    /// <summary>The free memory of the first GPU as nvidia-smi reports it; null when there is none to ask.</summary>
    public static long? AvailableGpuBytes()
    {
        try
        {
            using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("nvidia-smi", "--query-gpu=memory.free --format=csv,noheader,nounits")
            { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false });
            if (process is null) return null;
            var first = process.StandardOutput.ReadLine();
            process.WaitForExit(5000);
            return long.TryParse(first?.Trim(), out var mib) ? mib << 20 : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; }
    }
}
