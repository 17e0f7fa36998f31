using Numina.Engine.Presets;
using Numina.Engine.Settings;

namespace Numina.Engine.Execution;

/// <summary>Runs candidates' code blocks. One session per candidate; sessions never see each other.</summary>
public interface ICodeExecutor : IAsyncDisposable
{
    /// <summary>Which protections are active (the workbench shows them).</summary>
    ExecutorFacts Facts { get; }

    Task<ICodeSession> OpenSessionAsync(CodeSessionOptions options, CancellationToken cancellationToken);
}

/// <summary>A candidate's code session. In Jupyter mode it keeps a live namespace; in stateless mode nothing carries over.</summary>
public interface ICodeSession : IAsyncDisposable
{
    /// <summary>Runs one block. Never throws for anything the code does: errors, timeouts and crashes are results.</summary>
    Task<CellResult> RunAsync(string code, CancellationToken cancellationToken);

    /// <summary>Forgets all state, as if newly opened (a restarted candidate starts from the bare prompt).</summary>
    Task ResetAsync(CancellationToken cancellationToken);
}

/// <summary>How a session runs code: the mode, plus the preset's header, auto-print and timeout.</summary>
public sealed record CodeSessionOptions
{
    public ExecutionMode Mode { get; init; } = ExecutionMode.Stateless;
    public string Header { get; init; } = "";
    public AutoPrint AutoPrint { get; init; } = AutoPrint.None;
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>For logs: which candidate owns the session.</summary>
    public string Name { get; init; } = "";

    public static CodeSessionOptions From(Preset preset, ExecutionMode mode, string name = "") => new()
    {
        Mode = mode,
        Header = preset.ExecutorHeader,
        AutoPrint = preset.AutoPrint,
        Timeout = TimeSpan.FromSeconds(preset.TimeoutSeconds),
        Name = name,
    };
}

public sealed record ExecutorFacts
{
    public required string Name { get; init; }
    public string Interpreter { get; init; } = "";
    public IReadOnlyList<string> ActiveProtections { get; init; } = [];
    public IReadOnlyList<string> MissingProtections { get; init; } = [];
}

public enum CellOutcome
{
    Success,
    /// <summary>The code raised (or the process exited non-zero).</summary>
    Error,
    TimedOut,
    /// <summary>Not run: it contained a forbidden word.</summary>
    Refused,
    /// <summary>The interpreter died (segfault, os._exit, killed).</summary>
    Crashed,
}

/// <summary>What one block did. How the model sees it is the preset's business (<see cref="ToolOutputFormatter"/>).</summary>
public sealed record CellResult
{
    public required CellOutcome Outcome { get; init; }
    public string Stdout { get; init; } = "";
    public string Stderr { get; init; } = "";
    /// <summary>The repr of a trailing expression (notebook style), when there was one.</summary>
    public string? Value { get; init; }
    public string? ErrorType { get; init; }
    /// <summary>The traceback as Python formats it.</summary>
    public string? Traceback { get; init; }
    /// <summary>The file name the traceback uses for the block (removed by Numina's filter).</summary>
    public string ScriptName { get; init; } = "";
    public TimeSpan Elapsed { get; init; }
    public bool StdoutTruncated { get; init; }
    public bool StderrTruncated { get; init; }
    /// <summary>For refusals: the forbidden word found.</summary>
    public string? RefusedWord { get; init; }
}
