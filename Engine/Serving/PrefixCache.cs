using Numina.Engine.Models;

namespace Numina.Engine.Serving;

/// <summary>
/// Completions on an in-process model for clients that send whole transcripts (the OpenAI-compatible endpoint): a
/// request whose prompt extends a transcript served before continues that sequence — only the new text is evaluated,
/// tokenized as a continuation exactly as <see cref="ISequence.Append"/> does in a local run — and a request whose
/// prompt extends a prompt evaluated before forks from it (llama-server's prompt cache and vLLM's prefix caching do the
/// same, on tokens). So an SC-TIR client over HTTP costs the model what a local run costs, and, the seed being per
/// request, draws the same tokens.
///
/// The cache holds KV cells: it keeps only sequences that stopped on a stop string (a client running tools comes back
/// with the output), at most <c>capacity</c>, the least recently used going first, and none idle for longer than
/// <see cref="IdleSeconds"/> (a client between two rounds comes back within seconds; one that has gone should not keep
/// the workbench's own runs out of the pool).
/// </summary>
public sealed class PrefixCache(ILanguageModel model, int contextSize, int capacity) : IAsyncDisposable
{
    public double IdleSeconds { get; init; } = 10;

    private readonly object _gate = new();
    private readonly List<Root> _roots = [];
    private readonly List<Entry> _idle = [];
    private long _clock;
    private int _busy;
    private bool _disposed;

    /// <summary>Requests served from a cached sequence, from a cached prompt, and from nothing.</summary>
    public long SequenceHits, PromptHits, Misses;
    /// <summary>Tokens of context the hits did not evaluate again.</summary>
    public long ReusedTokens;

    public ILanguageModel Model => model;
    public int ContextSize => contextSize;

    /// <summary>An evaluated prompt; <see cref="Ready"/> completes when its evaluation does (requests that come meanwhile wait for it).</summary>
    private sealed class Root(string text)
    {
        public TaskCompletionSource<IPromptState> Ready { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public IPromptState State => Ready.Task.Result;
        public string Text { get; } = text;
        public int Users;
        public long LastUsed;
    }

    private sealed class Entry(Root root, ISequence sequence, string text)
    {
        public Root Root { get; } = root;
        public ISequence Sequence { get; } = sequence;
        public string Text { get; set; } = text;
        public long LastUsed;
        public long IdleSince = System.Diagnostics.Stopwatch.GetTimestamp();
    }

    /// <summary>What one completion produced, and the prompt's size as the model read it.</summary>
    public sealed record Completion(Generation Generation, int PromptTokens);

    /// <summary>
    /// Continues <paramref name="prompt"/> (raw text: special tokens in it are read as such, as the servers do) with the
    /// request's sampling and seed; streams each piece.
    /// </summary>
    public async Task<Completion> CompleteAsync(string prompt, SamplingSettings sampling, GenerationRequest request, Action<GeneratedPiece>? onPiece, CancellationToken ct)
    {
        var entry = await TakeAsync(prompt, sampling, ct).ConfigureAwait(false);
        bool keep = false;
        try
        {
            int promptTokens = entry.Sequence.Tokens.Total;
            entry.Sequence.Sampling = sampling;
            var generation = await entry.Sequence.GenerateAsync(request, onPiece, ct).ConfigureAwait(false);
            entry.Text = prompt + generation.Text;
            // A completion that ended on a stop string is about to be continued (a tool's output follows); one that
            // ended otherwise rarely is, and idle sequences are not free: every sequence in the pool widens the span
            // of cells each step attends over.
            keep = generation.StopReason == StopReason.StopString;
            return new Completion(generation, promptTokens);
        }
        finally
        {
            Return(entry, keep);
        }
    }

