using Numina.Engine.Execution;
using Numina.Engine.Execution.Python;
using Numina.Engine.Execution.Sandbox;
using Numina.Engine.Models.Gguf;
using Numina.Engine.Models.Llama;
using Numina.Engine.Presets;
using Numina.Engine.Settings;
using Numina.Trainer.Data;
using Numina.Trainer.Modeling;
using Numina.Trainer.Training;
using TorchSharp;

namespace Numina.Trainer.Tests;

/// <summary>The crafted dataset, checked against the real sandbox.</summary>
public class CraftedDataTests : IAsyncLifetime
{
    private SandboxExecutor _sandbox = null!;
    private List<Trace> _train = null!;
    private List<HeldOutProblem> _heldOut = null!;

    public async Task InitializeAsync()
    {
        _sandbox = new SandboxExecutor(new SandboxOptions { Workers = 1, FirstUid = 63000 }, new PythonOptions());
        (_train, _heldOut) = await new TraceCrafter(_sandbox).CraftDatasetAsync(seed: 5, trainCount: 300, heldOutCount: 40, selfCorrectionShare: 0.2, CancellationToken.None);
    }

    public async Task DisposeAsync() => await _sandbox.DisposeAsync();

    [Fact]
    public async Task Every_code_block_prints_what_the_trace_says()
    {
        await using var session = await _sandbox.OpenSessionAsync(CodeSessionOptions.From(BuiltInPresets.Numina, ExecutionMode.Stateless), CancellationToken.None);
        foreach (var trace in _train.Take(120))
            for (int i = 0; i < trace.Spans.Count - 1; i++)
            {
                var span = trace.Spans[i];
                if (!span.ModelWrites || !span.Text.EndsWith("```output\n", StringComparison.Ordinal)) continue;
                var code = Engine.Runs.CodeBlocks.Last(span.Text, BuiltInPresets.Numina)!;
                var result = await session.RunAsync(code, CancellationToken.None);
                Assert.Equal(trace.Spans[i + 1].Text, ToolOutputFormatter.Format(result, BuiltInPresets.Numina));
            }
    }

    [Fact]
    public void Every_answer_matches_the_independent_computation_and_the_last_output()
    {
        foreach (var trace in _train)
        {
            Assert.EndsWith($"\\boxed{{{trace.Answer}}}$.", trace.Text);
            var lastOutput = trace.Spans[^2].Text;
            Assert.Equal($"{trace.Answer}\n```", lastOutput);
            Assert.False(trace.Spans[^2].ModelWrites);
        }
    }

    [Fact]
    public void No_held_out_problem_appears_in_training()
    {
        var trainTexts = _train.Select(t => t.Problem).ToHashSet();
        Assert.Equal(40, _heldOut.Count);
        Assert.DoesNotContain(_heldOut, h => trainTexts.Contains(h.Problem));
        Assert.DoesNotContain(_train, t => _train.Any(u => u.Problem.Contains(t.Problem) && u.Id != t.Id && u.Problem == t.Problem));
    }

    [Fact]
    public void The_dataset_has_every_kind_of_trace()
    {
        Assert.Contains(_train, t => t.Kind == "one-step");
        var twoStep = _train.Where(t => t.Kind == "two-step").ToList();
        Assert.NotEmpty(twoStep);
        Assert.All(twoStep, t => Assert.Equal(2, t.Spans.Count(s => !s.ModelWrites && s.Text.EndsWith("\n```", StringComparison.Ordinal))));
        var corrected = _train.Where(t => t.Kind == "self-correction").ToList();
        Assert.NotEmpty(corrected);
        // A real error, formatted as the engine appends it, then the fix.
        Assert.All(corrected, t => Assert.Matches("(NameError|SyntaxError|Error)", t.Spans[2].Text));
        Assert.All(corrected, t => Assert.StartsWith("\nThe code raised an error. Let me fix it.", t.Spans[3].Text));
        Assert.True(ProblemFamilies.All.Select(f => f.Name).All(name => _train.Any(t => t.Family == name) || _heldOut.Any(h => h.Family == name)));
    }

    [Fact]
    public async Task Crafting_is_deterministic_from_its_seed()
    {
        var (again, held) = await new TraceCrafter(_sandbox).CraftDatasetAsync(seed: 5, trainCount: 300, heldOutCount: 40, selfCorrectionShare: 0.2, CancellationToken.None);
        Assert.Equal(_train.Select(t => t.Text), again.Select(t => t.Text));
        Assert.Equal(_heldOut.Select(h => h.Problem), held.Select(h => h.Problem));
    }
}

