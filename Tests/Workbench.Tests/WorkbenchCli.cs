using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Numina.Workbench.Tests;

/// <summary>Runs the built Workbench executable and captures what it prints.</summary>
public static class WorkbenchCli
{
    public static string Root { get; } = FindRoot();

#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    public static string Dll => Path.Combine(Root, "Workbench", "bin", Configuration, "net10.0", "Workbench.dll");

    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static async Task<Result> Run(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The published executable (what ./run.sh makes): artifacts/workbench/Workbench.dll, published here when missing.</summary>
    public static string Published => Path.Combine(Root, "artifacts", "workbench", "Workbench.dll");

    public static async Task EnsurePublished()
    {
        if (File.Exists(Published)) return;
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = Root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "publish", "Workbench/Workbench.csproj", "-c", "Release", "-o", "artifacts/workbench", "--nologo", "-v", "quiet" }) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"dotnet publish failed: {await stdout}{await stderr}");
    }

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    /// <summary>A <c>Workbench serve</c> child process; what it prints is kept; disposing kills it.</summary>
    public sealed class Server(Process process, ConcurrentQueue<string> output) : IAsyncDisposable
    {
        public IReadOnlyCollection<string> Output => output;

        public async ValueTask DisposeAsync()
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await process.WaitForExitAsync();
            process.Dispose();
        }
    }

    /// <summary>Starts <c>serve</c> and waits until <paramref name="ready"/> (default: <c>/v1/models</c> answers) holds.</summary>
    public static async Task<Server> Serve(string urls, string config, int port, Func<HttpClient, Task<bool>>? ready = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Dll, "serve", "--urls", urls, "--config", config }) start.ArgumentList.Add(a);
        var process = Process.Start(start)!;
        var output = new ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) output.Enqueue(line); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) output.Enqueue(line); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        ready ??= async http => (await http.GetAsync($"http://127.0.0.1:{port}/v1/models")).IsSuccessStatusCode;
        using var client = new HttpClient();
        for (int i = 0; i < 120; i++)
        {
            try
            {
                if (await ready(client)) return new Server(process, output);
            }
            catch (HttpRequestException) { }
            if (process.HasExited) break;
            await Task.Delay(250);
        }
        await new Server(process, output).DisposeAsync();
        throw new TimeoutException($"Workbench serve did not become ready in 30 s:\n{string.Join("\n", output)}");
    }

    public static string Temp(string name) => Path.Combine(Path.GetTempPath(), "numina-cli-" + Guid.NewGuid().ToString("N")[..8] + "-" + name);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Numina.sln"))) return dir.FullName;
        throw new InvalidOperationException("Cannot find the repository root.");
    }
}
