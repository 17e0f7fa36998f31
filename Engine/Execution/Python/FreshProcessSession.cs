using System.Diagnostics;

namespace Numina.Engine.Execution.Python;

/// <summary>
/// Numina's executor: the block (after header and auto-print) is written to tmp.py in a fresh temporary directory
/// and run as <c>python3 tmp.py</c>; exit code 0 means success (stdout), anything else an error (stderr).
/// </summary>
internal sealed class FreshProcessSession(PythonOptions options, CodeSessionOptions session) : ICodeSession
{
    public async Task<CellResult> RunAsync(string code, CancellationToken cancellationToken)
    {
        var dir = ProcessTools.NewTempDirectory(options, "numina-cell-");
        var script = Path.Combine(dir, "tmp.py");
        try
        {
            await File.WriteAllTextAsync(script, CellSource.Prepare(code, session.Header, session.AutoPrint), cancellationToken).ConfigureAwait(false);
            using var process = new Process { StartInfo = ProcessTools.PythonStart(options, dir, script) };
            var clock = Stopwatch.StartNew();
            process.Start();
            process.StandardInput.Close(); // input() sees end of file
            var stdout = new CappedTextReader(process.StandardOutput, options.CapturedOutputChars);
            var stderr = new CappedTextReader(process.StandardError, options.CapturedOutputChars);

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(session.Timeout);
            bool timedOut = false;
            try { await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false); }
            catch (OperationCanceledException)
            {
                ProcessTools.KillTree(process);
                cancellationToken.ThrowIfCancellationRequested();
                timedOut = true;
            }
            // A child that outlives the interpreter may hold the pipes open: wait for them only briefly.
            await Task.WhenAny(Task.WhenAll(stdout.Completion, stderr.Completion), Task.Delay(500, CancellationToken.None)).ConfigureAwait(false);
            clock.Stop();

            var (outText, outCut) = stdout.Snapshot();
            var (errText, errCut) = stderr.Snapshot();
            if (timedOut)
                return new CellResult { Outcome = CellOutcome.TimedOut, Stdout = outText, Stderr = errText, ScriptName = script, Elapsed = clock.Elapsed, StdoutTruncated = outCut, StderrTruncated = errCut };
            int exit = process.ExitCode;
            return new CellResult
            {
                Outcome = exit == 0 ? CellOutcome.Success : exit < 0 || exit > 128 ? CellOutcome.Crashed : CellOutcome.Error,
                Stdout = outText,
                Stderr = errText,
                Traceback = exit == 0 ? null : errText,
                ErrorType = exit == 0 ? null : LastErrorType(errText),
                ScriptName = script,
                Elapsed = clock.Elapsed,
                StdoutTruncated = outCut,
                StderrTruncated = errCut,
            };
        }
        finally
        {
            ProcessTools.TryDeleteDirectory(dir);
        }
    }

    /// <summary>"IndexError: list index out of range" → "IndexError".</summary>
    private static string? LastErrorType(string stderr)
    {
        var last = stderr.TrimEnd().Split('\n')[^1];
        int colon = last.IndexOf(':');
        var name = (colon > 0 ? last[..colon] : last).Trim();
        return name.Length > 0 && name.All(c => char.IsLetterOrDigit(c) || c is '_' or '.') ? name : null;
    }

    public Task ResetAsync(CancellationToken cancellationToken) => Task.CompletedTask; // nothing carries over anyway

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
