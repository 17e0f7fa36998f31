using System.CommandLine;
using System.Text.Json;
using Numina.Engine.Execution.Python;
using Numina.Engine.Execution.Sandbox;
using Numina.Engine.Models.Gguf;
using Numina.Engine.Models.Llama;
using Numina.Trainer.Data;
using Numina.Trainer.Evaluation;
using Numina.Trainer.Modeling;
using Numina.Trainer.Training;
using TorchSharp;

// The tiny reference TIR model, end to end: craft → train → export → quantize → parity → evaluate.
var root = new RootCommand("Crafts the tiny TIR dataset, trains the reference model, exports and evaluates it.");

var seedOption = new Option<int>("--seed") { DefaultValueFactory = _ => 1, Description = "Seed of the data, the initialization and the batches." };
var dataOption = new Option<DirectoryInfo>("--data") { DefaultValueFactory = _ => new DirectoryInfo("data/tir"), Description = "Where the dataset is written/read." };
var outOption = new Option<DirectoryInfo>("--out") { DefaultValueFactory = _ => new DirectoryInfo("artifacts/training"), Description = "Checkpoints, exported models, results." };
var trainCount = new Option<int>("--train") { DefaultValueFactory = _ => 40000, Description = "Training traces." };
var selfCorrections = new Option<double>("--self-corrections") { DefaultValueFactory = _ => 0.25, Description = "Share of traces whose first block fails and is fixed from the traceback." };
var heldCount = new Option<int>("--heldout") { DefaultValueFactory = _ => 300, Description = "Held-out problems." };
var steps = new Option<int>("--steps") { DefaultValueFactory = _ => 8000 };
var stopAt = new Option<int>("--stop-at") { DefaultValueFactory = _ => 0, Description = "Stop after this step, the schedule still planned for --steps (reproduces a run that stopped on --minutes)." };
var minutes = new Option<double>("--minutes") { DefaultValueFactory = _ => 0, Description = "Stop training after this much time (0 = all steps)." };
var dim = new Option<int>("--dim") { DefaultValueFactory = _ => 128 };
var layers = new Option<int>("--layers") { DefaultValueFactory = _ => 4 };
var ff = new Option<int>("--ff") { DefaultValueFactory = _ => 512 };
var threads = new Option<int>("--threads") { DefaultValueFactory = _ => 1 };
var evalCount = new Option<int>("--eval") { DefaultValueFactory = _ => 100, Description = "Held-out problems evaluated." };
var digitWeight = new Option<double>("--digit-weight") { DefaultValueFactory = _ => 1, Description = "Loss weight of digit targets." };
var buckets = new Option<bool>("--length-buckets") { Description = "Batches of traces of similar length (less padding)." };
var layouts = new Option<int>("--layouts") { DefaultValueFactory = _ => 0, Description = "Write each trace's code in one of this many layouts, drawn at random: bound names, reversed bindings, inline numbers, plain names v1, v2 (0 = the first only)." };
var direct = new Option<double>("--direct") { DefaultValueFactory = _ => 0, Description = "Share of two-step problems solved in one block instead." };
var wordingOption = new Option<Wording>("--wording") { DefaultValueFactory = _ => Wording.Template, Description = "Template: one sentence per family, as stages 1-4 of the shipped model saw (stages 5 and 6 saw it beside Varied or Broad); Varied: at least 20 wordings per family and the families added for them; Broad (stage 6): also everyday operation names, subtraction, unit conversions, equations and expressions of any shape, rough surface forms." };
var decontaminate = new Option<FileInfo[]>("--decontaminate") { AllowMultipleArgumentsPerToken = true, Description = "Probe files (JSONL with a problem field): no crafted problem is worded as one of theirs (stage 6 passes models/probe-handwritten*.jsonl)." };
var learningRate = new Option<double>("--lr") { DefaultValueFactory = _ => 3e-3, Description = "Peak learning rate (warm-up, then cosine to a tenth)." };
var initFrom = new Option<FileInfo?>("--init-from") { Description = "Start from this GGUF model's weights (F32 or Q8_0, same shape), e.g. the shipped one." };
var ship = new Option<DirectoryInfo?>("--ship") { Description = "Copy the chosen model here (e.g. models/)." };

void Log(string s) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {s}");

LlamaShape Shape(ParseResult p) =>
    new() { Dim = p.GetValue(dim), Layers = p.GetValue(layers), Heads = 4, KvHeads = 4, FeedForward = p.GetValue(ff), ContextLength = 512 };

