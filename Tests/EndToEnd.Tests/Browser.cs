using Microsoft.Playwright;

namespace Numina.EndToEnd.Tests;

/// <summary>Debian's Chromium through Playwright (never `playwright install`: nothing is downloaded).</summary>
public sealed class Browser : IAsyncDisposable
{
    private readonly IPlaywright _playwright;
    public IBrowserContext Context { get; }
    public List<string> ConsoleErrors { get; } = [];

    private Browser(IPlaywright playwright, IBrowserContext context) => (_playwright, Context) = (playwright, context);

    public static async Task<Browser> LaunchAsync()
    {
        var playwright = await Playwright.CreateAsync();
        var context = await playwright.Chromium.LaunchPersistentContextAsync(Directory.CreateTempSubdirectory("numina-chromium-").FullName, new()
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
            ViewportSize = new ViewportSize { Width = 1600, Height = 1000 },
            AcceptDownloads = true,
        });
        context.SetDefaultTimeout(30_000);
        return new Browser(playwright, context);
    }

    public async Task<IPage> OpenAsync(string url)
    {
        var page = await Context.NewPageAsync();
        page.Console += (_, m) => { if (m.Type == "error") lock (ConsoleErrors) ConsoleErrors.Add(m.Text); };
        await GotoAsync(page, url);
        return page;
    }

    /// <summary>Navigates and waits until the page's circuit is interactive (before that, clicks do nothing).</summary>
    public static async Task GotoAsync(IPage page, string url)
    {
        await page.GotoAsync(url);
        await WaitInteractiveAsync(page);
    }

    public static Task WaitInteractiveAsync(IPage page) => page.Locator("[data-testid=layout][data-interactive=true]").WaitForAsync();

    public async ValueTask DisposeAsync()
    {
        foreach (var page in Context.Pages.ToList())
        {
            try { await page.GotoAsync("about:blank"); } catch (PlaywrightException) { }
        }
        await Context.CloseAsync();
        _playwright.Dispose();
    }
}
