using System.Text.Json;
using Numina.Engine.Runs;

namespace Numina.Workbench.Tests;

[Collection("workbench-cli")]
public class CliTests
{
    private static async Task<string> RandomModel()
    {
        var path = WorkbenchCli.Temp("model.gguf");
        var made = await WorkbenchCli.Run("random-model", path, "--seed", "3");
        Assert.Equal(0, made.ExitCode);
        Assert.Contains("parameters", made.Stdout);
        return path;
    }

    /// <summary>
    /// A configuration whose preset uses single-letter fences, so a random model runs code often. Its sandbox workers
    /// run as uids 62000+, apart from the engine tests' 61000+ (those check /proc for processes left behind).
    /// </summary>
    private static string LettersConfig()
    {
        var path = WorkbenchCli.Temp("appsettings.json");
        File.WriteAllText(path, """
            { "Engine": {
                "Presets": { "Letters": { "BasedOn": "Numina", "PromptTemplate": "{problem} ", "CodeOpen": "x", "CodeClose": "y", "StopString": "z", "ExecutorHeader": "", "TimeoutSeconds": 2 } },
                "Sandbox": { "Workers": 2, "FirstUid": 62000 },
                "Model": { "KvPoolTokens": 8192 } } }
            """);
        return path;
    }

    [Fact]
    public async Task Solve_prints_the_whole_run_record_as_json_and_progress_on_stderr()
    {
        var model = await RandomModel();
        var result = await WorkbenchCli.Run("solve", "What is $2+3$?", "--model", model, "--config", LettersConfig(), "--preset", "Letters",
            "-n", "4", "-m", "3", "--max-tokens", "120", "--context", "1024", "--seed", "11", "--execution", "Jupyter", "--answer", "5");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var record = RunRecord.FromJson(result.Stdout);
        Assert.Equal(RunStatus.Finished, record.Status);
        Assert.Equal(4, record.Candidates.Count);
        Assert.Equal(11UL, record.Seed);
        Assert.Equal("Letters", record.Preset.Name);
        Assert.Equal("5", record.Problem.KnownAnswer);
        Assert.NotNull(record.Answer);
        Assert.False(record.Correct ?? true); // a random model does not find 5
        Assert.True(record.GeneratedTokens > 0);
        Assert.Equal("llama", record.Model!.Architecture);
        Assert.Contains("pythonnet sandbox", record.Executor!.Name);
        Assert.All(record.Candidates, c => Assert.True(c.IsFinished));
        using var doc = JsonDocument.Parse(result.Stdout); // plain JSON, segments included
        Assert.True(doc.RootElement.GetProperty("candidates")[0].GetProperty("attempts")[0].GetProperty("segments").GetArrayLength() > 0);
        Assert.Contains("run: N=4 M=3 seed=11 preset=Letters", result.Stderr);
        Assert.Contains("answer:", result.Stderr);
        Assert.DoesNotContain("run: N=", result.Stdout);
    }

    [Fact]
    public async Task Solve_reads_a_problem_from_a_jsonl_file()
    {
        var model = await RandomModel();
        var file = WorkbenchCli.Temp("set.jsonl");
        File.WriteAllLines(file, ["""{"id": "p1", "problem": "What is 1+1?", "answer": 2}""", """{"id": "p2", "problem": "What is 3+4?", "answer": 7}"""]);
        var result = await WorkbenchCli.Run("solve", "--file", file, "--id", "p2", "--model", model, "-n", "2", "-m", "1", "--max-tokens", "40", "--quiet", "--config", LettersConfig());
        Assert.True(result.ExitCode == 0, result.Stderr);
        var record = RunRecord.FromJson(result.Stdout);
        Assert.Equal("What is 3+4?", record.Problem.Text);
        Assert.Equal("7", record.Problem.KnownAnswer);
        Assert.Equal("", result.Stderr.Trim());
    }

