using System.Diagnostics;
using Numina.Engine.Execution.Python;

namespace Numina.Engine.Execution.Sandbox;

/// <summary>Everything needed to start a worker: where dotnet, PythonHost.dll and libpython are, and the isolation.</summary>
internal sealed class SandboxLaunch
{
    public SandboxOptions Options { get; }
    public PythonOptions Python { get; }
    public SandboxIsolation Isolation { get; }
    public string Dotnet { get; }
    public string HostDll { get; }
    public string LibPython { get; }

    public SandboxLaunch(SandboxOptions options, PythonOptions python)
    {
        Options = options;
        Python = python;
        HostDll = string.IsNullOrEmpty(options.HostPath)
            ? Path.Combine(AppContext.BaseDirectory, "pythonhost", "PythonHost.dll")
            : Path.GetFullPath(options.HostPath);
        if (!File.Exists(HostDll))
            throw new FileNotFoundException($"The sandbox worker '{HostDll}' does not exist. Build the solution (it copies PythonHost into pythonhost/), or set Engine:Sandbox:HostPath.", HostDll);
        if (!File.Exists(python.Executable))
            throw new FileNotFoundException($"The Python interpreter '{python.Executable}' does not exist. Install Debian's python3, python3-numpy and python3-sympy, or set Engine:Python:Executable.", python.Executable);
        Dotnet = FindDotnet();
        LibPython = FindLibPython(python.Executable);
        Isolation = options.Isolate
            ? SandboxIsolation.Probe([Path.GetDirectoryName(HostDll)!, Path.GetDirectoryName(Dotnet)!, Path.GetDirectoryName(LibPython)!])
            : SandboxIsolation.None;
    }

    public ProcessStartInfo WorkerStart(int slot, string workDir) =>
        Isolation.WorkerStart(Options, Python, Dotnet, HostDll, LibPython, slot, workDir);

    /// <summary>A private directory for the worker, owned by its uid when it runs as another user.</summary>
    public string NewWorkDirectory(int slot)
    {
        var dir = ProcessTools.NewTempDirectory(Python, $"numina-worker{slot}-");
        if (Isolation.Active.Contains(SandboxIsolation.SeparateUser))
        {
            int uid = Options.FirstUid + slot;
            using var chown = Process.Start(new ProcessStartInfo("chown", [$"{uid}:{uid}", dir]) { UseShellExecute = false })!;
            chown.WaitForExit();
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return dir;
    }

    private static string FindDotnet()
    {
        var candidates = new List<string?>
        {
            Environment.GetEnvironmentVariable("DOTNET_HOST_PATH"),
            Path.GetFileName(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath : null,
        };
        var root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        if (root is not null) candidates.Add(Path.Combine(root, "dotnet"));
        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "dotnet")));
        candidates.AddRange(["/usr/share/dotnet/dotnet", "/usr/lib/dotnet/dotnet"]);
        foreach (var c in candidates.OfType<string>().Where(File.Exists))
            return new FileInfo(c).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(c);
        throw new FileNotFoundException("Cannot find the dotnet host to start the sandbox worker with.");
    }

    /// <summary>The shared library of the configured interpreter (Debian's: /usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0).</summary>
    private static string FindLibPython(string python)
    {
        var start = new ProcessStartInfo(python, ["-I", "-c", "import sysconfig; print(sysconfig.get_config_var('LIBDIR')); print(sysconfig.get_config_var('INSTSONAME'))"])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        using var p = Process.Start(start)!;
        var lines = p.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        p.WaitForExit();
        var path = lines.Length == 2 ? Path.Combine(lines[0].Trim(), lines[1].Trim()) : "";
        if (!File.Exists(path))
            throw new FileNotFoundException($"'{python}' has no shared libpython (looked for '{path}'); the sandbox embeds it. Install Debian's python3 (libpython3.11).", path);
        return path;
    }
}
