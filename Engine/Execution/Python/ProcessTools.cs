using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Numina.Engine.Execution.Python;

/// <summary>Small process helpers shared by the Python sessions.</summary>
internal static partial class ProcessTools
{
    private const int SigInt = 2;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int signal);

    /// <summary>Sends SIGINT (Python raises KeyboardInterrupt in its main thread).</summary>
    public static void Interrupt(Process process)
    {
        try { if (!process.HasExited) SysKill(process.Id, SigInt); }
        catch (InvalidOperationException) { }
    }

    public static void KillTree(Process process)
    {
        try { if (!process.HasExited) process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { }
        catch (System.ComponentModel.Win32Exception) { }
    }

    /// <summary>A start for the configured interpreter with a clean Python environment (no PYTHONPATH/PYTHONHOME).</summary>
    public static ProcessStartInfo PythonStart(PythonOptions options, string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(options.Executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            StandardInputEncoding = new UTF8Encoding(false),
        };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("PYTHON", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(key);
        // Many candidates share few cores: one BLAS thread per interpreter.
        start.Environment["OPENBLAS_NUM_THREADS"] = "1";
        start.Environment["OMP_NUM_THREADS"] = "1";
        start.Environment["MKL_NUM_THREADS"] = "1";
        start.Environment["PYTHONIOENCODING"] = "utf-8";
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        return start;
    }

    public static string NewTempDirectory(PythonOptions options, string prefix)
    {
        var root = string.IsNullOrEmpty(options.TempRoot) ? Path.GetTempPath() : options.TempRoot;
        Directory.CreateDirectory(root);
        var dir = Path.Combine(root, prefix + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static void TryDeleteDirectory(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

/// <summary>
/// Drains a stream into the first and last <c>cap</c> characters, so a 100 MB print neither blocks the child nor
/// fills memory.
/// </summary>
internal sealed class CappedTextReader
{
    private readonly StringBuilder _head = new();
    private readonly StringBuilder _tail = new();
    private readonly int _cap;
    private bool _dropped;
    public Task Completion { get; }

    public CappedTextReader(StreamReader reader, int cap)
    {
        _cap = cap;
        Completion = Task.Run(() => DrainAsync(reader));
    }

    private async Task DrainAsync(StreamReader reader)
    {
        var buffer = new char[8192];
        try
        {
            int n;
            while ((n = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
                lock (_head) Add(buffer.AsSpan(0, n));
        }
        catch (IOException) { }
        catch (ObjectDisposedException) { }
    }

    private void Add(ReadOnlySpan<char> chunk)
    {
        int room = _cap - _head.Length;
        if (room > 0)
        {
            var take = chunk[..Math.Min(room, chunk.Length)];
            _head.Append(take);
            chunk = chunk[take.Length..];
        }
        if (chunk.IsEmpty) return;
        _tail.Append(chunk);
        if (_tail.Length > _cap)
        {
            _dropped = true;
            _tail.Remove(0, _tail.Length - _cap);
        }
    }

    public (string Text, bool Truncated) Snapshot()
    {
        lock (_head)
            return (_head + (_dropped ? "\n...\n" : "") + _tail, _dropped);
    }
}
