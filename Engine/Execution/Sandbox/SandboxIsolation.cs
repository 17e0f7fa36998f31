using System.Diagnostics;
using Numina.Engine.Execution.Python;

namespace Numina.Engine.Execution.Sandbox;

/// <summary>
/// Which OS protections this machine allows (root + util-linux), probed once, and the command line that applies them:
/// unshare (no network, a PID namespace that dies with the worker, a private /tmp) → prlimit → setpriv (another uid)
/// → env -i (a cleared environment) → dotnet PythonHost.dll. Missing protections are skipped and reported.
/// </summary>
public sealed class SandboxIsolation
{
    public const string NoNetwork = "no network (network namespace)";
    public const string PidNamespace = "PID namespace (every child dies with the worker)";
    public const string PrivateTmp = "private /tmp, /var/tmp and /dev/shm (tmpfs)";
    public const string ResourceLimits = "resource limits (address space, file size, processes, open files, CPU seconds, no core)";
    public const string SeparateUser = "separate unused uid";
    public const string ClearedEnvironment = "cleared environment";
    public const string HardDeadline = "hard deadline (kill of the worker's process tree, respawn, replay)";
    public const string SoftTimeout = "soft timeout (SIGINT inside the worker; the namespace survives)";
    public const string OutputCap = "output cap";

    public IReadOnlyList<string> Active { get; }
    public IReadOnlyList<string> Missing { get; }
    private static readonly string[] PrivateRoots = ["/tmp", "/var/tmp", "/dev/shm"];
    private readonly bool _unshare, _prlimit, _setpriv, _privateTmp;
    private readonly IReadOnlyList<string> _keepVisible;

    private SandboxIsolation(bool unshare, bool prlimit, bool setpriv, bool privateTmp, IReadOnlyList<string> keepVisible)
    {
        (_unshare, _prlimit, _setpriv, _privateTmp, _keepVisible) = (unshare, prlimit, setpriv, privateTmp, keepVisible);
        var all = new (string Name, bool On)[]
        {
            (SoftTimeout, true), (HardDeadline, true), (OutputCap, true), (ClearedEnvironment, true),
            (NoNetwork, unshare), (PidNamespace, unshare), (PrivateTmp, privateTmp), (ResourceLimits, prlimit), (SeparateUser, setpriv),
        };
        Active = all.Where(p => p.On).Select(p => p.Name).ToList();
        Missing = all.Where(p => !p.On).Select(p => p.Name).ToList();
    }

    public static SandboxIsolation None { get; } = new(false, false, false, false, []);

    /// <summary>
    /// Probes what works here. Directories the worker needs (<paramref name="directoriesTheWorkerNeeds"/>) that lie under
    /// /tmp, /var/tmp or /dev/shm (a checkout in /tmp, say) are bound back into the private tmpfs, read-only.
    /// </summary>
    public static SandboxIsolation Probe(IEnumerable<string> directoriesTheWorkerNeeds)
    {
        bool unshare = Succeeds("unshare", "--net", "--pid", "--fork", "--mount", "--mount-proc", "--kill-child", "true");
        bool prlimit = Succeeds("prlimit", "--core=0", "--nofile=64:64", "true");
        bool setpriv = Environment.UserName == "root" && Succeeds("setpriv", "--reuid=61999", "--regid=61999", "--clear-groups", "true");
        var keep = directoriesTheWorkerNeeds.Select(Path.GetFullPath).Distinct()
            .Where(d => PrivateRoots.Any(root => d.StartsWith(root + "/", StringComparison.Ordinal))).ToList();
        var isolation = new SandboxIsolation(unshare, prlimit, setpriv, privateTmp: unshare, keep);
        // The probe also checks that the bound directories show their files (they are not empty mount points).
        var check = string.Concat(keep.Select(d => $"test -n \"$(ls -A {Quote(d)})\" && "));
        bool privateTmp = unshare && Succeeds("unshare", "--mount", "sh", "-c", isolation.MountScript(1) + check + "true");
        return privateTmp ? isolation : new SandboxIsolation(unshare, prlimit, setpriv, privateTmp: false, []);
    }

