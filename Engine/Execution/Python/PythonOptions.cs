namespace Numina.Engine.Execution.Python;

/// <summary>Where Python is and how much of a block's output is kept (appsettings.json: <c>Engine:Python</c>).</summary>
public sealed record PythonOptions
{
    /// <summary>Debian's interpreter with python3-numpy and python3-sympy, not whatever python3 is first on PATH.</summary>
    public string Executable { get; init; } = "/usr/bin/python3";
    /// <summary>Characters of stdout/stderr kept from each end of a block's output; the middle of a flood is dropped.</summary>
    public int CapturedOutputChars { get; init; } = 65536;
    /// <summary>After the soft timeout, how long a notebook session may take to stop before its process is killed.</summary>
    public double KillGraceSeconds { get; init; } = 2;
    /// <summary>Where per-session temporary directories go; empty = the system's temp directory.</summary>
    public string TempRoot { get; init; } = "";
}