/// <summary>Code layouts: the same computation written several ways, each checked in the real sandbox.</summary>
public class CodeLayoutTests
{
    [Fact]
    public void Each_layout_rewrites_only_the_bindings()
    {
        const string code = "have = 431\ngets = 42\nprint(have + gets)";
        Assert.Equal(code, CodeLayouts.Apply(code, CodeLayout.Bound));
        Assert.Equal("gets = 42\nhave = 431\nprint(have + gets)", CodeLayouts.Apply(code, CodeLayout.Reversed));
        Assert.Equal("print(431 + 42)", CodeLayouts.Apply(code, CodeLayout.Inline));
        Assert.Equal("v1 = 431\nv2 = 42\nprint(v1 + v2)", CodeLayouts.Apply(code, CodeLayout.Generic));
        // Whole names only: n is replaced, the n inside "range" and the loop variable d are not.
        Assert.Equal("print(len([d for d in range(1, 12 + 1) if 12 % d == 0]))",
            CodeLayouts.Apply("n = 12\nprint(len([d for d in range(1, n + 1) if n % d == 0]))", CodeLayout.Inline));
        const string sympy = "x = sp.symbols('x')\nprint(sp.solve(2*x - 4, x)[0])";
        Assert.Equal(sympy, CodeLayouts.Apply(sympy, CodeLayout.Inline));
    }

    [Fact]
    public async Task Every_family_prints_the_same_value_in_every_layout()
    {
        await using var sandbox = new SandboxExecutor(new SandboxOptions { Workers = 1, FirstUid = 63200 }, new PythonOptions());
        await using var session = await sandbox.OpenSessionAsync(CodeSessionOptions.From(BuiltInPresets.Numina, ExecutionMode.Stateless), CancellationToken.None);
        var r = new Random(11);
        var makers = ProblemFamilies.For(Wording.Varied).Select(f => (f.Name, f.Make, Wording: Wording.Varied))
            .Concat(ProblemFamilies.Broader.Select(f => (f.Name, f.Make, Wording: Wording.Broad)));
        foreach (var (name, make, wording) in makers)
            for (int draw = 0; draw < 3; draw++)
            foreach (var step in make(r, wording) is var p && p.Direct is { } d ? p.Steps.Concat(d.Steps) : p.Steps)
                foreach (var layout in Enum.GetValues<CodeLayout>())
                {
                    var result = await session.RunAsync(CodeLayouts.Apply(step.Code, layout), CancellationToken.None);
                    Assert.True(step.Expected.ToString() == ToolOutputFormatter.Result(result, BuiltInPresets.Numina), $"{name}, {layout}: {result.Stdout}{result.Traceback}");
                }
    }

    [Fact]
    public async Task A_varied_dataset_holds_every_layout_and_stays_verified()
    {
        await using var sandbox = new SandboxExecutor(new SandboxOptions { Workers = 1, FirstUid = 63300 }, new PythonOptions());
        var crafter = new TraceCrafter(sandbox);
        var (train, _) = await crafter.CraftDatasetAsync(seed: 4, trainCount: 120, heldOutCount: 1, selfCorrectionShare: 0.2, CancellationToken.None, layouts: 4, directShare: 0.5);
        Assert.Equal(0, crafter.Rejected);
        var firstLines = train.Where(t => t.Kind == "one-step").Select(t => t.Text.Split("```python\n")[1].Split('\n')[0]).ToList();
        Assert.Contains(firstLines, l => l.StartsWith("print(", StringComparison.Ordinal)); // inline
        Assert.Contains(train, t => t.Family == "add" && t.Text.Contains("```python\nhave = ", StringComparison.Ordinal));
        Assert.Contains(train, t => t.Family == "add" && t.Text.Contains("```python\ngets = ", StringComparison.Ordinal));
        Assert.Contains(train, t => t.Text.Contains("```python\nv1 = ", StringComparison.Ordinal));
        // Two-step problems, some solved in one block.
        Assert.Contains(train, t => t.Family is "boxes" or "fence" && t.Kind == "two-step");
        Assert.Contains(train, t => t.Family is "boxes" or "fence" && t.Kind != "two-step");
    }

