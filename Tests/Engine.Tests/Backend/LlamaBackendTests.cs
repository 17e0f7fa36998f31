using Numina.Engine.Models;
using Numina.Engine.Models.Gguf;
using Numina.Engine.Models.Llama;
using Xunit.Abstractions;

namespace Numina.Engine.Tests.Backend;

/// <summary>Real LLamaSharp decoding on random GGUF models generated here.</summary>
[Collection("llama")]
public class LlamaBackendTests(ITestOutputHelper output)
{
    private static readonly PromptOptions Options = new() { MaxSequenceTokens = 1024, Sequences = 8 };
    private const string Prompt = "### Problem: What is $2 + 2$?\n### Solution: ";

    private static async Task<Generation> Generate(ISequence s, int tokens, params string[] stops) =>
        await s.GenerateAsync(new GenerationRequest { MaxNewTokens = tokens, StopStrings = stops }, null, CancellationToken.None);

    private static SamplingSettings Sampler(ulong seed, double temperature = 1.0) => new() { Seed = seed, Temperature = temperature };

    [Theory]
    [InlineData("plain words and spaces")]
    [InlineData("  two leading spaces, trailing  ")]
    [InlineData("line one\nline two\n\n\ttabbed")]
    [InlineData("\\boxed{\\frac{1}{2}} and \\( x^2 \\)")]
    [InlineData("```python\nprint({'a': [1, 2]})\n```\n```output\n")]
    [InlineData("non-ASCII: é ß ∑ 数学 🙂")] // (U+2581 itself cannot round-trip: SentencePiece uses it for the space)
    [InlineData("</s> <s> <unk> stay text")]
    public async Task Tokenize_and_detokenize_round_trip_exactly(string text)
    {
        await using var model = TestModels.Load();
        var tokens = model.Tokenize(text);
        Assert.Equal(CharacterVocabulary.Encode(text), tokens);
        Assert.Equal(text, model.Detokenize(tokens));
        Assert.Equal(text, CharacterVocabulary.Decode(tokens));
    }

    [Fact]
    public async Task Model_facts_come_from_the_file()
    {
        await using var model = TestModels.Load();
        Assert.Equal("llama", model.Facts.Architecture);
        Assert.Equal(TestModels.TinyShape.Parameters, model.Facts.Parameters);
        Assert.Equal("F32", model.Facts.Quantization);
        Assert.Equal(4096, model.Facts.ContextLength);
        Assert.Equal("CPU", model.Facts.Device);
    }

    [Fact]
    public async Task Same_seed_gives_the_same_text()
    {
        await using var model = TestModels.Load();
        using var prompt = await model.EvaluatePromptAsync(Prompt, Options, CancellationToken.None);
        using var a = prompt.Fork(Sampler(11));
        using var b = prompt.Fork(Sampler(11));
        using var c = prompt.Fork(Sampler(12));
        var ta = (await Generate(a, 60)).Text;
        var tb = (await Generate(b, 60)).Text;
        var tc = (await Generate(c, 60)).Text;
        Assert.Equal(ta, tb);
        Assert.NotEqual(ta, tc);
    }

    [Fact]
    public async Task A_candidates_text_is_the_same_alone_or_among_seven_others()
    {
        await using var model = TestModels.Load();
        using var prompt = await model.EvaluatePromptAsync(Prompt, Options, CancellationToken.None);
        string alone;
        using (var s = prompt.Fork(Sampler(100))) alone = (await Generate(s, 80)).Text;

        var sequences = Enumerable.Range(0, 8).Select(i => prompt.Fork(Sampler(100 + (ulong)i))).ToList();
        // Staggered: the others join and leave the batch at different steps.
        var texts = await Task.WhenAll(sequences.Select((s, i) => Generate(s, 80 - 7 * i)));
        foreach (var s in sequences) s.Dispose();
        Assert.Equal(alone, texts[0].Text);
        Assert.Equal(8, texts.Select(t => t.Text).Distinct().Count());
    }

