using System.CommandLine;
using System.Globalization;
using Numina.Engine.Evaluation;
using Numina.Engine.Models.Llama;
using Numina.Engine.Settings;
using Numina.Engine.Storage;

namespace Numina.Workbench.Cli;

/// <summary>
/// <c>Workbench eval</c>: SC-TIR over a dataset, resumable (results appended to --out as each problem finishes), with a
/// progress bar on stderr and a summary at the end whose last lines are <c>value majority-accuracy</c>,
/// <c>value greedy-accuracy</c> and <c>value pass-at-n</c>. <c>eval compare A B</c> sets two result files side by side.
/// </summary>
public static class EvalCommand
{
    private static readonly Option<FileInfo> DatasetFile = new("--dataset") { Description = "JSONL with \"problem\" and \"answer\" (e.g. ../shared/data/math500.jsonl).", Required = true };
    private static readonly Option<int?> Limit = new("--limit") { Description = "Only the first K problems." };
    private static readonly Option<FileInfo> Out = new("--out") { Description = "The results file (JSONL); an existing one with the same settings is resumed.", Required = true };
    private static readonly Option<int?> Width = new("--n", "-n") { Description = "Width N." };
    private static readonly Option<int?> Depth = new("--m", "-m") { Description = "Depth M." };
    private static readonly Option<double?> Temperature = new("--temperature") { Description = "Sampling temperature." };
    private static readonly Option<double?> TopP = new("--top-p") { Description = "Nucleus sampling threshold." };
    private static readonly Option<int?> TopK = new("--top-k") { Description = "Top-k (0 = off)." };
    private static readonly Option<double?> MinP = new("--min-p") { Description = "Min-p (0 = off)." };
    private static readonly Option<ulong?> Seed = new("--seed") { Description = "Evaluation seed; each problem's run seed derives from it and the problem id (default 0)." };
    private static readonly Option<int?> MaxTokens = new("--max-tokens") { Description = "Max new tokens per round." };
    private static readonly Option<string?> Preset = new("--preset") { Description = "Numina, ToRA, NemoSkills or a configured preset." };
    private static readonly Option<GradingPolicy?> Policy = new("--policy") { Description = "AimoInteger, Integer or Symbolic (default: from the answers)." };
    private static readonly Option<bool> NoGreedy = new("--no-greedy") { Description = "Skip the greedy (N = 1, T = 0) baseline run per problem." };
    private static readonly Option<bool> Group = new("--group-equivalent") { Description = "Symbolically equal answers vote together." };
    private static readonly Option<string?> Model = new("--model") { Description = "A model named in Engine:Models, or a .gguf file (default: Engine:Defaults:Model)." };
    private static readonly Option<bool> NoStore = new("--no-store") { Description = "Do not record the runs in the run store." };
    private static readonly Option<int?> Parallel = new("--parallel") { Description = "Problems in flight at once (default 1): their candidates share the model's batch, or the servers. Results are the same and stay in problem order." };
    private static readonly Option<double?> Buffer = new("--buffer") { Description = "With --time-budget: a shared buffer of seconds that fast problems add to and slow ones spend (NemoSkills' AIMO-2 scheme)." };