    private static bool Succeeds(string file, params string[] args)
    {
        try
        {
            var start = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in args) start.ArgumentList.Add(a);
            using var p = Process.Start(start)!;
            if (!p.WaitForExit(10_000)) { p.Kill(true); return false; }
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }

    /// <summary>The worker's start: the isolation chain around <c>dotnet PythonHost.dll</c>.</summary>
    public ProcessStartInfo WorkerStart(SandboxOptions options, PythonOptions python, string dotnet, string hostDll, string libpython, int slot, string workDir)
    {
        int uid = options.FirstUid + slot;
        var mb = (long)1024 * 1024;
        var inner = new List<string>();
        if (_prlimit)
            inner.AddRange([
                "prlimit",
                $"--as={(options.PythonMemoryMb + options.RuntimeOverheadMb) * mb}",
                $"--fsize={options.FileSizeMb * mb}",
                $"--nproc={options.MaxProcesses}",
                $"--nofile={options.MaxOpenFiles}",
                $"--cpu={options.CpuSeconds}",
                "--core=0",
                "--",
            ]);
        if (_setpriv) inner.AddRange(["setpriv", $"--reuid={uid}", $"--regid={uid}", "--clear-groups", "--no-new-privs", "--"]);
        var tmp = _privateTmp ? "/tmp" : workDir;
        inner.AddRange([
            "/usr/bin/env", "-i", "PATH=/usr/bin:/bin", $"HOME={tmp}", $"TMPDIR={tmp}", "LANG=C.UTF-8", "PYTHONIOENCODING=utf-8",
            "PYTHONDONTWRITEBYTECODE=1", "OPENBLAS_NUM_THREADS=1", "OMP_NUM_THREADS=1", "MKL_NUM_THREADS=1",
            "DOTNET_GCRegionRange=0x10000000", "DOTNET_GCHeapHardLimit=0x10000000", "DOTNET_EnableDiagnostics=0",
            "DOTNET_TieredPGO=0", "DOTNET_CLI_TELEMETRY_OPTOUT=1", "DOTNET_gcServer=0", "DOTNET_NOLOGO=1",
            "DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1",
            dotnet, hostDll, "--libpython", libpython, "--program", python.Executable, "--preload", options.Preload,
        ]);

        ProcessStartInfo start;
        if (_unshare)
        {
            var mounts = _privateTmp ? MountScript(options.FileSizeMb) + "cd /tmp && " : "";
            start = Start("unshare", ["--net", "--pid", "--fork", "--mount", "--mount-proc", "--kill-child", "--", "/bin/sh", "-c", mounts + "exec \"$@\"", "sandbox", .. inner]);
        }
        else start = Start(inner[0], inner.Skip(1));
        start.WorkingDirectory = workDir;
        return start;
    }

    /// <summary>
    /// Shell commands (run as root inside the new mount namespace) that put private tmpfs over /tmp, /var/tmp and
    /// /dev/shm, first keeping a handle (fd 3, 4, ...) on each needed directory below them and binding it back after.
    /// </summary>
    private string MountScript(int tmpSizeMb)
    {
        var script = new System.Text.StringBuilder();
        for (int i = 0; i < _keepVisible.Count; i++) script.Append($"exec {i + 3}< {Quote(_keepVisible[i])} && ");
        foreach (var root in PrivateRoots)
            script.Append($"mount -t tmpfs -o size={(root == "/tmp" ? tmpSizeMb : 16)}m,mode=1777 tmpfs {root} && ");
        for (int i = 0; i < _keepVisible.Count; i++)
            script.Append($"mkdir -p {Quote(_keepVisible[i])} && mount --no-canonicalize --bind /proc/self/fd/{i + 3} {Quote(_keepVisible[i])} && mount -o remount,bind,ro {Quote(_keepVisible[i])} && exec {i + 3}<&- && ");
        return script.ToString();
    }

    private static string Quote(string path) => "'" + path.Replace("'", "'\\''") + "'";

    private static ProcessStartInfo Start(string file, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = System.Text.Encoding.UTF8,
            StandardErrorEncoding = System.Text.Encoding.UTF8,
            StandardInputEncoding = new System.Text.UTF8Encoding(false),
        };
        foreach (var a in args) start.ArgumentList.Add(a);
        return start;
    }
}
