using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Numina.Workbench.Tests;

/// <summary>
/// Runs and cells for scripts (<c>/api/runs</c>, <c>/api/cells</c>) on a real <c>serve</c>: the Solve form's rules and
/// messages, a queued run to its stored record, hostile cells contained; and <c>bench soak</c>, which drives them.
/// </summary>
[Collection("workbench-cli")]
public class RunApiTests
{
    private static string Config(int firstUid)
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(WorkbenchCli.Root, "appsettings.json")))!;
        config["Engine"]!["Storage"]!["Path"] = WorkbenchCli.Temp("runs.db");
        foreach (var (_, entry) in config["Engine"]!["Models"]!.AsObject())
            entry!["Path"] = Path.Combine(WorkbenchCli.Root, entry["Path"]!.GetValue<string>());
        config["Engine"]!["Sandbox"]!["FirstUid"] = firstUid;
        var path = WorkbenchCli.Temp("appsettings.json");
        File.WriteAllText(path, config.ToJsonString());
        return path;
    }

    [Fact]
    public async Task Runs_are_checked_like_the_form_queued_and_stored_and_cells_are_contained()
    {
        int port = WorkbenchCli.FreePort();
        await using var server = await WorkbenchCli.Serve($"http://127.0.0.1:{port}", Config(63600), port);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        var bad = await http.PostAsJsonAsync("/api/runs", new { problem = "What is 2 + 3?", n = 0, temperature = "abc", m = "1.5" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var problems = JsonNode.Parse(await bad.Content.ReadAsStringAsync())!["problems"]!.AsArray().Select(p => p!.GetValue<string>()).ToList();
        Assert.Contains("Temperature must be a number, such as 0.8 (got \"abc\").", problems);
        Assert.Contains("Depth M must be a whole number (got \"1.5\").", problems);
        Assert.Contains("Width N must be between 1 and 512 (got 0).", problems);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsJsonAsync("/api/runs", new { problem = "x", widht = 3 })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsync("/api/runs", new StringContent("[1, 2]"))).StatusCode);

        var queued = await http.PostAsJsonAsync("/api/runs", new { problem = "What is the sum of the digits of $4728163$?", answer = "31", n = 4, seed = 3 });
        Assert.Equal(HttpStatusCode.Accepted, queued.StatusCode);
        var id = JsonNode.Parse(await queued.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        JsonDocument? run = null;
        for (int i = 0; i < 240; i++)
        {
            run = JsonDocument.Parse(await http.GetStringAsync($"/api/runs/{id}"));
            if (run.RootElement.TryGetProperty("status", out var s) && s.GetString() == "Finished") break;
            await Task.Delay(250);
        }
        Assert.Equal("Finished", run!.RootElement.GetProperty("status").GetString());
        Assert.Equal(4, run.RootElement.GetProperty("record").GetProperty("candidates").GetArrayLength());
        var sequences = run.RootElement.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("sequence").GetInt64()).ToList();
        Assert.Equal(Enumerable.Range(1, sequences.Count).Select(i => (long)i), sequences); // every event, in order

        var crash = JsonNode.Parse(await (await http.PostAsJsonAsync("/api/cells", new { code = "import os\nos._exit(3)", timeout = 2 })).Content.ReadAsStringAsync())!;
        Assert.Equal("Crashed", crash["outcome"]!.GetValue<string>());
        var loop = JsonNode.Parse(await (await http.PostAsJsonAsync("/api/cells", new { code = "while True:\n    pass", timeout = 1 })).Content.ReadAsStringAsync())!;
        Assert.Equal("TimedOut", loop["outcome"]!.GetValue<string>());
        var fine = JsonNode.Parse(await (await http.PostAsJsonAsync("/api/cells", new { code = "print(sum(range(10)))" })).Content.ReadAsStringAsync())!;
        Assert.Equal(("Success", "45\n```"), (fine["outcome"]!.GetValue<string>(), fine["seen"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Bench_soak_prints_its_five_figures_with_nothing_failed_or_lost()
    {
        var result = await WorkbenchCli.Run("bench", "soak", "--runs", "4", "--clients", "2", "--watchers", "1", "--config", Config(63700));
        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        var lines = result.Stdout.TrimEnd().Split('\n');
        Assert.Equal(["runs-completed", "runs-failed", "server-rss-growth", "p99-page-latency-ms", "lost-events"],
            lines[^5..].Select(l => l.Split(' ')[1]));
        Assert.Contains("value runs-completed = 4 runs", lines);
        Assert.Contains("value runs-failed = 0 runs", lines);
        Assert.Contains("value lost-events = 0 events", lines);
    }
}
