using Stopwatch = System.Diagnostics.Stopwatch;
using Numina.Engine.Models.Gguf;
using Numina.Trainer.Data;
using Numina.Trainer.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Numina.Trainer.Training;

public sealed record TrainOptions
{
    public LlamaShape Shape { get; init; } = new() { Dim = 128, Layers = 4, Heads = 4, KvHeads = 4, FeedForward = 512, ContextLength = 512 };
    public int Steps { get; init; } = 6000;
    public int BatchSize { get; init; } = 16;
    public double LearningRate { get; init; } = 3e-3;
    public int WarmupSteps { get; init; } = 100;
    public int Seed { get; init; } = 1;
    public int Threads { get; init; } = 1;
    public int CheckpointEvery { get; init; } = 500;
    /// <summary>Stop early (after a checkpoint) once this much wall time has passed; 0 = run all steps.</summary>
    public double MaxMinutes { get; init; }
    /// <summary>Stop after this step (a checkpoint is saved) although the schedule is planned for <see cref="Steps"/>; 0 = run all.
    /// A run that stopped on its time budget is reproduced with this.</summary>
    public int StopAt { get; init; }
    /// <summary>
    /// Loss weight of digit targets (1 = plain cross-entropy). The digits a trace copies from the problem or the output
    /// are where its answer is decided, and they are ~5 % of the tokens; everything else is learnt in minutes.
    /// </summary>
    public double DigitWeight { get; init; } = 1;
    /// <summary>Draw each batch from traces of similar length, so little of a step is spent on padding.</summary>
    public bool LengthBuckets { get; init; }
    /// <summary>Start from this GGUF model's weights instead of random ones (when there is no checkpoint to resume).</summary>
    public string? InitFrom { get; init; }
}

/// <summary>
/// Next-token training on the crafted traces, with the loss only on what the model writes (rationale, code, the stop
/// string, the final answer and EOS), never on the problem or Python's output. A step-based schedule (warm-up, cosine
/// decay) makes a run reproducible from its seed; checkpoints make it resumable.
/// </summary>
public static class TrainLoop
{
    private const long Ignore = -100;

    /// <summary>Token ids and per-token targets for one trace: BOS + text + EOS; targets -100 where the model does not write.</summary>
    public static (long[] Ids, long[] Targets) Encode(Trace trace)
    {
        var ids = new List<long> { CharacterVocabulary.Bos };
        var trained = new List<bool> { false };
        foreach (var span in trace.Spans)
            foreach (var id in CharacterVocabulary.Encode(span.Text))
            {
                ids.Add(id);
                trained.Add(span.ModelWrites);
            }
        ids.Add(CharacterVocabulary.Eos);
        trained.Add(true);
        // Target at position i is token i+1, kept only when the model writes token i+1.
        var targets = new long[ids.Count];
        for (int i = 0; i < ids.Count - 1; i++) targets[i] = trained[i + 1] ? ids[i + 1] : Ignore;
        targets[^1] = Ignore;
        return (ids.ToArray(), targets);
    }

    /// <summary>The digit tokens '0'..'9', consecutive in the character vocabulary.</summary>
    private static readonly int[] DigitIds = CharacterVocabulary.Encode("0123456789").ToArray();
    static TrainLoop()
    {
        if (DigitIds.Length != 10 || DigitIds[9] - DigitIds[0] != 9) throw new InvalidOperationException("The digit tokens must be consecutive.");
    }

    /// <summary>Per-target loss weights: 0 where the model does not write, the digit weight on digits, 1 elsewhere.</summary>
    public static (Tensor Weights, Tensor IsDigit) LossWeights(Tensor targets, double digitWeight)
    {
        var isDigit = targets.ge(DigitIds[0]).logical_and(targets.le(DigitIds[9])).to_type(ScalarType.Float32);
        return (targets.ne(Ignore).to_type(ScalarType.Float32) + isDigit * (digitWeight - 1), isDigit);
    }

    /// <summary>
    /// A batch drawn from the seed and the step number alone, so a resumed run sees the same batches. With length
    /// buckets it is 16 of a random window of 4 × 16 traces in length order.
    /// </summary>
    public static List<(long[] Ids, long[] Targets)> DrawBatch(IReadOnlyList<(long[] Ids, long[] Targets)> encoded, int[] byLength, TrainOptions o, int step)
    {
        var pick = new Random(HashCode.Combine(o.Seed, step));
        if (!o.LengthBuckets) return Enumerable.Range(0, o.BatchSize).Select(_ => encoded[pick.Next(encoded.Count)]).ToList();
        int window = Math.Min(encoded.Count, 4 * o.BatchSize);
        int start = pick.Next(encoded.Count - window + 1);
        return Enumerable.Range(0, o.BatchSize).Select(_ => encoded[byLength[start + pick.Next(window)]]).ToList();
    }

