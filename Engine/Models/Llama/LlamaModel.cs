using System.Text;
using LLama;
using LLama.Batched;
using LLama.Common;
using LLama.Native;
using Microsoft.Extensions.Logging;
using Numina.Engine.Models.Gguf;

namespace Numina.Engine.Models.Llama;

/// <summary>
/// <see cref="ILanguageModel"/> on LLamaSharp's <see cref="BatchedExecutor"/>, the way llama.cpp's examples/batched
/// does it: the prompt is evaluated once into a root conversation; each candidate is a fork sharing its KV cells.
/// One decode loop advances every sequence that is inside <see cref="ISequence.GenerateAsync"/> by one token per step
/// (prompt the pending tokens of each → one Infer for all → sample each). A sequence that stopped for its code to
/// run simply has no request; <see cref="ISequence.Append"/> queues its tool output, fed with its next step.
/// </summary>
public sealed partial class LlamaModel : ILanguageModel
{
    private readonly LLamaWeights _weights;
    private readonly LlamaTokenizer _tokenizer;
    private readonly BatchedExecutor _executor;
    private readonly LlamaModelOptions _options;
    private readonly ILogger? _log;
    private readonly object _gate = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly List<Sequence> _live = [];
    private readonly List<PromptJob> _prompts = [];
    private readonly Queue<Sequence> _waiting = new();
    private readonly List<Conversation> _disposeAfterInfer = [];
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Task _loop;
    private int _reservedTokens;
    private int _liveConversations;
    private bool _inferring;
    private long _promptedTokens, _sampledTokensFed;

    /// <summary>Tokens evaluated from prompts and appended tool output (not the model's own sampled tokens).</summary>
    public long PrefillTokens => Interlocked.Read(ref _promptedTokens) - Interlocked.Read(ref _sampledTokensFed);

    public ModelFacts Facts { get; private set; }
    public GgufHeader Header { get; }
    public int PoolTokens { get; }
    /// <summary>The cells one sequence can hold: the whole pool (shared), or its own stream (per sequence).</summary>
    public int StreamTokens { get; }
    public LLamaWeights Weights => _weights;

    private LlamaModel(LLamaWeights weights, BatchedExecutor executor, LlamaModelOptions options, GgufHeader header, ILogger? log)
    {
        (_weights, _executor, _options, Header, _log) = (weights, executor, options, header, log);
        _tokenizer = new LlamaTokenizer(weights);
        PoolTokens = (int)executor.Context.ContextSize;
        // llama.cpp gives each of n_seq_max streams n_ctx / n_seq_max cells (n_ctx rounded to a whole number of them).
        StreamTokens = options.KvLayout == KvLayout.PerSequence ? PoolTokens / options.MaxParallelSequences : PoolTokens;
        Facts = ModelFactsFrom(header, options) with
        {
            VocabularySize = _tokenizer.Count,
            AddsBos = _tokenizer.AddsBos,
            Tokenizer = (header.GetString("tokenizer.ggml.model") ?? "?") + (header.GetString("tokenizer.ggml.pre") is { } pre ? $" (pre-tokenizer {pre})" : ""),
        };
        _loop = Task.Factory.StartNew(DecodeLoopAsync, TaskCreationOptions.LongRunning).Unwrap();
    }

