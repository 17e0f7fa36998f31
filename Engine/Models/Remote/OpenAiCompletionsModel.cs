using System.Net;
using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Numina.Engine.Models.Llama;
using Polly;
using Polly.Retry;

namespace Numina.Engine.Models.Remote;

/// <summary>
/// <see cref="ILanguageModel"/> on OpenAI-compatible servers' <c>/v1/completions</c> (vLLM, SGLang, llama-server, TGI,
/// another workbench). The prompt goes as raw text, so the preset's chat format and the transcript stay ours. Each
/// round of a candidate sends its whole transcript; the servers' prefix caching (vLLM <c>--enable-prefix-caching</c>,
/// on by default in its V1 engine; SGLang's radix cache; llama-server's <c>cache_prompt</c>) makes that cheap.
///
/// Lock-step batching is the server's: concurrent requests are batched there. Stop strings are detected here on the
/// streamed text (the request also carries them, with <c>include_stop_str_in_output</c>), kept in the transcript as the
/// local backend keeps them, and the request is closed as soon as one is seen.
///
/// Faults are part of the protocol: a refused or dropped connection, a stalled stream, 429 and 5xx answers are retried
/// from the round's start (with backoff, honouring Retry-After, on the least busy healthy replica); the loop is told
/// (<see cref="GenerationRequest.OnRetry"/>) and the record keeps why. A request the server refuses (4xx), or a round
/// that keeps failing, fails its candidate with the server's message (<see cref="ModelServerException"/>).
/// </summary>
public sealed class OpenAiCompletionsModel : ILanguageModel
{
    private readonly RemoteModelOptions _options;
    private readonly HttpClient _http;
    private readonly ReplicaPool _pool;
    private readonly ResiliencePipeline _retry;
    private readonly ILogger? _log;
    private volatile bool _noTokenizer;

    public ModelFacts Facts { get; private set; }
    public RemoteModelOptions Options => _options;

