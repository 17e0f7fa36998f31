using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Numina.Engine.Execution;
using Numina.Engine.Presets;
using Numina.Engine.Settings;

namespace Numina.Trainer.Data;

/// <summary>A piece of a trace: text, and whether the model writes it (trained on) or the prompt/tool does.</summary>
public sealed record TraceSpan(string Text, bool ModelWrites);

/// <summary>A verified training trace in the Numina preset's exact format.</summary>
public sealed record Trace(string Id, string Family, string Kind, string Problem, long Answer, IReadOnlyList<TraceSpan> Spans)
{
    public string Text => string.Concat(Spans.Select(s => s.Text));
}

/// <summary>A held-out problem (never in training): its text and answer.</summary>
public sealed record HeldOutProblem(string Id, string Family, string Problem, long Answer);

/// <summary>
/// The seed's pipeline at toy scale: generate problems, write the solution trace, run every code block through the
/// project's own sandbox (Numina preset, stateless mode, exactly as the engine will at solve time), append the output
/// as the engine formats it, and keep the trace only when every printed value matches the answer computed in C#.
/// </summary>
public sealed class TraceCrafter(ICodeExecutor executor)
{
    private static readonly Preset Numina = BuiltInPresets.Numina;
    public int Rejected { get; private set; }

    public async Task<Trace?> CraftAsync(CraftedProblem p, string id, bool selfCorrect, Random r, CancellationToken ct, CodeLayout layout = CodeLayout.Bound)
    {
        if (layout != CodeLayout.Bound) p = p with { Steps = p.Steps.Select(s => s with { Code = CodeLayouts.Apply(s.Code, layout) }).ToList() };
        await using var session = await executor.OpenSessionAsync(CodeSessionOptions.From(Numina, ExecutionMode.Stateless), ct);
        var spans = new List<TraceSpan> { new(Numina.RenderPrompt(p.Text), false) };
        string kind = p.Steps.Count > 1 ? "two-step" : "one-step";

        if (selfCorrect)
        {
            var broken = Break(p.Steps[0].Code, r);
            var error = await session.RunAsync(broken, ct);
            if (error.Outcome != CellOutcome.Error) { Rejected++; return null; }
            spans.Add(new($"{p.Rationale}\n```python\n{broken}\n```\n```output\n", true));
            spans.Add(new(ToolOutputFormatter.Format(error, Numina), false));
            spans.Add(new("\nThe code raised an error. Let me fix it.\n", true));
            kind = "self-correction";
        }
        for (int i = 0; i < p.Steps.Count; i++)
        {
            var step = p.Steps[i];
            var lead = i == 0 ? (selfCorrect ? "" : p.Rationale + "\n") : "\n" + p.Intermediate + "\n";
            var result = await session.RunAsync(step.Code, ct);
            var seen = ToolOutputFormatter.Result(result, Numina);
            if (result.Outcome != CellOutcome.Success || seen != step.Expected.ToString()) { Rejected++; return null; }
            spans.Add(new($"{lead}```python\n{step.Code}\n```\n```output\n", true));
            spans.Add(new(ToolOutputFormatter.Format(result, Numina), false));
        }
        spans.Add(new($"\nTherefore, the answer is $\\boxed{{{p.Answer}}}$.", true));
        return new Trace(id, p.Family, kind, p.Text, p.Answer, spans);
    }

    /// <summary>A realistic slip in the first block: a misspelled variable, a misspelled call, or a missing parenthesis.</summary>
    public static string Break(string code, Random r)
    {
        var lines = code.Split('\n');
        var last = lines[^1];
        switch (r.Next(3))
        {
            case 0:
                var name = lines[0].Split(" = ")[0];
                if (name.Length > 2 && last.Contains(name, StringComparison.Ordinal))
                {
                    lines[^1] = ReplaceWord(last, name, name[..^1]);
                    return string.Join('\n', lines);
                }
                goto case 1;
            case 1:
                lines[^1] = last.Replace("print(", "prnt(", StringComparison.Ordinal);
                return string.Join('\n', lines);
            default:
                lines[^1] = last[..^1];
                return string.Join('\n', lines);
        }
    }

