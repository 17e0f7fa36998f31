using Numina.Engine.Models;
using Numina.Engine.Models.Gguf;
using Numina.Engine.Models.Llama;
using Numina.Engine.Tests.Support;
using Xunit.Abstractions;

namespace Numina.Engine.Tests.Backend;

/// <summary>What a researcher learns before and while a model loads: the memory plan in bytes (and a refusal when it cannot fit), and llama.cpp's own words.</summary>
[Collection("llama")]
public class ModelDiagnosticsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_plan_that_does_not_fit_is_refused_with_its_numbers_and_what_to_change()
    {
        long available = MemoryPlanner.AvailableHostBytes() ?? throw new InvalidOperationException("no /proc/meminfo");
        var shape = TestModels.TinyShape; // 2 layers × 32 KV values per cell × 2 × 4 bytes = 512 bytes per cell in F32
        long bytesPerCell = 2L * shape.Layers * shape.KvDim * 4;
        int cells = (int)Math.Min(int.MaxValue - 1, 2 * available / bytesPerCell + 1);
        var options = new LlamaModelOptions { Path = TestModels.Tiny, KvPoolTokens = cells, Threads = 2 };
        var error = Assert.Throws<MemoryPlanException>(() => LlamaModel.Load(options));
        output.WriteLine(error.Message);
        Assert.Contains("available", error.Message);
        Assert.Contains("KvPoolTokens", error.Message);
        Assert.Contains("F16", error.Message); // the cheaper cache is suggested
        Assert.True(error.Plan.KvCacheBytes >= 2 * available - bytesPerCell);
        Assert.Equal((long)cells * bytesPerCell, error.Plan.KvCacheBytes);
        Assert.Contains("flash attention", error.Message); // its attention buffers grow with the cells too
        // The process is still here, and a sensible plan loads.
        await using var model = TestModels.Load();
        Assert.True(model.Facts.Memory!.TotalBytes < available);
    }

    public static TheoryData<string, int, int, int, KvCacheType, bool, KvLayout> Plans => new()
    {
        // model, KV cells, parallel sequences, batch, cache type, flash attention, layout
        { "tiny", 8192, 64, 1024, KvCacheType.F32, false, KvLayout.Shared },
        { "tiny", 16384, 8, 256, KvCacheType.F16, false, KvLayout.Shared },
        { "tiny", 8192, 8, 256, KvCacheType.F16, true, KvLayout.Shared },
        { "qwen", 4096, 16, 512, KvCacheType.F32, false, KvLayout.Shared },
        { "tiny", 64 * 2048, 64, 1024, KvCacheType.F32, false, KvLayout.PerSequence },
        { "qwen", 16 * 1024, 16, 512, KvCacheType.F16, false, KvLayout.PerSequence },
    };

    [Theory]
    [MemberData(nameof(Plans))]
    public async Task The_plan_agrees_with_what_llama_cpp_allocates(string which, int cells, int sequences, int batch, KvCacheType kv, bool flash, KvLayout layout)
    {
        var path = which == "tiny" ? TestModels.Tiny : Vocabularies.RandomModel("qwen");
        await using var model = LlamaModel.Load(new LlamaModelOptions
        {
            Path = path, KvPoolTokens = cells, MaxParallelSequences = sequences, BatchSize = batch, KvCacheType = kv, FlashAttention = flash, Threads = 2, KvLayout = layout,
        });
        var plan = model.Facts.Memory!;
        var reported = plan.Reported;
        output.WriteLine($"{plan}\nllama.cpp: {string.Join(", ", reported.Select(r => $"{r.Key} {MemoryPlan.Format(r.Value)}"))}");
        long Sum(string part) => reported.Where(r => r.Key.Contains(part, StringComparison.OrdinalIgnoreCase)).Sum(r => r.Value);
        Assert.Equal(plan.KvCacheBytes, Sum("KV"), tolerance: 1 << 20);
        AssertNear(plan.ComputeBytes, Sum("compute"), 0.25);
        AssertNear(plan.OutputBytes, Sum("output"), 0.10);
        AssertNear(plan.WeightBytes, Sum("model"), 0.05);
    }

    private static void AssertNear(long planned, long actual, double tolerance) =>
        Assert.True(Math.Abs(planned - actual) <= tolerance * actual + (1 << 20), $"planned {MemoryPlan.Format(planned)}, llama.cpp {MemoryPlan.Format(actual)}");

    [Fact]
    public void A_q8_0_cache_without_flash_attention_is_refused_not_crashed()
    {
        var error = Assert.Throws<MemoryPlanException>(() =>
            LlamaModel.Load(new LlamaModelOptions { Path = TestModels.Tiny, KvPoolTokens = 1024, KvCacheType = KvCacheType.Q8_0, Threads = 2 }));
        Assert.Contains("flash attention", error.Message);
    }

    [Fact]
    public void An_unknown_pre_tokenizer_fails_with_llama_cpps_reason()
    {
        var path = TestModels.TempPath("unknown-pre");
        var vocabulary = Vocabularies.Qwen with { Pre = "no-such-pretokenizer" };
        LlamaGguf.WriteRandom(path, new LlamaShape { Dim = 64, Layers = 1, Heads = 4, KvHeads = 4, FeedForward = 64, Vocab = vocabulary.Count }, seed: 1, vocabulary: vocabulary);
        var error = Assert.Throws<ModelFileException>(() => Vocabularies.Load(path));
        output.WriteLine(error.Message);
        Assert.Contains("unknown pre-tokenizer type: 'no-such-pretokenizer'", error.Message);
    }

    [Fact]
    public async Task A_missing_pre_tokenizer_loads_with_llama_cpps_warning_kept()
    {
        var path = TestModels.TempPath("missing-pre");
        var vocabulary = Vocabularies.Qwen with { Pre = null };
        LlamaGguf.WriteRandom(path, new LlamaShape { Dim = 64, Layers = 1, Heads = 4, KvHeads = 4, FeedForward = 64, Vocab = vocabulary.Count }, seed: 1, vocabulary: vocabulary);
        await using var model = Vocabularies.Load(path);
        output.WriteLine(string.Join("\n", model.Facts.Warnings));
        Assert.Contains(model.Facts.Warnings, w => w.Contains("missing pre-tokenizer", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(model.Facts.Warnings, w => w.Contains("GENERATION QUALITY WILL BE DEGRADED", StringComparison.Ordinal));
        // A file that has its pre-tokenizer carries no such warning.
        await using var good = Vocabularies.Load(Vocabularies.RandomModel("qwen"));
        Assert.DoesNotContain(good.Facts.Warnings, w => w.Contains("pre-tokenizer", StringComparison.OrdinalIgnoreCase));
    }
}
