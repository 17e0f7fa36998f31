using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Numina.Engine.Runs;
using Xunit.Abstractions;

namespace Numina.Workbench.Tests;

/// <summary>
/// The README is the front door: every command line it shows in a shell block that starts the Workbench (the published
/// executable, or <c>dotnet run --project Workbench</c>) is run here exactly as written, from the repository root,
/// in order. Each must succeed; each <c>solve</c> must print only its JSON run record on stdout. <c>serve</c> lines are
/// left to the end-to-end tests (they start the web app).
/// </summary>
[Collection("workbench-cli")]
public class ReadmeCommandTests(ITestOutputHelper output)
{
    private static readonly string[] Starts = ["dotnet artifacts/workbench/Workbench.dll ", "dotnet run --project Workbench -- "];

    public static IReadOnlyList<string> Commands()
    {
        var readme = File.ReadAllText(Path.Combine(WorkbenchCli.Root, "README.md"));
        var blocks = Regex.Matches(readme, "```sh\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value);
        return blocks.SelectMany(b => b.Split('\n')).Select(l => l.Trim())
            .Where(l => Starts.Any(s => l.StartsWith(s, StringComparison.Ordinal)))
            .Where(l => Verb(l) != "serve")
            .ToList();
    }

    private static string Verb(string line) => Starts.Select(s => line.StartsWith(s, StringComparison.Ordinal) ? line[s.Length..] : null)
        .First(rest => rest is not null)!.Split(' ')[0];

    [Fact]
    public async Task Every_command_line_the_readme_shows_runs_as_written()
    {
        await WorkbenchCli.EnsurePublished();
        var commands = Commands();
        Assert.True(commands.Count >= 8, $"the README shows {commands.Count} runnable command lines; its examples went missing");
        Assert.Contains(commands, c => c.StartsWith(Starts[1], StringComparison.Ordinal)); // the dotnet run form too
        // As on a fresh machine: files the examples write under /tmp, left by an earlier run of other settings, would
        // (rightly) be refused by eval's resume check.
        foreach (var path in commands.SelectMany(c => Regex.Matches(c, @"/tmp/numina-readme-[\w.-]+")).Select(m => m.Value).Distinct())
            File.Delete(path);
        foreach (var command in commands)
        {
            var clock = Stopwatch.StartNew();
            var (exit, stdout, stderr) = await Bash(command);
            output.WriteLine($"{exit} in {clock.Elapsed.TotalSeconds:0.0} s: {command}");
            Assert.True(exit == 0, $"`{command}` exited {exit}:\n{stderr}\n{stdout[..Math.Min(stdout.Length, 2000)]}");
            if (Verb(command) == "solve" && !command.Contains('>'))
            {
                var record = RunRecord.FromJson(stdout); // all of stdout is one JSON document
                Assert.Equal(RunStatus.Finished, record.Status);
                using var _ = JsonDocument.Parse(stdout);
            }
        }
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> Bash(string command)
    {
        var start = new ProcessStartInfo("bash") { WorkingDirectory = WorkbenchCli.Root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
