using Numina.Engine.Models.Gguf;
using Numina.Engine.Models.Llama;
using TorchSharp;
using static TorchSharp.torch;

namespace Numina.Trainer.Modeling;

public sealed record ParityResult(int Prompts, double MaxLogitDifference, int SameGreedyTokens, int GreedyTokens);

/// <summary>TorchSharp and LLamaSharp on the same exported weights: next-token logits and greedy continuations.</summary>
public static class Parity
{
    public static async Task<ParityResult> CheckAsync(TinyLlama model, string gguf, IReadOnlyList<string> problems, Action<string> log, int greedyTokens = 40)
    {
        await using var engine = LlamaModel.Load(new LlamaModelOptions { Path = gguf, KvPoolTokens = 4096, Threads = 1 });
        double maxDiff = 0;
        int same = 0, total = 0;
        foreach (var problem in problems)
        {
            var prompt = $"### Problem: {problem}\n### Solution: ";
            var torchLogits = Logits(model, prompt);
            var llamaLogits = await engine.NextTokenLogitsAsync(prompt);
            maxDiff = Math.Max(maxDiff, torchLogits.Zip(llamaLogits, (a, b) => Math.Abs(a - b)).Max());

            // Greedy continuation, token by token, in both runtimes.
            var torchIds = Greedy(model, prompt, greedyTokens);
            using var state = await engine.EvaluatePromptAsync(prompt, new Engine.Models.PromptOptions { MaxSequenceTokens = 1024 }, CancellationToken.None);
            using var seq = state.Fork(new Engine.Models.SamplingSettings { Temperature = 0 });
            var g = await seq.GenerateAsync(new Engine.Models.GenerationRequest { MaxNewTokens = greedyTokens }, null, CancellationToken.None);
            var llamaIds = CharacterVocabulary.Encode(g.Text);
            int n = Math.Min(torchIds.Count, llamaIds.Count);
            int k = 0;
            while (k < n && torchIds[k] == llamaIds[k]) k++;
            same += k;
            total += torchIds.Count;
        }
        var result = new ParityResult(problems.Count, maxDiff, same, total);
        log($"parity: max |logit difference| {maxDiff:E2}; greedy tokens identical {same}/{total}");
        return result;
    }

    public static float[] Logits(TinyLlama model, string text)
    {
        using var _ = no_grad();
        var ids = new List<long> { CharacterVocabulary.Bos };
        ids.AddRange(CharacterVocabulary.Encode(text).Select(i => (long)i));
        var logits = model.forward(tensor(ids.ToArray()).unsqueeze(0));
        return logits[0, -1].data<float>().ToArray();
    }

    public static List<int> Greedy(TinyLlama model, string prompt, int tokens)
    {
        using var _ = no_grad();
        var ids = new List<long> { CharacterVocabulary.Bos };
        ids.AddRange(CharacterVocabulary.Encode(prompt).Select(i => (long)i));
        var generated = new List<int>();
        for (int i = 0; i < tokens; i++)
        {
            var logits = model.forward(tensor(ids.ToArray()).unsqueeze(0))[0, -1];
            int next = (int)logits.argmax().item<long>();
            if (next == CharacterVocabulary.Eos) break;
            generated.Add(next);
            ids.Add(next);
        }
        return generated;
    }
}