    /// <summary>
    /// Loads a GGUF model, with a clear error for a missing, non-GGUF, corrupt or unsupported file (llama.cpp's own
    /// reason when it refuses one), and after checking that the memory plan fits the machine (see <see cref="MemoryPlanner"/>).
    /// </summary>
    public static LlamaModel Load(LlamaModelOptions options, ILogger? log = null)
    {
        if (string.IsNullOrWhiteSpace(options.Path)) throw new ModelFileException("No model file is configured (Engine:Model:Path).");
        if (options.KvPoolTokens < 64) throw new ArgumentException($"The KV pool must hold at least 64 tokens (got {options.KvPoolTokens}).");
        if (options.MaxParallelSequences is < 2 or > 256) throw new ArgumentException($"Max parallel sequences must be between 2 and 256 (got {options.MaxParallelSequences}).");
        var header = GgufReader.ReadHeader(options.Path);
        var architecture = header.GetString("general.architecture")
            ?? throw new ModelFileException($"'{options.Path}' has no general.architecture: it is not a model file llama.cpp can run.");
        var plan = MemoryPlanner.Plan(header, new FileInfo(options.Path).Length, options);
        MemoryPlanner.EnsureFits(plan, options);
        LlamaNative.EnsureConfigured(log);
        var kvType = options.KvCacheType switch
        {
            KvCacheType.F16 => GGMLType.GGML_TYPE_F16,
            KvCacheType.Q8_0 => GGMLType.GGML_TYPE_Q8_0,
            _ => GGMLType.GGML_TYPE_F32,
        };
        var parameters = new ModelParams(options.Path)
        {
            ContextSize = (uint)options.KvPoolTokens,
            GpuLayerCount = options.GpuLayers,
            LoadMode = options.MemoryMap ? LLamaLoadMode.MemoryMap : LLamaLoadMode.None,
            BatchSize = (uint)options.BatchSize,
            UBatchSize = (uint)Math.Min(options.BatchSize, 512),
            SeqMax = (uint)options.MaxParallelSequences,
            Threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount,
            BatchThreads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount,
            KVUnified = options.KvLayout == KvLayout.Shared,
            FlashAttention = options.FlashAttention,
            TypeK = kvType,
            TypeV = kvType,
        };
        var (weights, loadLines, loadError) = LlamaNative.Capture(() => LLamaWeights.LoadFromFile(parameters));
        if (weights is null)
            throw new ModelFileException($"llama.cpp could not load '{options.Path}' (architecture '{architecture}'): {LlamaNative.Reason(loadLines) ?? loadError?.Message ?? "no reason given"}", loadError);
        var (executor, contextLines, contextError) = LlamaNative.Capture(() => new BatchedExecutor(weights, parameters));
        if (executor is null)
        {
            weights.Dispose();
            throw new ModelFileException($"llama.cpp could not create a context for '{options.Path}' with a {options.KvPoolTokens}-token KV pool: {LlamaNative.Reason(contextLines) ?? contextError?.Message ?? "no reason given"}", contextError);
        }
        var lines = loadLines.Concat(contextLines).ToList();
        var warnings = LlamaNative.Warnings(lines);
        foreach (var w in warnings) log?.LogWarning("{Model}: llama.cpp: {Warning}", Path.GetFileName(options.Path), w);
        var model = new LlamaModel(weights, executor, options, header, log);
        model.Facts = model.Facts with { Warnings = warnings, Memory = plan with { Reported = LlamaNative.BufferSizes(lines) } };
        model.LoadLog = lines;
        return model;
    }

    /// <summary>llama.cpp's log while this model loaded (every level but debug).</summary>
    public IReadOnlyList<LlamaLogLine> LoadLog { get; private set; } = [];

    private static ModelFacts ModelFactsFrom(GgufHeader header, LlamaModelOptions options)
    {
        var arch = header.GetString("general.architecture") ?? "";
        return new ModelFacts
        {
            Name = header.GetString("general.name") ?? Path.GetFileNameWithoutExtension(options.Path),
            Architecture = arch,
            Parameters = header.ParameterCount,
            Quantization = FileTypeName(header.GetInteger("general.file_type")),
            ContextLength = (int)(header.GetInteger($"{arch}.context_length") ?? 0),
            ChatTemplate = header.GetString("tokenizer.chat_template"),
            Device = options.GpuLayers > 0 ? $"GPU ({options.GpuLayers} layers offloaded)" : "CPU",
        };
    }

    private static string FileTypeName(long? fileType) => fileType switch
    {
        null => "unknown",
        0 => "F32", 1 => "F16", 2 => "Q4_0", 3 => "Q4_1", 7 => "Q8_0", 8 => "Q5_0", 9 => "Q5_1", 10 => "Q2_K",
        11 => "Q3_K_S", 12 => "Q3_K_M", 13 => "Q3_K_L", 14 => "Q4_K_S", 15 => "Q4_K_M", 16 => "Q5_K_S", 17 => "Q5_K_M",
        18 => "Q6_K", 32 => "BF16",
        _ => $"file type {fileType}",
    };