    [Theory]
    [InlineData("--n", "0", "Width N must be between 1 and 512 (got 0).")]
    [InlineData("--temperature", "9", "Temperature must be a finite number from 0 to 5 (got 9).")]
    [InlineData("--preset", "Nope", "Unknown preset 'Nope'.")]
    public async Task Solve_refuses_bad_settings_with_a_clear_message(string option, string value, string message)
    {
        var result = await WorkbenchCli.Run("solve", "1+1?", "--model", "/nonexistent.gguf", option, value);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr); // a message, not a stack trace
    }

    [Theory]
    [InlineData("--seed", "x", "The seed must be a whole number from 0 to 18446744073709551615, or empty to draw one (got \"x\").")]
    [InlineData("--n", "1.5", "--n must be a whole number (got \"1.5\").")]
    [InlineData("--temperature", "abc", "--temperature must be a number, such as 0.8 (got \"abc\").")]
    [InlineData("--temperature", "0,8", "--temperature must be written with a decimal point, not a comma (got \"0,8\").")]
    [InlineData("--execution", "Notebook", "--execution must be one of Stateless, Jupyter (got \"Notebook\").")]
    public async Task Values_of_the_wrong_kind_are_named_on_stderr_without_the_help(string option, string value, string message)
    {
        var result = await WorkbenchCli.Run("solve", "1+1?", "--model", "/nonexistent.gguf", option, value);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Stderr);
        Assert.Contains("Run 'Workbench solve --help' for the options.", result.Stderr);
        Assert.DoesNotContain("System.", result.Stderr);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task An_empty_problem_is_named_in_plain_words()
    {
        var result = await WorkbenchCli.Run("solve", "  ", "--model", "/nonexistent.gguf");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("The problem text is empty", result.Stderr);
        Assert.DoesNotContain("(Parameter", result.Stderr);
    }

    [Fact]
    public async Task Solve_with_a_missing_or_corrupt_model_says_so()
    {
        var missing = await WorkbenchCli.Run("solve", "1+1?", "--model", "/nonexistent/model.gguf");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("'/nonexistent/model.gguf' does not exist", missing.Stderr);

        var corrupt = WorkbenchCli.Temp("corrupt.gguf");
        File.WriteAllBytes(corrupt, [.. "GGUF"u8, 3, 0, 0, 0, 1, 2]);
        var bad = await WorkbenchCli.Run("solve", "1+1?", "--model", corrupt);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("truncated or corrupt", bad.Stderr);
    }

    [Fact]
    public async Task Quantize_writes_a_q8_0_model_that_solve_can_use()
    {
        var source = WorkbenchCli.Temp("f32.gguf");
        Assert.Equal(0, (await WorkbenchCli.Run("random-model", source, "--dim", "128", "--ff", "256")).ExitCode);
        var target = WorkbenchCli.Temp("q8.gguf");
        var q = await WorkbenchCli.Run("quantize", source, target, "--type", "q8_0");
        Assert.True(q.ExitCode == 0, q.Stderr);
        Assert.True(new FileInfo(target).Length < new FileInfo(source).Length / 2);
        var solved = await WorkbenchCli.Run("solve", "1+1?", "--model", target, "-n", "2", "-m", "1", "--max-tokens", "30", "--quiet", "--config", LettersConfig());
        Assert.True(solved.ExitCode == 0, solved.Stderr);
        Assert.Equal("Q8_0", RunRecord.FromJson(solved.Stdout).Model!.Quantization);
    }

    /// <summary>A random model whose vocabulary has "&lt;|im_end|&gt;" as a normal token: llama.cpp warns it looks like a control token.</summary>
    private static string ModelWithAWarning()
    {
        var chars = Numina.Engine.Models.Gguf.GgufVocabulary.Characters;
        var vocabulary = chars with
        {
            Tokens = [.. chars.Tokens, "<|im_end|>"],
            TokenTypes = [.. chars.TokenTypes, Numina.Engine.Models.Gguf.TokenType.Normal],
            Scores = [.. chars.Scores!, 0f],
        };
        var path = WorkbenchCli.Temp("warning.gguf");
        Numina.Engine.Models.Gguf.LlamaGguf.WriteRandom(path, new Numina.Engine.Models.Gguf.LlamaShape { Vocab = vocabulary.Count }, seed: 2, scale: 0.4f, vocabulary: vocabulary);
        return path;
    }

    [Fact]
    public async Task Solve_names_the_model_its_memory_plan_and_llama_cpps_warnings_on_stderr_only()
    {
        var result = await WorkbenchCli.Run("solve", "1+1?", "--model", ModelWithAWarning(), "-n", "2", "-m", "1", "--max-tokens", "20", "--seed", "4", "--config", LettersConfig(), "--preset", "Letters");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Matches("model: numina-cli-\\w+-warning — random-2, ", result.Stderr);
        Assert.Contains("memory: weights", result.Stderr);
        Assert.Contains("warning: llama.cpp: load: control-looking token", result.Stderr);
        var record = RunRecord.FromJson(result.Stdout); // stdout is the record alone
        Assert.Contains(record.Model!.Warnings, w => w.Contains("control-looking token"));
        Assert.True(record.Model.Memory!.KvCacheBytes > 0);
        Assert.Equal(8192, record.Model.Memory.KvCells);
        Assert.Contains("KV buffer", string.Join(",", record.Model.Memory.Reported.Keys));
        Assert.Equal("text", record.PromptRendering);
    }

    [Fact]
    public async Task Solve_refuses_an_unknown_model_name_and_takes_a_configured_one()
    {
        var config = WorkbenchCli.Temp("models.json");
        File.WriteAllText(config, $$"""
            { "Engine": {
                "Defaults": { "Model": "letters-model", "Preset": "Letters" },
                "Presets": { "Letters": { "BasedOn": "Numina", "PromptTemplate": "{problem} ", "CodeOpen": "x", "CodeClose": "y", "StopString": "z", "ExecutorHeader": "", "TimeoutSeconds": 2 } },
                "Sandbox": { "Workers": 2, "FirstUid": 62000 },
                "Model": { "KvPoolTokens": 8192 },
                "Models": { "letters-model": { "Path": "{{await RandomModel()}}", "Defaults": { "Width": 3, "Depth": 1, "MaxNewTokensPerRound": 25 } } } } }
            """);
        var unknown = await WorkbenchCli.Run("solve", "1+1?", "--model", "no-such-model", "--config", config);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("No model is named 'no-such-model'. Configured: letters-model", unknown.Stderr);
        var named = await WorkbenchCli.Run("solve", "1+1?", "--model", "letters-model", "--seed", "2", "--quiet", "--config", config);
        Assert.True(named.ExitCode == 0, named.Stderr);
        var record = RunRecord.FromJson(named.Stdout);
        Assert.Equal(3, record.Candidates.Count); // the model entry's defaults
        Assert.Equal("Letters", record.Preset.Name);
        Assert.All(record.Candidates, c => Assert.True(c.RoundsUsed <= 1));
    }

    [Fact]
    public async Task Presets_lists_built_in_and_configured_presets()
    {
        var result = await WorkbenchCli.Run("presets", "--config", LettersConfig());
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Stdout);
        var names = doc.RootElement.EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToList();
        Assert.Equal(["Letters", "NemoSkills", "Numina", "Qwen2.5-Math-TIR", "ToRA"], names);
    }

    [Fact]
    public async Task Check_runs_python_in_both_modes()
    {
        var result = await WorkbenchCli.Run("check", "--config", LettersConfig());
        Assert.True(result.ExitCode == 0, result.Stdout + result.Stderr);
        Assert.Contains("Stateless ok", result.Stdout);
        Assert.Contains("Jupyter   ok", result.Stdout);
    }
}
