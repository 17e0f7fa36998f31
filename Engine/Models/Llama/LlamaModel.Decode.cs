using System.Text;
using LLama;
using LLama.Batched;
using LLama.Native;

namespace Numina.Engine.Models.Llama;

public sealed partial class LlamaModel
{
    /// <summary>One candidate's sequence: a fork of the prompt, admitted when the KV pool has room for it.</summary>
    private sealed class Sequence(LlamaModel model, PromptJob prompt, SamplingSettings sampling) : ISequence, IInspectableSequence
    {
        public PromptJob Prompt { get; } = prompt;
        public Conversation? Conversation;
        /// <summary>Tokens to feed with the next step: the last sampled token and any appended tool output.</summary>
        public List<LLamaToken> Pending { get; } = [prompt.LastToken];
        /// <summary>Every token after the shared prompt that is in this sequence's cache or pending for it, in order.</summary>
        public List<int> Context { get; } = [];
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

        public IReadOnlyList<int> ContextTokens
        {
            get { lock (model._gate) return [.. Prompt.Tokens, .. Context]; }
        }

        public string DecodeContext()
        {
            lock (model._gate) return model._tokenizer.DecodePrompt(Prompt.Tokens, Prompt.AddedBos) + model._tokenizer.Decode(Context);
        }

        /// <summary>Tool output enters exactly as written (see <see cref="LlamaTokenizer.TokenizeContinuation"/>).</summary>
        public int Append(string text)
        {
            lock (model._gate)
            {
                ObjectDisposedException.ThrowIf(Disposed, this);
                if (Active is not null) throw new InvalidOperationException("Cannot append while the sequence is generating.");
                var tokens = model._tokenizer.TokenizeContinuation(text);
                // Its share of the pool was reserved for PerSequence tokens after the prompt: more would take cells
                // from other sequences (or overflow its stream) and fail every sequence's next step.
                if (Context.Count + tokens.Length > Prompt.PerSequence)
                    throw new ContextFullException(
                        $"The tool output ({tokens.Length} tokens) does not fit in the candidate's context: {Prompt.TokenCount} prompt + {Context.Count} tokens of a {Prompt.TokenCount + Prompt.PerSequence}-token context are used. Raise the context size to keep such candidates going.");
                Feed(tokens);
                Appended += tokens.Length;
                return tokens.Length;
            }
        }

        /// <summary>Queues tokens that the model reads but did not sample (tool output, the cut text of a stop).</summary>
        public void Feed(IReadOnlyList<int> tokens)
        {
            foreach (var t in tokens) Pending.Add(t);
            Context.AddRange(tokens);
        }

        public Task<Generation> GenerateAsync(GenerationRequest request, Action<GeneratedPiece>? onPiece, CancellationToken cancellationToken)
        {
            if (request.MaxNewTokens < 1) throw new ArgumentOutOfRangeException(nameof(request), "MaxNewTokens must be at least 1.");
            var r = new Request(request, onPiece);
            lock (model._gate)
            {
                ObjectDisposedException.ThrowIf(Disposed, this);
                if (Active is not null) throw new InvalidOperationException("The sequence is already generating.");
                if (request.Seed is { } seed) Sampler.Reseed(seed);
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
                    model._reservedTokens -= Prompt.ForkCells;
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
        /// <summary>This round's bytes, and where each sampled token's bytes end: a stop is cut on them.</summary>
        public List<byte> Bytes { get; } = [];
        public List<int> TokenEnds { get; } = [];
        /// <summary>Holds a character's first bytes until its last byte comes (a token may end inside a character).</summary>
        public Decoder Utf8 { get; } = Encoding.UTF8.GetDecoder();
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
            if (_liveConversations >= _options.MaxParallelSequences || PoolTokens - _reservedTokens < s.Prompt.ForkCells) return;
            s.Conversation = Fork(s.Prompt.Root);
            _liveConversations++;
            _reservedTokens += s.Prompt.ForkCells;
            _live.Add(s);
            _waiting.Dequeue();
        }
    }