    private OpenAiCompletionsModel(RemoteModelOptions options, ILogger? log, TimeProvider? clock = null)
    {
        (_options, _log) = (options, log);
        _http = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(options.ConnectTimeoutSeconds),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            MaxConnectionsPerServer = int.MaxValue,
            AutomaticDecompression = DecompressionMethods.None,
        }) { Timeout = Timeout.InfiniteTimeSpan }; // reads are timed per chunk: a long stream is not a stalled one
        _pool = new ReplicaPool(options, clock ?? TimeProvider.System);
        _retry = options.MaxRetries == 0 ? ResiliencePipeline.Empty : new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<ServerFault>(),
            MaxRetryAttempts = options.MaxRetries,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromSeconds(options.RetryDelaySeconds),
            MaxDelay = TimeSpan.FromSeconds(options.MaxRetryDelaySeconds),
            DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is ServerFault { RetryAfter: { } after }
                ? (TimeSpan?)TimeSpan.FromSeconds(Math.Min(after.TotalSeconds, options.MaxRetryDelaySeconds))
                : null),
        }).Build();
        var first = options.Endpoints[0];
        Facts = new ModelFacts
        {
            Name = first.Model,
            Architecture = "remote",
            Device = $"server: {string.Join(", ", options.Endpoints.Select(e => e.BaseUrl))}",
            ContextLength = options.ContextLength,
            Tokenizer = "the server's",
        };
    }

    /// <summary>
    /// Connects: asks each endpoint for its models (<c>GET /v1/models</c>) and checks the configured one is served.
    /// Fails with every endpoint's answer when none serves it; a replica that is down while another answers only warns.
    /// </summary>
    public static async Task<OpenAiCompletionsModel> ConnectAsync(RemoteModelOptions options, ILogger? log = null, CancellationToken ct = default, TimeProvider? clock = null)
    {
        var problems = options.Check().ToList();
        if (problems.Count > 0) throw new Settings.InvalidSettingsException(problems);
        var model = new OpenAiCompletionsModel(options, log, clock);
        var answers = new List<string>();
        var warnings = new List<string>();
        int? context = null;
        foreach (var endpoint in options.Endpoints)
        {
            try
            {
                using var request = model.Request(HttpMethod.Get, endpoint, "models");
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(options.ConnectTimeoutSeconds + options.ReadTimeoutSeconds));
                using var response = await model._http.SendAsync(request, timeout.Token).ConfigureAwait(false);
                var body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode) throw new HttpRequestException($"HTTP {(int)response.StatusCode}: {CompletionChunk.ErrorMessage(body)}");
                var data = JsonNode.Parse(body)?["data"]?.AsArray() ?? [];
                var served = data.Select(m => m?["id"]?.GetValue<string>()).OfType<string>().ToList();
                var entry = data.FirstOrDefault(m => m?["id"]?.GetValue<string>() == endpoint.Model);
                if (entry is null)
                {
                    answers.Add($"{endpoint.BaseUrl} serves {(served.Count == 0 ? "no model" : string.Join(", ", served))}, not '{endpoint.Model}'");
                    continue;
                }
                context ??= entry["max_model_len"]?.GetValue<int>() ?? entry["meta"]?["n_ctx_train"]?.GetValue<int>();
                answers.Add($"{endpoint.BaseUrl}: ok");
            }
            catch (Exception e) when (e is HttpRequestException or JsonException or OperationCanceledException or InvalidOperationException or FormatException)
            {
                answers.Add($"{endpoint.BaseUrl}: {Describe(e)}");
            }
        }
        if (!answers.Any(a => a.EndsWith(": ok", StringComparison.Ordinal)))
        {
            model.Dispose();
            throw new ModelServerException($"No endpoint serves the model: {string.Join("; ", answers)}.");
        }
        warnings.AddRange(answers.Where(a => !a.EndsWith(": ok", StringComparison.Ordinal)));
        foreach (var w in warnings) log?.LogWarning("Model server: {Warning}", w);
        model.Facts = model.Facts with { ContextLength = options.ContextLength > 0 ? options.ContextLength : context ?? 0, Warnings = warnings };
        return model;
    }

    /// <summary>Each replica's requests, failures and rest.</summary>
    public IReadOnlyList<string> Replicas => _pool.Describe();

    public string ApplyChatTemplate(IReadOnlyList<ChatMessage> messages, string? template)
    {
        var source = template ?? _options.ChatTemplate
            ?? throw new ChatTemplateException($"The server's model '{Facts.Name}' has no chat template configured here (Server:ChatTemplate); /v1/completions takes raw text.");
        LlamaNative.EnsureConfigured(_log);
        return LlamaTokenizer.ApplyChatTemplate(source, messages, addAssistant: true);
    }

    public async Task<IPromptState> EvaluatePromptAsync(PromptText prompt, PromptOptions options, CancellationToken cancellationToken)
    {
        var text = prompt.Text;
        int tokens = await CountTokensAsync(text, special: true, cancellationToken).ConfigureAwait(false)
            ?? await ProbePromptAsync(text, cancellationToken).ConfigureAwait(false);
        if (options.MaxSequenceTokens - tokens < 1)
            throw new InvalidOperationException($"The prompt has {tokens} tokens: a context size of {options.MaxSequenceTokens} leaves no room to generate. Raise the context size.");
        int places = _options.Endpoints.Sum(e => e.MaxInFlight);
        return new RemotePrompt(this, text, tokens, options.MaxSequenceTokens - tokens,
            new SequencePlan { Concurrent = places, Requested = options.Sequences, TokensPerSequence = options.MaxSequenceTokens - tokens });
    }

    /// <summary>The server's token count for text: <c>/tokenize</c> (vLLM, SGLang, llama-server, TGI, the workbench); null when it has none.</summary>
    private async Task<int?> CountTokensAsync(string text, bool special, CancellationToken ct)
    {
        if (_noTokenizer) return null;
        try
        {
            return await _retry.ExecuteAsync(async token =>
            {
                using var lease = await _pool.AcquireAsync(token).ConfigureAwait(false);
                var endpoint = lease.Endpoint;
                // One body every server reads: vLLM/SGLang take "prompt", llama-server "content", TGI "inputs".
                var body = new JsonObject
                {
                    ["model"] = endpoint.Model, ["prompt"] = text, ["content"] = text, ["inputs"] = text,
                    ["add_special_tokens"] = special, ["add_special"] = special,
                };
                using var request = Request(HttpMethod.Post, endpoint, "/tokenize", body);
                try
                {
                    using var response = await Send(request, token).ConfigureAwait(false);
                    if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed)
                    {
                        lease.Succeeded();
                        return (int?)null;
                    }
                    var json = await ReadSuccessAsync(response, token).ConfigureAwait(false);
                    lease.Succeeded();
                    var node = JsonNode.Parse(json);
                    return node switch
                    {
                        JsonArray list => list.Count, // TGI: one object per token
                        JsonObject o when o["count"] is { } count => count.GetValue<int>(),
                        JsonObject o when o["tokens"] is JsonArray list => list.Count,
                        _ => throw new ModelServerException($"{endpoint.BaseUrl}: /tokenize answered in an unknown shape: {Truncate(json)}"),
                    };
                }
                catch (ServerFault f)
                {
                    lease.Failed(f.Message);
                    throw;
                }
            }, ct).ConfigureAwait(false) is { } n ? n : NoTokenizer();
        }
        catch (ServerFault f) { throw new ModelServerException($"The model server kept failing ({_options.MaxRetries} retries): {f.Message}", f); }
    }

    private int? NoTokenizer()
    {
        _noTokenizer = true;
        _log?.LogInformation("The model server has no /tokenize: token counts come from each response's usage.");
        return null;
    }

    /// <summary>No tokenizer endpoint: a one-token completion tells the prompt's size (and warms the server's prefix cache).</summary>
    private async Task<int> ProbePromptAsync(string text, CancellationToken ct)
    {
        var result = await StreamAsync(text, new GenerationRequest { MaxNewTokens = 1 }, new SamplingSettings { Temperature = 0 }, null, ct).ConfigureAwait(false);
        return result.PromptTokens ?? throw new ModelServerException("The model server has no /tokenize and sends no usage: the prompt's size cannot be known.");
    }

    private sealed class RemotePrompt(OpenAiCompletionsModel model, string text, int tokens, int perSequence, SequencePlan plan) : IPromptState
    {
        private bool _disposed;
        public string Text { get; } = text;
        public int TokenCount { get; } = tokens;
        public int PerSequence { get; } = perSequence;
        public SequencePlan Plan { get; } = plan;

        public ISequence Fork(SamplingSettings sampling)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return new RemoteSequence(model, this, sampling);
        }

        public void Dispose() => _disposed = true;
    }

    /// <summary>A candidate's transcript: the prompt, what the server generated, what tools appended.</summary>
    private sealed class RemoteSequence(OpenAiCompletionsModel model, RemotePrompt prompt, SamplingSettings sampling) : ISequence
    {
        private readonly StringBuilder _transcript = new(prompt.Text);
        private readonly object _gate = new();
        private int _generated, _appended, _calls;
        private bool _active, _disposed;
        private SamplingSettings _sampling = sampling;

        public SamplingSettings Sampling
        {
            get { lock (_gate) return _sampling; }
            set { lock (_gate) _sampling = value; }
        }

        public SequenceTokens Tokens
        {
            get { lock (_gate) return new(prompt.TokenCount, _generated, _appended); }
        }

        public int Append(string text) => AppendAsync(text, CancellationToken.None).GetAwaiter().GetResult();

        public async Task<int> AppendAsync(string text, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_active) throw new InvalidOperationException("Cannot append while the sequence is generating.");
                _transcript.Append(text);
            }
            // The count is the server's tokenizer's; without one it is learned from the next request's usage.
            int n = await model.CountTokensAsync(text, special: false, cancellationToken).ConfigureAwait(false) ?? 0;
            lock (_gate) _appended += n;
            return n;
        }

        public async Task<Generation> GenerateAsync(GenerationRequest request, Action<GeneratedPiece>? onPiece, CancellationToken cancellationToken)
        {
            if (request.MaxNewTokens < 1) throw new ArgumentOutOfRangeException(nameof(request), "MaxNewTokens must be at least 1.");
            string transcript;
            SamplingSettings sampling;
            int used;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_active) throw new InvalidOperationException("The sequence is already generating.");
                _active = true;
                transcript = _transcript.ToString();
                // One seed per call: the request's, or one drawn from the sequence's seed and the call's number.
                sampling = _sampling with { Seed = request.Seed ?? Runs.Seeds.ForRound(_sampling.Seed, _calls) };
                _calls++;
                used = prompt.TokenCount + _generated + _appended;
            }
            try
            {
                int room = prompt.PerSequence + prompt.TokenCount - used;
                if (room < 1) return new Generation { Text = "", StopReason = StopReason.TokenLimit };
                var capped = request with { MaxNewTokens = Math.Min(request.MaxNewTokens, room) };
                var result = await model.StreamAsync(transcript, capped, sampling, onPiece, cancellationToken).ConfigureAwait(false);
                lock (_gate)
                {
                    _transcript.Append(result.Generation.Text);
                    _generated += result.Generation.TokenCount;
                    if (model._noTokenizer && result.PromptTokens is { } p) // the server's count of what it read
                        _appended = Math.Max(0, p - prompt.TokenCount - (_generated - result.Generation.TokenCount));
                }
                return result.Generation;
            }
            finally
            {
                lock (_gate) _active = false;
            }
        }

        public void Dispose()
        {
            lock (_gate) _disposed = true;
        }
    }

    private sealed record StreamResult(Generation Generation, int? PromptTokens);

    /// <summary>A fault worth another try: the connection, the stream, or the server's load (429, 5xx).</summary>
    private sealed class ServerFault(string message, TimeSpan? retryAfter = null, Exception? inner = null) : Exception(message, inner)
    {
        public TimeSpan? RetryAfter { get; } = retryAfter;
    }

    /// <summary>One round: the request, retried from its start on faults; each try on the least busy healthy replica.</summary>
    private async Task<StreamResult> StreamAsync(string prompt, GenerationRequest request, SamplingSettings sampling, Action<GeneratedPiece>? onPiece, CancellationToken ct)
    {
        var retries = new List<string>();
        int tries = 0, streamed = 0;
        string? lastFault = null;
        try
        {
            return await _retry.ExecuteAsync(async token =>
            {
                if (tries++ > 0)
                {
                    retries.Add(lastFault!);
                    request.OnRetry?.Invoke(new GenerationRetry(lastFault!, streamed, tries - 1));
                }
                streamed = 0;
                using var lease = await _pool.AcquireAsync(token).ConfigureAwait(false);
                try
                {
                    var result = await StreamOnceAsync(lease.Endpoint, prompt, request, sampling, p =>
                    {
                        streamed++;
                        onPiece?.Invoke(p);
                    }, token).ConfigureAwait(false);
                    lease.Succeeded();
                    return result with { Generation = result.Generation with { Retries = retries } };
                }
                catch (ServerFault f)
                {
                    lastFault = $"{lease.Endpoint.BaseUrl}: {f.Message}";
                    lease.Failed(f.Message);
                    _log?.LogWarning("Model server {Url}: {Fault}; retrying the round", lease.Endpoint.BaseUrl, f.Message);
                    throw;
                }
            }, ct).ConfigureAwait(false);
        }
        catch (ServerFault f)
        {
            throw new ModelServerException($"The model server failed the round {tries} time(s); last: {lastFault ?? f.Message}", f);
        }
    }

    private async Task<StreamResult> StreamOnceAsync(ServerEndpoint endpoint, string prompt, GenerationRequest request, SamplingSettings s, Action<GeneratedPiece> onPiece, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["model"] = endpoint.Model,
            ["prompt"] = prompt,
            ["max_tokens"] = request.MaxNewTokens,
            ["temperature"] = s.Temperature,
            ["top_p"] = s.TopP,
            ["seed"] = (long)(s.Seed & long.MaxValue),
            ["stream"] = true,
            ["stream_options"] = new JsonObject { ["include_usage"] = true },
            ["include_stop_str_in_output"] = true, // vLLM, SGLang: the stop stays in the text, as our transcript keeps it
            ["cache_prompt"] = true, // llama-server: reuse the slot's cached prefix
        };
        if (s.TopK > 0) body["top_k"] = s.TopK;
        if (s.MinP > 0) body["min_p"] = s.MinP;
        if (s.RepetitionPenalty != 1.0) body["repetition_penalty"] = s.RepetitionPenalty;
        if (request.StopStrings.Count > 0) body["stop"] = new JsonArray(request.StopStrings.Select(x => (JsonNode)x!).ToArray());
        if (_options.Logprobs) body["logprobs"] = 1;

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct); // closes the request: the server stops generating
        using var message = Request(HttpMethod.Post, endpoint, "completions", body);
        using var response = await Send(message, stop.Token).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) await ReadSuccessAsync(response, stop.Token).ConfigureAwait(false); // throws
        await using var stream = await response.Content.ReadAsStreamAsync(stop.Token).ConfigureAwait(false);

        var text = new StringBuilder();
        int tokens = 0;
        int? promptTokens = null;
        string? finish = null, serverStop = null;
        bool done = false;
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
        var readTimeout = TimeSpan.FromSeconds(_options.ReadTimeoutSeconds);
        idle.CancelAfter(readTimeout);
        var events = SseParser.Create(stream).EnumerateAsync(idle.Token).GetAsyncEnumerator(idle.Token);
        try
        {
            while (true)
            {
                bool more;
                try { more = await events.MoveNextAsync().ConfigureAwait(false); }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested && idle.IsCancellationRequested)
                {
                    throw new ServerFault($"the stream stalled: nothing for {_options.ReadTimeoutSeconds:0.#} s after {tokens} token(s)");
                }
                catch (Exception e) when (e is IOException or HttpRequestException)
                {
                    throw new ServerFault($"the stream dropped after {tokens} token(s): {Describe(e)}", inner: e);
                }
                if (!more) break;
                idle.CancelAfter(readTimeout);
                var data = events.Current.Data;
                if (data.Trim() == "[DONE]")
                {
                    done = true;
                    break;
                }
                CompletionChunk chunk;
                try { chunk = CompletionChunk.Parse(data); }
                catch (JsonException e) { throw new ServerFault($"the stream sent something that is not a completion chunk ({e.Message}): {Truncate(data)}"); }
                if (chunk.Error is { } error) throw new ServerFault($"the server failed the request mid-stream: {error}");
                promptTokens = chunk.PromptTokens ?? promptTokens;
                if (chunk.FinishReason is { } f) (finish, serverStop) = (f, chunk.StopString);
                if (chunk.Text.Length == 0 && chunk.TokenLogprobs is not { Count: > 0 }) continue;
                int before = text.Length;
                text.Append(chunk.Text);
                var (stopEnd, found) = StopStrings.FindEarliest(text, before, request.StopStrings);
                int keep = found is null ? text.Length : stopEnd;
                tokens += Publish(chunk, before, keep, onPiece);
                if (found is not null)
                {
                    text.Length = stopEnd;
                    await stop.CancelAsync().ConfigureAwait(false); // a stop is seen: close the request now
                    return new StreamResult(new Generation { Text = text.ToString(), StopReason = StopReason.StopString, TokenCount = tokens, StopString = found }, promptTokens);
                }
            }
        }
        finally
        {
            try { await events.DisposeAsync().ConfigureAwait(false); } catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException) { }
        }
        if (finish is null)
            throw new ServerFault(done
                ? $"the stream ended without a finish reason after {tokens} token(s)"
                : $"the stream dropped after {tokens} token(s) (no [DONE])");
        // The server stripped a stop string it matched (servers without include_stop_str_in_output): put it back, as our transcript keeps stops.
        if (finish is "stop" or "stop_sequence" && serverStop is { Length: > 0 } && request.StopStrings.Contains(serverStop))
        {
            text.Append(serverStop);
            onPiece(new GeneratedPiece(serverStop, 1f));
            return new StreamResult(new Generation { Text = text.ToString(), StopReason = StopReason.StopString, TokenCount = tokens, StopString = serverStop }, promptTokens);
        }
        var reason = finish switch
        {
            "length" => StopReason.TokenLimit,
            "stop" or "eos_token" or "stop_sequence" => StopReason.EndOfSequence, // TGI's words
            _ => throw new ServerFault($"the server ended the stream with finish reason '{finish}'"),
        };
        return new StreamResult(new Generation { Text = text.ToString(), StopReason = reason, TokenCount = tokens }, promptTokens);
    }

    /// <summary>
    /// Streams a chunk's text up to <paramref name="keep"/> as one piece per token with its probability: per token when
    /// the server's token texts spell the chunk's text, else the text on the first piece and the others empty.
    /// Returns the number of tokens kept.
    /// </summary>
    private static int Publish(CompletionChunk chunk, int chunkStart, int keep, Action<GeneratedPiece> onPiece)
    {
        var probabilities = chunk.TokenLogprobs is { Count: > 0 } lp ? lp.Select(x => (float)Math.Exp(x)).ToList() : [1f];
        int room = keep - chunkStart;
        if (chunk.Tokens is { } pieces && pieces.Count == probabilities.Count && string.Concat(pieces) == chunk.Text)
        {
            bool cut = room < chunk.Text.Length;
            int used = 0, n = 0;
            for (int i = 0; i < pieces.Count && (!cut || used < room); i++, n++)
            {
                var piece = pieces[i].Length > room - used ? pieces[i][..(room - used)] : pieces[i];
                used += pieces[i].Length;
                onPiece(new GeneratedPiece(piece, probabilities[i]));
            }
            return n;
        }
        onPiece(new GeneratedPiece(chunk.Text[..Math.Min(chunk.Text.Length, room)], probabilities[0]));
        for (int i = 1; i < probabilities.Count; i++) onPiece(new GeneratedPiece("", probabilities[i]));
        return probabilities.Count;
    }

    private HttpRequestMessage Request(HttpMethod method, ServerEndpoint endpoint, string path, JsonNode? body = null)
    {
        // "completions" is under the base (…/v1); "/tokenize" is at the server's root, where vLLM, SGLang and llama-server have it.
        var baseUrl = endpoint.BaseUrl.TrimEnd('/');
        var url = path.StartsWith('/') ? Root(baseUrl) + path : baseUrl + "/" + path;
        var request = new HttpRequestMessage(method, url);
        if (endpoint.ApiKeyVariable is { Length: > 0 } variable && Environment.GetEnvironmentVariable(variable) is { Length: > 0 } key)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(body is not null && body["stream"] is not null ? "text/event-stream" : "application/json"));
        return request;
    }

    private static string Root(string baseUrl) => baseUrl.EndsWith("/v1", StringComparison.Ordinal) ? baseUrl[..^3] : baseUrl;

    /// <summary>Sends a request; a connection that cannot be made or breaks before the answer's headers is a fault.</summary>
    private async Task<HttpResponseMessage> Send(HttpRequestMessage request, CancellationToken ct)
    {
        using var headers = CancellationTokenSource.CreateLinkedTokenSource(ct);
        headers.CancelAfter(TimeSpan.FromSeconds(_options.ConnectTimeoutSeconds + _options.ReadTimeoutSeconds));
        try { return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, headers.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new ServerFault($"no answer in {_options.ConnectTimeoutSeconds + _options.ReadTimeoutSeconds:0.#} s");
        }
        catch (HttpRequestException e) { throw new ServerFault(Describe(e), inner: e); }
    }

    /// <summary>Reads a success's body, or throws: 408, 429 and 5xx are faults (retried), any other refusal fails the candidate.</summary>
    private static async Task<string> ReadSuccessAsync(HttpResponseMessage response, CancellationToken ct)
    {
        string body;
        try { body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false); }
        catch (Exception e) when (e is IOException or HttpRequestException) { throw new ServerFault($"the answer broke off: {Describe(e)}", inner: e); }
        if (response.IsSuccessStatusCode) return body;
        int status = (int)response.StatusCode;
        var message = $"HTTP {status}: {CompletionChunk.ErrorMessage(body)}";
        if (status is 408 or 429 || status >= 500)
            throw new ServerFault(message, RetryAfter(response));
        throw new ModelServerException($"The model server refused the request: {message}");
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta;
        if (header?.Date is { } date) return date - DateTimeOffset.UtcNow is var d && d > TimeSpan.Zero ? d : TimeSpan.Zero;
        return null;
    }

    private static string Describe(Exception e) => e switch
    {
        HttpRequestException { InnerException: SocketException s } => $"{s.SocketErrorCode}: {s.Message}",
        HttpRequestException h when h.HttpRequestError != HttpRequestError.Unknown => $"{h.HttpRequestError}: {h.Message}",
        _ => e.Message,
    };

    private static string Truncate(string s) => s.Length > 300 ? s[..300] + "…" : s;

    private void Dispose() => _http.Dispose();

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
