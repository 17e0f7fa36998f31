using System.Collections.Concurrent;
using System.Text.Json;
using Numina.Engine.Execution;
using Numina.Engine.Execution.Python;
using Numina.Engine.Settings;

namespace Numina.Engine.Answers;

/// <summary>
/// Whether two answers are the same mathematical object: equal after the engine's normalization, or equal for sympy
/// (equivalence.py), computed in one sandbox session with a timeout per comparison — an answer is untrusted text and
/// simplification can take forever. A comparison that times out or cannot be read counts as not equal.
/// </summary>
public sealed class SymbolicEquivalence : IAsyncDisposable
{
    private readonly ICodeExecutor _executor;
    private readonly TimeSpan _timeout;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ConcurrentDictionary<(string, string), bool> _cache = new();
    private ICodeSession? _session;

    public int TimedOut { get; private set; }

    public SymbolicEquivalence(ICodeExecutor executor, TimeSpan? timeout = null) => (_executor, _timeout) = (executor, timeout ?? TimeSpan.FromSeconds(5));

    public async Task<bool> EquivalentAsync(string a, string b, CancellationToken cancellationToken = default)
    {
        // The engine's normalization keeps only what follows "=", which is right for "x = 5" but not for two equations.
        bool equations = a.Contains('=') && b.Contains('=');
        if (!equations && MinervaNormalizer.Normalize(a) == MinervaNormalizer.Normalize(b)) return true;
        var key = string.CompareOrdinal(a, b) <= 0 ? (a, b) : (b, a);
        if (_cache.TryGetValue(key, out var known)) return known;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _session ??= await OpenAsync(cancellationToken).ConfigureAwait(false);
            var result = await _session.RunAsync($"print(numina_equivalent({Literal(a)}, {Literal(b)}))", cancellationToken).ConfigureAwait(false);
            if (result.Outcome == CellOutcome.TimedOut) TimedOut++;
            bool same = result.Outcome == CellOutcome.Success && result.Stdout.Trim() == "True";
            _cache[key] = same;
            return same;
        }
        finally { _gate.Release(); }
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
