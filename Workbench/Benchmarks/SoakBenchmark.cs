using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Numina.Engine.Configuration;
using Numina.Engine.Evaluation;

namespace Numina.Workbench.Benchmarks;

/// <summary>
/// <c>bench soak</c>: the workbench under the load a team puts on it, for a fixed number of runs. A <c>serve</c> child
/// process on the bundled model takes back-to-back runs from several concurrent clients (<c>POST /api/runs</c>); the
/// clients mix in hostile cells from the sandbox's adversarial suite (<c>POST /api/cells</c>: busy loops, fork and
/// memory bombs, segfaults, 100 MB prints…); an evaluation runs against the server's own <c>/v1/completions</c>
/// meanwhile; and watchers load the pages over and over. Measured: runs completed and failed, the server's RSS growth
/// (after the last run over after the first ten), the 99th percentile of page latency, and events lost (each stored
/// run's events against the sequence numbers it published).
/// </summary>
public static class SoakBenchmark
{
    /// <summary>The adversarial suite's cells (Tests/Engine.Tests/Sandbox/AdversarialTests.cs), each as its test runs it.</summary>
    private static readonly string[] HostileCells =
    [
        "while True:\n    pass",
        "import time\ntime.sleep(60)",
        "x = 2 ** (10 ** 10)",
        "import numpy as np\na = np.ones((40000, 40000))\nprint((a @ a).sum())",
        "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
        "import os\nos._exit(3)",
        "import ctypes\nctypes.string_at(0)",
        "x = bytearray(4 * 1024 ** 3)",
        "import os\nwhile True:\n    os.fork()",
        "import os\nif os.fork() == 0:\n    os.setsid()\n    import time\n    time.sleep(1000)",
        "import socket\nsocket.create_connection(('127.0.0.1', 22), timeout=2)",
        "import socket\nsocket.gethostbyname('example.com')",
        "print(open('/etc/shadow').read())",
        "open('/usr/lib/numina-was-here', 'w').write('x')",
        "print('x' * 100_000_000)",
        "input()",
        "import sys\nsys.exit(1)",
        "def f(n):\n    return f(n + 1)\nf(0)",
        "import threading, time\nthreading.Thread(target=lambda: time.sleep(10 ** 9)).start()\nprint('started')",
    ];

    public static async Task<int> RunAsync(EngineOptions options, string configPath, int runs, int clients, int watchers, CancellationToken ct)
    {
        var entry = options.FindModel(null);
        var problems = Dataset.Load(Path.Combine(Path.GetDirectoryName(entry.Path)!, "heldout-sample.jsonl")).Problems;
        Console.WriteLine($"bench soak: {runs} runs from {clients} clients with hostile cells, an evaluation over /v1, {watchers} page watchers; {entry.Name}, {Environment.ProcessorCount} cores");

        await using var server = await ChildServer.StartAsync(configPath, firstUid: 64300, ct);
        using var http = new HttpClient { BaseAddress = new Uri(server.Url), Timeout = TimeSpan.FromMinutes(5) };
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);

        // An evaluation through the server's OpenAI-compatible endpoint, in its own process, while everything else runs.
        var evalConfig = RemoteConfig(configPath, server.Url, entry.Name);
        var evalOut = Path.Combine(Path.GetTempPath(), $"numina-soak-eval-{server.Port}.jsonl");
        using var evaluation = StartEvaluation(evalConfig, Path.Combine(Path.GetDirectoryName(entry.Path)!, "heldout-100.jsonl"), evalOut);

        var latencies = new List<double>();
        var watching = Enumerable.Range(0, watchers).Select(w => WatchAsync(http, w, latencies, stop.Token)).ToList();

        int started = 0, completed = 0, failed = 0, cells = 0, cellFailures = 0;
        long rssAfterTen = 0;
        var finishedIds = new List<string>();
        var clock = Stopwatch.StartNew();
        async Task ClientAsync(int client)
        {
            var random = new Random(client);
            while (true)
            {
                int n = Interlocked.Increment(ref started);
                if (n > runs) return;
                if (random.Next(3) == 0)
                {
                    var code = HostileCells[random.Next(HostileCells.Length)];
                    try
                    {
                        var cell = await http.PostAsJsonAsync("/api/cells", new { code, timeout = 2 }, stop.Token);
                        Interlocked.Increment(ref cells);
                        if (!cell.IsSuccessStatusCode) Interlocked.Increment(ref cellFailures);
                    }
                    catch (HttpRequestException) { Interlocked.Increment(ref cellFailures); }
                }
                var problem = problems[n % problems.Count];
                var (id, status) = await RunOneAsync(http, problem.Problem, problem.Answer, seed: n, stop.Token);
                lock (finishedIds)
                {
                    if (status is "Finished") { completed++; finishedIds.Add(id ?? ""); }
                    else failed++;
                    if (completed + failed == 10) rssAfterTen = Rss(server.Process);
                    if (status is not "Finished") Console.WriteLine($"run {n}: {status}");
                }
            }
        }
        await Task.WhenAll(Enumerable.Range(0, clients).Select(ClientAsync));
        long rssAtEnd = Rss(server.Process);
        var seconds = clock.Elapsed.TotalSeconds;
        await stop.CancelAsync();
        await Task.WhenAll(watching);