    /// <summary>The model's logits for the token after <paramref name="prompt"/> (BOS added): for parity checks against other runtimes.</summary>
    public async Task<float[]> NextTokenLogitsAsync(string prompt, CancellationToken cancellationToken = default)
    {
        using var state = await EvaluatePromptAsync(PromptText.Plain(prompt), new PromptOptions { MaxSequenceTokens = Math.Min(PoolTokens / 2, 4096) }, cancellationToken).ConfigureAwait(false);
        using var sequence = (Sequence)state.Fork(new SamplingSettings { Temperature = 0 });
        lock (_gate) sequence.CaptureLogits = true;
        await sequence.GenerateAsync(new GenerationRequest { MaxNewTokens = 1 }, null, cancellationToken).ConfigureAwait(false);
        lock (_gate) return sequence.CapturedLogits ?? throw new InvalidOperationException("No logits were captured.");
    }

    /// <summary>llama.cpp's tokens for plain text (no BOS, special tokens as plain text).</summary>
    public int[] Tokenize(string text)
    {
        lock (_gate) return _tokenizer.Tokenize(text);
    }

    /// <summary>The tokens appended text enters a sequence as: they spell exactly the text (see <see cref="LlamaTokenizer"/>).</summary>
    public int[] TokenizeContinuation(string text)
    {
        lock (_gate) return _tokenizer.TokenizeContinuation(text);
    }

    /// <summary>A prompt's tokens: special tokens only from template parts, one BOS when the model wants it.</summary>
    public int[] TokenizePrompt(PromptText prompt)
    {
        lock (_gate) return _tokenizer.TokenizePrompt(prompt);
    }

    /// <summary>A prompt's text from its tokens (see <see cref="LlamaTokenizer.DecodePrompt"/>); a leading BOS counts as added by the tokenizer.</summary>
    public string DetokenizePrompt(IReadOnlyList<int> tokens)
    {
        lock (_gate) return _tokenizer.DecodePrompt(tokens, addedBos: tokens.Count > 0 && tokens[0] == _tokenizer.Bos && _tokenizer.AddsBos);
    }

    /// <summary>The exact text of tokens (special tokens as their own text).</summary>
    public string Detokenize(IEnumerable<int> tokens)
    {
        lock (_gate) return _tokenizer.Decode(tokens);
    }

    public string ApplyChatTemplate(IReadOnlyList<ChatMessage> messages, string? template)
    {
        var source = template ?? Facts.ChatTemplate
            ?? throw new ChatTemplateException($"The model '{Facts.Name}' has no chat template (tokenizer.chat_template).");
        return LlamaTokenizer.ApplyChatTemplate(source, messages, addAssistant: true);
    }

    public async Task<IPromptState> EvaluatePromptAsync(PromptText prompt, PromptOptions options, CancellationToken cancellationToken)
    {
        int[] ids;
        bool addedBos;
        lock (_gate) ids = _tokenizer.TokenizePrompt(prompt, out addedBos);
        if (ids.Length == 0) throw new InvalidOperationException("The prompt is empty and the model adds no BOS token: there is nothing to continue.");
        var tokens = ids.Select(t => (LLamaToken)t).ToArray();
        int perSequence = options.MaxSequenceTokens - tokens.Length;
        if (perSequence < 1)
            throw new InvalidOperationException($"The prompt has {tokens.Length} tokens: a context size of {options.MaxSequenceTokens} leaves no room to generate. Raise the context size.");
        bool perStream = _options.KvLayout == KvLayout.PerSequence;
        if (perStream && tokens.Length + perSequence > StreamTokens)
            throw new InvalidOperationException(
                $"A sequence's KV stream holds {StreamTokens} tokens (Engine:Model:KvPoolTokens {PoolTokens} / MaxParallelSequences {_options.MaxParallelSequences}, KvLayout PerSequence): " +
                $"a {options.MaxSequenceTokens}-token context does not fit. Lower the context size, or raise KvPoolTokens or lower MaxParallelSequences.");
        // What the root and each fork take from the pool: a shared pool's fork takes only its own new tokens; a
        // stream is taken whole.
        int rootCells = perStream ? StreamTokens : tokens.Length, forkCells = perStream ? StreamTokens : perSequence;
        PromptJob job;
        lock (_gate)
        {
            int free = PoolTokens - _reservedTokens;
            if (rootCells + forkCells > free)
                throw new InvalidOperationException(
                    $"The KV pool ({PoolTokens} tokens, {free} free) cannot hold even one candidate: the prompt ({tokens.Length}) plus a {options.MaxSequenceTokens}-token context" +
                    (perStream ? $" in streams of {StreamTokens} cells each. " : ". ") +
                    $"Lower the context size or raise Engine:Model:KvPoolTokens.");
            _reservedTokens += rootCells;
            int bySlots = _options.MaxParallelSequences - 1 - _liveConversations;
            int concurrent = Math.Max(1, Math.Min(bySlots, (free - rootCells) / forkCells));
            var plan = new SequencePlan { PoolTokens = PoolTokens, TokensPerSequence = perSequence, Concurrent = concurrent, Requested = options.Sequences };
            job = new PromptJob(this, _executor.Create(), tokens.ToList(), perSequence, plan) { Tokens = ids, AddedBos = addedBos, RootCells = rootCells, ForkCells = forkCells };
            _liveConversations++;
            _prompts.Add(job);
        }
        if (job.Plan.Waves) _log?.LogInformation("{Plan}", job.Plan);
        _wake.Release();
        using (cancellationToken.Register(() => job.Done.TrySetCanceled(cancellationToken)))
        {
            try { await job.Done.Task.ConfigureAwait(false); }
            catch { job.Dispose(); throw; }
        }
        return job;
    }