    [Fact]
    public async Task A_stop_string_spanning_tokens_is_detected_and_kept()
    {
        await using var model = TestModels.Load();
        using var prompt = await model.EvaluatePromptAsync(Prompt, Options, CancellationToken.None);
        string free;
        using (var s = prompt.Fork(Sampler(5, temperature: 0.5))) free = (await Generate(s, 120)).Text;
        Assert.True(TestModels.IsPlain(free), "the test model should write plain ASCII: " + free);
        // Three characters from the middle: three tokens in this vocabulary.
        var stop = free.Substring(60, 3);
        int expectedEnd = free.IndexOf(stop, StringComparison.Ordinal) + stop.Length;
        using var again = prompt.Fork(Sampler(5, temperature: 0.5));
        var g = await Generate(again, 120, "never-appears", stop);
        Assert.Equal(StopReason.StopString, g.StopReason);
        Assert.Equal(stop, g.StopString);
        Assert.Equal(free[..expectedEnd], g.Text);
        Assert.Equal(model.Tokenize(g.Text).Length, g.TokenCount);
    }

    [Fact]
    public async Task Token_limit_and_end_of_sequence_are_reported()
    {
        await using var model = TestModels.Load();
        using var prompt = await model.EvaluatePromptAsync(Prompt, Options, CancellationToken.None);
        using var s = prompt.Fork(Sampler(3));
        var g = await Generate(s, 25);
        Assert.Equal(StopReason.TokenLimit, g.StopReason);
        Assert.Equal(25, g.TokenCount);
        Assert.Equal(25, s.Tokens.Generated);
    }

    [Fact]
    public async Task Appended_output_enters_the_candidates_own_context()
    {
        await using var model = TestModels.Load();
        using var prompt = await model.EvaluatePromptAsync(Prompt, Options, CancellationToken.None);
        using var s = prompt.Fork(Sampler(9, temperature: 0));
        var first = await Generate(s, 30);
        Assert.True(TestModels.IsPlain(first.Text), "the test model should write plain ASCII: " + first.Text);
        var before = s.Tokens;
        const string output = "4\n```\nSo the answer is ";
        int appended = s.Append(output);
        Assert.Equal(model.Tokenize(output).Length, appended);
        Assert.Equal(before.Total + appended, s.Tokens.Total);
        Assert.Equal(appended, s.Tokens.Appended);
        var next = await Generate(s, 30);

        // The same greedy continuation as a fresh prompt holding the whole transcript: the output really is in context.
        using var whole = await model.EvaluatePromptAsync(Prompt + first.Text + output, Options, CancellationToken.None);
        using var reference = whole.Fork(Sampler(9, temperature: 0));
        Assert.Equal((await Generate(reference, 30)).Text, next.Text);
        Assert.Equal(prompt.TokenCount, s.Tokens.SharedPrompt);
    }

    [Fact]
    public async Task Every_generated_piece_reports_the_models_probability()
    {
        await using var model = TestModels.Load();
        using var prompt = await model.EvaluatePromptAsync(Prompt, Options, CancellationToken.None);
        using var s = prompt.Fork(Sampler(4));
        var pieces = new List<GeneratedPiece>();
        var g = await s.GenerateAsync(new GenerationRequest { MaxNewTokens = 40 }, p => pieces.Add(p), CancellationToken.None);
        Assert.Equal(g.Text, string.Concat(pieces.Select(p => p.Text)));
        Assert.All(pieces, p => Assert.InRange(p.Probability, 1e-9f, 1f));
        using var greedy = prompt.Fork(Sampler(4, temperature: 0));
        var top = new List<float>();
        await greedy.GenerateAsync(new GenerationRequest { MaxNewTokens = 20 }, p => top.Add(p.Probability), CancellationToken.None);
        Assert.True(top.Average() > pieces.Average(p => p.Probability), "greedy tokens are the likeliest");
    }

