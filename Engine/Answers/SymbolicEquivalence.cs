using System.Collections.Concurrent;
using System.Text.Json;
using Numina.Engine.Execution;
using Numina.Engine.Execution.Python;
using Numina.Engine.Settings;

namespace Numina.Engine.Answers;

/// <summary>The grader's verdict on one pair: equivalent or not, and why (a timeout or an unreadable answer is "not").</summary>
public sealed record GradeVerdict(bool Equivalent, string Reason);

/// <summary>
/// Whether an answer is the same mathematical object as another: equivalence.py's grade(gold, pred) — numbers, units,
/// percent and separators, expressions, equations up to a factor, relations, intervals and unions, sets, tuples,
/// matrices, \pm, text — run in one sandbox session with a timeout per comparison: an answer is untrusted text and
/// simplification can take forever. When unsure it says "not equal" and why. Decimals are compared after rounding to
/// <see cref="Precision"/> places (Math-Verify's default, 6).
/// </summary>
public sealed class SymbolicEquivalence : IAsyncDisposable
{
    private readonly ICodeExecutor _executor;
    private readonly TimeSpan _timeout;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ConcurrentDictionary<(string, string), GradeVerdict> _cache = new();
    private ICodeSession? _session;

    public int TimedOut { get; private set; }

    /// <summary>Decimal places a decimal answer is compared at.</summary>
    public int Precision { get; init; } = 6;

    public SymbolicEquivalence(ICodeExecutor executor, TimeSpan? timeout = null) => (_executor, _timeout) = (executor, timeout ?? TimeSpan.FromSeconds(5));

    /// <summary>Symmetric use (grouping votes): a and b are the same answer.</summary>
    public async Task<bool> EquivalentAsync(string a, string b, CancellationToken cancellationToken = default)
    {
        var (first, second) = string.CompareOrdinal(a, b) <= 0 ? (a, b) : (b, a);
        return (await GradeAsync(first, second, cancellationToken).ConfigureAwait(false)).Equivalent;
    }

    /// <summary>Is <paramref name="predicted"/> the same answer as <paramref name="gold"/>, and why.</summary>
    public async Task<GradeVerdict> GradeAsync(string gold, string predicted, CancellationToken cancellationToken = default)
    {
        if (gold == predicted && gold.Trim().Length > 0) return new GradeVerdict(true, "identical");
        var key = (gold, predicted);
        if (_cache.TryGetValue(key, out var known)) return known;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _session ??= await OpenAsync(cancellationToken).ConfigureAwait(false);
            var result = await _session.RunAsync($"numina_grade({Literal(gold)}, {Literal(predicted)}, {Precision})", cancellationToken).ConfigureAwait(false);
            var verdict = Read(result);
            if (result.Outcome == CellOutcome.TimedOut) TimedOut++;
            _cache[key] = verdict;
            return verdict;
        }
        finally { _gate.Release(); }
    }

    private GradeVerdict Read(CellResult result)
    {
        if (result.Outcome == CellOutcome.TimedOut) return new GradeVerdict(false, $"not equal: the comparison took longer than {_timeout.TotalSeconds:0.#} s");
        if (result.Outcome != CellOutcome.Success) return new GradeVerdict(false, $"not equal: the grader failed ({result.Outcome})");
        try
        {
            using var json = JsonDocument.Parse(result.Stdout.Trim().Split('\n')[^1]);
            return new GradeVerdict(json.RootElement.GetProperty("equivalent").GetBoolean(), json.RootElement.GetProperty("reason").GetString() ?? "");
        }
        catch (JsonException) { return new GradeVerdict(false, "not equal: the grader's answer was unreadable"); }
    }

    private async Task<ICodeSession> OpenAsync(CancellationToken cancellationToken)
    {
        var session = await _executor.OpenSessionAsync(new CodeSessionOptions { Mode = ExecutionMode.Jupyter, Timeout = _timeout, Name = "symbolic equivalence" }, cancellationToken).ConfigureAwait(false);
        var defined = await session.RunAsync(PythonSources.Read("equivalence.py"), cancellationToken).ConfigureAwait(false);
        if (defined.Outcome != CellOutcome.Success)
            throw new InvalidOperationException($"The symbolic equivalence checker did not load: {defined.Traceback ?? defined.Stderr}");
        return session;
    }

    /// <summary>A JSON string is a valid Python string literal: quotes, backslashes and control characters escaped.</summary>
    private static string Literal(string text) => JsonSerializer.Serialize(text);

    public async ValueTask DisposeAsync()
    {
        if (_session is not null) await _session.DisposeAsync().ConfigureAwait(false);
    }
}
