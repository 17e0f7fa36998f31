using System.Text;
using LLama;
using LLama.Batched;
using LLama.Native;

namespace Numina.Engine.Models.Llama;

public sealed partial class LlamaModel
{
    /// <summary>One candidate's sequence: a fork of the prompt, admitted when the KV pool has room for it.</summary>
    private sealed class Sequence(LlamaModel model, PromptJob prompt, SamplingSettings sampling) : ISequence
    {
        public PromptJob Prompt { get; } = prompt;
        public Conversation? Conversation;
        /// <summary>Tokens to feed with the next step: the last sampled token and any appended tool output.</summary>
        public List<LLamaToken> Pending { get; } = [prompt.LastToken];
        public StreamingTokenDecoder Decoder { get; } = new(Encoding.UTF8, model._weights);
        public TokenSampler Sampler { get; } = new(sampling.Seed);
        public Request? Active;
        public bool Disposed;
        /// <summary>When set, the logits of the next sampled position are copied here (parity checks).</summary>
        public float[]? CapturedLogits;
        public bool CaptureLogits;
        private SamplingSettings _sampling = sampling;
        public int Generated, Appended;

        public SamplingSettings Sampling
        {
            get { lock (model._gate) return _sampling; }
            set { lock (model._gate) _sampling = value; }
        }

        public SamplingSettings CurrentSampling => _sampling; // for the loop, which holds the lock

        public SequenceTokens Tokens
        {
            get { lock (model._gate) return new(Prompt.TokenCount, Generated, Appended); }
        }

        public int Append(string text)
        {
            lock (model._gate)
            {
                ObjectDisposedException.ThrowIf(Disposed, this);
                if (Active is not null) throw new InvalidOperationException("Cannot append while the sequence is generating.");
                var tokens = model._weights.Tokenize(text, false, false, Encoding.UTF8);
                Pending.AddRange(tokens);
                Appended += tokens.Length;
                return tokens.Length;
            }
        }

        public Task<Generation> GenerateAsync(GenerationRequest request, Action<GeneratedPiece>? onPiece, CancellationToken cancellationToken)
        {
            if (request.MaxNewTokens < 1) throw new ArgumentOutOfRangeException(nameof(request), "MaxNewTokens must be at least 1.");
            var r = new Request(request, onPiece);
            lock (model._gate)
            {
                ObjectDisposedException.ThrowIf(Disposed, this);
                if (Active is not null) throw new InvalidOperationException("The sequence is already generating.");
                Active = r;
            }
            model._wake.Release();
            if (cancellationToken.CanBeCanceled)
            {
                var registration = cancellationToken.Register(() =>
                {
                    lock (model._gate) if (Active == r) Active = null;
                    r.Done.TrySetCanceled(cancellationToken);
                });
                r.Done.Task.ContinueWith(_ => registration.Dispose(), TaskScheduler.Default);
            }
            return r.Done.Task;
        }

        public void Fail(Exception e)
        {
            var r = Active;
            Active = null;
            r?.Done.TrySetException(e);
        }

        public void Dispose()
        {
            lock (model._gate)
            {
                if (Disposed) return;
                Disposed = true;
                Fail(new ObjectDisposedException(nameof(ISequence)));
                if (Conversation is { } c)
                {
                    model._live.Remove(this);
                    model._reservedTokens -= Prompt.PerSequence;
                    model.Release(c);
                    Conversation = null;
                }
            }
            model._wake.Release();
        }
    }

    /// <summary>One <see cref="ISequence.GenerateAsync"/> call in progress.</summary>
    private sealed class Request(GenerationRequest request, Action<GeneratedPiece>? onPiece)
    {
        public GenerationRequest Spec { get; } = request;
        public Action<GeneratedPiece>? OnPiece { get; } = onPiece;
        public TaskCompletionSource<Generation> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public StringBuilder Text { get; } = new();
        public int Tokens;
    }

