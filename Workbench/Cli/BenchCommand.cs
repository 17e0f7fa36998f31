using System.CommandLine;
using Numina.Workbench.Benchmarks;

namespace Numina.Workbench.Cli;

/// <summary><c>Workbench bench NAME</c>: benchmarks that measure side by side in one run and end with ratio/value lines.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var bench = new Command("bench", "Benchmarks (run them from a Release build).");

        var sandboxRuns = new Option<int>("--sandbox-runs") { Description = "Cells timed in the sandbox per figure.", DefaultValueFactory = _ => 300 };
        var freshRuns = new Option<int>("--fresh-runs") { Description = "Fresh python3 processes timed per figure.", DefaultValueFactory = _ => 15 };
        var seconds = new Option<double>("--seconds") { Description = "Duration of the throughput measurement.", DefaultValueFactory = _ => 3 };
        var sandbox = new Command("sandbox", "The notebook sandbox against a fresh python3 per cell replaying history.") { CommonOptions.Config, sandboxRuns, freshRuns, seconds };
        sandbox.SetAction((parse, ct) => SandboxBenchmark.RunAsync(CommonOptions.LoadEngineOptions(parse),
            parse.GetValue(sandboxRuns), parse.GetValue(freshRuns), parse.GetValue(seconds), ct));
        bench.Subcommands.Add(sandbox);

        var tokens = new Option<int>("--tokens") { Description = "Tokens each candidate generates per measurement.", DefaultValueFactory = _ => 64 };
        var repeats = new Option<int>("--repeats") { Description = "Measurements per width (the median is reported).", DefaultValueFactory = _ => 3 };
        var threads = new Option<int>("--threads") { Description = "CPU threads for llama.cpp (0 = all cores).", DefaultValueFactory = _ => 0 };
        var decode = new Command("decode", "Batched decoding of 1, 8 and 32 candidates (fast and reproducible settings), and prefill with fork-and-append vs re-sending.") { tokens, repeats, threads };
        decode.SetAction((parse, ct) => DecodeBenchmark.RunAsync(parse.GetValue(tokens), parse.GetValue(repeats),
            parse.GetValue(threads) > 0 ? parse.GetValue(threads) : Environment.ProcessorCount, ct));
        bench.Subcommands.Add(decode);

        var tokenizer = new Option<FileInfo?>("--tokenizer") { Description = "A Hugging Face tokenizer.json (default: Qwen's, from Tests/Vocabularies)." };
        var width = new Option<int>("--n") { Description = "Candidates decoding together.", DefaultValueFactory = _ => 8 };
        var samplerTokens = new Option<int>("--tokens") { Description = "Tokens each candidate generates per measurement.", DefaultValueFactory = _ => 48 };
        var samplerRepeats = new Option<int>("--repeats") { Description = "Measurements per setting (the median is reported).", DefaultValueFactory = _ => 5 };
        var sampler = new Command("sampler", "Decoding with top_p 0.95, top_k and min_p against top_p 1 on a 152k-token vocabulary.") { tokenizer, width, samplerTokens, samplerRepeats, threads };
        sampler.SetAction((parse, ct) => SamplerBenchmark.RunAsync(parse.GetValue(tokenizer)?.FullName, parse.GetValue(width), parse.GetValue(samplerTokens),
            parse.GetValue(samplerRepeats), parse.GetValue(threads) > 0 ? parse.GetValue(threads) : Environment.ProcessorCount, ct));
        bench.Subcommands.Add(sampler);

        var problems = new Option<int>("--problems") { Description = "Held-out problems per measurement.", DefaultValueFactory = _ => 8 };
        var serveWidth = new Option<int>("--n") { Description = "Candidates per problem.", DefaultValueFactory = _ => 8 };
        var serve = new Command("serve", "eval with 4 problems in flight against 1, and runs through the workbench's own /v1/completions against in-process, on the bundled model.") { CommonOptions.Config, problems, serveWidth };
        serve.SetAction((parse, ct) => ServeBenchmark.RunAsync(CommonOptions.LoadEngineOptions(parse), CommonOptions.ConfigPath(parse), parse.GetValue(problems), parse.GetValue(serveWidth), ct));
        bench.Subcommands.Add(serve);

        var runs = new Option<int>("--runs") { Description = "Runs to complete in all.", DefaultValueFactory = _ => 40 };
        var clients = new Option<int>("--clients") { Description = "Clients queuing runs at once.", DefaultValueFactory = _ => 3 };
        var watchers = new Option<int>("--watchers") { Description = "Clients loading the pages meanwhile.", DefaultValueFactory = _ => 3 };
        var soak = new Command("soak", "Back-to-back runs from several clients with hostile cells, an evaluation over /v1 and page watchers, on a serve child process.") { CommonOptions.Config, runs, clients, watchers };
        soak.SetAction((parse, ct) => SoakBenchmark.RunAsync(CommonOptions.LoadEngineOptions(parse), CommonOptions.ConfigPath(parse),
            parse.GetValue(runs), parse.GetValue(clients), parse.GetValue(watchers), ct));
        bench.Subcommands.Add(soak);

        var gradeData = new Option<FileInfo>("--dataset") { Description = "A dataset whose answers are graded (default: ../shared/data/math500.jsonl).", DefaultValueFactory = _ => new FileInfo(Path.Combine("..", "shared", "data", "math500.jsonl")) };
        var grade = new Command("grade", "The grader on MATH-500's answers: against themselves, rewritten, and near misses; seconds and verdicts.") { CommonOptions.Config, gradeData };
        grade.SetAction((parse, ct) => GradeBenchmark.RunAsync(CommonOptions.LoadEngineOptions(parse), parse.GetValue(gradeData)!.FullName, ct));
        bench.Subcommands.Add(grade);
        return bench;
    }
}
