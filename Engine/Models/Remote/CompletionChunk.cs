using System.Text.Json;

namespace Numina.Engine.Models.Remote;

/// <summary>
/// One <c>/v1/completions</c> response or streamed chunk, as the OpenAI-compatible servers send it: the text of the
/// first choice, each token's log probability (<c>logprobs.tokens</c> / <c>token_logprobs</c>), why it finished, and
/// the usage. Read leniently: vLLM and SGLang add <c>stop_reason</c> (the stop string or token id that ended it),
/// llama-server adds <c>stop_type</c>/<c>stopping_word</c> on its own endpoint, TGI may omit logprobs; a field that
/// is absent or null is simply unknown.
/// </summary>
public sealed record CompletionChunk
{
    public string Text { get; init; } = "";
    /// <summary>The tokens' texts, when the server listed them (their concatenation may differ from <see cref="Text"/> for partial characters).</summary>
    public IReadOnlyList<string>? Tokens { get; init; }
    /// <summary>Each token's natural-log probability, when asked for and given.</summary>
    public IReadOnlyList<double>? TokenLogprobs { get; init; }
    /// <summary>"stop" (end of sequence or a stop string), "length", or another server's word; null while streaming.</summary>
    public string? FinishReason { get; init; }
    /// <summary>The stop string that ended it, when the server says (vLLM <c>stop_reason</c>, SGLang <c>matched_stop</c>, llama-server <c>stopping_word</c>).</summary>
    public string? StopString { get; init; }
    public int? PromptTokens { get; init; }
    public int? CompletionTokens { get; init; }
    /// <summary>An error sent inside a stream (vLLM does that when a request fails after its headers were sent).</summary>
    public string? Error { get; init; }

    public static CompletionChunk Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new JsonException("a completion is a JSON object");
        if (ErrorMessage(root) is { } error) return new CompletionChunk { Error = error };
        var chunk = new CompletionChunk();
        if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            chunk = chunk with { PromptTokens = Int(usage, "prompt_tokens"), CompletionTokens = Int(usage, "completion_tokens") };
        if (!root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0)
            return chunk; // the usage-only chunk at the end of a stream
        var choice = choices[0];
        chunk = chunk with
        {
            Text = Str(choice, "text") ?? "",
            FinishReason = Str(choice, "finish_reason") is { Length: > 0 } finish ? finish : null, // TGI sends "" while streaming
            StopString = Str(choice, "stop_reason") ?? Str(choice, "matched_stop") ?? Str(choice, "stopping_word") ?? Str(root, "stopping_word"),
        };
        if (choice.TryGetProperty("logprobs", out var logprobs) && logprobs.ValueKind == JsonValueKind.Object)
        {
            if (logprobs.TryGetProperty("token_logprobs", out var lp) && lp.ValueKind == JsonValueKind.Array)
                chunk = chunk with { TokenLogprobs = lp.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.Number ? x.GetDouble() : 0.0).ToList() };
            if (logprobs.TryGetProperty("tokens", out var tokens) && tokens.ValueKind == JsonValueKind.Array)
                chunk = chunk with { Tokens = tokens.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString()! : "").ToList() };
        }
        return chunk;
    }

    /// <summary>The message of an error body: OpenAI's <c>{"error": {"message"}}</c>, vLLM's older <c>{"message"}</c>, FastAPI's <c>{"detail"}</c>, TGI's <c>{"error": "..."}</c>.</summary>
    public static string? ErrorMessage(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) return null;
        if (root.TryGetProperty("error", out var error))
        {
            if (error.ValueKind == JsonValueKind.String) return error.GetString();
            if (error.ValueKind == JsonValueKind.Object) return Str(error, "message") ?? error.GetRawText();
        }
        if (root.TryGetProperty("object", out var o) && o.ValueKind == JsonValueKind.String && o.GetString() == "error")
            return Str(root, "message");
        if (!root.TryGetProperty("choices", out _) && root.TryGetProperty("detail", out var detail))
            return detail.ValueKind == JsonValueKind.String ? detail.GetString() : detail.GetRawText();
        return null;
    }

    /// <summary>The message of an error response's body, whatever its shape (JSON as above, or plain text).</summary>
    public static string ErrorMessage(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (ErrorMessage(document.RootElement) is { } message) return message;
        }
        catch (JsonException) { }
        body = body.Trim();
        return body.Length == 0 ? "(no message)" : body.Length > 500 ? body[..500] + "…" : body;
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int? Int(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : null;
}
