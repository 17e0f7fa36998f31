using Numina.Engine.Settings;

namespace Numina.Engine.Execution.Python;

/// <summary>
/// Runs blocks with Debian's python3 in child processes: stateless mode starts a fresh interpreter per block (the
/// Numina reference); Jupyter mode keeps one interpreter per candidate. No isolation beyond the process boundary and
/// timeouts: the pythonnet sandbox with OS limits replaces this for untrusted work.
/// </summary>
public sealed class PythonExecutor(PythonOptions options) : ICodeExecutor
{
    public PythonOptions Options { get; } = options;

    public ExecutorFacts Facts { get; } = new()
    {
        Name = "python3 child processes",
        Interpreter = options.Executable,
        ActiveProtections = ["separate process per session", "timeout (SIGINT, then kill of the process tree)", "output cap", "private temp directory"],
        MissingProtections = ["network isolation", "resource limits (prlimit)", "separate user"],
    };

    public async Task<ICodeSession> OpenSessionAsync(CodeSessionOptions sessionOptions, CancellationToken cancellationToken)
    {
        if (!File.Exists(Options.Executable))
            throw new FileNotFoundException($"The Python interpreter '{Options.Executable}' does not exist. Install Debian's python3, python3-numpy and python3-sympy, or set Engine:Python:Executable.", Options.Executable);
        ICodeSession session = sessionOptions.Mode switch
        {
            ExecutionMode.Stateless => new FreshProcessSession(Options, sessionOptions),
            ExecutionMode.Jupyter => new NotebookSession(Options, sessionOptions),
            _ => throw new ArgumentOutOfRangeException(nameof(sessionOptions)),
        };
        if (session is NotebookSession notebook) await notebook.StartAsync(cancellationToken).ConfigureAwait(false);
        return session;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
