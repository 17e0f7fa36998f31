using System.Diagnostics;

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

    public static string Temp(string name) => Path.Combine(Path.GetTempPath(), "numina-cli-" + Guid.NewGuid().ToString("N")[..8] + "-" + name);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Numina.sln"))) return dir.FullName;
        throw new InvalidOperationException("Cannot find the repository root.");
    }
}