    [Fact]
    public async Task A_varied_wording_dataset_is_verified_in_the_sandbox_with_nothing_rejected()
    {
        var (train, heldOut) = await CraftVerified(Wording.Varied, seed: 6, trainCount: 200, heldOutCount: 10, firstUid: 63350);
        Assert.True(train.Select(t => t.Family).Distinct().Count() >= 24, string.Join(", ", train.Select(t => t.Family).Distinct()));
        Assert.Contains(train, t => t.Family == "compute");
        Assert.Contains(train, t => t.Family == "story" && t.Kind == "two-step");
        Assert.All(train, t => Assert.EndsWith($"\\boxed{{{t.Answer}}}$.", t.Text));
        Assert.DoesNotContain(heldOut, h => train.Any(t => t.Problem == h.Problem));
    }

    /// <summary>Broad wording (stage 6): every maker's code, from expression trees and equations copied into Python, prints the answer computed here.</summary>
    [Fact]
    public async Task A_broad_wording_dataset_is_verified_in_the_sandbox_with_nothing_rejected()
    {
        var (train, _) = await CraftVerified(Wording.Broad, seed: 7, trainCount: 300, heldOutCount: 5, firstUid: 63370);
        foreach (var family in new[] { "subtract", "convert", "rate", "power-sum", "linear", "compute" })
            Assert.Contains(train, t => t.Family == family);
        Assert.Contains(train, t => t.Text.Contains("sp.Eq(", StringComparison.Ordinal));
        Assert.Contains(train, t => char.IsLower(t.Problem[0])); // roughened: some start in lower case
    }

    /// <summary>A dataset in four layouts with self-corrections, every block run in its own sandbox; none rejected.</summary>
    private static async Task<(List<Trace> Train, List<HeldOutProblem> HeldOut)> CraftVerified(Wording wording, int seed, int trainCount, int heldOutCount, int firstUid)
    {
        await using var sandbox = new SandboxExecutor(new SandboxOptions { Workers = 1, FirstUid = firstUid }, new PythonOptions());
        var crafter = new TraceCrafter(sandbox);
        var dataset = await crafter.CraftDatasetAsync(seed, trainCount, heldOutCount, selfCorrectionShare: 0.2, CancellationToken.None, layouts: 4, directShare: 0.3, wording: wording);
        Assert.Equal(0, crafter.Rejected);
        return dataset;
    }
}

/// <summary>How problems are worded: the shipped model's one sentence per family, exactly as before; and the many wordings.</summary>
public class WordingTests
{
    private static string Shape(string text) => System.Text.RegularExpressions.Regex.Replace(text, @"\d[\d,]*", "#");

