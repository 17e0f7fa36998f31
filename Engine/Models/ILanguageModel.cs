namespace Numina.Engine.Models;

/// <summary>
/// A language model made for SC-TIR: a problem's prompt is evaluated once (<see cref="EvaluatePromptAsync"/>),
/// then forked into candidates (<see cref="IPromptState.Fork"/>), each a <see cref="ISequence"/> with its own cache.
///
/// Lock-step batching is the backend's job: every sequence that is inside <see cref="ISequence.GenerateAsync"/>
/// at a given moment is advanced together, one token per step (LLamaSharp's BatchedExecutor: one Infer() for all;
/// an OpenAI-compatible server: concurrent requests that the server batches). A candidate that stops for its code to
/// run leaves the batch simply by returning; it rejoins by calling <see cref="ISequence.GenerateAsync"/> again after
/// <see cref="ISequence.Append"/>. There is no global round barrier.
///
/// Determinism: a sequence's text may depend only on its own context and its own <see cref="SamplingSettings.Seed"/>,
/// never on which other sequences happened to share its steps.
/// </summary>
public interface ILanguageModel : IAsyncDisposable
{
    ModelFacts Facts { get; }

    /// <summary>Evaluates the prompt once; every candidate forks from the result.</summary>
    Task<IPromptState> EvaluatePromptAsync(PromptText prompt, PromptOptions options, CancellationToken cancellationToken);

    /// <summary>
    /// Renders chat messages through a chat template, ending with the opening of the assistant's turn: the model's own
    /// (<c>tokenizer.chat_template</c>) when <paramref name="template"/> is null, else a template or template name the
    /// backend knows. Throws <see cref="ChatTemplateException"/> when it cannot.
    /// </summary>
    string ApplyChatTemplate(IReadOnlyList<ChatMessage> messages, string? template);
}


/// <summary>What a run will ask of an evaluated prompt: how many sequences, each up to how many tokens.</summary>
public sealed record PromptOptions
{
    /// <summary>A sequence's whole context (prompt + generated + appended) stops growing here.</summary>
    public int MaxSequenceTokens { get; init; } = 4096;
    /// <summary>How many sequences the run wants at once (width N); the backend may queue them in waves.</summary>
    public int Sequences { get; init; } = 1;
}

/// <summary>How the backend will hold a run's sequences: how many at once, and whether the rest wait in waves.</summary>
public sealed record SequencePlan
{
    /// <summary>KV cells (tokens) of the whole pool.</summary>
    public int PoolTokens { get; init; }
    /// <summary>Cells reserved for each sequence beyond the shared prompt.</summary>
    public int TokensPerSequence { get; init; }
    /// <summary>Sequences that can decode at once; more wait until one is disposed.</summary>
    public int Concurrent { get; init; } = int.MaxValue;
    public int Requested { get; init; }
    public bool Waves => Concurrent < Requested;

    public override string ToString() => Waves
        ? $"KV pool of {PoolTokens} tokens holds {Concurrent} of {Requested} sequences at once ({TokensPerSequence} tokens each beyond the prompt); the rest queue in waves"
        : $"all {Requested} sequences fit at once";
}

/// <summary>An evaluated prompt, kept for the life of a run so that candidates can fork (and restart) from it.</summary>
public interface IPromptState : IDisposable
{
    int TokenCount { get; }

    SequencePlan Plan { get; }

    /// <summary>A new sequence continuing the prompt, sharing its cached state. Restart = dispose + fork again.</summary>
    ISequence Fork(SamplingSettings sampling);
}

/// <summary>One candidate's growing context: the shared prompt, what the model generated, what tools appended.</summary>
public interface ISequence : IDisposable
{
    /// <summary>Changes apply to tokens sampled from then on (the workbench steers temperature live).</summary>
    SamplingSettings Sampling { get; set; }

    SequenceTokens Tokens { get; }

    /// <summary>
    /// Appends tool output to this sequence's own context (no re-sending of the transcript). It is evaluated with the
    /// next generation step. Returns the number of tokens appended.
    /// </summary>
    int Append(string text);

    /// <summary>
    /// <see cref="Append"/> for backends that must ask another process how many tokens the text is (a model server's
    /// tokenizer); in-process backends answer at once.
    /// </summary>
    Task<int> AppendAsync(string text, CancellationToken cancellationToken) => Task.FromResult(Append(text));

    /// <summary>Generates until a stop string (kept in the returned text), end of sequence, or a token limit.</summary>
    Task<Generation> GenerateAsync(GenerationRequest request, Action<GeneratedPiece>? onPiece, CancellationToken cancellationToken);
}