    private static string ReplaceWord(string text, string word, string with)
    {
        for (int at = text.IndexOf(word, StringComparison.Ordinal); at >= 0; at = text.IndexOf(word, at + 1, StringComparison.Ordinal))
        {
            bool start = at == 0 || !(char.IsLetterOrDigit(text[at - 1]) || text[at - 1] == '_');
            int end = at + word.Length;
            bool stop = end == text.Length || !(char.IsLetterOrDigit(text[end]) || text[end] == '_');
            if (start && stop) return text[..at] + with + text[end..];
        }
        return text;
    }

    /// <summary>Which split a problem text belongs to, from its text alone: the same text can never be on both sides.</summary>
    public static bool IsHeldOut(string problemText, int heldOutPercent)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(problemText));
        return BitConverter.ToUInt32(hash, 0) % 100 < (uint)heldOutPercent;
    }

    /// <summary>
    /// Crafts the whole dataset from a seed: <paramref name="trainCount"/> verified traces and
    /// <paramref name="heldOutCount"/> held-out problems, deterministic for a given seed. With
    /// <paramref name="layouts"/> above 1, each trace writes its code in one of the first that many layouts, drawn at random
    /// (<see cref="CodeLayouts"/>); with <paramref name="directShare"/>, that share of two-step problems is solved in one block;
    /// with <see cref="Wording.Varied"/>, every family's many wordings and the families of <see cref="ProblemFamilies.More"/>;
    /// a problem the <paramref name="guard"/> blocks (worded as a probe problem) is skipped.
    /// </summary>
    public async Task<(List<Trace> Train, List<HeldOutProblem> HeldOut)> CraftDatasetAsync(int seed, int trainCount, int heldOutCount,
        double selfCorrectionShare, CancellationToken ct, Action<string>? progress = null, int layouts = 0, double directShare = 0, Wording wording = Wording.Template,
        ProbeGuard? guard = null)
    {
        guard ??= ProbeGuard.None;
        var families = ProblemFamilies.For(wording);
        var r = new Random(seed);
        var seen = new HashSet<string>();
        var train = new List<Trace>();
        var heldOut = new List<HeldOutProblem>();
        int n = 0;
        while (train.Count < trainCount || heldOut.Count < heldOutCount)
        {
            var (family, make) = families[r.Next(families.Count)];
            var p = make(r, wording);
            bool selfCorrect = r.NextDouble() < selfCorrectionShare;
            var layout = layouts > 1 ? CodeLayouts.Pick(r, layouts) : CodeLayout.Bound;
            if (p.Direct is { } direct && directShare > 0 && r.NextDouble() < directShare) p = direct with { Text = p.Text };
            if (!seen.Add(p.Text) || guard.Blocks(p.Text)) continue;
            if (IsHeldOut(p.Text, 10))
            {
                if (heldOut.Count < heldOutCount) heldOut.Add(new HeldOutProblem($"heldout-{heldOut.Count:D4}", family, p.Text, p.Answer));
                continue;
            }
            if (train.Count >= trainCount) continue;
            var trace = await CraftAsync(p, $"train-{n++:D6}", selfCorrect, r, ct, layout);
            if (trace is not null) train.Add(trace);
            if (train.Count % 2000 == 0 && trace is not null) progress?.Invoke($"{train.Count} traces, {heldOut.Count} held out, {Rejected} rejected");
        }
        return (train, heldOut);
    }

    public static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static void WriteJsonl<T>(string path, IEnumerable<T> rows)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllLines(path, rows.Select(row => JsonSerializer.Serialize(row, Json)));
    }

    public static List<T> ReadJsonl<T>(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<T>(l, Json)!).ToList();
}