    /// <summary>The problems the shipped model's datasets were crafted from, drawn before varied wording existed (seed 123).</summary>
    [Fact]
    public void Template_wording_draws_the_shipped_models_problems_exactly()
    {
        var golden = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "template-wording-seed-123.tsv"));
        var r = new Random(123);
        var drawn = new List<string>();
        for (int i = 0; i < golden.Length; i++)
        {
            var (name, make) = ProblemFamilies.All[r.Next(ProblemFamilies.All.Count)];
            var p = make(r, Wording.Template);
            drawn.Add($"{name}\t{p.Text}\t{p.Answer}");
        }
        Assert.Equal(golden, drawn);
    }

    [Fact]
    public void Varied_wording_gives_every_family_at_least_twenty_wordings()
    {
        var families = ProblemFamilies.For(Wording.Varied);
        Assert.Equal(ProblemFamilies.All.Count + ProblemFamilies.More.Count, families.Count);
        Assert.Superset(new HashSet<string> { "multiply", "divide", "story", "area", "perimeter", "factorial", "power", "average", "speed", "count-multiples", "sum-multiples", "power-digits", "compute" },
            families.Select(f => f.Name).ToHashSet());
        var r = new Random(3);
        foreach (var (name, make) in families)
        {
            // Names and objects blanked too: a wording is its structure, not who or what.
            var shapes = Enumerable.Range(0, 3000).Select(_ => make(r, Wording.Varied).Text)
                .Select(t => System.Text.RegularExpressions.Regex.Replace(Shape(t), @"\b[A-Z][a-z]+\b", "@")).Distinct().Count();
            Assert.True(shapes >= 20, $"{name}: {shapes} wordings");
        }
    }

    [Fact]
    public void Compute_expressions_are_the_values_python_prints()
    {
        var r = new Random(9);
        for (int i = 0; i < 300; i++)
        {
            var (tex, python, value) = Expressions.Draw(r);
            Assert.True(value >= 0, $"{tex} = {value}");
            Assert.DoesNotContain("\\", python);
        }
    }

    /// <summary>Trees and equations are checked against Python itself in the sandbox tests above; here, what is cheap: shape and spread.</summary>
    [Fact]
    public void Expression_trees_take_many_shapes_and_stay_whole()
    {
        var r = new Random(12);
        var trees = Enumerable.Range(0, 2000).Select(_ => ExpressionTrees.Draw(r)).ToList();
        Assert.All(trees, t => Assert.InRange(t.Value, 0, 50_000_000));
        Assert.All(trees, t => Assert.DoesNotContain("\\", t.Python));
        var shapes = trees.Select(t => System.Text.RegularExpressions.Regex.Replace(t.Tex, @"\d+", "#")).Distinct().Count();
        Assert.True(shapes >= 100, $"{shapes} shapes");
        Assert.Contains(trees, t => t.Words is not null && t.Words.Contains("the product of", StringComparison.Ordinal));
        Assert.Equal("forty-two", ProblemFamilies.Words(42));
        Assert.Equal("three hundred seven", ProblemFamilies.Words(307));
    }

    [Fact]
    public void Broad_wording_adds_its_makers_to_the_varied_ones()
    {
        var broad = ProblemFamilies.For(Wording.Broad);
        Assert.Equal(ProblemFamilies.All.Count + ProblemFamilies.More.Count + ProblemFamilies.Broader.Count, broad.Count);
        Assert.Superset(new HashSet<string> { "subtract", "convert", "rate", "power-sum" }, broad.Select(f => f.Name).ToHashSet());
    }
}

public class TrainingTests
{
    [Fact]
    public void Loss_is_only_on_what_the_model_writes()
    {
        var trace = new Trace("t", "f", "one-step", "p", 5, [new("AB", false), new("cd", true), new("EF", false), new("g", true)]);
        var (ids, targets) = TrainLoop.Encode(trace);
        Assert.Equal(CharacterVocabulary.Bos, ids[0]);
        Assert.Equal(CharacterVocabulary.Eos, ids[^1]);
        // Positions predicting 'c', 'd', 'g' and EOS are trained; the prompt and the tool output are not.
        var trainedNext = targets.Select((t, i) => (t, i)).Where(x => x.t != -100).Select(x => ids[x.i + 1]).ToList();
        Assert.Equal(CharacterVocabulary.Encode("cdg").Select(i => (long)i).Append(CharacterVocabulary.Eos), trainedNext);
    }

    [Fact]
    public void The_schedule_warms_up_then_decays_to_a_tenth()
    {
        var o = new TrainOptions { Steps = 1000, WarmupSteps = 100, LearningRate = 1e-3 };
        Assert.Equal(1e-5, TrainLoop.LearningRate(o, 0), 12);
        Assert.Equal(1e-3, TrainLoop.LearningRate(o, 99), 12);
        Assert.Equal(1e-3, TrainLoop.LearningRate(o, 100), 9);
        Assert.Equal(1e-4, TrainLoop.LearningRate(o, 1000), 9);
        Assert.True(TrainLoop.LearningRate(o, 500) < TrainLoop.LearningRate(o, 300));
    }

    [Fact]
    public void Digits_weigh_more_and_unwritten_tokens_nothing()
    {
        var targets = CharacterVocabulary.Encode("a7=").Select(i => (long)i).Append(-100).ToArray();
        var (weights, isDigit) = TrainLoop.LossWeights(torch.tensor(targets), 4);
        Assert.Equal([1f, 4f, 1f, 0f], weights.data<float>().ToArray());
        Assert.Equal([0f, 1f, 0f, 0f], isDigit.data<float>().ToArray());
    }