    [Fact]
    public async Task Cancellation_mid_decode_leaves_the_backend_reusable()
    {
        await using var model = TestModels.Load();
        using var prompt = await model.EvaluatePromptAsync(Prompt, Options, CancellationToken.None);
        using var cts = new CancellationTokenSource();
        var victims = Enumerable.Range(0, 4).Select(i => prompt.Fork(Sampler((ulong)i))).ToList();
        int seen = 0;
        var runs = victims.Select(v => v.GenerateAsync(new GenerationRequest { MaxNewTokens = 900 },
            _ => { if (Interlocked.Increment(ref seen) == 50) cts.Cancel(); }, cts.Token)).ToList();
        foreach (var run in runs) await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        foreach (var v in victims) v.Dispose();

        using var fresh = prompt.Fork(Sampler(11));
        using var reference = prompt.Fork(Sampler(11));
        Assert.Equal((await Generate(reference, 40)).Text, (await Generate(fresh, 40)).Text);
        output.WriteLine($"cancelled after {seen} pieces");
    }

    [Fact]
    public async Task A_full_pool_queues_candidates_in_waves_and_frees_cells_on_dispose()
    {
        // 600 cells; each candidate may grow to 200 tokens: only a few fit at once.
        await using var model = TestModels.Load(pool: 600);
        using var prompt = await model.EvaluatePromptAsync(Prompt, new PromptOptions { MaxSequenceTokens = 200, Sequences = 12 }, CancellationToken.None);
        Assert.True(prompt.Plan.Waves);
        Assert.InRange(prompt.Plan.Concurrent, 1, 4);
        output.WriteLine(prompt.Plan.ToString());
        var texts = await Task.WhenAll(Enumerable.Range(0, 12).Select(async i =>
        {
            using var s = prompt.Fork(Sampler((ulong)i));
            return await Generate(s, 150);
        }));
        // Every candidate ran to its limit (or to the random model's end-of-sequence token) although only a few fit at once.
        Assert.All(texts, t => Assert.True(t.TokenCount == 150 || t.StopReason == StopReason.EndOfSequence, $"{t.StopReason} after {t.TokenCount}"));
        Assert.True(texts.Count(t => t.TokenCount == 150) >= 6);
    }

