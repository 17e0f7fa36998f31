using System.CommandLine;
using System.Text.Json;
using Numina.Engine.Answers;
using Numina.Engine.Configuration;
using Numina.Engine.Events;
using Numina.Engine.Models.Llama;
using Numina.Engine.Problems;
using Numina.Engine.Runs;
using Numina.Engine.Settings;

namespace Numina.Workbench.Cli;

/// <summary>
/// <c>Workbench solve</c>: one SC-TIR run from the command line. Progress goes to stderr; the whole run record (candidates,
/// segments, statuses, reasons, votes, answer, token and time accounting) goes to stdout as JSON.
/// </summary>
public static class SolveCommand
{
    private static readonly Argument<string?> ProblemText = new("problem") { Description = "The problem text (LaTeX/Markdown).", Arity = ArgumentArity.ZeroOrOne };
    private static readonly Option<FileInfo?> File = new("--file") { Description = "Read the problem from a text file, or from a JSON/JSONL file with \"problem\" (and \"answer\")." };
    private static readonly Option<string?> Id = new("--id") { Description = "With a JSONL file: the id of the problem to take (default: the first)." };
    private static readonly Option<string?> Answer = new("--answer") { Description = "The known answer, to mark the result right or wrong." };
    private static readonly Option<string?> Preset = new("--preset") { Description = "Numina, ToRA, NemoSkills or a configured preset." };
    private static readonly Option<int?> Width = new("--n", "-n") { Description = "Width N: candidates (1-512)." };
    private static readonly Option<int?> Depth = new("--m", "-m") { Description = "Depth M: rounds per candidate (1-16)." };
    private static readonly Option<double?> Temperature = new("--temperature") { Description = "Sampling temperature (0 = greedy)." };
    private static readonly Option<double?> TopP = new("--top-p") { Description = "Nucleus sampling threshold." };
    private static readonly Option<int?> TopK = new("--top-k") { Description = "Top-k (0 = off)." };
    private static readonly Option<double?> MinP = new("--min-p") { Description = "Min-p (0 = off)." };
    private static readonly Option<double?> RepetitionPenalty = new("--repetition-penalty") { Description = "Repetition penalty (1 = off)." };
    private static readonly Option<ulong?> Seed = new("--seed") { Description = "The run's seed (default: drawn and recorded)." };
    private static readonly Option<int?> MaxTokens = new("--max-tokens") { Description = "Max new tokens per round." };
    private static readonly Option<int?> Context = new("--context") { Description = "Context size of one candidate, in tokens." };
    private static readonly Option<ExecutionMode?> Execution = new("--execution") { Description = "Stateless (Numina) or Jupyter (live namespace)." };
    private static readonly Option<AnswerPolicy?> Policy = new("--policy") { Description = "AimoInteger, Integer or Normalized." };
    private static readonly Option<string?> Model = new("--model") { Description = "A model named in Engine:Models, or a .gguf file (default: Engine:Defaults:Model)." };
    private static readonly Option<int?> KvPool = new("--kv-pool") { Description = "KV cells for all candidates together." };
    private static readonly Option<bool> Quiet = new("--quiet") { Description = "No progress on stderr." };
    private static readonly Option<bool> Group = new("--group-equivalent") { Description = "Symbolically equal answers vote together, as they come in." };

    public static Command Create()
    {
        var command = new Command("solve", "Solve one problem with SC-TIR; the run record is printed as JSON.")
        {
            ProblemText, File, Id, Answer, Preset, Width, Depth, Temperature, TopP, TopK, MinP, RepetitionPenalty, Seed, MaxTokens,
            Context, Execution, Policy, Model, KvPool, Quiet, Group, CommonOptions.Config,
        };
        foreach (var option in PolicyOptions.All) command.Options.Add(option);
        command.SetAction(RunAsync);
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, CancellationToken ct)
    {
        var options = CommonOptions.LoadEngineOptions(parse);
        var problem = ReadProblem(parse);
        var entry = options.FindModel(parse.GetValue(Model));
        var preset = parse.GetValue(Preset) is { } chosen ? options.Preset(chosen) : options.PresetFor(entry);
        var defaults = options.DefaultsFor(preset, entry);
        var d = defaults.Decoding;
        var settings = defaults with
        {
            Decoding = d with
            {
                Width = parse.GetValue(Width) ?? d.Width,
                Depth = parse.GetValue(Depth) ?? d.Depth,
                Temperature = parse.GetValue(Temperature) ?? d.Temperature,
                TopP = parse.GetValue(TopP) ?? d.TopP,
                TopK = parse.GetValue(TopK) ?? d.TopK,
                MinP = parse.GetValue(MinP) ?? d.MinP,
                RepetitionPenalty = parse.GetValue(RepetitionPenalty) ?? d.RepetitionPenalty,
                Seed = parse.GetValue(Seed) ?? d.Seed,
                MaxNewTokensPerRound = parse.GetValue(MaxTokens) ?? d.MaxNewTokensPerRound,
                ContextSize = parse.GetValue(Context) ?? d.ContextSize,
            },
            Execution = parse.GetValue(Execution) ?? defaults.Execution,
            AnswerPolicy = parse.GetValue(Policy) ?? defaults.AnswerPolicy,
            Policies = PolicyOptions.Apply(parse, defaults.Policies) with { GroupEquivalentAnswers = parse.GetValue(Group) || defaults.Policies.GroupEquivalentAnswers },
        };
        SettingsValidator.Validate(settings.Decoding);
        var modelOptions = entry.Load with { KvPoolTokens = parse.GetValue(KvPool) ?? entry.Load.KvPoolTokens };
        bool quiet = parse.GetValue(Quiet);

        await using var model = await Numina.Engine.Models.ModelLoader.LoadAsync(entry with { Load = modelOptions }, null, ct);
        if (!quiet) DescribeModel(entry, model.Facts);
        await using var executor = options.CreateExecutor();
        var events = new ChannelEventSink();
        var progress = Task.Run(async () =>
        {
            await foreach (var e in events.ReadAllAsync(CancellationToken.None))
                if (!quiet && Describe(e) is { } line) Console.Error.WriteLine(line);
        }, CancellationToken.None);
        RunRecord record;
        try
        {
            record = await new SctirLoop(model, executor).RunAsync(new RunRequest { Problem = problem, Preset = preset, Settings = settings }, events, ct);
        }
        finally
        {
            events.Complete();
            await progress;
        }
        Console.Out.WriteLine(record.ToJson());
        return record.Status == RunStatus.Failed ? 1 : 0;
    }

