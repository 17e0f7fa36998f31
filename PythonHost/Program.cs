using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;
using Python.Runtime;

namespace Numina.PythonHost;

/// <summary>
/// The sandbox worker. It embeds Debian's Python (pythonnet), preloads math/numpy/sympy once, and serves the
/// line protocol of numina_cell.py on stdin/stdout: open session, run cell, close session, stats. Every cell runs on
/// the thread that initialized Python, so a watchdog can stop an overrunning cell with SIGINT (pthread_kill), which
/// raises KeyboardInterrupt and leaves the namespace intact. What SIGINT cannot stop, the parent kills.
///
/// Usage: PythonHost --libpython PATH [--program /usr/bin/python3] [--preload math,numpy,sympy]
/// </summary>
public static partial class Program
{
    private const int SigInt = 2;

    public static int Main(string[] args)
    {
        var libpython = Arg(args, "--libpython") ?? "libpython3.11.so.1.0";
        var program = Arg(args, "--program") ?? "/usr/bin/python3";
        var preload = (Arg(args, "--preload") ?? "math,numpy,sympy").Split(',', StringSplitOptions.RemoveEmptyEntries);

        // The protocol gets private copies of fds 0 and 1; cells' stray writes to fd 1 (C code, os.write) go nowhere.
        var protocolIn = new StreamReader(new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(Native.dup(0), true), FileAccess.Read), new UTF8Encoding(false));
        var protocolOut = new StreamWriter(new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(Native.dup(1), true), FileAccess.Write), new UTF8Encoding(false)) { AutoFlush = false };
        int devNull = Native.open("/dev/null", 2 /* O_RDWR */);
        Native.dup2(devNull, 0);
        Native.dup2(devNull, 1);

        Runtime.PythonDLL = libpython;
        PythonEngine.ProgramName = program;
        PythonEngine.Initialize();
        PyObject handle;
        string version;
        using (Py.GIL())
        {
            var cell = PyModule.FromString("numina_cell", ReadResource("numina_cell.py"));
            cell.InvokeMethod("install_sigint_handler");
            using var sys = Py.Import("sys");
            sys.SetAttr("stdin", PyModule.FromString("empty_stdin", "import io\nstdin = io.StringIO('')").GetAttr("stdin")); // input() → EOFError
            foreach (var module in preload) Py.Import(module.Trim()).Dispose();
            handle = cell.GetAttr("handle");
            version = sys.GetAttr("version").As<string>().Split(' ')[0];
        }

        var mainThread = Native.pthread_self();
        var watchdog = new Watchdog(mainThread);
        var requests = new BlockingCollection<string>();
        var reader = new Thread(() =>
        {
            try
            {
                while (protocolIn.ReadLine() is { } line) requests.Add(line);
            }
            catch (IOException) { }
            requests.CompleteAdding();
        }) { IsBackground = true, Name = "protocol reader" };
        reader.Start();

        protocolOut.Write($"{{\"ready\": true, \"pid\": {Environment.ProcessId}, \"python\": \"{version}\"}}\n");
        protocolOut.Flush();

        foreach (var line in requests.GetConsumingEnumerable())
        {
            int? softTimeoutMs = SoftTimeout(line);
            string reply;
            if (softTimeoutMs is { } ms) watchdog.Arm(ms);
            try
            {
                using (Py.GIL()) reply = handle.Invoke(new PyString(line)).As<string>();
            }
            catch (PythonException e) when (e.Type.Name == "KeyboardInterrupt")
            {
                // The timeout's SIGINT landed just outside the cell's own handler (while its error was being formatted).
                reply = "{\"ok\": false, \"error_type\": \"KeyboardInterrupt\", \"traceback\": \"KeyboardInterrupt\\n\", \"interrupted\": false, \"stdout\": \"\", \"stderr\": \"\"}";
            }
            catch (PythonException e)
            {
                reply = $"{{\"ok\": false, \"error\": {System.Text.Json.JsonSerializer.Serialize($"host: {e.Type.Name}: {e.Message}")}}}";
            }
            bool interrupted = watchdog.Disarm();
            if (interrupted) reply = ReplaceFirst(reply, "\"interrupted\": false", "\"interrupted\": true");
            protocolOut.Write(reply);
            protocolOut.Write('\n');
            protocolOut.Flush();
        }

        // End of input: leave at once. PythonEngine.Shutdown is slow and unreliable on .NET 10; _exit is not.
        Native._exit(0);
        return 0;
    }

    private static int? SoftTimeout(string line)
    {
        const string key = "\"soft_timeout_ms\":";
        int at = line.IndexOf(key, StringComparison.Ordinal);
        if (at < 0) return null;
        int i = at + key.Length;
        while (i < line.Length && line[i] == ' ') i++;
        int start = i;
        while (i < line.Length && char.IsAsciiDigit(line[i])) i++;
        return int.TryParse(line.AsSpan(start, i - start), out var ms) ? ms : null;
    }

    private static string ReplaceFirst(string text, string what, string with)
    {
        int at = text.IndexOf(what, StringComparison.Ordinal);
        return at < 0 ? text : string.Concat(text.AsSpan(0, at), with, text.AsSpan(at + what.Length));
    }

    private static string? Arg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static string ReadResource(string name)
    {
        using var stream = typeof(Program).Assembly.GetManifestResourceStream(name) ?? throw new InvalidOperationException(name + " is not embedded");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Sends SIGINT to the Python thread once a cell passes its soft timeout, then every 500 ms until it returns.</summary>
    private sealed class Watchdog
    {
        private readonly nuint _target;
        private readonly object _gate = new();
        private long _deadline = long.MaxValue;
        private bool _interrupted;

        public Watchdog(nuint target)
        {
            _target = target;
            new Thread(Loop) { IsBackground = true, Name = "watchdog" }.Start();
        }

        public void Arm(int milliseconds)
        {
            lock (_gate)
            {
                _interrupted = false;
                _deadline = Environment.TickCount64 + milliseconds;
            }
        }

        public bool Disarm()
        {
            lock (_gate)
            {
                _deadline = long.MaxValue;
                return _interrupted;
            }
        }

        private void Loop()
        {
            while (true)
            {
                Thread.Sleep(20);
                lock (_gate)
                {
                    if (Environment.TickCount64 < _deadline) continue;
                    _interrupted = true;
                    Native.pthread_kill(_target, SigInt);
                    _deadline = Environment.TickCount64 + 500;
                }
            }
        }
    }

    private static partial class Native
    {
        [LibraryImport("libc", SetLastError = true)] public static partial int dup(int fd);
        [LibraryImport("libc", SetLastError = true)] public static partial int dup2(int fd, int fd2);
        [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)] public static partial int open(string path, int flags);
        [LibraryImport("libc")] public static partial nuint pthread_self();
        [LibraryImport("libc")] public static partial int pthread_kill(nuint thread, int signal);
        [LibraryImport("libc")] public static partial void _exit(int status);
    }
}
