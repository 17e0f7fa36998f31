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
        var optimizer = optim.AdamW(model.parameters(), lr: o.LearningRate, weight_decay: 0.01);
        // Batches are drawn from the seed and the step number alone, so a resumed run sees the same batches.
        var clock = Stopwatch.StartNew();
        double lossSum = 0;
        long tokens = 0;
        for (int step = start; step < o.Steps; step++)
        {
            var pick = new Random(HashCode.Combine(o.Seed, step));
            var batch = Enumerable.Range(0, o.BatchSize).Select(_ => encoded[pick.Next(encoded.Count)]).ToList();
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
            var loss = nn.functional.cross_entropy(logits, target, ignore_index: Ignore);
            loss.backward();
            nn.utils.clip_grad_norm_(model.parameters(), 1.0);
            optimizer.step();
            lossSum += loss.item<float>();
            tokens += ids.Length;
            if ((step + 1) % 100 == 0)
            {
                log($"step {step + 1}/{o.Steps} loss {lossSum / 100:0.0000} lr {LearningRate(o, step):0.00000} {tokens / clock.Elapsed.TotalSeconds:0} tok/s {clock.Elapsed.TotalMinutes:0.0} min");
                lossSum = 0;
            }
            bool outOfTime = o.MaxMinutes > 0 && clock.Elapsed.TotalMinutes >= o.MaxMinutes;
            if ((step + 1) % o.CheckpointEvery == 0 || step + 1 == o.Steps || outOfTime)
                model.save(Path.Combine(checkpointDir, $"step-{step + 1:D6}.weights"));
            if (outOfTime)
            {
                log($"stopped at step {step + 1}: the time budget of {o.MaxMinutes} minutes is spent");
                break;
            }
        }
        return model;
    }
}
