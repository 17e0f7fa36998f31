namespace Numina.Engine.Models.Remote;

/// <summary>
/// One OpenAI-compatible server (vLLM, SGLang, llama.cpp's llama-server, TGI, another workbench) serving the model.
/// </summary>
public sealed record ServerEndpoint
{
    /// <summary>The API's base, ending in <c>/v1</c>: <c>http://gpu1:8000/v1</c>.</summary>
    public string BaseUrl { get; init; } = "";
    /// <summary>The model name the server serves (vLLM's <c>--served-model-name</c>, or the path it loaded).</summary>
    public string Model { get; init; } = "";
    /// <summary>The environment variable holding the API key (sent as a bearer token); none when null.</summary>
    public string? ApiKeyVariable { get; init; }
    /// <summary>Requests this endpoint has in flight at most; more candidates wait for a place (or another replica).</summary>
    public int MaxInFlight { get; init; } = 32;
}

/// <summary>
/// A model served by one or more OpenAI-compatible endpoints (<c>Engine:Models:&lt;name&gt;:Server</c>): replicas of the
/// same model, among which candidates are spread, with the timeouts and retries that make faults part of the protocol.
/// </summary>
public sealed record RemoteModelOptions
{
    public IReadOnlyList<ServerEndpoint> Endpoints { get; init; } = [];
    /// <summary>A connection not made in this time is a fault (retried, on another replica when there is one).</summary>
    public double ConnectTimeoutSeconds { get; init; } = 10;
    /// <summary>A stream that sends nothing for this long has stalled (retried). A long prefill must fit in it.</summary>
    public double ReadTimeoutSeconds { get; init; } = 120;
    /// <summary>Tries after the first for a round that hit a fault (429, 5xx, a refused or dropped connection, a stall).</summary>
    public int MaxRetries { get; init; } = 4;
    /// <summary>The first retry's delay; it doubles (with jitter) up to <see cref="MaxRetryDelaySeconds"/>. A server's Retry-After wins.</summary>
    public double RetryDelaySeconds { get; init; } = 0.5;
    public double MaxRetryDelaySeconds { get; init; } = 30;
    /// <summary>A replica that failed this many requests in a row rests (takes no requests) for <see cref="RestSeconds"/>, then is tried again.</summary>
    public int FailuresBeforeRest { get; init; } = 3;
    public double RestSeconds { get; init; } = 30;
    /// <summary>Ask for each token's log probability (confidence policies and the token view need them).</summary>
    public bool Logprobs { get; init; } = true;
    /// <summary>
    /// The chat template for presets that use the model's own (a server applies its template only to chat requests;
    /// the workbench sends raw text): a llama.cpp template name (<c>chatml</c>, <c>llama2</c>, ...) or Jinja text. When
    /// null, such presets use their own turns.
    /// </summary>
    public string? ChatTemplate { get; init; }
    /// <summary>The model's context length when the server does not say (vLLM's <c>max_model_len</c>, llama-server's <c>n_ctx</c>).</summary>
    public int ContextLength { get; init; }

    public IEnumerable<string> Check()
    {
        if (Endpoints.Count == 0) yield return "Server:Endpoints is empty: give at least one { \"BaseUrl\": \"http://host:8000/v1\", \"Model\": \"name\" }.";
        foreach (var (e, i) in Endpoints.Select((e, i) => (e, i)))
        {
            if (!Uri.TryCreate(e.BaseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                yield return $"Server:Endpoints:{i}:BaseUrl must be an http(s) URL such as http://host:8000/v1 (got '{e.BaseUrl}').";
            if (string.IsNullOrWhiteSpace(e.Model)) yield return $"Server:Endpoints:{i}:Model is missing (the name the server serves the model under).";
            if (e.MaxInFlight is < 1 or > 4096) yield return $"Server:Endpoints:{i}:MaxInFlight must be between 1 and 4096 (got {e.MaxInFlight}).";
        }
        if (ConnectTimeoutSeconds <= 0 || ReadTimeoutSeconds <= 0) yield return "Server: ConnectTimeoutSeconds and ReadTimeoutSeconds must be positive.";
        if (MaxRetries is < 0 or > 100) yield return $"Server:MaxRetries must be between 0 and 100 (got {MaxRetries}).";
        if (RetryDelaySeconds < 0 || MaxRetryDelaySeconds < RetryDelaySeconds) yield return "Server: RetryDelaySeconds must be at least 0 and at most MaxRetryDelaySeconds.";
        if (FailuresBeforeRest < 1 || RestSeconds < 0) yield return "Server: FailuresBeforeRest must be at least 1 and RestSeconds at least 0.";
    }
}