/// <summary>
/// A sequence whose context can be read back as tokens (in-process backends): what the model reads, to compare with
/// the transcript the record shows.
/// </summary>
public interface IInspectableSequence
{
    /// <summary>The prompt's tokens, then every token generated, appended or fed back since, in order.</summary>
    IReadOnlyList<int> ContextTokens { get; }

    /// <summary>
    /// The text of <see cref="ContextTokens"/>: each token's exact bytes, special tokens as their own text (in the prompt,
    /// less the space a SentencePiece tokenizer puts before each text fragment, which the models were trained with).
    /// </summary>
    string DecodeContext();
}

/// <summary>The sampler of one sequence. Each candidate attempt has its own seed.</summary>
public sealed record SamplingSettings
{
    public double Temperature { get; init; } = 0.8;
    public double TopP { get; init; } = 1.0;
    public int TopK { get; init; }
    public double MinP { get; init; }
    public double RepetitionPenalty { get; init; } = 1.0;
    public ulong Seed { get; init; }
}

public sealed record GenerationRequest
{
    /// <summary>Stop strings, detected on decoded text (they may span tokens).</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];
    public int MaxNewTokens { get; init; } = 2048;
    /// <summary>
    /// When set, the sequence's sampler is reseeded with it before this call, so that each call's draws depend only on
    /// (context, seed): a server request carries one seed, and a round is reproducible on its own.
    /// </summary>
    public ulong? Seed { get; init; }
    /// <summary>
    /// Called when a backend throws away what this call streamed so far (a dropped or stalled stream) and starts it
    /// again, before the first piece of the new try: listeners drop the pieces they were given.
    /// </summary>
    public Action<GenerationRetry>? OnRetry { get; init; }
}

/// <summary>A call started again from its beginning: why, and how many streamed pieces were thrown away.</summary>
public sealed record GenerationRetry(string Reason, int DiscardedTokens, int Try);

/// <summary>
/// The model server failed this call for good (it refused the request, or kept failing after the retries): the
/// candidate fails with the server's message; the run and the other candidates carry on.
/// </summary>
public sealed class ModelServerException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A sequence's context cannot take more tokens (tool output longer than the room left in its share of the KV pool):
/// that candidate ends, with this message; the run and the other candidates carry on.
/// </summary>
public sealed class ContextFullException(string message) : InvalidOperationException(message);

public enum StopReason
{
    StopString,
    EndOfSequence,
    /// <summary>The round's max new tokens, or the context size, was reached.</summary>
    TokenLimit,
}

/// <summary>
/// One generated token as streamed: its text (empty while it holds only the first bytes of a character, and for the
/// end-of-sequence token) and the probability the model gave it. There is one piece per generated token.
/// </summary>
public readonly record struct GeneratedPiece(string Text, float Probability);

/// <summary>A finished generation call.</summary>
public sealed record Generation
{
    public required string Text { get; init; }
    public required StopReason StopReason { get; init; }
    public int TokenCount { get; init; }
    /// <summary>The stop string that ended generation, when <see cref="StopReason"/> is StopString.</summary>
    public string? StopString { get; init; }
    /// <summary>Why the call was started again before this result (remote backends), in order; empty when it was not.</summary>
    public IReadOnlyList<string> Retries { get; init; } = [];
}

/// <summary>Token accounting for one sequence.</summary>
public readonly record struct SequenceTokens(int SharedPrompt, int Generated, int Appended)
{
    public int Total => SharedPrompt + Generated + Appended;
}

/// <summary>What the UI shows about a loaded model.</summary>
public sealed record ModelFacts
{
    public required string Name { get; init; }
    public string Architecture { get; init; } = "";
    public long Parameters { get; init; }
    public string Quantization { get; init; } = "";
    public int ContextLength { get; init; }
    public string? ChatTemplate { get; init; }
    public string Device { get; init; } = "CPU";
    /// <summary>Tokenizer facts: "gpt2" (byte-level BPE) or "llama" (SentencePiece), the pre-tokenizer, vocabulary size.</summary>
    public string Tokenizer { get; init; } = "";
    public int VocabularySize { get; init; }
    /// <summary>Whether prompts start with a BOS token.</summary>
    public bool AddsBos { get; init; }
    /// <summary>Warnings llama.cpp gave while loading (e.g. a missing pre-tokenizer), in its words.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
    /// <summary>The memory the backend planned before loading (weights, KV cache, compute buffers).</summary>
    public MemoryPlan? Memory { get; init; }
}
