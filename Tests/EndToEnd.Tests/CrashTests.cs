namespace Numina.EndToEnd.Tests;

/// <summary>kill -9 of the server in the middle of a run; after a restart the earlier run is intact and the killed one is interrupted.</summary>
[Collection("e2e")]
public sealed class CrashTests
{
    [Fact]
    public async Task A_server_killed_mid_run_keeps_earlier_runs_and_marks_the_killed_one_interrupted()
    {
        await using var server = await WorkbenchServer.StartAsync();
        await using (var browser = await Browser.LaunchAsync())
        {
            var page = await browser.OpenAsync(server.Url + "/");
            await SolvePage.FillAsync(page, "What is the sum of the digits of $4728163$?", width: 4, depth: 4, seed: "1");
            var finished = await SolvePage.RunAsync(page);
            await SolvePage.WaitForStatusAsync(page, "Finished");

            await SolvePage.FillAsync(page, "What is the sum of the digits of $4728163$?", width: 8, depth: 4, temperature: 3, maxTokens: 1024, seed: "2");
            var killed = await SolvePage.RunAsync(page);
            Assert.NotEqual(finished, killed);
            await SolvePage.WaitForStatusAsync(page, "Running");
            await page.WaitForFunctionAsync("() => [...document.querySelectorAll('[data-testid=transcript]')].reduce((n, e) => n + e.textContent.length, 0) > 200");
            server.Kill9();

            await server.RestartAsync();
            await Browser.GotoAsync(page, server.Url + "/runs");
            await page.Locator($"[data-testid=history-open][data-run='{killed}']").WaitForAsync();
            var rows = await page.Locator("[data-testid=history-table] tbody tr").AllInnerTextsAsync();
            Assert.Contains(rows, r => r.Contains("Finished"));
            Assert.Contains(rows, r => r.Contains("Interrupted"));
            await SolvePage.ScreenshotAsync(page, "9-after-kill9-history");

            await Browser.GotoAsync(page, $"{server.Url}/runs/{killed}");
            await page.Locator("[data-testid=run-panel][data-status=Interrupted]").WaitForAsync();
            Assert.True(await page.Locator("[data-testid=candidate-card]").CountAsync() >= 8, "the killed run's candidates, up to its last event");
            await Browser.GotoAsync(page, $"{server.Url}/runs/{finished}");
            await page.Locator("[data-testid=run-panel][data-status=Finished]").WaitForAsync();
            await SolvePage.ScreenshotAsync(page, "10-after-kill9-interrupted-run");
        }
    }
}
