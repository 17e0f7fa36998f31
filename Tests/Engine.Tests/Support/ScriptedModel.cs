using Numina.Engine.Models;

namespace Numina.Engine.Tests.Support;

/// <summary>One generation call of a scripted sequence: who asks (its seed), what it has seen, and how often it asked.</summary>
public sealed record ScriptCall(ulong Seed, string Context, int CallNumber, double Temperature = 0);

/// <summary>
/// A test double for the loop: each sequence plays continuations chosen by a script from its seed and context. One
/// character is one token. Stop strings, end of sequence and the token limit behave as a real backend's do, so the
/// loop's checks are exercised for real. Every call is recorded so tests can assert on what the model saw.
/// </summary>
public sealed class ScriptedModel(Func<ScriptCall, string> script) : ILanguageModel
{
    private readonly List<ScriptCall> _calls = [];
    public TimeSpan DelayPerPiece { get; init; } = TimeSpan.Zero;
    public int PieceLength { get; init; } = 7;
    /// <summary>Before each piece: an optional wait chosen per sequence, to shuffle scheduling in tests.</summary>
    public Func<ulong, int, TimeSpan>? Jitter { get; init; }
    /// <summary>Before each piece of a call: a wait chosen from what the sequence has seen (its problem, say).</summary>
    public Func<ScriptCall, TimeSpan>? Delay { get; init; }
    /// <summary>The probability reported with each piece, by call and offset in the continuation (default 1).</summary>
    public Func<ScriptCall, int, float>? Probability { get; init; }
    /// <summary>Tokens a sequence may hold after its prompt, as a real backend's share of the KV pool (null: no limit).</summary>
    public int? ContextRoom { get; set; }
    public int ForkCount;
    public int LiveSequences;
    /// <summary>The most sequences alive at once.</summary>
    public int MostLiveSequences;

    public ModelFacts Facts { get; } = new() { Name = "scripted", Architecture = "script" };

    public IReadOnlyList<ScriptCall> Calls
    {
        get { lock (_calls) return _calls.ToList(); }
    }

    public Task<IPromptState> EvaluatePromptAsync(PromptText prompt, PromptOptions options, CancellationToken cancellationToken) =>
        Task.FromResult<IPromptState>(new Prompt(this, prompt.Text, options));

    /// <summary>A plain chat format of its own: "&lt;|role|&gt;\ncontent\n" per message, then "&lt;|assistant|&gt;\n".</summary>
    public string ApplyChatTemplate(IReadOnlyList<ChatMessage> messages, string? template) =>
        string.Concat(messages.Select(m => $"<|{m.Role}|>\n{m.Content}\n")) + "<|assistant|>\n";

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private sealed class Prompt(ScriptedModel model, string text, PromptOptions options) : IPromptState
    {
        public int TokenCount => text.Length;
        public SequencePlan Plan { get; } = new() { Requested = options.Sequences };

        private bool _disposed;

        public ISequence Fork(SamplingSettings sampling)
        {
            ObjectDisposedException.ThrowIf(_disposed, this); // as a real backend's freed prompt state would
            Interlocked.Increment(ref model.ForkCount);
            int live = Interlocked.Increment(ref model.LiveSequences);
            lock (model._calls) model.MostLiveSequences = Math.Max(model.MostLiveSequences, live);
            return new Sequence(model, text, sampling);
        }

        public void Dispose() => _disposed = true;
    }

    private sealed class Sequence(ScriptedModel model, string prompt, SamplingSettings sampling) : ISequence
    {
        private readonly int _promptTokens = prompt.Length;
        private string _context = prompt;
        private int _generated, _appended, _calls;
        private bool _disposed;

        public SamplingSettings Sampling { get; set; } = sampling;
        public SequenceTokens Tokens => new(_promptTokens, _generated, _appended);

        public int Append(string text)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (model.ContextRoom is { } room && _generated + _appended + text.Length > room)
                throw new ContextFullException($"The tool output ({text.Length} tokens) does not fit: {_generated + _appended} of {room} used.");
            _context += text;
            _appended += text.Length;
            return text.Length;
        }

        public async Task<Generation> GenerateAsync(GenerationRequest request, Action<GeneratedPiece>? onPiece, CancellationToken cancellationToken)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var call = new ScriptCall(Sampling.Seed, _context, ++_calls, Sampling.Temperature);
            lock (model._calls) model._calls.Add(call);
            var continuation = model.Invoke(call);

            var (text, reason, stop) = (continuation, StopReason.EndOfSequence, (string?)null);
            int cut = int.MaxValue;
            foreach (var s in request.StopStrings)
            {
                int at = continuation.IndexOf(s, StringComparison.Ordinal);
                if (at >= 0 && at + s.Length < cut) { cut = at + s.Length; stop = s; }
            }
            if (stop is not null) (text, reason) = (continuation[..cut], StopReason.StopString);
            if (text.Length > request.MaxNewTokens) (text, reason, stop) = (text[..request.MaxNewTokens], StopReason.TokenLimit, null);

            for (int i = 0; i < text.Length; i += model.PieceLength)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var wait = model.Jitter?.Invoke(Sampling.Seed, i) ?? model.Delay?.Invoke(call) ?? model.DelayPerPiece;
                if (wait > TimeSpan.Zero) await Task.Delay(wait, cancellationToken);
                else await Task.Yield();
                onPiece?.Invoke(new GeneratedPiece(text.Substring(i, Math.Min(model.PieceLength, text.Length - i)), model.Probability?.Invoke(call, i) ?? 1f));
            }
            _context += text;
            _generated += text.Length;
            return new Generation { Text = text, StopReason = reason, TokenCount = text.Length, StopString = stop };
        }

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            Interlocked.Decrement(ref model.LiveSequences);
        }
    }

    private string Invoke(ScriptCall call) => script(call);

    /// <summary>
    /// A script by candidate: <paramref name="rounds"/>[candidate][attempt] lists the continuations of that attempt's
    /// rounds in order. Seeds identify the (candidate, attempt) as the loop derives them from the run seed.
    /// </summary>
    public static ScriptedModel PerCandidate(ulong runSeed, params string[][][] rounds)
    {
        var bySeed = new Dictionary<ulong, string[]>();
        for (int c = 0; c < rounds.Length; c++)
            for (int a = 0; a < rounds[c].Length; a++)
                bySeed[Runs.Seeds.ForAttempt(runSeed, c, a)] = rounds[c][a];
        return new ScriptedModel(call =>
            bySeed.TryGetValue(call.Seed, out var script) && call.CallNumber <= script.Length
                ? script[call.CallNumber - 1]
                : throw new InvalidOperationException($"No script for seed {call.Seed}, call {call.CallNumber}."));
    }
}
