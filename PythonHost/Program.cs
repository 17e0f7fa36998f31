using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;
using Python.Runtime;

namespace Numina.PythonHost;

/// <summary>
/// The sandbox worker. It embeds Debian's Python (pythonnet), preloads math/numpy/sympy once, and serves the
/// line protocol of numina_cell.py on stdin/stdout: open session, run cell, close session, stats. It is a zygote: no
/// candidate's code runs in it. numina_cell forks it for every stateless block and once per Jupyter session, times
/// the child (SIGINT at the timeout, a kill after the grace) and answers for it; a forked child runs only Python and
/// ends with _exit, never re-entering .NET. A "cancel" line (a removed candidate) kills the cell in flight through a
/// pipe the zygote watches, leaving the worker and every other session alone.
///
/// Usage: PythonHost --libpython PATH [--program /usr/bin/python3] [--preload math,numpy,sympy]
/// </summary>
public static partial class Program
{
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
        PyObject handle, idle;
        string version;
        int cancelFd;
        using (Py.GIL())
        {
            var cell = PyModule.FromString("numina_cell", ReadResource("numina_cell.py"));
            cell.InvokeMethod("install_sigint_handler");
            using var sys = Py.Import("sys");
            sys.SetAttr("stdin", PyModule.FromString("empty_stdin", "import io\nstdin = io.StringIO('')").GetAttr("stdin")); // input() → EOFError
            foreach (var module in preload) Py.Import(module.Trim()).Dispose();
            cell.InvokeMethod("freeze");
            handle = cell.GetAttr("host_handle");
            idle = cell.GetAttr("idle");
            cancelFd = cell.InvokeMethod("cancel_fd").As<int>();
            version = sys.GetAttr("version").As<string>().Split(' ')[0];
        }

        var requests = new BlockingCollection<string>();
        var reader = new Thread(() =>
        {
            try
            {
                while (protocolIn.ReadLine() is { } line)
                {
                    // A cancel is for the cell in flight: it goes to the zygote's pipe at once, not into the queue.
                    if (line.Contains("\"op\": \"cancel\"", StringComparison.Ordinal)) Native.write(cancelFd, [1], 1);
                    else requests.Add(line);
                }
            }
            catch (IOException) { }
            requests.CompleteAdding();
        }) { IsBackground = true, Name = "protocol reader" };
        reader.Start();

        using (Py.GIL()) idle.Invoke().Dispose(); // the first spares, before the first cell
        protocolOut.Write($"{{\"ready\": true, \"pid\": {Environment.ProcessId}, \"python\": \"{version}\"}}\n");
        protocolOut.Flush();

        string? next = null;
        while (next is not null || requests.TryTake(out next, Timeout.Infinite))
        {
            var line = next!;
            next = null;
            string reply;
            try
            {
                using (Py.GIL()) reply = handle.Invoke(new PyString(line)).As<string>();
            }
            catch (PythonException e)
            {
                reply = $"{{\"ok\": false, \"error\": {System.Text.Json.JsonSerializer.Serialize($"host: {e.Type.Name}: {e.Message}")}}}";
            }
            protocolOut.Write(reply);
            protocolOut.Write('\n');
            protocolOut.Flush();
            // Between requests: reap exited children and fork warm spares, so that a later cell need not wait for a
            // fork. Not at once: a request that follows right away is served first (from a spare), and the one that
            // reads this reply gets a CPU before the fork takes one.
            if (requests.TryTake(out next, 3)) continue;
            try
            {
                using (Py.GIL()) idle.Invoke().Dispose();
            }
            catch (PythonException e)
            {
                Console.Error.WriteLine($"host: idle: {e.Type.Name}: {e.Message}");
            }
        }

        // End of input: leave at once. PythonEngine.Shutdown is slow and unreliable on .NET 10; _exit is not.
        Native._exit(0);
        return 0;
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

    private static partial class Native
    {
        [LibraryImport("libc", SetLastError = true)] public static partial int dup(int fd);
        [LibraryImport("libc", SetLastError = true)] public static partial int dup2(int fd, int fd2);
        [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)] public static partial int open(string path, int flags);
        [LibraryImport("libc")] public static partial nint write(int fd, byte[] buffer, nint count);
        [LibraryImport("libc")] public static partial void _exit(int status);
    }
}
