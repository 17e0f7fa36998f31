using Numina.Engine.Execution;
using Numina.Engine.Runs;

namespace Numina.Workbench.Runs;

/// <summary>
/// Re-runs one code cell of a candidate in a session like the one it had: the run's preset and execution mode; in
/// Jupyter mode the candidate's earlier cells of that attempt run first, so the namespace is the one the cell saw.
/// Returns the text the model would have been given.
/// </summary>
public static class CellRerun
{
    public static async Task<(CellResult Result, string Appended)> RunAsync(ICodeExecutor executor, RunRequest request,
        IReadOnlyList<string> earlierCells, string code, CancellationToken ct)
    {
        var options = CodeSessionOptions.From(request.Preset, request.Settings.Execution, "re-run");
        await using var session = await executor.OpenSessionAsync(options, ct);
        if (request.Settings.Execution == Engine.Settings.ExecutionMode.Jupyter)
            foreach (var cell in earlierCells) await session.RunAsync(cell, ct);
        var forbidden = CellSource.ForbiddenWord(code, request.Preset.ForbiddenWords);
        var result = forbidden is not null ? new CellResult { Outcome = CellOutcome.Refused, RefusedWord = forbidden } : await session.RunAsync(code, ct);
        return (result, ToolOutputFormatter.Format(result, request.Preset));
    }
}
