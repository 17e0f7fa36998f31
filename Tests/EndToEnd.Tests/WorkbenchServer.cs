using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace Numina.EndToEnd.Tests;

/// <summary>
/// The workbench as a user runs it: published once (Release) per test run, started as its own process on a free port of
/// 127.0.0.1 with the repository's appsettings.json, except that runs are stored in a temporary database.
/// </summary>
public sealed class WorkbenchServer : IAsyncDisposable
{
    private static readonly SemaphoreSlim PublishLock = new(1, 1);
    private static string? _published;
    private readonly StringWriterLog _log = new();

    public Process Process { get; private set; } = null!;
    public string Url { get; }
    public string DatabasePath { get; }
    public string ConfigPath { get; }
    public string Log => _log.ToString();

    private WorkbenchServer(string url, string databasePath, string configPath) => (Url, DatabasePath, ConfigPath) = (url, databasePath, configPath);

    public static string Root { get; } = FindRoot();

    /// <summary>Where screenshots go (looked at by a person after the run): artifacts/screenshots.</summary>
    public static string Screenshots { get; } = Directory.CreateDirectory(Path.Combine(FindRoot(), "artifacts", "screenshots")).FullName;

    public static async Task<WorkbenchServer> StartAsync(string? databasePath = null)
    {
        var app = await PublishAsync();
        var dir = Directory.CreateTempSubdirectory("numina-e2e-").FullName;
        databasePath ??= Path.Combine(dir, "runs.db");
        var config = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Root, "appsettings.json")))!;
        config["Engine"]!["Storage"]!["Path"] = databasePath;
        // The configured models' files, relative to the repository's appsettings.json, stay where they are.
        foreach (var (_, entry) in config["Engine"]!["Models"]!.AsObject())
            if (entry!["Path"]!.GetValue<string>() is var modelPath && !Path.IsPathRooted(modelPath))
                entry["Path"] = Path.Combine(Root, modelPath);
        config["Engine"]!["Sandbox"]!["FirstUid"] = 64000; // apart from the other test projects' workers
        var configPath = Path.Combine(dir, "appsettings.json");
        await File.WriteAllTextAsync(configPath, config.ToJsonString());
        var server = new WorkbenchServer($"http://127.0.0.1:{FreePort()}", databasePath, configPath);
        await server.LaunchAsync(app);
        return server;
    }

    /// <summary>Starts the same server again on the same database (after a crash).</summary>
    public async Task RestartAsync()
    {
        if (!Process.HasExited) throw new InvalidOperationException("The server still runs.");
        await LaunchAsync(await PublishAsync());
    }

    private async Task LaunchAsync(string app)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(app, "Workbench.dll"), "serve", "--config", ConfigPath, "--urls", Url }) start.ArgumentList.Add(a);
        Process = Process.Start(start)!;
        Process.OutputDataReceived += (_, e) => _log.WriteLine(e.Data);
        Process.ErrorDataReceived += (_, e) => _log.WriteLine(e.Data);
        Process.BeginOutputReadLine();
        Process.BeginErrorReadLine();
        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (Process.HasExited) throw new InvalidOperationException($"The workbench exited with {Process.ExitCode}:\n{Log}");
            try
            {
                if ((await http.GetAsync(Url + "/status")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            await Task.Delay(250);
        }
        throw new TimeoutException($"The workbench did not answer on {Url}:\n{Log}");
    }

    private static async Task<string> PublishAsync()
    {
        await PublishLock.WaitAsync();
        try
        {
            if (_published is not null) return _published;
            var output = Path.Combine(Path.GetTempPath(), "numina-e2e-app");
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Root };
            foreach (var a in new[] { "publish", "Workbench/Workbench.csproj", "-c", "Release", "-o", output, "--nologo", "-v", "quiet" }) start.ArgumentList.Add(a);
            using var p = Process.Start(start)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            if (p.ExitCode != 0) throw new InvalidOperationException($"dotnet publish failed:\n{await stdout}\n{await stderr}");
            return _published = output;
        }
        finally { PublishLock.Release(); }
    }

    /// <summary>The server's resident memory (VmRSS), in MiB.</summary>
    public double RssMiB()
    {
        foreach (var line in File.ReadLines($"/proc/{Process.Id}/status"))
            if (line.StartsWith("VmRSS:")) return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
        return double.NaN;
    }

    public void Kill9()
    {
        using var kill = Process.Start("kill", ["-9", Process.Id.ToString()]);
        kill.WaitForExit();
        Process.WaitForExit(10_000);
    }

    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            await Process.WaitForExitAsync();
        }
        Process.Dispose();
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Numina.sln"))) return dir.FullName;
        throw new InvalidOperationException("Cannot find the repository root.");
    }

    private sealed class StringWriterLog
    {
        private readonly System.Text.StringBuilder _text = new();
        public void WriteLine(string? line) { lock (_text) _text.AppendLine(line); }
        public override string ToString() { lock (_text) return _text.ToString(); }
    }
}
