using Numina.Engine.Execution;
using Numina.Engine.Execution.Sandbox;
using Numina.Engine.Presets;
using Numina.Engine.Settings;

namespace Numina.Engine.Tests.Sandbox;

/// <summary>Helpers for the sandbox tests: a pool, sessions, and a look at /proc for processes the sandbox left behind.</summary>
public static class SandboxKit
{
    public static SandboxOptions Options(int workers = 1) => new() { Workers = workers, FirstUid = 61000 };

    public static SandboxExecutor Pool(int workers = 1) => new(Options(workers), Support.Python.Options);

    public static Task<ICodeSession> Session(SandboxExecutor pool, ExecutionMode mode = ExecutionMode.Jupyter, double timeoutSeconds = 2, Preset? preset = null) =>
        pool.OpenSessionAsync(CodeSessionOptions.From((preset ?? BuiltInPresets.Numina) with { TimeoutSeconds = timeoutSeconds }, mode), CancellationToken.None);

    public static Task<CellResult> Run(this ICodeSession session, string code) => session.RunAsync(code, CancellationToken.None);

    public static string Seen(CellResult result) => ToolOutputFormatter.Result(result, BuiltInPresets.Numina);

    /// <summary>Pids of live processes owned by the sandbox's uids (61000 + slot).</summary>
    public static List<int> SandboxProcesses()
    {
        var found = new List<int>();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var uid = File.ReadLines(Path.Combine(dir, "status")).FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
                var state = File.ReadLines(Path.Combine(dir, "status")).FirstOrDefault(l => l.StartsWith("State:", StringComparison.Ordinal));
                if (uid is null || state?.Contains("zombie", StringComparison.Ordinal) == true) continue;
                var real = int.Parse(uid.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1]);
                if (real is >= 61000 and < 61100) found.Add(pid);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }

    /// <summary>Waits briefly for the kernel to reap, then lists what is still alive.</summary>
    public static async Task<List<int>> StrayProcessesAfterDispose()
    {
        for (int i = 0; i < 30; i++)
        {
            var left = SandboxProcesses();
            if (left.Count == 0) return left;
            await Task.Delay(100);
        }
        return SandboxProcesses();
    }
}
