using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Numina.Engine.Configuration;
using Numina.Engine.Models;
using Numina.Engine.Models.Llama;
using Numina.Engine.Serving;
using Numina.Workbench.Hosting;

namespace Numina.Workbench.Serving;

/// <summary>
/// The workbench as a model server: <c>GET /v1/models</c>, <c>POST /v1/completions</c> (streamed or not, with
/// <c>logprobs</c>, <c>stop</c>, <c>seed</c>) and <c>POST /tokenize</c> for the loaded model, in the shapes vLLM and
/// llama-server answer, so Inspect, NemoSkills, scripts and other workbenches can use its engine. Requests decode in
/// the same batch as the workbench's own runs; a prompt that extends one served before continues its cached sequence
/// (<see cref="PrefixCache"/>). Bound where the app is (loopback unless configured otherwise).
/// </summary>
public sealed class OpenAiApi(ModelHost models, EngineOptions options, ILogger<OpenAiApi> log) : IAsyncDisposable
{
    private readonly object _gate = new();
    private (ModelLease Lease, PrefixCache Cache)? _current;

    public static void Map(WebApplication app)
    {
        var api = app.Services.GetRequiredService<OpenAiApi>();
        app.Services.GetRequiredService<ModelHost>().Changed += api.ModelChanged;
        app.MapGet("/v1/models", (OpenAiApi api) => api.ListModels());
        app.MapPost("/v1/completions", (OpenAiApi api, HttpContext http) => api.CompleteAsync(http));
        app.MapPost("/tokenize", (OpenAiApi api, HttpContext http) => api.TokenizeAsync(http));
        app.MapPost("/v1/tokenize", (OpenAiApi api, HttpContext http) => api.TokenizeAsync(http));
    }

    /// <summary>The cache of the model loaded now (a switch drops the old one, which lets the old model unload).</summary>
    public PrefixCache? Cache
    {
        get
        {
            lock (_gate)
            {
                var model = models.Model;
                if (_current is { } c && ReferenceEquals(c.Lease.Model, model)) return c.Cache;
                if (_current is { } old) Drop(old);
                _current = null;
                if (models.Acquire() is not { } lease) return null;
                var decoding = options.DefaultsFor(options.PresetFor(lease.Entry), lease.Entry).Decoding;
                // The pool's worth of sequences but two (a run of the workbench's own still gets its prompt and a
                // candidate in; idle sequences go after 10 s).
                int capacity = lease.Model is LlamaModel llama ? Math.Clamp(llama.SequencesThatFit(decoding.ContextSize) - 2, 1, 62) : 16;
                _current = (lease, new PrefixCache(lease.Model, decoding.ContextSize, capacity));
                return _current.Value.Cache;
            }
        }
    }

    /// <summary>A switch: the old model's cache goes, so the old model can unload.</summary>
    private void ModelChanged()
    {
        lock (_gate)
        {
            if (_current is { } c && !ReferenceEquals(c.Lease.Model, models.Model))
            {
                Drop(c);
                _current = null;
            }
        }
    }

    private static void Drop((ModelLease Lease, PrefixCache Cache) c)
    {
        c.Cache.DisposeAsync().AsTask().GetAwaiter().GetResult();
        c.Lease.Dispose();
    }

    private IResult ListModels()
    {
        var cache = Cache;
        var data = new JsonArray();
        if (cache is not null)
            data.Add(new JsonObject
            {
                ["id"] = models.Entry.Name, ["object"] = "model", ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                ["owned_by"] = "numina-workbench", ["max_model_len"] = cache.ContextSize, ["root"] = cache.Model.Facts.Name,
                // How often a request continued a cached sequence or prompt (the prefix cache at work).
                ["prefix_cache"] = new JsonObject
                {
                    ["sequence_hits"] = cache.SequenceHits, ["prompt_hits"] = cache.PromptHits, ["misses"] = cache.Misses, ["reused_tokens"] = cache.ReusedTokens,
                },
            });
        return Results.Json(new JsonObject { ["object"] = "list", ["data"] = data });
    }

    private static IResult Error(int status, string message, string type = "invalid_request_error") =>
        Results.Json(new JsonObject { ["error"] = new JsonObject { ["message"] = message, ["type"] = type, ["code"] = status } }, statusCode: status);

