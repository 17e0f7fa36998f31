using System.Text.Json;

namespace Numina.Engine.Execution.Python;

/// <summary>A "run" reply of numina_cell.py's protocol (notebook driver and sandbox worker alike).</summary>
internal sealed record CellReply
{
    public static JsonSerializerOptions Json { get; } = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public bool Ok { get; init; }
    public string? Error { get; init; }
    public bool Interrupted { get; init; }
    public string Stdout { get; init; } = "";
    public string Stderr { get; init; } = "";
    public string? Value { get; init; }
    public string? ErrorType { get; init; }
    public string? Traceback { get; init; }
    public double ElapsedMs { get; init; }
    public bool StdoutTruncated { get; init; }
    public bool StderrTruncated { get; init; }
    /// <summary>The cell's process died (a segfault, os._exit): the traceback says how.</summary>
    public bool Crashed { get; init; }
    /// <summary>The cell's process ignored its SIGINT and was killed after the grace.</summary>
    public bool Killed { get; init; }
    public bool Cancelled { get; init; }
    /// <summary>The session's kernel is gone (killed, crashed, cancelled): its namespace must be rebuilt.</summary>
    public bool SessionLost { get; init; }

    /// <summary>Parses a reply line; null when it is not valid JSON of this shape.</summary>
    public static CellReply? Parse(string line)
    {
        try { return JsonSerializer.Deserialize<CellReply>(line, Json); }
        catch (JsonException) { return null; }
    }

    /// <summary>A cell stopped by the soft timeout's SIGINT is a timeout, not an error.</summary>
    public CellResult ToResult(string scriptName, bool interruptedByParent = false) => new()
    {
        Outcome = Ok ? CellOutcome.Success
            : Crashed ? CellOutcome.Crashed
            : Killed ? CellOutcome.TimedOut
            : (Interrupted || interruptedByParent) && ErrorType == "KeyboardInterrupt" ? CellOutcome.TimedOut
            : CellOutcome.Error,
        Stdout = Stdout,
        Stderr = Stderr,
        Value = Value,
        ErrorType = ErrorType,
        Traceback = Traceback,
        ScriptName = scriptName,
        Elapsed = TimeSpan.FromMilliseconds(ElapsedMs),
        StdoutTruncated = StdoutTruncated,
        StderrTruncated = StderrTruncated,
    };
}
