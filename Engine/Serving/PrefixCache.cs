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
/// The cache holds KV cells: it keeps at most as many sequences as the pool can hold while requests are waiting, and
/// lets the least recently used go first.
/// </summary>
public sealed class PrefixCache(ILanguageModel model, int contextSize, int capacity) : IAsyncDisposable
{
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

    private sealed class Root(IPromptState state, string text)
    {
        public IPromptState State { get; } = state;
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
            keep = true;
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
            root = _roots.Where(r => prompt.StartsWith(r.Text, StringComparison.Ordinal)).MaxBy(r => r.Text.Length);
            if (root is not null)
            {
                root.Users++;
                PromptHits++;
                ReusedTokens += root.State.TokenCount;
            }
            else Misses++;
            _busy++;
            MakeRoom();
        }
        try
        {
            if (root is null)
            {
                var state = await model.EvaluatePromptAsync(new PromptText([new PromptPart(prompt, IsTemplate: true)]),
                    new PromptOptions { MaxSequenceTokens = contextSize, Sequences = 1 }, ct).ConfigureAwait(false);
                lock (_gate)
                {
                    root = new Root(state, prompt) { Users = 1 };
                    _roots.Add(root);
                }
            }
            var sequence = root.State.Fork(sampling);
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
                if (root is not null) root.Users--;
            }
            throw;
        }
    }

    private void Return(Entry entry, bool keep)
    {
        lock (_gate)
        {
            _busy--;
            entry.LastUsed = entry.Root.LastUsed = ++_clock;
            if (keep && !_disposed) _idle.Add(entry);
            else Drop(entry);
            MakeRoom();
        }
    }

    /// <summary>Lets the least recently used idle sequences (and prompts nobody uses) go while the cache is over capacity. Call with the lock held.</summary>
    private void MakeRoom()
    {
        while (_idle.Count > 0 && _idle.Count + _busy > capacity)
            Drop(_idle.MinBy(e => e.LastUsed)!);
        foreach (var root in _roots.Where(r => r.Users == 0).OrderBy(r => r.LastUsed).Take(Math.Max(0, _roots.Count - capacity)).ToList())
        {
            _roots.Remove(root);
            root.State.Dispose();
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
            foreach (var r in _roots.Where(r => r.Users == 0).ToList())
            {
                _roots.Remove(r);
                r.State.Dispose();
            }
        }
        return ValueTask.CompletedTask;
    }
}