    public static Command Create()
    {
        var command = new Command("eval", "Evaluate SC-TIR on a dataset: maj@k, pass@k, greedy; resumable.")
        {
            DatasetFile, Limit, Out, Width, Depth, Temperature, TopP, TopK, MinP, Seed, MaxTokens, Preset, Policy, NoGreedy, Group, Model, NoStore, Buffer, Parallel, CommonOptions.Config,
        };
        foreach (var option in PolicyOptions.All) command.Options.Add(option);
        command.SetAction(RunAsync);
        var files = new Argument<FileInfo[]>("results") { Description = "Results files; the first is the baseline the others are compared with.", Arity = new ArgumentArity(2, 32) };
        var compare = new Command("compare", "Results files side by side (the first is the baseline): accuracy, tokens and time per policy, and the problems where the majority's correctness differs.") { files };
        compare.SetAction(parse => Compare(parse.GetValue(files)!));
        command.Subcommands.Add(compare);
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, CancellationToken ct)
    {
        var options = CommonOptions.LoadEngineOptions(parse);
        var dataset = Dataset.Load(parse.GetValue(DatasetFile)!.FullName, parse.GetValue(Limit));
        var entry = options.FindModel(parse.GetValue(Model));
        var preset = parse.GetValue(Preset) is { } chosen ? options.Preset(chosen) : options.PresetFor(entry);
        var defaults = options.DefaultsFor(preset, entry);
        var d = defaults.Decoding;
        var plan = new EvaluationPlan
        {
            Dataset = dataset,
            Policy = parse.GetValue(Policy) ?? dataset.SuggestedPolicy(),
            Preset = preset,
            Settings = defaults with
            {
                Decoding = d with
                {
                    Width = parse.GetValue(Width) ?? d.Width, Depth = parse.GetValue(Depth) ?? d.Depth,
                    Temperature = parse.GetValue(Temperature) ?? d.Temperature, Seed = parse.GetValue(Seed) ?? 0,
                    TopP = parse.GetValue(TopP) ?? d.TopP, TopK = parse.GetValue(TopK) ?? d.TopK, MinP = parse.GetValue(MinP) ?? d.MinP,
                    MaxNewTokensPerRound = parse.GetValue(MaxTokens) ?? d.MaxNewTokensPerRound,
                },
                Policies = PolicyOptions.Apply(parse, defaults.Policies),
            },
            SharedBufferSeconds = parse.GetValue(Buffer) ?? 0,
            Parallel = parse.GetValue(Parallel) ?? 1,
            Greedy = !parse.GetValue(NoGreedy),
            GroupEquivalentAnswers = parse.GetValue(Group),
        };
        SettingsValidator.Validate(plan.Settings.Decoding);
        if (plan.Parallel is < 1 or > 64) throw new ArgumentException($"--parallel must be between 1 and 64 (got {plan.Parallel}).");
        if (plan.SharedBufferSeconds < 0 || !double.IsFinite(plan.SharedBufferSeconds) || (plan.SharedBufferSeconds > 0 && plan.Settings.Policies.TimeBudgetSeconds <= 0))
            throw new InvalidSettingsException([$"--buffer must be a positive number of seconds, given with --time-budget (the share of each problem) (got {plan.SharedBufferSeconds})."]);
        var outPath = parse.GetValue(Out)!.FullName;
        EvaluationRunner.ReadResults(outPath, plan.Fingerprint()); // refuse a file of other settings before loading anything

        await using var model = await Numina.Engine.Models.ModelLoader.LoadAsync(entry, null, ct);
        SolveCommand.DescribeModel(entry, model.Facts);
        await using var executor = options.CreateExecutor();
        RunStore? store = parse.GetValue(NoStore) || string.IsNullOrEmpty(options.StoragePath) ? null : RunStore.Open(options.StoragePath);
        try
        {
            Console.Error.WriteLine($"eval: {dataset.Name}, {dataset.Problems.Count} problems, {plan.Policy}, N={plan.Settings.Decoding.Width} M={plan.Settings.Decoding.Depth} T={plan.Settings.Decoding.Temperature}, results in {outPath}");
            var results = await new EvaluationRunner(model, executor, store).RunAsync(plan, outPath, Progress, ct);
            Console.Error.WriteLine();
            PrintSummary(results);
            return 0;
        }
        finally
        {
            if (store is not null) await store.DisposeAsync();
        }
    }

    private static void Progress(int done, int total, ProblemResult? last)
    {
        const int width = 30;
        int filled = total == 0 ? width : done * width / total;
        var tail = last is null ? "" : $" {last.Id}: {last.Majority ?? "-"} ({(last.MajorityCorrect ? "right" : "wrong")}, ref {last.Reference})";
        Console.Error.Write($"\r[{new string('#', filled)}{new string('.', width - filled)}] {done}/{total}{tail}    ");
    }

    private static string F(double x) => x.ToString("0.000", CultureInfo.InvariantCulture);

    public static void PrintSummary(IReadOnlyList<ProblemResult> results)
    {
        var s = EvaluationSummary.From(results);
        Console.WriteLine("id\treference\tmajority\tright\tgreedy\tcorrect/N\trestarts\tprunes\ttokens\tseconds");
        foreach (var r in results)
            Console.WriteLine($"{r.Id}\t{r.Reference}\t{r.Majority ?? "-"}\t{(r.MajorityCorrect ? "yes" : "no")}\t{r.GreedyAnswer ?? "-"}\t{r.Candidates.Count(c => c.Correct)}/{r.Candidates.Count}\t{r.Restarts}\t{r.Prunes}\t{r.Tokens}\t{r.Seconds:0.0}");
        Console.WriteLine();
        Console.WriteLine($"problems {s.Problems}, N {s.Width}");
        Console.WriteLine("k\tpass@k\tmaj@k");
        for (int k = 1; k <= s.Width; k++) Console.WriteLine($"{k}\t{F(s.PassAtK[k - 1])}\t{F(s.MajorityAtK[k - 1])}");
        Console.WriteLine($"first-sample accuracy {F(s.FirstSampleAccuracy)}; no-answer rate {F(s.NoAnswerRate)}; restarts/problem {s.RestartsPerProblem:0.00}; prunes/problem {s.PrunesPerProblem:0.00}; tokens/problem {s.TokensPerProblem:0}; seconds/problem {s.SecondsPerProblem:0.0}");
        Console.WriteLine($"value no-answer-rate = {F(s.NoAnswerRate)}");
        Console.WriteLine($"value majority-accuracy = {F(s.MajorityAccuracy)}");
        Console.WriteLine($"value greedy-accuracy = {(s.GreedyAccuracy is { } g ? F(g) : "n/a")}");
        Console.WriteLine($"value pass-at-n = {F(s.PassAtN)}");
    }