    public static double LearningRate(TrainOptions o, int step)
    {
        if (step < o.WarmupSteps) return o.LearningRate * (step + 1) / o.WarmupSteps;
        double progress = (double)(step - o.WarmupSteps) / Math.Max(1, o.Steps - o.WarmupSteps);
        return o.LearningRate * (0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI * Math.Min(1, progress))));
    }

    public static TinyLlama Train(IReadOnlyList<Trace> traces, TrainOptions o, string checkpointDir, Action<string> log)
    {
        torch.set_num_threads(o.Threads);
        torch.manual_seed(o.Seed);
        var encoded = traces.Select(Encode).Where(e => e.Ids.Length <= o.Shape.ContextLength).ToList();
        log($"{encoded.Count} traces ({traces.Count - encoded.Count} longer than the context dropped), {encoded.Sum(e => e.Ids.Length):N0} tokens, {encoded.Sum(e => e.Targets.Count(t => t != Ignore)):N0} trained");
        var model = new TinyLlama(o.Shape);
        Directory.CreateDirectory(checkpointDir);
        int start = 0;
        var latest = Directory.GetFiles(checkpointDir, "step-*.weights").OrderBy(f => f).LastOrDefault();
        if (latest is not null)
        {
            model.load(latest);
            start = int.Parse(Path.GetFileNameWithoutExtension(latest)["step-".Length..]);
            log($"resumed from {Path.GetFileName(latest)} (AdamW moments restart; the schedule continues at step {start})");
        }
        else if (o.InitFrom is { } gguf)
        {
            model.LoadGguf(gguf);
            log($"initialized from {gguf}; the schedule starts at step 0");
        }
        var byLength = Enumerable.Range(0, encoded.Count).OrderBy(i => encoded[i].Ids.Length).ThenBy(i => i).ToArray();
        var optimizer = optim.AdamW(model.parameters(), lr: o.LearningRate, weight_decay: 0.01);
        var clock = Stopwatch.StartNew();
        double lossSum = 0, digitLossSum = 0;
        long tokens = 0;
        for (int step = start; step < o.Steps; step++)
        {
            var batch = DrawBatch(encoded, byLength, o, step);
            int length = batch.Max(b => b.Ids.Length);
            var ids = new long[o.BatchSize * length];
            var targets = Enumerable.Repeat(Ignore, o.BatchSize * length).ToArray();
            for (int i = 0; i < batch.Count; i++)
            {
                Array.Copy(batch[i].Ids, 0, ids, i * length, batch[i].Ids.Length);
                Array.Copy(batch[i].Targets, 0, targets, i * length, batch[i].Targets.Length);
            }
            using var scope = NewDisposeScope();
            var input = tensor(ids).view(o.BatchSize, length);
            var target = tensor(targets).view(o.BatchSize * length);
            foreach (var g in optimizer.ParamGroups) g.LearningRate = LearningRate(o, step);
            optimizer.zero_grad();
            var logits = model.forward(input).view(o.BatchSize * length, o.Shape.Vocab);
            var perToken = nn.functional.cross_entropy(logits, target, ignore_index: Ignore, reduction: nn.Reduction.None);
            var (weights, isDigit) = LossWeights(target, o.DigitWeight);
            var loss = (perToken * weights).sum() / weights.sum();
            digitLossSum += ((perToken * isDigit).sum() / isDigit.sum().clamp_min(1)).item<float>();
            loss.backward();
            nn.utils.clip_grad_norm_(model.parameters(), 1.0);
            optimizer.step();
            lossSum += loss.item<float>();
            tokens += ids.Length;
            if ((step + 1) % 100 == 0)
            {
                log($"step {step + 1}/{o.Steps} loss {lossSum / 100:0.0000} digit loss {digitLossSum / 100:0.0000} lr {LearningRate(o, step):0.00000} {tokens / clock.Elapsed.TotalSeconds:0} tok/s {clock.Elapsed.TotalMinutes:0.0} min");
                lossSum = 0;
                digitLossSum = 0;
            }
            bool outOfTime = (o.MaxMinutes > 0 && clock.Elapsed.TotalMinutes >= o.MaxMinutes) || (o.StopAt > 0 && step + 1 >= o.StopAt);
            if ((step + 1) % o.CheckpointEvery == 0 || step + 1 == o.Steps || outOfTime)
                model.save(Path.Combine(checkpointDir, $"step-{step + 1:D6}.weights"));
            if (outOfTime)
            {
                log(o.StopAt > 0 && step + 1 >= o.StopAt ? $"stopped at step {step + 1} (--stop-at)" : $"stopped at step {step + 1}: the time budget of {o.MaxMinutes} minutes is spent");
                break;
            }
        }
        return model;
    }

    /// <summary>
    /// Teacher-forced argmax accuracy on what the model writes: digits (the numbers it must copy) apart from every
    /// other token, and the share of traces whose digits are all right.
    /// </summary>
    public static ProbeResult Probe(TinyLlama model, IReadOnlyList<Trace> traces)
    {
        using var _ = no_grad();
        int probed = 0, digits = 0, digitsRight = 0, others = 0, othersRight = 0, tracesRight = 0;
        foreach (var trace in traces)
        {
            var (ids, targets) = Encode(trace);
            if (ids.Length > model.Shape.ContextLength) continue;
            probed++;
            using var scope = NewDisposeScope();
            var predicted = model.forward(tensor(ids).unsqueeze(0))[0].argmax(-1).data<long>().ToArray();
            bool allDigits = true;
            for (int i = 0; i < targets.Length; i++)
            {
                if (targets[i] == Ignore) continue;
                bool right = predicted[i] == targets[i];
                if (targets[i] >= DigitIds[0] && targets[i] <= DigitIds[9]) { digits++; if (right) digitsRight++; else allDigits = false; }
                else { others++; if (right) othersRight++; }
            }
            if (allDigits) tracesRight++;
        }
        return new ProbeResult(probed, (double)digitsRight / Math.Max(1, digits), (double)othersRight / Math.Max(1, others), (double)tracesRight / Math.Max(1, probed));
    }
}

public sealed record ProbeResult(int Traces, double DigitAccuracy, double OtherAccuracy, double TracesAllDigitsRight);