// The held-out table of one GGUF file through the engine (N = 8, seed 7).
async Task<EvaluationResult> Evaluate(string gguf, SandboxExecutor sandbox, IReadOnlyList<HeldOutProblem> problems, CancellationToken ct)
{
    await using var engineModel = LlamaModel.Load(new LlamaModelOptions { Path = gguf, KvPoolTokens = 16384, Threads = 2 });
    return await HeldOutEvaluation.RunAsync(engineModel, sandbox, problems, 8, 7, Log, ct);
}

async Task Craft(int seed, DirectoryInfo data, int train, int held, double selfCorrectionShare, int layoutCount, double directShare, Wording wording, FileInfo[] probes, CancellationToken ct)
{
    var guard = ProbeGuard.FromFiles(probes.Select(f => f.Exists ? f.FullName : throw new FileNotFoundException($"--decontaminate: no file {f.FullName}")));
    await using var sandbox = new SandboxExecutor(new SandboxOptions { Workers = 1 }, new PythonOptions());
    var crafter = new TraceCrafter(sandbox);
    var (traces, heldOut) = await crafter.CraftDatasetAsync(seed, train, held, selfCorrectionShare, ct, Log, layoutCount, directShare, wording, guard);
    TraceCrafter.WriteJsonl(Path.Combine(data.FullName, "train.jsonl"), traces);
    TraceCrafter.WriteJsonl(Path.Combine(data.FullName, "heldout.jsonl"), heldOut);
    Log($"crafted {traces.Count} traces ({traces.Count(t => t.Kind == "self-correction")} self-corrections, {traces.Count(t => t.Kind == "two-step")} two-step), {heldOut.Count} held-out problems, {crafter.Rejected} rejected{(guard.Count > 0 ? $", {guard.Blocked} worded as one of {guard.Count} probe problems and skipped" : "")}");
}

var craft = new Command("craft", "Craft the dataset: problems, traces run in the sandbox, answers checked.") { seedOption, dataOption, trainCount, heldCount, selfCorrections, layouts, direct, wordingOption, decontaminate };
craft.SetAction(async (p, ct) => { await Craft(p.GetValue(seedOption), p.GetValue(dataOption)!, p.GetValue(trainCount), p.GetValue(heldCount), p.GetValue(selfCorrections), p.GetValue(layouts), p.GetValue(direct), p.GetValue(wordingOption), p.GetValue(decontaminate) ?? [], ct); return 0; });
root.Subcommands.Add(craft);

