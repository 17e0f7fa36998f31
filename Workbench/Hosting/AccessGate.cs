using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Numina.Workbench.Hosting;

/// <summary>
/// Who may reach the workbench, as Jupyter does it: anyone who can reach the port can run code in the sandbox, so when
/// the app listens on anything but loopback every request — pages, the Blazor WebSocket, the exports, the
/// OpenAI-compatible endpoint — needs a token: generated at start and printed with the URL, or configured
/// (<c>Workbench:Access:Token</c>, which also turns the check on for loopback). A browser brings it once in the URL
/// (<c>?token=…</c>) and keeps it in an HTTP-only, same-site cookie; scripts and OpenAI clients send it as
/// <c>Authorization: Bearer …</c> (their API key).
/// </summary>
public sealed class AccessGate
{
    public const string CookieName = "numina-token";

    /// <summary>The token every request must bring; null when the app is open (loopback, none configured).</summary>
    public string? Token { get; }
    /// <summary>Whether the token was made at start (then it is printed).</summary>
    public bool Generated { get; }

    private AccessGate(string? token, bool generated) => (Token, Generated) = (token, generated);

    /// <summary>The gate for these listening addresses: a configured token always; else one made now unless all are loopback.</summary>
    public static AccessGate For(IEnumerable<string> urls, string? configuredToken)
    {
        if (!string.IsNullOrWhiteSpace(configuredToken)) return new AccessGate(configuredToken.Trim(), generated: false);
        if (urls.All(IsLoopback)) return new AccessGate(null, generated: false);
        return new AccessGate(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)), generated: true);
    }

    /// <summary>Whether a listening address is reachable only from this machine (127.0.0.0/8, ::1, localhost).</summary>
    public static bool IsLoopback(string url)
    {
        // Kestrel's wildcards (http://*:5080, http://+:5080) are not valid URIs: they listen everywhere.
        var host = url.Split("://", 2) is [_, var rest] ? rest : url;
        host = host.Split('/')[0];
        if (host.StartsWith('[')) host = host[1..host.IndexOf(']')];
        else if (host.LastIndexOf(':') is var colon and > 0) host = host[..colon];
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip);
    }

    /// <summary>The address to open: with a token made at start; a configured one is not printed (it is in the configuration).</summary>
    public string Link(string url) => Token is null ? url
        : Generated ? $"{url.TrimEnd('/')}/?token={Token}"
        : $"{url} (with the access token of Workbench:Access:Token: …/?token=<token>, or 'Authorization: Bearer <token>')";

    /// <summary>Refuses, with 401, every request that brings no token; a token in the URL becomes the cookie.</summary>
    public void Use(IApplicationBuilder app)
    {
        if (Token is null) return;
        app.Use(async (http, next) =>
        {
            var fromQuery = http.Request.Query["token"].ToString();
            if (fromQuery.Length > 0 && Matches(fromQuery))
            {
                http.Response.Cookies.Append(CookieName, Token, new CookieOptions
                {
                    HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = http.Request.IsHttps, Path = "/", IsEssential = true,
                });
                if (HttpMethods.IsGet(http.Request.Method) && !http.WebSockets.IsWebSocketRequest)
                {
                    // Off the address bar and out of the history, as Jupyter does.
                    var rest = http.Request.Query.Where(q => q.Key != "token").Select(q => $"{Uri.EscapeDataString(q.Key)}={Uri.EscapeDataString(q.Value.ToString())}");
                    var query = string.Join("&", rest);
                    http.Response.Redirect(http.Request.PathBase + http.Request.Path + (query.Length > 0 ? "?" + query : ""));
                    return;
                }
                await next(http);
                return;
            }
            if (http.Request.Cookies.TryGetValue(CookieName, out var cookie) && Matches(cookie)) { await next(http); return; }
            var authorization = http.Request.Headers.Authorization.ToString();
            if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && Matches(authorization["Bearer ".Length..].Trim())) { await next(http); return; }

            http.Response.StatusCode = StatusCodes.Status401Unauthorized;
            http.Response.Headers.WWWAuthenticate = "Bearer realm=\"numina-workbench\"";
            http.Response.ContentType = "text/plain; charset=utf-8";
            await http.Response.WriteAsync(
                "This workbench needs its access token: open the address it printed at start (…/?token=…), " +
                "or send it as 'Authorization: Bearer <token>'.\n");
        });
    }

    private bool Matches(string candidate) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(candidate), Encoding.UTF8.GetBytes(Token!));
}