    [Fact]
    public async Task A_context_too_small_is_a_clear_error()
    {
        await using var model = TestModels.Load(pool: 256);
        var tooSmall = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            model.EvaluatePromptAsync(Prompt, new PromptOptions { MaxSequenceTokens = 20 }, CancellationToken.None));
        Assert.Contains("leaves no room to generate", tooSmall.Message);
        var poolTooSmall = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            model.EvaluatePromptAsync(Prompt, new PromptOptions { MaxSequenceTokens = 4096 }, CancellationToken.None));
        Assert.Contains("cannot hold even one candidate", poolTooSmall.Message);
    }

    [Fact]
    public async Task A_model_file_removed_or_overwritten_while_loaded_changes_nothing_for_the_loaded_model()
    {
        var path = TestModels.TempPath("replaced");
        File.Copy(TestModels.Tiny, path, overwrite: true);
        await using var model = TestModels.Load(path);
        using var prompt = await model.EvaluatePromptAsync(Prompt, Options, CancellationToken.None);
        using (var before = prompt.Fork(Sampler(5)))
        {
            var expected = (await Generate(before, 60)).Text;
            // Overwritten in place (same inode, cut short, then other bytes), as a careless copy onto it does.
            using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
            {
                file.SetLength(0);
                file.Write(new byte[4096]);
            }
            using var afterOverwrite = prompt.Fork(Sampler(5));
            Assert.Equal(expected, (await Generate(afterOverwrite, 60)).Text);
            File.Delete(path);
            using var afterDelete = prompt.Fork(Sampler(5));
            Assert.Equal(expected, (await Generate(afterDelete, 60)).Text);
        }
        // Loading it again now is refused with the reason.
        Assert.Contains("does not exist", Assert.Throws<ModelFileException>(() => TestModels.Load(path)).Message);
    }

    [Theory]
    [InlineData(KvLayout.Shared)]
    [InlineData(KvLayout.PerSequence)]
    public async Task Tool_output_past_a_sequences_room_is_refused_for_that_sequence_alone(KvLayout layout)
    {
        await using var model = LlamaModel.Load(new LlamaModelOptions { Path = TestModels.Tiny, KvLayout = layout, KvPoolTokens = 8 * 512, MaxParallelSequences = 8, Threads = 2 });
        using var prompt = await model.EvaluatePromptAsync(Prompt, new PromptOptions { MaxSequenceTokens = 300, Sequences = 2 }, CancellationToken.None);
        using var full = prompt.Fork(Sampler(1));
        using var other = prompt.Fork(Sampler(2));
        await Generate(full, 20);
        var refused = Assert.Throws<ContextFullException>(() => full.Append(new string('x', 400)));
        output.WriteLine(refused.Message);
        Assert.Contains("does not fit in the candidate's context", refused.Message);
        // Nothing of it entered: the refused sequence and the other one both go on decoding.
        Assert.Equal(0, full.Tokens.Appended);
        var (a, b) = (await Generate(other, 20), await Generate(full, 10));
        Assert.True(a.TokenCount > 0 && b.TokenCount > 0, $"{a.StopReason} {a.TokenCount}, {b.StopReason} {b.TokenCount}");
        Assert.Equal(1, full.Append("y")); // a short output still fits
    }

    [Fact]
    public async Task Per_sequence_streams_copy_the_prompt_queue_by_slots_and_give_a_seed_the_same_text_in_a_crowd()
    {
        await using var streams = LlamaModel.Load(new LlamaModelOptions { Path = TestModels.Tiny, KvLayout = KvLayout.PerSequence, KvPoolTokens = 8 * 512, MaxParallelSequences = 8, Threads = 2 });
        Assert.Equal(512, streams.StreamTokens);
        var tooLong = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            streams.EvaluatePromptAsync(Prompt, new PromptOptions { MaxSequenceTokens = 1024 }, CancellationToken.None));
        Assert.Contains("stream holds 512 tokens", tooLong.Message);

        using var prompt = await streams.EvaluatePromptAsync(Prompt, new PromptOptions { MaxSequenceTokens = 400, Sequences = 12 }, CancellationToken.None);
        Assert.Equal(7, prompt.Plan.Concurrent); // eight streams, one of them the prompt's: the rest wait in a wave
        var crowd = await Task.WhenAll(Enumerable.Range(0, 12).Select(async i =>
        {
            using var s = prompt.Fork(Sampler((ulong)i));
            return (await Generate(s, 120)).Text;
        }));
        foreach (int i in new[] { 0, 7, 11 })
        {
            using var alone = prompt.Fork(Sampler((ulong)i));
            Assert.Equal(crowd[i], (await Generate(alone, 120)).Text);
        }

        // The fork reads the prompt copied into its stream: greedy text as the shared pool's fork writes it.
        await using var shared = TestModels.Load();
        using var sharedPrompt = await shared.EvaluatePromptAsync(Prompt, Options, CancellationToken.None);
        using var greedyShared = sharedPrompt.Fork(Sampler(1, temperature: 0));
        using var greedyStream = prompt.Fork(Sampler(1, temperature: 0));
        Assert.Equal((await Generate(greedyShared, 40)).Text, (await Generate(greedyStream, 40)).Text);
    }
}

public class ModelFileErrorTests
{
    [Fact]
    public void A_missing_file_is_named()
    {
        var e = Assert.Throws<ModelFileException>(() => TestModels.Load("/nonexistent/model.gguf"));
        Assert.Contains("/nonexistent/model.gguf", e.Message);
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public void A_file_that_is_not_gguf_is_refused()
    {
        var path = Path.GetTempFileName();
        File.WriteAllText(path, "this is a text file, not a model");
        var e = Assert.Throws<ModelFileException>(() => TestModels.Load(path));
        Assert.Contains("is not a GGUF model file", e.Message);
    }

    [Fact]
    public void A_truncated_file_is_called_corrupt()
    {
        var path = Path.GetTempFileName();
        var bytes = File.ReadAllBytes(TestModels.Tiny);
        File.WriteAllBytes(path, bytes[..2000]);
        var e = Assert.Throws<ModelFileException>(() => TestModels.Load(path));
        Assert.Contains("truncated or corrupt", e.Message);
    }

    [Fact]
    public void Damaged_tensor_data_is_refused_by_llama_cpp_with_the_reason()
    {
        var path = Path.GetTempFileName();
        var bytes = File.ReadAllBytes(TestModels.Tiny);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 5000)]); // header intact, data cut short
        var e = Assert.Throws<ModelFileException>(() => TestModels.Load(path));
        Assert.Contains("llama.cpp could not load", e.Message);
    }

    [Fact]
    public void An_unsupported_architecture_is_named()
    {
        var path = TestModels.Write("bogus", TestModels.TinyShape with { Layers = 1 }, seed: 1, architecture: "bogusarch");
        var e = Assert.Throws<ModelFileException>(() => TestModels.Load(path));
        Assert.Contains("bogusarch", e.Message);
    }
}

