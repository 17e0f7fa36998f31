using System.Net;
using System.Net.WebSockets;
using System.Text.Json.Nodes;

namespace Numina.Workbench.Tests;

/// <summary>
/// Who can reach the app: bound beyond loopback, every way in — a page, the Blazor WebSocket, the exports, the
/// OpenAI-compatible endpoint — needs the token printed at start; loopback stays open unless a token is configured.
/// </summary>
[Collection("workbench-cli")]
public class AccessTests
{
    private static string Config(string? token = null)
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(WorkbenchCli.Root, "appsettings.json")))!;
        config["Engine"]!["Storage"]!["Path"] = WorkbenchCli.Temp("runs.db");
        foreach (var (_, entry) in config["Engine"]!["Models"]!.AsObject())
            entry!["Path"] = Path.Combine(WorkbenchCli.Root, entry["Path"]!.GetValue<string>());
        config["Engine"]!["Sandbox"]!["FirstUid"] = 63500;
        config["Engine"]!["Sandbox"]!["Workers"] = 1;
        if (token is not null) config["Workbench"]!["Access"]!["Token"] = token;
        var path = WorkbenchCli.Temp("appsettings.json");
        File.WriteAllText(path, config.ToJsonString());
        return path;
    }

    /// <summary>Ready when the server answers at all (401 included).</summary>
    private static Func<HttpClient, Task<bool>> Answers(int port) => async http =>
        (await http.GetAsync($"http://127.0.0.1:{port}/v1/models")).StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized;

    private static async Task<HttpStatusCode?> WebSocketStatus(int port, string? cookie)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (cookie is not null) socket.Options.SetRequestHeader("Cookie", cookie);
        try
        {
            await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/_blazor"), new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
            return HttpStatusCode.SwitchingProtocols;
        }
        catch (WebSocketException)
        {
            return socket.HttpStatusCode;
        }
    }

    [Fact]
    public async Task Bound_beyond_loopback_every_way_in_needs_the_printed_token()
    {
        int port = WorkbenchCli.FreePort();
        await using var server = await WorkbenchCli.Serve($"http://0.0.0.0:{port}", Config(), port, Answers(port));
        var printed = server.Output.FirstOrDefault(l => l.StartsWith("Numina Workbench: ") && l.Contains("?token="));
        Assert.NotNull(printed);
        var token = printed[(printed.IndexOf("?token=") + 7)..];
        Assert.Equal(48, token.Length);

        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false });
        var root = $"http://127.0.0.1:{port}";
        // Without the token: refused, every kind of request.
        foreach (var path in new[] { "/", "/runs", "/api/runs", "/v1/models", "/_blazor/negotiate?negotiateVersion=1" })
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(root + path)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.PostAsync(root + "/v1/completions", new StringContent("{\"prompt\":\"1+1\"}"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(root + "/?token=" + new string('0', 48))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await WebSocketStatus(port, cookie: null));

        // The token in the URL: the cookie (HTTP-only, same-site), and the address without it.
        var entry = await http.GetAsync(root + "/runs?token=" + token);
        Assert.Equal(HttpStatusCode.Redirect, entry.StatusCode);
        Assert.Equal("/runs", entry.Headers.Location!.OriginalString);
        var setCookie = Assert.Single(entry.Headers.GetValues("Set-Cookie"));
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        var cookie = setCookie.Split(';')[0];

        // With the cookie: pages, exports and the WebSocket upgrade are served.
        foreach (var path in new[] { "/", "/runs", "/api/runs" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, root + path);
            request.Headers.Add("Cookie", cookie);
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(request)).StatusCode);
        }
        Assert.NotEqual(HttpStatusCode.Unauthorized, await WebSocketStatus(port, cookie));
        // An OpenAI client's API key is the token.
        using (var models = new HttpRequestMessage(HttpMethod.Get, root + "/v1/models"))
        {
            models.Headers.Authorization = new("Bearer", token);
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(models)).StatusCode);
        }
    }

    [Fact]
    public async Task Loopback_is_open_unless_a_token_is_configured()
    {
        int port = WorkbenchCli.FreePort();
        await using (var open = await WorkbenchCli.Serve($"http://127.0.0.1:{port}", Config(), port, Answers(port)))
        {
            using var http = new HttpClient();
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"http://127.0.0.1:{port}/api/runs")).StatusCode);
            Assert.DoesNotContain(open.Output, l => l.Contains("?token="));
        }
        port = WorkbenchCli.FreePort();
        await using var closed = await WorkbenchCli.Serve($"http://127.0.0.1:{port}", Config(token: "team-secret-1"), port, Answers(port));
        using var client = new HttpClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync($"http://127.0.0.1:{port}/api/runs")).StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/api/runs");
        request.Headers.Authorization = new("Bearer", "team-secret-1");
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(request)).StatusCode);
        Assert.Contains(closed.Output, l => l.StartsWith($"Numina Workbench: http://127.0.0.1:{port} (with the access token of Workbench:Access:Token"));
        Assert.DoesNotContain(closed.Output, l => l.Contains("team-secret-1")); // a configured secret is not printed
    }
}
