using Numina.Engine.Answers;

namespace Numina.Engine.Policies;

/// <summary>
/// Live symbolic grouping: each new answer is compared with the distinct answers seen so far, in the order they came,
/// and joins the first one sympy finds equal (so 0.5 votes with 1/2 if 1/2 came first).
/// </summary>
public sealed class AnswerGrouping(SymbolicEquivalence equivalence) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<string> _distinct = [];

    /// <summary>The answer this one votes as: an earlier equal answer, or itself.</summary>
    public async Task<string> CanonicalAsync(string answer, CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            foreach (var seen in _distinct)
                if (seen == answer || await equivalence.EquivalentAsync(seen, answer, ct).ConfigureAwait(false))
                    return seen;
            _distinct.Add(answer);
            return answer;
        }
        finally { _gate.Release(); }
    }

    public ValueTask DisposeAsync() => equivalence.DisposeAsync();
}
