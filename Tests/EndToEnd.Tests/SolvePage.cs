using Microsoft.Playwright;

namespace Numina.EndToEnd.Tests;

/// <summary>What a researcher does on the solve page, as Playwright steps.</summary>
public static class SolvePage
{
    public static async Task FillAsync(IPage page, string problem, int width = 8, int depth = 4, double temperature = 0.8, int? maxTokens = null, string? knownAnswer = null, string? seed = null)
    {
        await page.Locator("textarea[data-testid=problem-input]").FillAsync(problem);
        await SetAsync(page, "width", width.ToString());
        await SetAsync(page, "depth", depth.ToString());
        await SetAsync(page, "temperature", temperature.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (maxTokens is { } m) await SetAsync(page, "max-tokens", m.ToString());
        if (knownAnswer is not null) await SetAsync(page, "known-answer", knownAnswer);
        if (seed is not null) await SetAsync(page, "seed", seed);
        await page.WaitForTimeoutAsync(300); // the debounced problem text reaches the server
    }

    public static async Task SetAsync(IPage page, string testId, string value)
    {
        var input = page.Locator($"input[data-testid={testId}]");
        await input.FillAsync(value);
        await input.BlurAsync();
    }

    /// <summary>Presses Run (or Ctrl+Enter in the problem box) and returns the new run's id (once the panel shows that run, not the previous one).</summary>
    public static async Task<string> RunAsync(IPage page, bool keyboard = false)
    {
        var panel = page.Locator("[data-testid=run-panel]");
        var previous = await panel.CountAsync() > 0 ? await panel.GetAttributeAsync("data-run") : null;
        if (keyboard) await page.Locator("textarea[data-testid=problem-input]").PressAsync("Control+Enter");
        else await page.Locator("[data-testid=run]").ClickAsync();
        await page.WaitForFunctionAsync("previous => { const p = document.querySelector('[data-testid=run-panel]'); return p && p.dataset.run && p.dataset.run !== previous; }", previous ?? "");
        return (await panel.GetAttributeAsync("data-run"))!;
    }

    public static Task WaitForStatusAsync(IPage page, string status, float timeoutMs = 120_000) =>
        page.Locator($"[data-testid=run-panel][data-status={status}]").WaitForAsync(new() { Timeout = timeoutMs });

    public static async Task ScreenshotAsync(IPage page, string name) =>
        await page.ScreenshotAsync(new() { Path = Path.Combine(WorkbenchServer.Screenshots, name + ".png"), FullPage = true });
}