    private static int Compare(FileInfo[] files)
    {
        var all = files.Select(f => (File: f, Results: EvaluationRunner.ReadResults(f.FullName))).ToList();
        if (all.FirstOrDefault(x => x.Results.Count == 0) is { File: { } empty }) throw new ArgumentException($"{empty.Name} has no results.");
        var common = all.Skip(1).Aggregate(all[0].Results.Keys.ToList(), (ids, x) => ids.Where(x.Results.ContainsKey).ToList());
        if (common.Count == 0) throw new ArgumentException("The results files share no problem.");
        var names = Names(files);
        var summaries = all.Select(x => EvaluationSummary.From(common.Select(k => x.Results[k]).ToList())).ToList();
        var stats = all.Select(x => common.Select(k => x.Results[k]).ToList()).ToList();
        Console.WriteLine($"{common.Count} problems in every file ({string.Join(", ", all.Select((x, i) => $"{x.Results.Count} in {names[i]}"))}); baseline {names[0]}");
        Console.WriteLine("results\tpolicies\tmajority\tvs baseline (points)\ttokens/problem\ttokens vs baseline\tseconds/problem\tstopped early\tpruned (confidence)\tstopped (budget)");
        var b = summaries[0];
        for (int i = 0; i < all.Count; i++)
        {
            var s = summaries[i];
            var r = stats[i];
            // A shared buffer gives each problem its own budget: one description, with the budgets' range.
            var policies = string.Join(" | ", r.Select(x => System.Text.RegularExpressions.Regex.Replace(x.Policies, @"time budget [\d.]+ s", "time budget")).Distinct());
            if (r.Any(x => x.BudgetSeconds is not null))
                policies = policies.Replace("time budget", $"time budget {r.Min(x => x.BudgetSeconds ?? 0):0.#}–{r.Max(x => x.BudgetSeconds ?? 0):0.#} s", StringComparison.Ordinal);
            Console.WriteLine($"{names[i]}\t{policies}\t{F(s.MajorityAccuracy)}\t{Points(s.MajorityAccuracy - b.MajorityAccuracy)}\t{s.TokensPerProblem:0}\t" +
                $"{(b.TokensPerProblem > 0 ? $"{(s.TokensPerProblem / b.TokensPerProblem - 1) * 100:+0.0;-0.0;0.0} %" : "n/a")}\t{s.SecondsPerProblem:0.00}\t" +
                $"{r.Average(x => x.EarlyStopped):0.0}/problem\t{r.Average(x => x.ConfidenceStopped):0.0}/problem\t{r.Average(x => x.BudgetStopped):0.0}/problem");
        }
        for (int i = 1; i < all.Count; i++)
        {
            var (x, y) = (all[0].Results, all[i].Results);
            foreach (var id in common.Where(id => x[id].MajorityCorrect != y[id].MajorityCorrect))
                Console.WriteLine($"differs: {id}\t{names[0]} {x[id].Majority ?? "-"} ({(x[id].MajorityCorrect ? "right" : "wrong")})\t{names[i]} {y[id].Majority ?? "-"} ({(y[id].MajorityCorrect ? "right" : "wrong")})");
        }
        for (int i = 1; i < all.Count; i++)
        {
            var s = summaries[i];
            string tag = all.Count == 2 ? "b-vs-a" : $"{names[i]}-vs-{names[0]}";
            Console.WriteLine($"ratio majority-accuracy-{tag} = {(b.MajorityAccuracy > 0 ? F(s.MajorityAccuracy / b.MajorityAccuracy) : "n/a")}");
            Console.WriteLine($"ratio tokens-{tag} = {(b.TokensPerProblem > 0 ? F(s.TokensPerProblem / b.TokensPerProblem) : "n/a")}");
            Console.WriteLine($"value accuracy-change-{tag} = {Points(s.MajorityAccuracy - b.MajorityAccuracy)} points");
        }
        return 0;
    }

    private static string Points(double difference) => (difference * 100).ToString("+0.0;-0.0;0.0", CultureInfo.InvariantCulture);

    /// <summary>Each file by its name without the extension, or its path when two names are alike.</summary>
    private static string[] Names(FileInfo[] files)
    {
        var names = files.Select(f => Path.GetFileNameWithoutExtension(f.Name)).ToArray();
        return names.Distinct().Count() == names.Length ? names : files.Select(f => f.FullName).ToArray();
    }
}