    [Fact]
    public void Length_buckets_draw_traces_of_similar_length_the_same_way_each_time()
    {
        var r = new Random(4);
        var encoded = Enumerable.Range(0, 2000).Select(_ => (new long[r.Next(20, 500)], Array.Empty<long>())).ToList();
        var byLength = Enumerable.Range(0, encoded.Count).OrderBy(i => encoded[i].Item1.Length).ThenBy(i => i).ToArray();
        var o = new TrainOptions { BatchSize = 16, LengthBuckets = true, Seed = 3 };
        for (int step = 0; step < 50; step++)
        {
            var lengths = TrainLoop.DrawBatch(encoded, byLength, o, step).Select(b => b.Ids.Length).ToList();
            Assert.True(lengths.Max() - lengths.Min() <= 40, $"step {step}: lengths {lengths.Min()}..{lengths.Max()}");
            Assert.Equal(lengths, TrainLoop.DrawBatch(encoded, byLength, o, step).Select(b => b.Ids.Length));
        }
        var spread = TrainLoop.DrawBatch(encoded, byLength, o with { LengthBuckets = false }, 0).Select(b => b.Ids.Length).ToList();
        Assert.True(spread.Max() - spread.Min() > 200);
    }

    [Fact]
    public void The_training_forward_pass_is_causal()
    {
        // Parity compares only the last position, where a causal and a bidirectional mask agree; this checks the rest.
        torch.manual_seed(3);
        var model = new TinyLlama(new LlamaShape { Dim = 32, Layers = 2, Heads = 2, KvHeads = 2, FeedForward = 64, ContextLength = 64 });
        var a = CharacterVocabulary.Encode("x = 12345").Select(i => (long)i).ToArray();
        var b = (long[])a.Clone();
        b[^1] = CharacterVocabulary.Encode("9")[0];
        using var _ = torch.no_grad();
        var la = model.forward(torch.tensor(a).unsqueeze(0))[0];
        var lb = model.forward(torch.tensor(b).unsqueeze(0))[0];
        var earlier = (la[..^1] - lb[..^1]).abs().max().item<float>();
        var last = (la[^1] - lb[^1]).abs().max().item<float>();
        Assert.True(earlier < 1e-6, $"changing the last token moved earlier logits by {earlier}");
        Assert.True(last > 1e-4, "the last position must see its own token");
    }

    [Fact]
    public async Task A_short_run_exports_a_gguf_that_llamasharp_runs_like_torchsharp()
    {
        await using var sandbox = new SandboxExecutor(new SandboxOptions { Workers = 1, FirstUid = 63100 }, new PythonOptions());
        var (traces, _) = await new TraceCrafter(sandbox).CraftDatasetAsync(seed: 9, trainCount: 60, heldOutCount: 1, selfCorrectionShare: 0.2, CancellationToken.None);
        var shape = new LlamaShape { Dim = 64, Layers = 2, Heads = 4, KvHeads = 4, FeedForward = 128, ContextLength = 512 };
        var dir = Path.Combine(Path.GetTempPath(), "numina-train-smoke-" + Guid.NewGuid().ToString("N")[..8]);
        var model = TrainLoop.Train(traces, new TrainOptions { Shape = shape, Steps = 20, BatchSize = 4, WarmupSteps = 5, CheckpointEvery = 10 }, dir, _ => { });
        Assert.Equal(2, Directory.GetFiles(dir, "step-*.weights").Length);
        // --stop-at: the same schedule, stopped after step 7 with a checkpoint there (how a time-budgeted run is reproduced).
        var stopped = Path.Combine(dir, "stopped");
        TrainLoop.Train(traces, new TrainOptions { Shape = shape, Steps = 20, StopAt = 7, BatchSize = 4, WarmupSteps = 5, CheckpointEvery = 10 }, stopped, _ => { });
        Assert.Equal(["step-000007.weights"], Directory.GetFiles(stopped, "step-*.weights").Select(Path.GetFileName));

        var gguf = Path.Combine(dir, "smoke.gguf");
        model.ExportGguf(gguf, "smoke");
        await using var engine = LlamaModel.Load(new LlamaModelOptions { Path = gguf, KvPoolTokens = 2048 });
        Assert.Equal(shape.Parameters, engine.Facts.Parameters);
        const string prompt = "### Problem: What is $7$ plus $5$?\n### Solution: ";
        var torchLogits = Parity.Logits(model, prompt);
        var llamaLogits = await engine.NextTokenLogitsAsync(prompt);
        Assert.Equal(torchLogits.Length, llamaLogits.Length);
        Assert.True(torchLogits.Zip(llamaLogits, (a, b) => Math.Abs(a - b)).Max() < 1e-3);
        var parity = await Parity.CheckAsync(model, gguf, ["What is $7$ plus $5$?", "Find the greatest common divisor of $12$ and $18$."], _ => { }, greedyTokens: 30);
        Assert.Equal(parity.GreedyTokens, parity.SameGreedyTokens);

        // Read back (to go on training from a shipped file): the same logits as the model that wrote it.
        var reloaded = new TinyLlama(shape);
        reloaded.LoadGguf(gguf);
        Assert.Equal(torchLogits, Parity.Logits(reloaded, prompt));
        Assert.Contains("this shape needs", Assert.Throws<ModelFileException>(() => new TinyLlama(shape with { FeedForward = 64 }).LoadGguf(gguf)).Message);
    }
}