[Collection("llama")]
public class QuantizeTests
{
    [Fact]
    public async Task A_q8_0_model_is_smaller_loads_and_decodes()
    {
        var shape = TestModels.TinyShape with { Dim = 128, FeedForward = 256 }; // rows of 128: Q8_0 blocks of 32 fit
        var f32 = TestModels.Write("q-src", shape, seed: 3, scale: 0.4f, preferPrintable: true);
        var q8 = Path.ChangeExtension(f32, ".q8_0.gguf");
        ModelQuantizer.Quantize(f32, q8, "q8_0");
        Assert.True(new FileInfo(q8).Length < new FileInfo(f32).Length / 2);

        await using var model = TestModels.Load(q8);
        Assert.Equal("Q8_0", model.Facts.Quantization);
        using var prompt = await model.EvaluatePromptAsync("### Problem: 1+1\n### Solution: ", new PromptOptions { MaxSequenceTokens = 256 }, CancellationToken.None);
        using var s = prompt.Fork(new SamplingSettings { Seed = 1 });
        var g = await s.GenerateAsync(new GenerationRequest { MaxNewTokens = 30 }, null, CancellationToken.None);
        Assert.Equal(30, g.TokenCount);
    }

    [Fact]
    public void Tensors_read_back_exactly_from_f32_and_within_a_step_from_q8_0()
    {
        var shape = TestModels.TinyShape with { Dim = 128, FeedForward = 256, Layers = 1 };
        static float Value(string name, long i) => (float)(0.3 * Math.Sin(i * 0.37 + name.Length));
        var f32 = Path.Combine(Path.GetTempPath(), $"numina-readback-{Guid.NewGuid():N}.gguf");
        LlamaGguf.Write(f32, shape, (name, dims) =>
        {
            var data = new float[(long)dims.Aggregate(1UL, (a, b) => a * b)];
            for (long i = 0; i < data.LongLength; i++) data[i] = Value(name, i);
            return data;
        });
        var q8 = Path.ChangeExtension(f32, ".q8_0.gguf");
        ModelQuantizer.Quantize(f32, q8, "q8_0");
        var (f32Header, q8Header) = (GgufReader.ReadHeader(f32), GgufReader.ReadHeader(q8));
        Assert.Contains(q8Header.Tensors, t => t.Type == 8);
        foreach (var (name, _) in shape.Tensors())
        {
            var exact = GgufReader.ReadTensor(f32, f32Header, name);
            for (long i = 0; i < exact.LongLength; i++) Assert.Equal(Value(name, i), exact[i]);
            var quantized = GgufReader.ReadTensor(q8, q8Header, name);
            Assert.Equal(exact.Length, quantized.Length);
            // Q8_0 rounds each value to a step of (largest |value| in its block of 32) / 127, and stores that step as F16:
            // half a step of rounding plus the step's own rounding error stay within one step (|values| <= 0.3).
            for (long i = 0; i < exact.LongLength; i++) Assert.True(Math.Abs(exact[i] - quantized[i]) <= 0.3 / 127, $"{name}[{i}]: {exact[i]} vs {quantized[i]}");
        }
        Assert.Contains("no tensor 'nope'", Assert.Throws<ModelFileException>(() => GgufReader.ReadTensor(q8, q8Header, "nope")).Message);
    }

    [Fact]
    public void Bad_quantization_requests_are_clear()
    {
        Assert.Contains("Unknown quantization type 'q3_x'", Assert.Throws<ArgumentException>(() => ModelQuantizer.Quantize(TestModels.Tiny, "/tmp/x.gguf", "q3_x")).Message);
        Assert.Contains("does not exist", Assert.Throws<ModelFileException>(() => ModelQuantizer.Quantize("/nope.gguf", "/tmp/x.gguf", "q8_0")).Message);
    }
}