        long lost = 0;
        foreach (var id in finishedIds) lost += await LostEventsAsync(http, id, ct);
        int evaluated = File.Exists(evalOut) ? File.ReadLines(evalOut).Count(l => l.Trim().Length > 0) : 0;
        try { evaluation.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }

        double p99;
        lock (latencies) p99 = Percentile(latencies, 0.99);
        Console.WriteLine($"{completed + failed} runs in {seconds:0} s; {cells} hostile cells ({cellFailures} refused by the API); the evaluation over /v1 wrote {evaluated} problems meanwhile; {latencies.Count} page loads (median {Percentile(latencies, 0.5):0} ms)");
        Console.WriteLine($"server RSS: {rssAfterTen / 1024.0 / 1024:0} MiB after ten runs, {rssAtEnd / 1024.0 / 1024:0} MiB after the last");
        Console.WriteLine($"load average: {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine();
        Console.WriteLine($"value runs-completed = {completed} runs");
        Console.WriteLine($"value runs-failed = {failed} runs");
        Console.WriteLine($"value server-rss-growth = {(rssAfterTen > 0 ? (double)rssAtEnd / rssAfterTen : double.NaN):0.00} x");
        Console.WriteLine($"value p99-page-latency-ms = {p99:0} ms");
        Console.WriteLine($"value lost-events = {lost} events");
        return 0;
    }

    /// <summary>Queues a run and polls its state until it is over; its final status (or why it never ran).</summary>
    private static async Task<(string? Id, string Status)> RunOneAsync(HttpClient http, string problem, string? answer, int seed, CancellationToken ct)
    {
        var queued = await http.PostAsJsonAsync("/api/runs", new { problem, answer, seed = seed.ToString() }, ct);
        var body = JsonNode.Parse(await queued.Content.ReadAsStringAsync(ct))!;
        if (!queued.IsSuccessStatusCode) return (null, $"refused: {body["error"]}");
        var id = body["id"]!.GetValue<string>();
        while (true)
        {
            await Task.Delay(250, ct);
            var state = await http.GetAsync($"/api/runs/{id}", ct);
            var text = await state.Content.ReadAsStringAsync(ct);
            using var doc = JsonDocument.Parse(text);
            var status = doc.RootElement.TryGetProperty("status", out var s) ? s.GetString() : null;
            if (status is "Finished" or "Failed" or "Cancelled" or "Interrupted") return (id, status);
        }
    }

    /// <summary>Sequence numbers the run published (they count from 1) that the store does not hold.</summary>
    private static async Task<long> LostEventsAsync(HttpClient http, string id, CancellationToken ct)
    {
        using var doc = JsonDocument.Parse(await http.GetStringAsync($"/api/runs/{id}", ct));
        var sequences = doc.RootElement.GetProperty("events").EnumerateArray()
            .Select(e => e.EnumerateObject().First(p => p.NameEquals("sequence") || p.NameEquals("Sequence")).Value.GetInt64()).ToList();
        return sequences.Count == 0 ? 1 : sequences.Max() - sequences.Distinct().Count();
    }

    /// <summary>Loads the pages a researcher keeps open, one after another, timing each.</summary>
    private static async Task WatchAsync(HttpClient http, int watcher, List<double> latencies, CancellationToken ct)
    {
        string[] pages = ["/", "/runs", "/status", "/eval"];
        for (int i = watcher; !ct.IsCancellationRequested; i++)
        {
            var clock = Stopwatch.StartNew();
            try
            {
                using var response = await http.GetAsync(pages[i % pages.Length], ct);
                await response.Content.ReadAsByteArrayAsync(ct);
                lock (latencies) latencies.Add(clock.Elapsed.TotalMilliseconds);
                await Task.Delay(200, ct);
            }
            catch (OperationCanceledException) { return; }
            catch (HttpRequestException) { lock (latencies) latencies.Add(clock.Elapsed.TotalMilliseconds); }
        }
    }

    private static double Percentile(List<double> values, double p)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
    }

    private static long Rss(Process process)
    {
        var line = File.ReadLines($"/proc/{process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }

    /// <summary>The configuration with one more model, "soak-remote": the server's own /v1 endpoint.</summary>
    private static string RemoteConfig(string configPath, string url, string model)
    {
        var config = JsonNode.Parse(File.ReadAllText(configPath))!;
        var models = config["Engine"]!["Models"]!.AsObject();
        foreach (var (_, entry) in models)
            if (entry?["Path"] is { } p && !Path.IsPathRooted(p.GetValue<string>()))
                entry["Path"] = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(configPath))!, p.GetValue<string>());
        models["soak-remote"] = new JsonObject
        {
            ["Preset"] = "Numina",
            ["Defaults"] = models[model]?["Defaults"]?.DeepClone(),
            ["Server"] = new JsonObject { ["Endpoints"] = new JsonArray(new JsonObject { ["BaseUrl"] = $"{url}/v1", ["Model"] = model }) },
        };
        var path = Path.Combine(Path.GetTempPath(), $"numina-soak-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, config.ToJsonString());
        return path;
    }

    private static Process StartEvaluation(string config, string dataset, string output)
    {
        var self = Path.Combine(AppContext.BaseDirectory, "Workbench.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { self, "eval", "--model", "soak-remote", "--dataset", dataset, "--out", output, "-n", "4", "--no-greedy", "--no-store", "--parallel", "2", "--config", config })
            start.ArgumentList.Add(a);
        start.Environment["NUMINA_Engine__Sandbox__FirstUid"] = "64700";
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