/// <summary>
/// models/probe-handwritten.jsonl is problems written by hand, in wordings the crafter does not produce: nothing the
/// crafter writes has the shape of a probe problem (numbers, names and objects blanked), so no training set can hold
/// one, and the probe measures what people type.
/// </summary>
public class HandWrittenProbeTests
{
    private static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Numina.sln"))) return dir.FullName;
        throw new InvalidOperationException("Cannot find the repository root.");
    }

    /// <summary>A problem's wording without its particulars: numbers, and capitalised words (names) and plural objects blanked.</summary>
    private static string Shape(string text) =>
        System.Text.RegularExpressions.Regex.Replace(
            System.Text.RegularExpressions.Regex.Replace(text, @"\d[\d,]*", "#"), @"\b[A-Z][a-z]+\b(?<!^\w+)", "@");

    [Fact]
    public void The_probe_guard_blocks_a_probe_sentence_in_any_dress_and_nothing_else()
    {
        var guard = ProbeGuard.FromTexts(["What is 37 times 43?", "Tom has 250 marbles. He gives away 68. How many are left?"]);
        Assert.True(guard.Blocks("What is $12 \\times 5$?"));
        Assert.True(guard.Blocks("what is 12 times 5 Show your work."));
        Assert.True(guard.Blocks("Tom has 1,200 marbles. He gives away 7. How many are left?"));
        Assert.True(guard.Blocks("Tom has 9 marbles. Ava gives away 2. How many are left?")); // a name after the first word is blanked, as "He" is
        Assert.False(guard.Blocks("What's 37 times 43?"));
        Assert.False(guard.Blocks("What is 37 plus 43?"));
        Assert.False(guard.Blocks("Find 37 times 43."));
        Assert.False(ProbeGuard.None.Blocks("What is 37 times 43?"));
    }

    /// <summary>The hand-written probes: the first (issue #16), a second written before any training aimed at the first's failures, and a third written before stage 6's model was measured; none is worded as any wording mode words its problems.</summary>
    [Theory]
    [InlineData("probe-handwritten.jsonl")]
    [InlineData("probe-handwritten-2.jsonl")]
    [InlineData("probe-handwritten-3.jsonl")]
    public void No_probe_problem_has_a_shape_the_crafter_writes(string file)
    {
        var probe = File.ReadLines(Path.Combine(Root(), "models", file))
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement)
            .Select(p => (Id: p.GetProperty("id").GetString()!, Family: p.GetProperty("family").GetString()!, Problem: p.GetProperty("problem").GetString()!))
            .ToList();
        Assert.True(probe.Count >= 60, $"{probe.Count} probe problems");
        Assert.Equal(probe.Count, probe.Select(p => p.Problem).Distinct().Count());
        var crafted = new HashSet<string>();
        var random = new Random(1);
        foreach (var wording in new[] { Wording.Template, Wording.Varied })
            foreach (var (_, make) in ProblemFamilies.For(wording))
                for (int i = 0; i < 3000; i++)
                    crafted.Add(Shape(make(random, wording).Text));
        // Broad wording (stage 6) can write some probe sentences; it is crafted through the probe guard, as here.
        var guard = ProbeGuard.FromFiles(Directory.GetFiles(Path.Combine(Root(), "models"), "probe-handwritten*.jsonl"));
        foreach (var (_, make) in ProblemFamilies.Broader)
            for (int i = 0; i < 3000; i++)
                if (make(random, Wording.Broad).Text is var text && !guard.Blocks(text))
                    crafted.Add(Shape(text));
        var same = probe.Where(p => crafted.Contains(Shape(p.Problem))).Select(p => p.Id).ToList();
        Assert.True(same.Count == 0, $"probe problems worded as the crafter words them: {string.Join(", ", same)}");
    }
}
