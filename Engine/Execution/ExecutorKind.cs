namespace Numina.Engine.Execution;

public enum ExecutorKind
{
    /// <summary>Pythonnet worker processes with OS isolation (<see cref="Sandbox.SandboxExecutor"/>): the default.</summary>
    Sandbox,
    /// <summary>Plain python3 child processes (<see cref="Python.PythonExecutor"/>): a fresh one per block, as Numina did.</summary>
    Processes,
}