    /// <summary>The longest cached sequence the prompt extends, else a fork of the longest cached prompt it extends, else a new prompt.</summary>
    private async Task<Entry> TakeAsync(string prompt, SamplingSettings sampling, CancellationToken ct)
    {
        Root? root;
        bool evaluate;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var hit = _idle.Where(e => prompt.StartsWith(e.Text, StringComparison.Ordinal)).MaxBy(e => e.Text.Length);
            if (hit is not null)
            {
                _idle.Remove(hit);
                _busy++;
                SequenceHits++;
                ReusedTokens += hit.Sequence.Tokens.Total;
                // Outside the lock would be nicer, but Append only queues tokens.
                if (prompt.Length > hit.Text.Length) hit.Sequence.Append(prompt[hit.Text.Length..]);
                hit.Text = prompt;
                return hit;
            }
            root = _roots.Where(r => prompt.StartsWith(r.Text, StringComparison.Ordinal) && !r.Ready.Task.IsFaulted).MaxBy(r => r.Text.Length);
            evaluate = root is null;
            if (root is null)
            {
                // The first of several requests for one prompt (a run's N candidates) evaluates it; the others wait for it.
                Misses++;
                root = new Root(prompt);
                _roots.Add(root);
            }
            else PromptHits++;
            root.Users++;
            _busy++;
            MakeRoom();
        }
        if (evaluate) _ = EvaluateAsync(root);
        try
        {
            var state = await root.Ready.Task.WaitAsync(ct).ConfigureAwait(false);
            if (!evaluate) lock (_gate) ReusedTokens += state.TokenCount;
            var sequence = state.Fork(sampling);
            var entry = new Entry(root, sequence, root.Text);
            if (prompt.Length > root.Text.Length) sequence.Append(prompt[root.Text.Length..]);
            entry.Text = prompt;
            return entry;
        }
        catch
        {
            lock (_gate)
            {
                _busy--;
                root.Users--;
                if (root.Ready.Task.IsFaulted) _roots.Remove(root);
            }
            throw;
        }
    }

    private async Task EvaluateAsync(Root root)
    {
        try
        {
            var state = await model.EvaluatePromptAsync(new PromptText([new PromptPart(root.Text, IsTemplate: true)]),
                new PromptOptions { MaxSequenceTokens = contextSize, Sequences = 1 }, CancellationToken.None).ConfigureAwait(false);
            root.Ready.TrySetResult(state);
        }
        catch (Exception e) { root.Ready.TrySetException(e); }
    }

    private void Return(Entry entry, bool keep)
    {
        lock (_gate)
        {
            _busy--;
            entry.LastUsed = entry.Root.LastUsed = ++_clock;
            entry.IdleSince = System.Diagnostics.Stopwatch.GetTimestamp();
            if (keep && !_disposed) _idle.Add(entry);
            else Drop(entry);
            MakeRoom();
        }
    }

    /// <summary>Lets the least recently used idle sequences (and prompts nobody uses) go while the cache is over capacity. Call with the lock held.</summary>
    private void MakeRoom()
    {
        foreach (var stale in _idle.Where(e => System.Diagnostics.Stopwatch.GetElapsedTime(e.IdleSince).TotalSeconds > IdleSeconds).ToList()) Drop(stale);
        while (_idle.Count > 0 && _idle.Count + _busy > capacity)
            Drop(_idle.MinBy(e => e.LastUsed)!);
        foreach (var root in _roots.Where(r => r.Users == 0 && r.Ready.Task.IsCompleted).OrderBy(r => r.LastUsed).Take(Math.Max(0, _roots.Count - capacity)).ToList())
        {
            _roots.Remove(root);
            if (root.Ready.Task.IsCompletedSuccessfully) root.State.Dispose();
        }
    }

    private void Drop(Entry entry)
    {
        _idle.Remove(entry);
        entry.Sequence.Dispose();
        entry.Root.Users--;
    }

    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            _disposed = true;
            foreach (var e in _idle.ToList()) Drop(e);
            foreach (var r in _roots.Where(r => r.Users == 0 && r.Ready.Task.IsCompleted).ToList())
            {
                _roots.Remove(r);
                if (r.Ready.Task.IsCompletedSuccessfully) r.State.Dispose();
            }
        }
        return ValueTask.CompletedTask;
    }
}