var pipeline = new Command("pipeline", "Craft (if needed), train, export F32 and Q8_0, check parity, evaluate.")
{
    seedOption, dataOption, outOption, trainCount, heldCount, selfCorrections, steps, minutes, stopAt, dim, layers, ff, threads, evalCount, ship, digitWeight, buckets, layouts, direct, initFrom, learningRate, wordingOption, decontaminate,
};
pipeline.SetAction(async (p, ct) =>
{
    var data = p.GetValue(dataOption)!;
    var output = p.GetValue(outOption)!;
    int seed = p.GetValue(seedOption);
    if (!File.Exists(Path.Combine(data.FullName, "train.jsonl"))) await Craft(seed, data, p.GetValue(trainCount), p.GetValue(heldCount), p.GetValue(selfCorrections), p.GetValue(layouts), p.GetValue(direct), p.GetValue(wordingOption), p.GetValue(decontaminate) ?? [], ct);
    var traces = TraceCrafter.ReadJsonl<Trace>(Path.Combine(data.FullName, "train.jsonl"));
    var heldOut = TraceCrafter.ReadJsonl<HeldOutProblem>(Path.Combine(data.FullName, "heldout.jsonl"));
    var trainTexts = traces.Select(t => t.Problem).ToHashSet();
    if (heldOut.Any(h => trainTexts.Contains(h.Problem))) throw new InvalidOperationException("A held-out problem is in the training set.");

    var options = new TrainOptions
    {
        Shape = Shape(p),
        Steps = p.GetValue(steps), Seed = seed, Threads = p.GetValue(threads), MaxMinutes = p.GetValue(minutes), StopAt = p.GetValue(stopAt),
        DigitWeight = p.GetValue(digitWeight), LengthBuckets = p.GetValue(buckets), InitFrom = p.GetValue(initFrom)?.FullName, LearningRate = p.GetValue(learningRate),
    };
    var clock = System.Diagnostics.Stopwatch.StartNew();
    var model = TrainLoop.Train(traces, options, Path.Combine(output.FullName, "checkpoints"), Log);
    var trainMinutes = clock.Elapsed.TotalMinutes;

    var f32 = Path.Combine(output.FullName, "numina-tiny-f32.gguf");
    var q8 = Path.Combine(output.FullName, "numina-tiny-q8_0.gguf");
    model.ExportGguf(f32, "numina-tiny");
    ModelQuantizer.Quantize(f32, q8, "q8_0");
    Log($"exported {f32} ({new FileInfo(f32).Length / 1e6:0.0} MB) and {q8} ({new FileInfo(q8).Length / 1e6:0.0} MB)");

    var parity = await Parity.CheckAsync(model, f32, heldOut.Take(5).Select(h => h.Problem).ToList(), Log);

    await using var sandbox = new SandboxExecutor(new SandboxOptions { Workers = 2 }, new PythonOptions());
    var evalSet = heldOut.Take(p.GetValue(evalCount)).ToList();
    var results = new Dictionary<string, EvaluationResult>();
    foreach (var (name, path) in new[] { ("q8_0", q8), ("f32", f32) })
    {
        results[name] = await Evaluate(path, sandbox, evalSet, ct);
        Log($"{name}: {results[name]}");
    }
    var chosen = results["q8_0"].Majority >= results["f32"].Majority - 2 ? "q8_0" : "f32";
    var summary = new
    {
        seed, shape = options.Shape, parameters = options.Shape.Parameters, traces = traces.Count, heldOut = heldOut.Count, evaluated = evalSet.Count,
        trainMinutes, steps = options.Steps, parity, results, chosen,
    };
    File.WriteAllText(Path.Combine(output.FullName, "summary.json"), JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }));
    if (p.GetValue(ship) is { } shipDir)
    {
        shipDir.Create();
        // Only the model: models/heldout-sample.jsonl is the fixed set the tests measure every shipped model on.
        File.Copy(chosen == "q8_0" ? q8 : f32, Path.Combine(shipDir.FullName, $"numina-tiny-{chosen}.gguf"), overwrite: true);
    }
    Log($"done: chose {chosen}; {JsonSerializer.Serialize(summary)}");
    return 0;
});
root.Subcommands.Add(pipeline);
var modelOption = new Option<FileInfo>("--model") { Required = true, Description = "A GGUF model." };
var heldOutFile = new Option<FileInfo?>("--heldout-file") { Description = "Held-out problems (default: heldout.jsonl in --data)." };
var evaluate = new Command("evaluate", "The held-out table of a GGUF model through the engine: greedy, one sample, maj@8, any of 8, self-corrections.")
{ dataOption, modelOption, heldOutFile, evalCount };
evaluate.SetAction(async (p, ct) =>
{
    var file = p.GetValue(heldOutFile)?.FullName ?? Path.Combine(p.GetValue(dataOption)!.FullName, "heldout.jsonl");
    var problems = TraceCrafter.ReadJsonl<HeldOutProblem>(file).Take(p.GetValue(evalCount)).ToList();
    await using var sandbox = new SandboxExecutor(new SandboxOptions { Workers = 2 }, new PythonOptions());
    var gguf = p.GetValue(modelOption)!;
    Log($"{gguf.Name}: {await Evaluate(gguf.FullName, sandbox, problems, ct)}");
    return 0;
});
root.Subcommands.Add(evaluate);

var checkpoint = new Option<FileInfo>("--checkpoint") { Required = true, Description = "A step-*.weights file, or a GGUF model of the same shape." };
var probeCount = new Option<int>("--count") { DefaultValueFactory = _ => 200, Description = "Traces probed." };
var probe = new Command("probe", "Teacher-forced accuracy of a checkpoint on the training traces: digits apart from the rest.")
{ dataOption, checkpoint, probeCount, dim, layers, ff };
probe.SetAction(p =>
{
    var traces = TraceCrafter.ReadJsonl<Trace>(Path.Combine(p.GetValue(dataOption)!.FullName, "train.jsonl"));
    var model = new TinyLlama(Shape(p));
    var weights = p.GetValue(checkpoint)!.FullName;
    if (weights.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)) model.LoadGguf(weights);
    else model.load(weights);
    Log(TrainLoop.Probe(model, traces.TakeLast(p.GetValue(probeCount)).ToList()).ToString());
    return 0;
});
root.Subcommands.Add(probe);
return await root.Parse(args).InvokeAsync();