    private async Task<JsonObject?> ReadBody(HttpContext http)
    {
        try { return await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted) as JsonObject; }
        catch (JsonException) { return null; }
    }

    private async Task<IResult> TokenizeAsync(HttpContext http)
    {
        if (await ReadBody(http) is not { } body) return Error(400, "The body must be a JSON object.");
        var text = Str(body, "prompt") ?? Str(body, "content") ?? Str(body, "inputs");
        if (text is null) return Error(400, "Give the text to tokenize as \"prompt\" (vLLM) or \"content\" (llama-server).");
        if (Cache is not { Model: LlamaModel model } cache) return Error(503, $"No model is loaded: {models.Error}", "server_error");
        bool special = Bool(body, "add_special_tokens") ?? Bool(body, "add_special") ?? body.ContainsKey("prompt");
        var tokens = special ? model.TokenizePrompt(new PromptText([new PromptPart(text, IsTemplate: true)])) : model.Tokenize(text);
        return Results.Json(new JsonObject
        {
            ["tokens"] = new JsonArray(tokens.Select(t => (JsonNode)t).ToArray()), ["count"] = tokens.Length, ["max_model_len"] = cache.ContextSize,
        });
    }

    private async Task<IResult> CompleteAsync(HttpContext http)
    {
        if (await ReadBody(http) is not { } body) return Error(400, "The body must be a JSON object.");
        if (Cache is not { } cache) return Error(503, $"No model is loaded: {models.Error}", "server_error");
        var name = models.Entry.Name;
        if (Str(body, "model") is { } asked && asked != name && asked != cache.Model.Facts.Name)
            return Error(404, $"The model '{asked}' does not exist here; this workbench serves '{name}'.", "NotFoundError");
        var prompt = body["prompt"] switch
        {
            JsonValue v when v.TryGetValue(out string? s) => s,
            JsonArray { Count: 1 } a when a[0] is JsonValue v && v.TryGetValue(out string? s) => s,
            _ => null,
        };
        if (prompt is null) return Error(400, "\"prompt\" must be one string (token arrays and several prompts are not served).");
        if (Int(body, "n") is { } n && n != 1) return Error(400, "Only n = 1 is served: send one request per sample.");
        if (Bool(body, "echo") == true) return Error(400, "echo is not served.");
        int maxTokens = Int(body, "max_tokens") ?? 16;
        if (maxTokens < 1) return Error(400, "max_tokens must be at least 1.");
        double temperature = Num(body, "temperature") ?? 1.0, topP = Num(body, "top_p") ?? 1.0, minP = Num(body, "min_p") ?? 0;
        int topK = Int(body, "top_k") ?? 0;
        if (temperature < 0 || topP is <= 0 or > 1 || minP is < 0 or > 1 || topK < -1)
            return Error(400, "temperature must be ≥ 0, top_p in (0, 1], min_p in [0, 1], top_k ≥ -1.");
        ulong seed = body["seed"] is JsonValue sv && sv.TryGetValue(out long seedValue) ? unchecked((ulong)seedValue) : Engine.Runs.Seeds.Draw();
        var stops = body["stop"] switch
        {
            JsonValue v when v.TryGetValue(out string? s) => [s],
            JsonArray a => a.Select(x => x?.GetValue<string>() ?? "").Where(x => x.Length > 0).ToList(),
            _ => new List<string>(),
        };
        bool includeStop = Bool(body, "include_stop_str_in_output") ?? false;
        bool logprobs = body["logprobs"] is JsonValue lv && (lv.TryGetValue(out int k) ? k >= 0 : lv.TryGetValue(out bool b) && b);
        bool stream = Bool(body, "stream") ?? false;
        bool usageInStream = body["stream_options"]?["include_usage"] is JsonValue uv && uv.TryGetValue(out bool u) && u;
        var sampling = new SamplingSettings
        {
            Temperature = temperature, TopP = topP, TopK = Math.Max(0, topK), MinP = minP, Seed = seed,
            RepetitionPenalty = Num(body, "repetition_penalty") ?? 1.0,
        };
        var request = new GenerationRequest { MaxNewTokens = maxTokens, StopStrings = stops, Seed = seed };
        var id = "cmpl-" + Guid.NewGuid().ToString("N")[..24];
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        if (!stream)
        {
            var pieces = new List<GeneratedPiece>();
            PrefixCache.Completion done;
            try { done = await cache.CompleteAsync(prompt, sampling, request, pieces.Add, http.RequestAborted); }
            catch (InvalidOperationException e) { return Error(400, e.Message); }
            var (text, finish, stopReason) = Finish(done.Generation, includeStop);
            var choice = new JsonObject { ["index"] = 0, ["text"] = text, ["logprobs"] = logprobs ? Logprobs(Trim(pieces, text)) : null, ["finish_reason"] = finish, ["stop_reason"] = stopReason };
            return Results.Json(new JsonObject
            {
                ["id"] = id, ["object"] = "text_completion", ["created"] = created, ["model"] = name,
                ["choices"] = new JsonArray(choice), ["usage"] = Usage(done),
            });
        }

        // Streamed: one chunk per token as the engine samples it, then the finish, the usage, and [DONE].
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        var writer = System.Threading.Channels.Channel.CreateUnbounded<GeneratedPiece>();
        var completion = cache.CompleteAsync(prompt, sampling, request, p => writer.Writer.TryWrite(p), http.RequestAborted);
        _ = completion.ContinueWith(_ => writer.Writer.TryComplete(), TaskScheduler.Default);
        try
        {
            // One chunk per token; what the engine sampled while the last write was under way goes out with one flush.
            while (await writer.Reader.WaitToReadAsync(http.RequestAborted))
            {
                while (writer.Reader.TryRead(out var piece))
                {
                    Write(http, Chunk(id, created, name, piece.Text, logprobs ? Logprobs([piece]) : null, null, null));
                }
                await http.Response.BodyWriter.FlushAsync(http.RequestAborted);
            }
            var done = await completion;
            var (_, finish, stopReason) = Finish(done.Generation, includeStop: true);
            // Without include_stop_str_in_output a client wants the stop stripped; it was streamed as it came, so it is
            // reported as stop_reason (vLLM streams likewise, holding back only what could begin a stop).
            await Send(http, Chunk(id, created, name, "", null, finish, stopReason));
            if (usageInStream)
                await Send(http, new JsonObject { ["id"] = id, ["object"] = "text_completion", ["created"] = created, ["model"] = name, ["choices"] = new JsonArray(), ["usage"] = Usage(done) });
            await http.Response.WriteAsync("data: [DONE]\n\n", http.RequestAborted);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            log.LogInformation("Completion {Id}: the client closed the stream; generation stopped", id);
        }
        catch (InvalidOperationException e)
        {
            await Send(http, new JsonObject { ["error"] = new JsonObject { ["message"] = e.Message, ["type"] = "invalid_request_error", ["code"] = 400 } });
        }
        return Results.Empty;
    }

    /// <summary>The text as the client asked (stop kept or stripped), OpenAI's finish reason, and vLLM's stop_reason.</summary>
    private static (string Text, string Finish, string? StopReason) Finish(Generation g, bool includeStop) => g.StopReason switch
    {
        StopReason.StopString => (includeStop ? g.Text : g.Text[..^g.StopString!.Length], "stop", g.StopString),
        StopReason.EndOfSequence => (g.Text, "stop", null),
        _ => (g.Text, "length", null),
    };

    /// <summary>The pieces that spell the returned text (a stripped stop's pieces go).</summary>
    private static List<GeneratedPiece> Trim(List<GeneratedPiece> pieces, string text)
    {
        var kept = new List<GeneratedPiece>();
        int length = 0;
        foreach (var p in pieces)
        {
            if (length + p.Text.Length > text.Length && p.Text.Length > 0) break;
            kept.Add(p);
            length += p.Text.Length;
        }
        return kept;
    }

    private static JsonObject Logprobs(IReadOnlyList<GeneratedPiece> pieces)
    {
        int offset = 0;
        var offsets = new JsonArray();
        foreach (var p in pieces)
        {
            offsets.Add(offset);
            offset += p.Text.Length;
        }
        return new JsonObject
        {
            ["tokens"] = new JsonArray(pieces.Select(p => (JsonNode)p.Text).ToArray()),
            ["token_logprobs"] = new JsonArray(pieces.Select(p => (JsonNode)Math.Log(Math.Max(p.Probability, 1e-30))).ToArray()),
            ["top_logprobs"] = null,
            ["text_offset"] = offsets,
        };
    }

    private static JsonObject Usage(PrefixCache.Completion done) => new()
    {
        ["prompt_tokens"] = done.PromptTokens, ["completion_tokens"] = done.Generation.TokenCount,
        ["total_tokens"] = done.PromptTokens + done.Generation.TokenCount,
    };

    private static JsonObject Chunk(string id, long created, string model, string text, JsonObject? logprobs, string? finish, string? stopReason) => new()
    {
        ["id"] = id, ["object"] = "text_completion", ["created"] = created, ["model"] = model,
        ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["text"] = text, ["logprobs"] = logprobs, ["finish_reason"] = finish, ["stop_reason"] = stopReason }),
    };

    /// <summary>Into the response's buffer, not yet sent (the caller flushes).</summary>
    private static void Write(HttpContext http, JsonObject chunk) =>
        System.Buffers.BuffersExtensions.Write(http.Response.BodyWriter, Encoding.UTF8.GetBytes("data: " + chunk.ToJsonString() + "\n\n"));

    private static async Task Send(HttpContext http, JsonObject chunk)
    {
        await http.Response.WriteAsync("data: " + chunk.ToJsonString() + "\n\n", http.RequestAborted);
        await http.Response.Body.FlushAsync(http.RequestAborted);
    }

    private static string? Str(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue(out string? s) ? s : null;
    private static bool? Bool(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue(out bool b) ? b : null;
    private static int? Int(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue(out int i) ? i : o[name] is JsonValue d && d.TryGetValue(out double x) && x == Math.Floor(x) ? (int)x : null;
    private static double? Num(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue(out double d) ? d : null;

    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_current is { } c) Drop(c);
            _current = null;
        }
        return ValueTask.CompletedTask;
    }
}