    private static Problem ReadProblem(ParseResult parse)
    {
        var known = parse.GetValue(Answer);
        if (parse.GetValue(File) is { } file)
        {
            if (!file.Exists) throw new FileNotFoundException($"The problem file '{file.FullName}' does not exist.", file.FullName);
            if (file.Extension is ".json" or ".jsonl")
            {
                var id = parse.GetValue(Id);
                foreach (var line in System.IO.File.ReadLines(file.FullName).Where(l => l.Trim().Length > 0))
                {
                    using var doc = JsonDocument.Parse(line);
                    var root = doc.RootElement;
                    var rowId = root.TryGetProperty("id", out var i) ? i.ToString() : null;
                    if (id is not null && rowId != id) continue;
                    if (!root.TryGetProperty("problem", out var p) || p.ValueKind != JsonValueKind.String)
                        throw new ArgumentException($"{file.Name}: a row has no \"problem\" text.");
                    var answer = root.TryGetProperty("answer", out var a) ? (a.ValueKind == JsonValueKind.String ? a.GetString() : a.GetRawText()) : null;
                    return Problem.Create(p.GetString(), rowId, known ?? answer, file.Name);
                }
                throw new ArgumentException(id is null ? $"{file.Name} has no problems." : $"{file.Name} has no problem with id '{id}'.");
            }
            return Problem.Create(System.IO.File.ReadAllText(file.FullName), file.Name, known);
        }
        return Problem.Create(parse.GetValue(ProblemText) ?? throw new ArgumentException("Give the problem as an argument or with --file."), knownAnswer: known);
    }

    /// <summary>What was loaded, its memory plan and llama.cpp's warnings, on stderr (stdout carries only the record).</summary>
    public static void DescribeModel(Engine.Configuration.ModelEntry entry, Engine.Models.ModelFacts facts)
    {
        Console.Error.WriteLine($"model: {entry.Name} — {facts.Name}, {facts.Parameters:N0} parameters, {facts.Quantization}, {facts.Tokenizer}, {facts.VocabularySize:N0} tokens, {facts.Device}");
        if (facts.Memory is { } plan) Console.Error.WriteLine($"memory: {plan}");
        foreach (var warning in facts.Warnings) Console.Error.WriteLine($"warning: llama.cpp: {warning}");
    }

    /// <summary>One stderr line per event worth reading (text deltas are not).</summary>
    private static string? Describe(RunEvent e) => e switch
    {
        RunStarted s => $"run: N={s.Width} M={s.Depth} seed={s.Seed} preset={s.Preset}, prompt {s.PromptTokens} tokens; policies: {s.Policies}",
        PolicyActed p => $"{p.Policy}: {p.Message}",
        RoundFinished r => $"c{r.Candidate} round {r.Round}: {r.GeneratedTokens} tokens, stopped by {r.StopReason}",
        OutputReceived o => $"c{o.Candidate} round {o.Round}: code {o.Outcome} in {o.Seconds * 1000:0} ms, {o.AppendedTokens} tokens appended",
        CandidateRestarted r => $"c{r.Candidate} round {r.Round}: restarted ({r.Reason})",
        CandidatePruned p => $"c{p.Candidate} round {p.Round}: pruned ({p.Reason})",
        CandidateAnswered a => $"c{a.Candidate} round {a.Round}: answered {a.RawAnswer ?? "(nothing)"} → {a.Answer ?? "dropped"}",
        CandidateUnanswered { Error: { } error } u => $"c{u.Candidate} round {u.Round}: failed ({error})",
        CandidateUnanswered u => $"c{u.Candidate} round {u.Round}: no answer ({u.Reason})",
        RoundRetried r => $"c{r.Candidate} round {r.Round}: retried ({r.Reason}; {r.DiscardedTokens} streamed token(s) discarded)",
        VoteUpdated v => "vote: " + string.Join(", ", v.Tally.Buckets.Select(b => b.Weight == b.Count ? $"{b.Answer}×{b.Count}" : $"{b.Answer}×{b.Count} (weight {b.Weight:0.##})")),
        RunFinished f => $"answer: {f.Answer} ({f.Tally.ValidVotes} valid votes){(f.Correct is { } c ? c ? ", correct" : ", wrong" : "")}",
        RunCancelled c => $"cancelled; answer so far: {c.Answer}",
        RunFailed f => $"failed: {f.Error}",
        _ => null,
    };
}
