namespace Numina.Engine.Execution.Sandbox;

/// <summary>The pythonnet worker pool (appsettings.json: <c>Engine:Sandbox</c>).</summary>
public sealed record SandboxOptions
{
    /// <summary>Worker processes; also how many cells run at once (each worker runs one cell at a time).</summary>
    public int Workers { get; init; } = 2;
    /// <summary>PythonHost.dll; empty = pythonhost/PythonHost.dll beside the running program.</summary>
    public string HostPath { get; init; } = "";
    /// <summary>Use OS isolation (network and PID namespaces, private /tmp, rlimits, another uid) where available.</summary>
    public bool Isolate { get; init; } = true;
    /// <summary>Python's share of the address-space limit; the .NET runtime of the worker gets <see cref="RuntimeOverheadMb"/> more.</summary>
    public int PythonMemoryMb { get; init; } = 2048;
    public int RuntimeOverheadMb { get; init; } = 1536;
    /// <summary>Largest file a cell may write, and the size of the worker's private /tmp.</summary>
    public int FileSizeMb { get; init; } = 64;
    /// <summary>Processes and threads of the worker's user (the .NET runtime itself uses ~20).</summary>
    public int MaxProcesses { get; init; } = 96;
    public int MaxOpenFiles { get; init; } = 256;
    /// <summary>CPU seconds over a worker's life; past it the worker is killed and respawned with its sessions replayed.</summary>
    public int CpuSeconds { get; init; } = 3600;
    /// <summary>Worker slot k runs as uid/gid FirstUid + k (unused ids, so limits and files are the worker's own).</summary>
    public int FirstUid { get; init; } = 61000;
    /// <summary>Modules imported once per worker, before any cell.</summary>
    public string Preload { get; init; } = "math,numpy,sympy";
    /// <summary>How long a worker may take to start.</summary>
    public double StartTimeoutSeconds { get; init; } = 60;
}
