using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Numina.Workbench.Tests;

/// <summary>
/// <c>eval</c> with the bundled tiny model on a small synthetic set (held-out problems of its card): an evaluation
/// killed half-way and run again ends with the same numbers as one that ran straight through.
/// </summary>
[Collection("workbench-cli")]
public class EvalTests
{
    /// <summary>The repository's configuration with the run store in a temporary file and workers on their own uids.</summary>
    private static string Config()
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(WorkbenchCli.Root, "appsettings.json")))!;
        config["Engine"]!["Storage"]!["Path"] = WorkbenchCli.Temp("runs.db");
        foreach (var (_, entry) in config["Engine"]!["Models"]!.AsObject()) // model files stay where the repository has them
            entry!["Path"] = Path.Combine(WorkbenchCli.Root, entry["Path"]!.GetValue<string>());
        config["Engine"]!["Sandbox"]!["FirstUid"] = 62500;
        var path = WorkbenchCli.Temp("appsettings.json");
        File.WriteAllText(path, config.ToJsonString());
        return path;
    }

    private static string SmallSet()
    {
        var path = WorkbenchCli.Temp("set.jsonl");
        File.WriteAllLines(path, File.ReadLines(Path.Combine(WorkbenchCli.Root, "models", "heldout-sample.jsonl")).Take(6));
        return path;
    }

    private static string[] Args(string set, string config, string output) =>
        ["eval", "--dataset", set, "--out", output, "-n", "4", "-m", "4", "--seed", "5", "--max-tokens", "400", "--config", config];

    private static IEnumerable<string> Values(string stdout) => stdout.Split('\n').Where(l => l.StartsWith("value ") || l.StartsWith("k\t") || l.Contains('\t') && char.IsDigit(l[0]));

    [Fact]
    public async Task A_killed_evaluation_resumes_to_the_same_numbers()
    {
        var set = SmallSet();
        var config = Config();
        var straight = await WorkbenchCli.Run(Args(set, config, WorkbenchCli.Temp("a.jsonl")));
        Assert.True(straight.ExitCode == 0, straight.Stderr);
        var lines = straight.Stdout.TrimEnd().Split('\n');
        Assert.StartsWith("value majority-accuracy = ", lines[^3]);
        Assert.StartsWith("value greedy-accuracy = ", lines[^2]);
        Assert.StartsWith("value pass-at-n = ", lines[^1]);

        // The same evaluation, killed once two problems are written, then run again.
        var resumedOut = WorkbenchCli.Temp("b.jsonl");
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(WorkbenchCli.Dll);
        foreach (var a in Args(set, config, resumedOut)) start.ArgumentList.Add(a);
        using (var process = Process.Start(start)!)
        {
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            var clock = Stopwatch.StartNew();
            while ((!File.Exists(resumedOut) || File.ReadAllLines(resumedOut).Length < 2) && clock.Elapsed < TimeSpan.FromMinutes(2) && !process.HasExited)
                await Task.Delay(50);
            Assert.False(process.HasExited, "the evaluation ended before it could be interrupted");
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        int before = File.ReadAllLines(resumedOut).Count(l => l.Trim().Length > 0);
        Assert.InRange(before, 2, 5);

        var resumed = await WorkbenchCli.Run(Args(set, config, resumedOut));
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Contains($"] {before}/6", resumed.Stderr); // it started where it left off
        Assert.Equal(Values(straight.Stdout), Values(resumed.Stdout));
        Assert.Equal(6, File.ReadAllLines(resumedOut).Count(l => l.Trim().Length > 0));
    }

    /// <summary>
    /// kill -9 (the process and its sandbox workers) at ten moments drawn at random — during start-up, mid-run, between
    /// problems: after each, the store passes SQLite's integrity check, no run is left "running", every finished run
    /// reads back whole; and the evaluation, run once more, ends with the numbers of one that ran straight through.
    /// </summary>
    [Fact]
    public async Task Ten_kill_9s_at_random_moments_leave_a_sound_store_and_resume_to_the_same_numbers()
    {
        var set = SmallSet();
        var straight = await WorkbenchCli.Run(Args(set, Config(), WorkbenchCli.Temp("straight.jsonl")));
        Assert.True(straight.ExitCode == 0, straight.Stderr);

        var config = Config();
        var storePath = JsonNode.Parse(File.ReadAllText(config))!["Engine"]!["Storage"]!["Path"]!.GetValue<string>();
        var output = WorkbenchCli.Temp("killed.jsonl");
        var random = new Random(14);
        int kills = 0, interrupted = 0;
        for (int i = 0; i < 10; i++)
        {
            var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(WorkbenchCli.Dll);
            foreach (var a in Args(set, config, output)) start.ArgumentList.Add(a);
            using var process = Process.Start(start)!;
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            await Task.Delay(random.Next(600, 3500));
            if (process.HasExited) break; // it finished: nothing left to kill
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            kills++;
            interrupted += await AssertSoundAsync(storePath);
        }
        var last = await WorkbenchCli.Run(Args(set, config, output));
        Assert.True(last.ExitCode == 0, last.Stderr);
        Assert.Equal(Values(straight.Stdout), Values(last.Stdout));
        await AssertSoundAsync(storePath);
        Assert.True(kills >= 5, $"only {kills} kills landed before the evaluation finished");
        Assert.True(interrupted >= 1, "no kill landed mid-run");
    }

    /// <summary>Integrity, no run left running, finished runs whole; returns how many runs opening marked interrupted.</summary>
    private static async Task<int> AssertSoundAsync(string storePath)
    {
        if (!File.Exists(storePath)) return 0; // killed before the store was made
        using (var check = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={storePath};Pooling=False"))
        {
            check.Open();
            using var command = check.CreateCommand();
            command.CommandText = "PRAGMA integrity_check";
            Assert.Equal("ok", command.ExecuteScalar());
        }
        await using var store = Numina.Engine.Storage.RunStore.Open(storePath);
        foreach (var run in store.List(10_000))
        {
            Assert.NotEqual(Numina.Engine.Runs.RunStatus.Running, run.Status);
            if (run.Status != Numina.Engine.Runs.RunStatus.Finished) continue;
            var record = store.GetRecord(run.Id);
            Assert.NotNull(record);
            Assert.Equal(run.Answer, record.Answer);
            Assert.True(store.GetEvents(run.Id).Count > 0);
        }
        return store.InterruptedOnOpen;
    }

    [Fact]
    public async Task A_results_file_of_other_settings_is_refused_and_kept()
    {
        var set = SmallSet();
        var output = WorkbenchCli.Temp("c.jsonl");
        var first = await WorkbenchCli.Run(["eval", "--dataset", set, "--limit", "1", "--out", output, "-n", "2", "-m", "2", "--no-greedy", "--config", Config()]);
        Assert.True(first.ExitCode == 0, first.Stderr);
        var kept = File.ReadAllText(output);
        var other = await WorkbenchCli.Run(["eval", "--dataset", set, "--limit", "1", "--out", output, "-n", "3", "-m", "2", "--no-greedy", "--config", Config()]);
        Assert.Equal(2, other.ExitCode);
        Assert.Contains("holds results of other settings", other.Stderr);
        Assert.Equal(kept, File.ReadAllText(output));

        var compare = await WorkbenchCli.Run("eval", "compare", output, output);
        Assert.Equal(0, compare.ExitCode);
        Assert.Contains("ratio majority-accuracy-b-vs-a", compare.Stdout);
    }

    [Fact]
    public async Task Policies_are_options_and_compare_sets_them_beside_plain_majority()
    {
        var set = SmallSet();
        var config = Config();
        string[] common = ["eval", "--dataset", set, "--limit", "3", "-n", "6", "-m", "4", "--seed", "2", "--max-tokens", "400", "--no-greedy", "--no-store", "--config", config];
        var (plain, early, weighted) = (WorkbenchCli.Temp("plain.jsonl"), WorkbenchCli.Temp("early.jsonl"), WorkbenchCli.Temp("weighted.jsonl"));
        foreach (var (output, policy) in new[] { (plain, Array.Empty<string>()), (early, ["--stop-agree", "2", "--stop-among", "3", "--max-concurrent", "2"]), (weighted, ["--vote", "Imagination"]) })
        {
            var run = await WorkbenchCli.Run([.. common, "--out", output, .. policy]);
            Assert.True(run.ExitCode == 0, run.Stderr);
        }
        var stops = File.ReadLines(early).Select(l => JsonNode.Parse(l)!).Sum(r => r["earlyStopped"]!.GetValue<int>());
        Assert.True(stops > 0, "the early stop never acted");

        var compare = await WorkbenchCli.Run("eval", "compare", plain, early, weighted);
        Assert.True(compare.ExitCode == 0, compare.Stderr);
        var rows = compare.Stdout.Split('\n');
        var (a, b, c) = (Path.GetFileNameWithoutExtension(plain), Path.GetFileNameWithoutExtension(early), Path.GetFileNameWithoutExtension(weighted));
        Assert.Contains(rows, r => r.StartsWith($"{a}\tnone\t"));
        Assert.Contains(rows, r => r.StartsWith($"{b}\tstop when 2 of the last 3 agree; at most 2 candidates at once\t"));
        Assert.Contains(rows, r => r.StartsWith($"{c}\timagination-weighted vote\t"));
        var tokens = rows.Single(r => r.StartsWith($"ratio tokens-{b}-vs-{a} = "));
        Assert.True(double.Parse(tokens.Split(" = ")[1], System.Globalization.CultureInfo.InvariantCulture) < 1, tokens);
        Assert.Contains(rows, r => r.StartsWith($"value accuracy-change-{c}-vs-{a} = "));

        var refused = await WorkbenchCli.Run([.. common, "--out", WorkbenchCli.Temp("x.jsonl"), "--stop-first-agree", "1"]);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("K must be 0 (off) or at least 2 (got 1)", refused.Stderr);
    }
}