    /// <summary>One evaluated prompt: the root conversation that candidates fork from.</summary>
    /// <remarks>
    /// The root evaluates all prompt tokens but the last; every fork feeds that last token itself, so each fork gets
    /// its own fresh logits whenever it starts (the root's logits go stale as soon as other batches run).
    /// </remarks>
    private sealed class PromptJob(LlamaModel model, Conversation root, List<LLamaToken> tokens, int perSequence, SequencePlan plan) : IPromptState
    {
        public Conversation Root { get; } = root;
        public List<LLamaToken> Pending { get; } = tokens[..^1];
        public LLamaToken LastToken { get; } = tokens[^1];
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int TokenCount { get; } = tokens.Count;
        public required int[] Tokens { get; init; }
        /// <summary>Whether the tokenizer put the BOS in front (the prompt's text does not show it).</summary>
        public bool AddedBos { get; init; }
        public int PerSequence { get; } = perSequence;
        /// <summary>KV cells reserved for the root, and for each fork.</summary>
        public required int RootCells { get; init; }
        public required int ForkCells { get; init; }
        public SequencePlan Plan { get; } = plan;
        public bool Disposed { get; private set; }

        public ISequence Fork(SamplingSettings sampling)
        {
            ObjectDisposedException.ThrowIf(Disposed, this);
            if (!Done.Task.IsCompletedSuccessfully) throw new InvalidOperationException("The prompt has not been evaluated.");
            var sequence = new Sequence(model, this, sampling);
            model.Enqueue(sequence);
            return sequence;
        }

        public void Dispose()
        {
            lock (model._gate)
            {
                if (Disposed) return;
                Disposed = true;
                model._prompts.Remove(this);
                model._reservedTokens -= RootCells;
                model.Release(Root);
            }
            model._wake.Release();
        }
    }

    private void Enqueue(Sequence sequence)
    {
        lock (_gate) _waiting.Enqueue(sequence);
        _wake.Release();
    }

    /// <summary>
    /// Disposes a conversation (freeing its KV cells and sequence id) now, or after the current Infer when one is
    /// running or when tokens of this conversation are still queued in a batch. Call with the lock held.
    /// </summary>
    private void Release(Conversation conversation)
    {
        if (_inferring || conversation.RequiresInference) _disposeAfterInfer.Add(conversation);
        else
        {
            conversation.Dispose();
            _liveConversations--;
        }
    }

    /// <summary>
    /// How many sequences of <paramref name="contextSize"/> tokens (prompt and generation) the pool holds at once, each
    /// with its own prompt at worst (in streams a prompt takes a stream of its own).
    /// </summary>
    public int SequencesThatFit(int contextSize) => _options.KvLayout == KvLayout.PerSequence
        ? (StreamTokens >= contextSize ? _options.MaxParallelSequences / 2 : 0)
        : PoolTokens / Math.Max(1, contextSize);

    /// <summary>Whether the model was unloaded (its native memory freed).</summary>
    public bool IsDisposed { get; private set; }

    public async ValueTask DisposeAsync()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        await _shutdown.CancelAsync().ConfigureAwait(false);
        _wake.Release();
        try { await _loop.ConfigureAwait(false); } catch (OperationCanceledException) { }
        lock (_gate)
        {
            foreach (var s in _live.ToList()) s.Fail(new ObjectDisposedException(nameof(LlamaModel)));
            _executor.Dispose();
            _weights.Dispose();
        }
    }
}
