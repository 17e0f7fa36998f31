using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Numina.Engine.Tests.Remote;

/// <summary>
/// An OpenAI-compatible server on a real socket whose every answer a test scripts, so that faults happen as they do on
/// the wire: a connection closed mid-stream, a stream that stops sending, 503 with Retry-After, an error body. It
/// speaks plain HTTP/1.1 (one request per connection, <c>Connection: close</c>) and answers <c>/v1/models</c> and
/// <c>/tokenize</c> (one token per character) itself.
/// </summary>
public sealed class FakeCompletionServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accept;
    private int _count;

    public sealed record Request(int Index, string Path, JsonObject Body)
    {
        public string Prompt => Body["prompt"]?.GetValue<string>() ?? "";
        public ulong Seed => (ulong)(Body["seed"]?.GetValue<long>() ?? 0);
    }

    /// <summary>What to answer a completion request.</summary>
    public abstract record Reply;
    /// <summary>Streams <paramref name="Text"/> one character per chunk (with its log probability), then ends as told.</summary>
    public sealed record Streamed(string Text, Ending End = Ending.Done, string Finish = "stop", TimeSpan? Pace = null) : Reply;
    public sealed record Status(int Code, string Body, int? RetryAfterSeconds = null) : Reply;
    public enum Ending { Done, Close, Stall }

    public Func<Request, Reply> OnCompletion { get; set; } = _ => new Streamed("");
    public ConcurrentQueue<Request> Completions { get; } = new();
    /// <summary>Completion streams the client closed before their end (a cancelled candidate's request).</summary>
    public int ClosedByClient => _closedByClient;
    private int _closedByClient;
    public string ModelName { get; init; } = "fake-model";

    public int Port { get; }
    public string BaseUrl => $"http://127.0.0.1:{Port}/v1";

    public FakeCompletionServer()
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accept = Task.Run(AcceptAsync);
    }

    /// <summary>A port nothing listens on (a replica that is down).</summary>
    public static int DeadPort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        try
        {
            var (path, body) = await ReadRequestAsync(stream);
            if (path.EndsWith("/models", StringComparison.Ordinal))
            {
                await WriteJson(stream, 200, $$"""{"object":"list","data":[{"id":"{{ModelName}}","object":"model","max_model_len":4096}]}""");
                return;
            }
            if (path.EndsWith("/tokenize", StringComparison.Ordinal))
            {
                var text = body["prompt"]?.GetValue<string>() ?? "";
                await WriteJson(stream, 200, $$"""{"tokens":[{{string.Join(",", text.Select(c => (int)c))}}],"count":{{text.Length}}}""");
                return;
            }
            var request = new Request(Interlocked.Increment(ref _count) - 1, path, body);
            Completions.Enqueue(request);
            switch (OnCompletion(request))
            {
                case Status s:
                    await WriteJson(stream, s.Code, s.Body, s.RetryAfterSeconds is { } after ? $"Retry-After: {after}\r\n" : "");
                    break;
                case Streamed s:
                    await WriteStreamAsync(stream, s, request.Prompt.Length);
                    break;
            }
        }
        catch (IOException) { Interlocked.Increment(ref _closedByClient); }
        catch (SocketException) { Interlocked.Increment(ref _closedByClient); }
    }

    private async Task WriteStreamAsync(NetworkStream stream, Streamed s, int promptTokens)
    {
        var head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        foreach (var c in s.Text)
        {
            var chunk = new JsonObject
            {
                ["id"] = "cmpl-1", ["object"] = "text_completion", ["model"] = ModelName,
                ["choices"] = new JsonArray(new JsonObject
                {
                    ["index"] = 0, ["text"] = c.ToString(), ["finish_reason"] = null,
                    ["logprobs"] = new JsonObject { ["tokens"] = new JsonArray(c.ToString()), ["token_logprobs"] = new JsonArray(-0.1) },
                }),
            };
            await stream.WriteAsync(Encoding.UTF8.GetBytes("data: " + chunk.ToJsonString() + "\n\n"));
            await stream.FlushAsync();
            if (s.Pace is { } pace) await Task.Delay(pace);
        }
        switch (s.End)
        {
            case Ending.Close:
                return; // the connection closes with no finish and no [DONE]: a server killed mid-stream
            case Ending.Stall:
                await Task.Delay(TimeSpan.FromSeconds(30), _stop.Token).ContinueWith(_ => { });
                return;
        }
        var last = new JsonObject
        {
            ["id"] = "cmpl-1", ["object"] = "text_completion", ["model"] = ModelName,
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["text"] = "", ["finish_reason"] = s.Finish, ["stop_reason"] = null }),
        }.ToJsonString();
        var usage = new JsonObject
        {
            ["id"] = "cmpl-1", ["object"] = "text_completion", ["model"] = ModelName, ["choices"] = new JsonArray(),
            ["usage"] = new JsonObject { ["prompt_tokens"] = promptTokens, ["completion_tokens"] = s.Text.Length, ["total_tokens"] = promptTokens + s.Text.Length },
        }.ToJsonString();
        await stream.WriteAsync(Encoding.UTF8.GetBytes($"data: {last}\n\ndata: {usage}\n\ndata: [DONE]\n\n"));
        await stream.FlushAsync();
    }

    private static async Task WriteJson(NetworkStream stream, int status, string body, string extraHeaders = "")
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var head = $"HTTP/1.1 {status} {(status == 200 ? "OK" : "Error")}\r\nContent-Type: application/json\r\nContent-Length: {bytes.Length}\r\n{extraHeaders}Connection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(bytes);
        await stream.FlushAsync();
    }

    private static async Task<(string Path, JsonObject Body)> ReadRequestAsync(NetworkStream stream)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (!EndsWithBlankLine(buffer))
        {
            if (await stream.ReadAsync(one) == 0) throw new IOException("closed before the headers ended");
            buffer.Add(one[0]);
        }
        var head = Encoding.ASCII.GetString(buffer.ToArray());
        var path = head.Split(' ')[1];
        int length = head.Split("\r\n").Where(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            .Select(l => int.Parse(l["Content-Length:".Length..].Trim())).FirstOrDefault();
        var body = new byte[length];
        int read = 0;
        while (read < length) read += await stream.ReadAsync(body.AsMemory(read));
        return (path, length > 0 ? (JsonNode.Parse(body) as JsonObject ?? []) : []);
    }

    private static bool EndsWithBlankLine(List<byte> b) =>
        b.Count >= 4 && b[^4] == '\r' && b[^3] == '\n' && b[^2] == '\r' && b[^1] == '\n';

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try { await _accept; } catch { }
    }
}