    /// <summary>
    /// A new sequence with the root's tokens. In a shared pool it shares the root's cells. In its own stream it gets a
    /// copy of the root's: llama.cpp copies a stream only whole (LLamaSharp's Fork asks for a range and would abort),
    /// so the copy is asked for here and the conversation told where it ends. It needs no logits from the root:
    /// each fork feeds the prompt's last token itself (see <see cref="PromptJob"/>).
    /// </summary>
    private Conversation Fork(Conversation root)
    {
        if (_options.KvLayout == KvLayout.Shared) return root.Fork();
        var fork = _executor.Create();
        _executor.Context.NativeHandle.MemorySequenceCopy(root.ConversationId, fork.ConversationId, -1, -1);
        int end = root.TokenCount;
        fork.Modify((_, _) => end);
        return fork;
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
        {
            if (s.Active is null || s.Conversation is not { RequiresInference: false } c) continue;
            if (s.Pending.Count == 0 && !c.RequiresSampling)
            {
                // Its last logits are gone (other batches ran, or its cache was cut): evaluate its last token again.
                c.Rewind(1);
                s.Pending.Add(s.Context.Count > 0 ? s.Context[^1] : s.Prompt.LastToken);
            }
            if (s.Pending.Count > 0)
            {
                Feed(c, s.Pending);
                any = true;
            }
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

    /// <summary>
    /// Samples the next token of every generating sequence whose pending tokens have all been evaluated. Every sampled
    /// token is reported with its probability, also when it adds no text yet (a character's first bytes) or ends the
    /// sequence.
    /// </summary>
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
                Publish(r, "", probability, callbacks);
                Complete(s, r, StopReason.EndOfSequence, null, callbacks);
                continue;
            }
            s.Pending.Add(token);
            s.Context.Add(token);
            _sampledTokensFed++;
            var bytes = _tokenizer.Bytes(token);
            r.Bytes.AddRange(bytes);
            r.TokenEnds.Add(r.Bytes.Count);
            var chars = new char[r.Utf8.GetCharCount(bytes, flush: false)];
            r.Utf8.GetChars(bytes, chars, flush: false);
            var piece = new string(chars);
            int before = r.Text.Length;
            r.Text.Append(piece);
            var (stopEnd, stop) = StopStrings.FindEarliest(r.Text, before, r.Spec.StopStrings);
            if (stop is not null)
            {
                r.Text.Length = stopEnd;
                piece = stopEnd > before ? piece[..(stopEnd - before)] : "";
                CutToStop(s, r);
            }
            Publish(r, piece, probability, callbacks);
            if (stop is not null) Complete(s, r, StopReason.StopString, stop, callbacks);
            else if (r.Tokens >= r.Spec.MaxNewTokens || c.TokenCount + s.Pending.Count >= s.Prompt.PerSequence + s.Prompt.TokenCount)
                Complete(s, r, StopReason.TokenLimit, null, callbacks);
        }
        return any;
    }

    private static void Publish(Request r, string piece, float probability, List<Action> callbacks)
    {
        if (r.OnPiece is not { } onPiece) return;
        var p = new GeneratedPiece(piece, probability);
        callbacks.Add(() => onPiece(p));
    }

    /// <summary>
    /// A stop string can end inside a token ("```output" then a "\n\n\n" token, where the stop is "```output\n"): the
    /// transcript keeps the text up to the stop's end, so the model's context must too. The tokens that run past it
    /// leave the context (the last one is still pending; earlier ones, rarely, are taken out of the cache) and the
    /// part of their text before the cut is fed back as tokens that spell exactly it.
    /// </summary>
    private void CutToStop(Sequence s, Request r)
    {
        int kept = Encoding.UTF8.GetByteCount(r.Text.ToString());
        int first = r.TokenEnds.FindIndex(end => end > kept);
        if (first < 0) return; // the stop ends on a token boundary
        int Start(int i) => i == 0 ? 0 : r.TokenEnds[i - 1];
        while (first > 0 && (r.Bytes[Start(first)] & 0xC0) == 0x80) first--; // cut text must begin on a character
        var cut = Encoding.UTF8.GetString(r.Bytes.GetRange(Start(first), kept - Start(first)).ToArray());
        int drop = r.TokenEnds.Count - first;
        s.Pending.RemoveAt(s.Pending.Count - 1); // the token just sampled was never fed
        _sampledTokensFed--;
        if (drop > 1) s.Conversation!.Rewind(drop - 1);
        s.Context.RemoveRange(s.Context.Count - drop, drop);
        s.Feed(_tokenizer.TokenizeContinuation(cut));
        r.TokenEnds.RemoveRange(first, drop);
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
