using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Numina.Engine.Runs;
using Xunit.Abstractions;

namespace Numina.Workbench.Tests;

/// <summary>
/// The remote backend against a real server in another process: <c>Workbench serve</c> with the bundled model answers
/// <c>/v1/completions</c>, and complete SC-TIR runs go over HTTP — streamed, with logprobs — to the same answers and
/// transcripts as in-process for the same seeds (the server takes each round's seed and continues cached sequences).
/// </summary>
[Collection("workbench-cli")]
public class ServeApiTests(ITestOutputHelper output)
{
    /// <summary>The repository's configuration with a second model entry, "remote", served by <paramref name="port"/>.</summary>
    private static string Config(int port, int firstUid)
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(WorkbenchCli.Root, "appsettings.json")))!;
        config["Engine"]!["Storage"]!["Path"] = WorkbenchCli.Temp("runs.db");
        var models = config["Engine"]!["Models"]!.AsObject();
        foreach (var (_, entry) in models) entry!["Path"] = Path.Combine(WorkbenchCli.Root, entry["Path"]!.GetValue<string>());
        var tiny = models["numina-tiny"]!;
        models["remote"] = new JsonObject
        {
            ["Preset"] = "Numina",
            ["Defaults"] = tiny["Defaults"]!.DeepClone(),
            ["Server"] = new JsonObject { ["Endpoints"] = new JsonArray(new JsonObject { ["BaseUrl"] = $"http://127.0.0.1:{port}/v1", ["Model"] = "numina-tiny" }) },
        };
        config["Engine"]!["Sandbox"]!["FirstUid"] = firstUid;
        var path = WorkbenchCli.Temp("appsettings.json");
        File.WriteAllText(path, config.ToJsonString());
        return path;
    }

    [Fact]
    public async Task Runs_over_http_match_in_process_runs_and_the_endpoint_answers_in_the_servers_shapes()
    {
        int port = WorkbenchCli.FreePort();
        var config = Config(port, firstUid: 62700);
        await using var server = await WorkbenchCli.Serve($"http://127.0.0.1:{port}", Config(port, firstUid: 62800), port);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        // The shapes: the model list, a streamed completion with logprobs and usage, tokenize.
        var models = JsonNode.Parse(await http.GetStringAsync("/v1/models"))!;
        Assert.Equal("numina-tiny", models["data"]![0]!["id"]!.GetValue<string>());
        var body = """{"model":"numina-tiny","prompt":"### Problem: What is 2+3?\n### Solution: ","max_tokens":12,"seed":3,"temperature":0.8,"logprobs":1,"stream":true,"stream_options":{"include_usage":true}}""";
        using var response = await http.PostAsync("/v1/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e["data: ".Length..]).ToList();
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonNode.Parse(e)!).ToList();
        var tokens = chunks.Where(c => c["choices"]!.AsArray().Count > 0 && c["choices"]![0]!["finish_reason"] is null).ToList();
        Assert.Equal(12, tokens.Count);
        Assert.All(tokens, c => Assert.True(c["choices"]![0]!["logprobs"]!["token_logprobs"]![0]!.GetValue<double>() <= 0));
        Assert.Equal("length", chunks.Single(c => c["choices"]!.AsArray().Count > 0 && c["choices"]![0]!["finish_reason"] is not null)["choices"]![0]!["finish_reason"]!.GetValue<string>());
        Assert.Equal(12, chunks[^1]["usage"]!["completion_tokens"]!.GetValue<int>());
        var tokenized = JsonNode.Parse(await (await http.PostAsync("/tokenize", new StringContent("""{"content":"2+3"}""", Encoding.UTF8, "application/json"))).Content.ReadAsStringAsync())!;
        Assert.Equal(3, tokenized["count"]!.GetValue<int>());
        var refused = await http.PostAsync("/v1/completions", new StringContent("""{"model":"gpt-4","prompt":"x"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        Assert.Contains("numina-tiny", JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!["message"]!.GetValue<string>());

        // Whole runs: the same seed in-process and over HTTP.
        foreach (var id in new[] { "heldout-0001", "heldout-0003" })
        {
            string[] Args(string model) => ["solve", "--config", config, "--model", model, "--file", Path.Combine(WorkbenchCli.Root, "models", "heldout-sample.jsonl"), "--id", id, "-n", "4", "--seed", "5", "--quiet"];
            var local = await WorkbenchCli.Run(Args("numina-tiny"));
            var remote = await WorkbenchCli.Run(Args("remote"));
            Assert.True(local.ExitCode == 0, local.Stderr);
            Assert.True(remote.ExitCode == 0, remote.Stderr);
            var (a, b) = (RunRecord.FromJson(local.Stdout), RunRecord.FromJson(remote.Stdout));
            output.WriteLine($"{id}: in-process {a.Answer} ({a.GeneratedTokens} tokens), over HTTP {b.Answer} ({b.GeneratedTokens} tokens)");
            Assert.Equal(RunStatus.Finished, b.Status);
            Assert.Equal(a.Candidates.Select(c => c.Transcript(a.Prompt)), b.Candidates.Select(c => c.Transcript(b.Prompt)));
            Assert.Equal(a.Answer, b.Answer);
            Assert.Equal("remote", b.Model!.Architecture);
        }

        // The prefix cache did the work: each candidate's later rounds continued its cached sequence, and each run's
        // prompt was evaluated once for its four candidates.
        var cache = JsonNode.Parse(await http.GetStringAsync("/v1/models"))!["data"]![0]!["prefix_cache"]!;
        output.WriteLine(cache.ToJsonString());
        Assert.True(cache["sequence_hits"]!.GetValue<long>() >= 8, cache.ToJsonString()); // 2 runs × 4 candidates × at least one tool output
        Assert.True(cache["misses"]!.GetValue<long>() <= 3, cache.ToJsonString()); // the streamed probe's prompt and one per run
    }

    [Fact]
    public async Task Eval_parallel_over_http_keeps_problem_order_and_resumes_with_other_parallelism()
    {
        int port = WorkbenchCli.FreePort();
        var config = Config(port, firstUid: 62900);
        await using var server = await WorkbenchCli.Serve($"http://127.0.0.1:{port}", Config(port, firstUid: 63400), port);
        var set = WorkbenchCli.Temp("set.jsonl");
        File.WriteAllLines(set, File.ReadLines(Path.Combine(WorkbenchCli.Root, "models", "heldout-sample.jsonl")).Take(6));
        string[] Args(string outPath, int parallel, int limit) =>
            ["eval", "--dataset", set, "--limit", limit.ToString(), "--out", outPath, "-n", "4", "--seed", "2", "--no-greedy", "--no-store", "--config", config, "--model", "remote", "--parallel", parallel.ToString()];
        var results = WorkbenchCli.Temp("four.jsonl");

        var first = await WorkbenchCli.Run(Args(results, 4, limit: 4)); // four problems, all in flight at once
        var resumed = await WorkbenchCli.Run(Args(results, 1, limit: 6)); // the same file, one at a time: only the last two run

        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        var lines = File.ReadLines(results).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(File.ReadLines(set).Select(l => JsonNode.Parse(l)!["id"]!.GetValue<string>()), lines.Select(r => r["id"]!.GetValue<string>())); // problem order, none twice
        Assert.All(lines, r => Assert.Equal(4, r["candidates"]!.AsArray().Count));
        Assert.Single(lines.Select(r => r["fingerprint"]!.GetValue<string>()).Distinct()); // --parallel is not a setting of the results
    }
}