    /// <summary>
    /// The lock-step loop: admit waiting forks while the pool has room; prompt each active sequence's pending tokens;
    /// one Infer for all of them; sample one token for each; repeat. Callbacks run after the lock is released.
    /// </summary>
    private async Task DecodeLoopAsync()
    {
        var ct = _shutdown.Token;
        var callbacks = new List<Action>();
        while (!ct.IsCancellationRequested)
        {
            bool prompted;
            lock (_gate)
            {
                Admit();
                prompted = PromptPending();
                _inferring = prompted;
            }
            if (prompted)
            {
                try
                {
                    while (_executor.BatchQueueCount > 0)
                    {
                        var result = await _executor.Infer(ct).ConfigureAwait(false);
                        if (result != DecodeResult.Ok)
                            throw new InvalidOperationException($"llama.cpp could not decode the batch: {result}{(result == DecodeResult.NoKvSlot ? " (the KV pool is full)" : "")}.");
                    }
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
                catch (Exception e)
                {
                    lock (_gate)
                    {
                        _inferring = false;
                        FailEverything(e);
                    }
                    continue;
                }
            }
            bool sampled;
            lock (_gate)
            {
                _inferring = false;
                foreach (var c in _disposeAfterInfer.Where(c => !c.RequiresInference).ToList())
                {
                    c.Dispose();
                    _liveConversations--;
                    _disposeAfterInfer.Remove(c);
                }
                foreach (var job in _prompts.Where(j => j.Pending.Count == 0 && !j.Root.RequiresInference)) job.Done.TrySetResult();
                sampled = SampleAll(callbacks);
            }
            foreach (var callback in callbacks) callback();
            callbacks.Clear();
            if (!prompted && !sampled)
            {
                try { await _wake.WaitAsync(ct).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    /// <summary>Forks waiting sequences from their prompt while cells and sequence slots allow (waves otherwise).</summary>
    private void Admit()
    {
        while (_waiting.Count > 0)
        {
            var s = _waiting.Peek();
            if (s.Disposed || s.Prompt.Disposed)
            {
                _waiting.Dequeue();
                continue;
            }
            if (_liveConversations >= _options.MaxParallelSequences || PoolTokens - _reservedTokens < s.Prompt.PerSequence) return;
            s.Conversation = s.Prompt.Root.Fork();
            _liveConversations++;
            _reservedTokens += s.Prompt.PerSequence;
            _live.Add(s);
            _waiting.Dequeue();
        }
    }

    /// <summary>Queues each prompt's and each generating sequence's pending tokens (at most a batch each).</summary>
    private bool PromptPending()
    {
        bool any = false;
        foreach (var job in _prompts)
            if (job.Pending.Count > 0 && !job.Root.RequiresInference)
            {
                Feed(job.Root, job.Pending);
                any = true;
            }
        foreach (var s in _live)
            if (s.Active is not null && s.Pending.Count > 0 && s.Conversation is { RequiresInference: false } c)
            {
                Feed(c, s.Pending);
                any = true;
            }
        return any;
    }

    private void Feed(Conversation conversation, List<LLamaToken> pending)
    {
        int n = Math.Min(pending.Count, _options.BatchSize);
        _promptedTokens += n;
        conversation.Prompt(pending.GetRange(0, n));
        pending.RemoveRange(0, n);
    }

    /// <summary>Samples the next token of every generating sequence whose pending tokens have all been evaluated.</summary>
    private bool SampleAll(List<Action> callbacks)
    {
        bool any = false;
        foreach (var s in _live.ToList())
        {
            if (s.Active is not { } r || s.Conversation is not { } c || s.Pending.Count > 0 || !c.RequiresSampling) continue;
            any = true;
            var logits = c.Sample();
            if (s.CaptureLogits) { s.CapturedLogits = logits.ToArray(); s.CaptureLogits = false; }
            var (token, probability) = s.Sampler.Sample(logits, s.CurrentSampling);
            r.Tokens++;
            s.Generated++;
            if (((LLamaToken)token).IsEndOfGeneration(_weights.Vocab))
            {
                Complete(s, r, StopReason.EndOfSequence, null, callbacks);
                continue;
            }
            s.Pending.Add(token);
            _sampledTokensFed++;
            s.Decoder.Add(token);
            var piece = s.Decoder.Read();
            int before = r.Text.Length;
            r.Text.Append(piece);
            var (stopEnd, stop) = FindStop(r.Text, before, r.Spec.StopStrings);
            if (stop is not null)
            {
                r.Text.Length = stopEnd;
                piece = stopEnd > before ? piece[..(stopEnd - before)] : "";
            }
            if (piece.Length > 0 && r.OnPiece is { } onPiece)
            {
                var p = new GeneratedPiece(piece, probability);
                callbacks.Add(() => onPiece(p));
            }
            if (stop is not null) Complete(s, r, StopReason.StopString, stop, callbacks);
            else if (r.Tokens >= r.Spec.MaxNewTokens || c.TokenCount + s.Pending.Count >= s.Prompt.PerSequence + s.Prompt.TokenCount)
                Complete(s, r, StopReason.TokenLimit, null, callbacks);
        }
        return any;
    }

    /// <summary>The earliest stop string completed by the text added from <paramref name="from"/> on (stop strings may span tokens).</summary>
    private static (int End, string? Stop) FindStop(StringBuilder text, int from, IReadOnlyList<string> stops)
    {
        int bestEnd = int.MaxValue;
        string? best = null;
        foreach (var stop in stops)
        {
            if (stop.Length == 0) continue;
            int start = Math.Max(0, from - stop.Length + 1);
            int length = text.Length - start;
            if (length < stop.Length) continue;
            int at = text.ToString(start, length).IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && start + at + stop.Length < bestEnd)
            {
                bestEnd = start + at + stop.Length;
                best = stop;
            }
        }
        return (best is null ? text.Length : bestEnd, best);
    }

    private static void Complete(Sequence s, Request r, StopReason reason, string? stop, List<Action> callbacks)
    {
        s.Active = null;
        var generation = new Generation { Text = r.Text.ToString(), StopReason = reason, TokenCount = r.Tokens, StopString = stop };
        callbacks.Add(() => r.Done.TrySetResult(generation));
    }

    private void FailEverything(Exception e)
    {
        foreach (var s in _live) s.Fail(e);
        foreach (var job in _prompts) job.Done.TrySetException(e);
    }
}
