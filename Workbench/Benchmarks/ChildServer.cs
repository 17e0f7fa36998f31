using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Numina.Workbench.Benchmarks;

/// <summary>This executable's <c>serve</c> as a child process on a free loopback port, for benchmarks that need a real server.</summary>
public sealed class ChildServer : IAsyncDisposable
{
    public Process Process { get; }
    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}";

    private ChildServer(Process process, int port) => (Process, Port) = (process, port);

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    /// <summary>Starts <c>serve</c> with its run store and sandbox workers apart from this process's, and waits until it answers.</summary>
    public static async Task<ChildServer> StartAsync(string configPath, int firstUid, CancellationToken ct, IReadOnlyDictionary<string, string>? environment = null)
    {
        int port = FreePort();
        var self = Path.Combine(AppContext.BaseDirectory, "Workbench.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { self, "serve", "--urls", $"http://127.0.0.1:{port}", "--config", configPath }) start.ArgumentList.Add(a);
        start.Environment["NUMINA_Engine__Storage__Path"] = Path.Combine(Path.GetTempPath(), $"numina-bench-{port}.db");
        start.Environment["NUMINA_Engine__Sandbox__FirstUid"] = firstUid.ToString();
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ChildServer(process, port);
        using var http = new HttpClient();
        for (int i = 0; i < 240; i++)
        {
            try
            {
                if ((await http.GetAsync($"{server.Url}/v1/models", ct)).IsSuccessStatusCode) return server;
            }
            catch (HttpRequestException) { }
            if (process.HasExited) break;
            await Task.Delay(250, ct);
        }
        await server.DisposeAsync();
        throw new TimeoutException("The workbench's server did not answer /v1/models in 60 s.");
    }

    public async ValueTask DisposeAsync()
    {
        try { Process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        await Process.WaitForExitAsync(CancellationToken.None);
        Process.Dispose();
    }
}
