using System.Diagnostics;
using System.Text.Json;
using Microsoft.Playwright;

namespace Numina.EndToEnd.Tests;

public sealed class ServerAndBrowser : IAsyncLifetime
{
    public WorkbenchServer Server { get; private set; } = null!;
    public Browser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await WorkbenchServer.StartAsync();
        Browser = await Browser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        await Server.DisposeAsync();
    }
}

/// <summary>
/// The workbench in Chromium against the published app with the bundled tiny model and the real sandbox: solve,
/// steer, stop, history, replay, export. Screenshots land in artifacts/screenshots.
/// </summary>
[Collection("e2e")]
public sealed class WorkbenchTests(ServerAndBrowser fixture) : IClassFixture<ServerAndBrowser>
{
    private const string DigitSum = "What is the sum of the digits of $4728163$?";

    [Fact]
    public async Task A_problem_streams_its_candidates_to_a_voted_answer()
    {
        var page = await fixture.Browser.OpenAsync(fixture.Server.Url + "/");
        await SolvePage.FillAsync(page, DigitSum, width: 8, depth: 4, knownAnswer: "31", seed: "11");
        Assert.True(await page.Locator("[data-testid=problem-preview] .katex").CountAsync() >= 1, "the preview typesets the problem's math with KaTeX");

        // Watch the page while it runs, in the page itself: the transcript text must grow over several renders.
        await page.EvaluateAsync(@"() => {
            window.numinaLengths = new Set();
            new MutationObserver(() => {
                const panel = document.querySelector('[data-testid=run-panel]');
                if (panel && panel.dataset.status === 'Running')
                    window.numinaLengths.add([...document.querySelectorAll('[data-testid=transcript]')].reduce((n, e) => n + e.textContent.length, 0));
            }).observe(document.body, { subtree: true, childList: true, characterData: true });
        }");
        var runId = await SolvePage.RunAsync(page);
        await SolvePage.WaitForStatusAsync(page, "Finished");
        int lengths = await page.EvaluateAsync<int>("() => window.numinaLengths.size");
        await SolvePage.ScreenshotAsync(page, "1-solve-finished");

        Assert.True(lengths >= 3, $"the candidates' text grew over several renders while the run ran (saw {lengths} lengths)");
        Assert.Equal(8, await page.Locator("[data-testid=candidate-card]").CountAsync());
        Assert.True(await page.Locator("[data-testid=output], [data-testid=traceback]").CountAsync() >= 1, "code outputs appear in the cards");
        Assert.True(await page.Locator("[data-testid=vote-chip]").CountAsync() >= 1, "the vote histogram filled");
        Assert.True(await page.Locator("[data-testid=vote-histogram] [data-testid=vote-bar]").CountAsync() >= 1, "the histogram drew its bars");
        var answer = await page.Locator("[data-testid=final-answer]").GetAttributeAsync("data-answer");
        Assert.False(string.IsNullOrEmpty(answer));
        Assert.Equal(1, await page.Locator("[data-testid=correctness]").CountAsync());

        // Clicking a vote filters the cards to the candidates behind that answer.
        var chip = page.Locator("[data-testid=vote-chip]").First;
        var chipAnswer = await chip.GetAttributeAsync("data-answer");
        await chip.ClickAsync();
        await page.WaitForTimeoutAsync(300);
        var shown = await page.Locator("[data-testid=candidate-card]").EvaluateAllAsync<string[]>("cards => cards.map(c => c.dataset.answer)");
        Assert.NotEmpty(shown);
        Assert.All(shown, a => Assert.Equal(chipAnswer, a));
        await SolvePage.ScreenshotAsync(page, "2-filtered-by-answer");

        // The candidate detail: heat strip of token probabilities and a re-run of its first cell.
        await Browser.GotoAsync(page, $"{fixture.Server.Url}/runs/{runId}/candidates/0");
        await page.Locator("[data-testid=heat-toggle]").CheckAsync(new() { Force = true });
        await page.Locator("[data-testid=heat-strip]").First.WaitForAsync();
        if (await page.Locator("[data-testid=rerun-cell]").CountAsync() > 0)
        {
            await page.Locator("[data-testid=rerun-cell]").First.ClickAsync();
            await page.Locator("[data-testid=rerun-output]").First.WaitForAsync();
        }
        await SolvePage.ScreenshotAsync(page, "3-candidate-detail");
    }

    [Fact]
    public async Task N_and_temperature_change_mid_run_and_Stop_cancels_it()
    {
        var page = await fixture.Browser.OpenAsync(fixture.Server.Url + "/");
        // A high temperature makes the tiny model ramble to its token limits, and 16 rounds let the rambling go on: a run
        // long enough to steer (at M = 4 the stage-6 model's run of this seed is over in about 6 s, before the clicks).
        await SolvePage.FillAsync(page, DigitSum, width: 8, depth: 16, temperature: 3, maxTokens: 1024, seed: "5");
        await SolvePage.RunAsync(page);
        await SolvePage.WaitForStatusAsync(page, "Running");
        await page.Locator("[data-testid=steering]").WaitForAsync();
        await page.WaitForFunctionAsync("() => /generated [1-9]/.test(document.querySelector('[data-testid=run-facts]').textContent)");

        // Still hot enough to ramble (so the run outlasts the test's clicks), but changed.
        await SolvePage.SetAsync(page, "steer-n", "10");
        await SolvePage.SetAsync(page, "steer-temperature", "2.5");
        await page.Locator("[data-testid=steer-apply]").ClickAsync();

        await page.Locator("[data-testid=timeline-item]", new() { HasText = "N 8 → 10" }).WaitForAsync();
        await page.Locator("[data-testid=timeline-item]", new() { HasText = "temperature 3 → 2.5" }).WaitForAsync();
        // What was applied is said under the bar, not in pop-ups that stack over the page's fields and buttons.
        Assert.Equal("applied: N 8 → 10; temperature 3 → 2.5", (await page.Locator("[data-testid=steer-applied]").InnerTextAsync()).Trim());
        Assert.Equal(0, await page.Locator(".mud-snackbar").CountAsync());
        await page.WaitForFunctionAsync("() => document.querySelectorAll('[data-testid=candidate-card]').length === 10");
        Assert.Contains("T 2.5", await page.Locator("[data-testid=run-facts]").InnerTextAsync());
        // The added candidates really decode: their cards fill with text.
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('[data-testid=candidate-card][data-candidate=\"9\"] [data-testid=transcript]')].some(t => t.textContent.length > 0)");
        Assert.True(await page.Locator("[data-testid=decision-row][data-kind=steer]").CountAsync() >= 2);
        await SolvePage.ScreenshotAsync(page, "4-steered");

        // Values that are not numbers, or out of range, are refused with their messages and change nothing.
        await SolvePage.SetAsync(page, "steer-n", "0");
        await SolvePage.SetAsync(page, "steer-temperature", "abc");
        await page.Locator("[data-testid=steer-apply]").ClickAsync();
        await page.Locator("[data-testid=steer-error-line]", new() { HasText = "Temperature must be a number, such as 0.8 (got \"abc\")." }).WaitForAsync();
        await SolvePage.SetAsync(page, "steer-temperature", "6");
        await page.Locator("[data-testid=steer-apply]").ClickAsync();
        await page.Locator("[data-testid=steer-error-line]", new() { HasText = "Width N must be between 1 and 512 (got 0)." }).WaitForAsync();
        await page.Locator("[data-testid=steer-error-line]", new() { HasText = "Temperature must be a finite number from 0 to 5 (got 6)." }).WaitForAsync();
        Assert.Equal(10, await page.Locator("[data-testid=candidate-card]").CountAsync());
        Assert.Contains("T 2.5", await page.Locator("[data-testid=run-facts]").InnerTextAsync());
        Assert.Equal(0, await page.Locator("[data-testid=timeline-item]", new() { HasText = "N 10 → 0" }).CountAsync());
        Assert.Equal(2, await page.Locator("[data-testid=timeline-item]").CountAsync()); // refused values and unchanged ones add nothing

        // The browser drops its connection and comes back (a reload: a new circuit): the run carried on, and the page
        // catches up with it — the same run, its ten cards, its steering on the timeline.
        var runId = await page.Locator("[data-testid=run-panel]").GetAttributeAsync("data-run");
        var generated = await page.Locator("[data-testid=run-facts]").InnerTextAsync();
        await page.ReloadAsync();
        await Browser.WaitInteractiveAsync(page);
        await page.Locator($"[data-testid=run-panel][data-run='{runId}']").WaitForAsync();
        await page.WaitForFunctionAsync("() => document.querySelectorAll('[data-testid=candidate-card]').length === 10");
        await page.Locator("[data-testid=timeline-item]", new() { HasText = "N 8 → 10" }).WaitForAsync();
        await page.WaitForFunctionAsync("before => document.querySelector('[data-testid=run-facts]').textContent !== before", generated);

        Assert.Equal("Running", await page.Locator("[data-testid=run-panel]").GetAttributeAsync("data-status"));
        await page.Locator("[data-testid=stop]").ClickAsync();
        await SolvePage.WaitForStatusAsync(page, "Cancelled", 30_000);
        await SolvePage.ScreenshotAsync(page, "5-stopped");
    }

    [Fact]
    public async Task A_long_paste_keeps_the_connection_and_a_reload_keeps_the_draft()
    {
        var page = await fixture.Browser.OpenAsync(fixture.Server.Url + "/");
        // 100,000 characters with backslashes (JSON doubles them): with SignalR's default 32 KB message limit a paste
        // of ~16 KB closed the connection. The page stays connected and the preview follows.
        const string Line = "Consider a_k = k^2 \\cdot 3 for k \\ge 1 and \\{x\\}, then sum them. ";
        var text = string.Concat(Enumerable.Repeat(Line, 100_000 / Line.Length + 1))[..(100_000 - 12)] + "END-OF-PASTE";
        var problem = page.Locator("textarea[data-testid=problem-input]");
        await problem.FillAsync(text);
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=problem-preview]').textContent.includes('END-OF-PASTE')");
        Assert.Equal(0, await page.Locator("[data-testid=settings-problem]").CountAsync());
        Assert.False(await page.Locator("#components-reconnect-modal").EvaluateAsync<bool>("d => d.open"));

        // Beyond the limit: a message, and the connection still holds.
        await problem.FillAsync(text + text[..30_000]);
        await page.Locator("[data-testid=settings-problem]", new() { HasText = "130,000 characters long; at most 128,000 are taken" }).WaitForAsync();
        Assert.True(await page.Locator("[data-testid=run]").IsDisabledAsync());

        // What was typed comes back after a reload of the tab (as after a dropped connection), bad values included.
        await problem.FillAsync("Draft: what is $6 \\times 7$?");
        await SolvePage.SetAsync(page, "width", "6");
        await SolvePage.SetAsync(page, "temperature", "abc");
        await page.ReloadAsync();
        await Browser.WaitInteractiveAsync(page);
        await page.Locator("[data-testid=draft-restored]").WaitForAsync();
        Assert.Equal("Draft: what is $6 \\times 7$?", await problem.InputValueAsync());
        Assert.Equal("6", await page.Locator("input[data-testid=width]").InputValueAsync());
        Assert.Equal("abc", await page.Locator("input[data-testid=temperature]").InputValueAsync());
        await page.Locator("[data-testid=settings-problem]", new() { HasText = "Temperature must be a number, such as 0.8 (got \"abc\")." }).WaitForAsync();

        // A new tab starts from the defaults.
        var other = await fixture.Browser.OpenAsync(fixture.Server.Url + "/");
        Assert.Equal("", await other.Locator("textarea[data-testid=problem-input]").InputValueAsync());
        Assert.Equal(0, await other.Locator("[data-testid=draft-restored]").CountAsync());
    }

    [Fact]
    public async Task Runs_are_kept_found_in_history_replayed_and_exported()
    {
        var page = await fixture.Browser.OpenAsync(fixture.Server.Url + "/");
        await SolvePage.FillAsync(page, "Solve for $x$: $12x + 35 = 491$.", width: 4, depth: 4, knownAnswer: "38", seed: "3");
        var runId = await SolvePage.RunAsync(page);
        await SolvePage.WaitForStatusAsync(page, "Finished");

        // A fresh page load (a new circuit): the run is in the history, stored.
        await Browser.GotoAsync(page, fixture.Server.Url + "/runs");
        await page.ReloadAsync();
        await Browser.WaitInteractiveAsync(page);
        var link = page.Locator($"[data-testid=history-open][data-run='{runId}']");
        await link.WaitForAsync();
        await SolvePage.ScreenshotAsync(page, "6-history");
        await link.ClickAsync();
        await page.WaitForURLAsync($"**/runs/{runId}");
        await page.Locator("[data-testid=run-panel][data-status=Finished]").WaitForAsync();
        int cards = await page.Locator("[data-testid=candidate-card]").CountAsync();
        Assert.Equal(4, cards);
        var storedClock = Elapsed(await page.Locator("[data-testid=run-facts]").InnerTextAsync());

        // Replay: the view starts empty and fills again from the stored events.
        // Watched in the page: the replay empties the cards, shows its progress, and fills them again.
        await page.EvaluateAsync(@"() => {
            window.numinaReplay = { emptied: false, progress: false };
            new MutationObserver(() => {
                if (document.querySelector('[data-testid=replaying]')) window.numinaReplay.progress = true;
                if (document.querySelectorAll('[data-testid=candidate-card]').length === 0) window.numinaReplay.emptied = true;
            }).observe(document.body, { subtree: true, childList: true });
        }");
        await page.Locator("[data-testid=replay]").ClickAsync();
        await page.WaitForFunctionAsync("() => window.numinaReplay.progress && window.numinaReplay.emptied");
        await page.Locator("[data-testid=replaying]").WaitForAsync(new() { State = WaitForSelectorState.Detached, Timeout = 120_000 });
        await page.Locator("[data-testid=run-panel][data-status=Finished]").WaitForAsync(new() { Timeout = 120_000 });
        Assert.Equal(4, await page.Locator("[data-testid=candidate-card]").CountAsync());
        // The replay's clock is the run's own (its last event), not the time since the run first started.
        Assert.Equal(storedClock, Elapsed(await page.Locator("[data-testid=run-facts]").InnerTextAsync()));
        await SolvePage.ScreenshotAsync(page, "7-replayed");

        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("[data-testid=export-json]").ClickAsync());
        var path = Path.Combine(Path.GetTempPath(), $"numina-export-{runId}.json");
        await download.SaveAsAsync(path);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(path));
        Assert.Equal(runId, json.RootElement.GetProperty("id").GetString());
        Assert.Equal("Finished", json.RootElement.GetProperty("status").GetString());
        Assert.True(json.RootElement.GetProperty("events").GetArrayLength() > 10);
        Assert.Equal(4, json.RootElement.GetProperty("record").GetProperty("candidates").GetArrayLength());

        using var http = new HttpClient();
        var jsonl = await http.GetStringAsync($"{fixture.Server.Url}/api/runs?ids={runId}");
        Assert.Equal(runId, JsonDocument.Parse(jsonl.Split('\n')[0]).RootElement.GetProperty("id").GetString());
    }

    private static string Elapsed(string facts) => System.Text.RegularExpressions.Regex.Match(facts, @"([0-9.]+) s\s*$").Groups[1].Value;

    [Fact]
    public async Task The_context_size_field_reaches_the_run_a_queued_run_shows_what_it_asked_and_no_valid_vote_names_the_fallback()
    {
        var page = await fixture.Browser.OpenAsync(fixture.Server.Url + "/");
        // A 64-token context cannot hold the 72-token prompt: the run says to raise the context size (the field is read).
        await SolvePage.FillAsync(page, DigitSum, width: 2, depth: 2, maxTokens: 32);
        await SolvePage.SetAsync(page, "context-size", "64");
        await SolvePage.RunAsync(page);
        await SolvePage.WaitForStatusAsync(page, "Failed");
        Assert.Contains("context size", await page.Locator("[data-testid=run-error]").InnerTextAsync());

        // One round: no candidate can run code and answer, so no valid vote — the header names the preset's fallback.
        // A second run asked for at once waits its turn, and its header shows what was asked for.
        await SolvePage.SetAsync(page, "context-size", "2048");
        await SolvePage.FillAsync(page, DigitSum, width: 6, depth: 1, temperature: 3, maxTokens: 1024, seed: "9"); // rambles: long enough to queue behind
        var first = await SolvePage.RunAsync(page);
        await SolvePage.FillAsync(page, DigitSum, width: 3, depth: 2, temperature: 0.5, seed: "10");
        var second = await SolvePage.RunAsync(page);
        Assert.Equal("Queued", await page.Locator("[data-testid=run-panel]").GetAttributeAsync("data-status"));
        Assert.Contains("N 3 · M 2 · T 0.5 · top_p 1 · seed 10", await page.Locator("[data-testid=run-facts]").InnerTextAsync());
        await SolvePage.WaitForStatusAsync(page, "Finished");
        Assert.Equal(second, await page.Locator("[data-testid=run-panel]").GetAttributeAsync("data-run"));
        await Browser.GotoAsync(page, $"{fixture.Server.Url}/runs/{first}");
        await page.Locator("[data-testid=run-panel][data-status=Finished]").WaitForAsync();
        Assert.Equal("0", await page.Locator("[data-testid=final-answer]").GetAttributeAsync("data-answer"));
        Assert.Contains("no valid vote: the preset's fallback", await page.Locator("[data-testid=fallback-note]").InnerTextAsync());
        await SolvePage.ScreenshotAsync(page, "no-valid-vote-fallback-named");
    }

    [Fact]
    public async Task A_failing_run_shows_its_error_and_a_sample_problem_then_solves()
    {
        var page = await fixture.Browser.OpenAsync(fixture.Server.Url + "/");
        // A problem far longer than the context: the run fails with a clear error, and the app carries on.
        await SolvePage.FillAsync(page, string.Join(" ", Enumerable.Repeat("What is the sum of the digits of $4728163$?", 80)));
        await SolvePage.RunAsync(page);
        await SolvePage.WaitForStatusAsync(page, "Failed");
        Assert.Contains("context", await page.Locator("[data-testid=run-error]").InnerTextAsync());
        await SolvePage.ScreenshotAsync(page, "11-failed-run");

        // A newcomer's path: pick a sample (it brings its known answer), press Ctrl+Enter.
        await page.Locator("[data-testid=sample-select]").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = "Each crate holds 12 bottles" }).ClickAsync();
        await page.WaitForFunctionAsync("() => document.querySelector('input[data-testid=known-answer]').value === '133'");
        Assert.StartsWith("Each crate holds 12 bottles", await page.Locator("textarea[data-testid=problem-input]").InputValueAsync());
        await SolvePage.RunAsync(page, keyboard: true); // Ctrl+Enter in the problem box
        await SolvePage.WaitForStatusAsync(page, "Finished");
        Assert.Equal(1, await page.Locator("[data-testid=correctness]").CountAsync());
    }

    [Fact]
    public async Task An_evaluation_runs_from_the_page_with_charts_and_links_to_its_runs()
    {
        var page = await fixture.Browser.OpenAsync(fixture.Server.Url + "/eval");
        // A typed path is the dataset used: the list says so while the path is there, and is back when it is cleared.
        var notUsed = page.GetByText("not used: the path below is");
        await SolvePage.SetAsync(page, "eval-path", "data/elsewhere.jsonl");
        await notUsed.WaitForAsync();
        await SolvePage.SetAsync(page, "eval-path", "");
        await notUsed.WaitForAsync(new() { State = WaitForSelectorState.Detached });
        await SolvePage.SetAsync(page, "eval-limit", "3");
        await SolvePage.SetAsync(page, "eval-n", "4");
        await page.Locator("[data-testid=eval-start]").ClickAsync();
        // Its runs go through the one run queue, beside a researcher's: the Status page shows them there.
        var status = await fixture.Browser.OpenAsync(fixture.Server.Url + "/status");
        await status.Locator("[data-testid=queue-running]", new() { HasText = "(evaluation " }).WaitForAsync(new() { Timeout = 60_000 });
        await status.CloseAsync();
        try { await page.Locator("[data-testid=eval-panel][data-running=false]").WaitForAsync(new() { Timeout = 180_000 }); }
        catch (TimeoutException)
        {
            File.WriteAllText(Path.Combine(WorkbenchServer.Screenshots, "eval-timeout-server.log"), fixture.Server.Log);
            await SolvePage.ScreenshotAsync(page, "eval-timeout");
            throw;
        }
        Assert.Equal(3, await page.Locator("[data-testid=eval-results] tbody tr").CountAsync());
        Assert.Contains("pass@4", await page.Locator("[data-testid=eval-summary]").InnerTextAsync());
        await page.WaitForFunctionAsync("() => document.querySelectorAll('.js-plotly-plot').length === 2");
        await SolvePage.ScreenshotAsync(page, "12-evaluation");

        await page.Locator("[data-testid=eval-results] tbody tr a").First.ClickAsync();
        await page.Locator("[data-testid=run-panel][data-status=Finished]").WaitForAsync();
        Assert.Equal(4, await page.Locator("[data-testid=candidate-card]").CountAsync());
    }

    [Fact]
    public async Task A_candidate_branched_from_a_cell_with_edited_code_joins_the_run_and_its_vote_at_N_48()
    {
        var page = await fixture.Browser.OpenAsync(fixture.Server.Url + "/");
        await SolvePage.FillAsync(page, DigitSum, width: 48, depth: 4, seed: "4848");
        var runId = await SolvePage.RunAsync(page);
        await SolvePage.WaitForStatusAsync(page, "Finished");
        int votesBefore = int.Parse((await page.Locator("[data-testid=valid-votes]").GetAttributeAsync("data-valid"))!);

        // Candidate 3's first cell, its code edited, branched into the run.
        await Browser.GotoAsync(page, $"{fixture.Server.Url}/runs/{runId}/candidates/3");
        var cell = page.Locator("[data-testid=code-cell]").First;
        var source = cell.Locator("textarea[data-testid=cell-source], [data-testid=cell-source] textarea").First;
        await source.FillAsync("print(1000)");
        await source.BlurAsync();
        await cell.Locator("[data-testid=branch-cell]").ClickAsync();
        await page.Locator("[data-testid=branch-panel]").WaitForAsync();
        await page.Locator("[data-testid=branch-edited]").WaitForAsync();
        await SolvePage.ScreenshotAsync(page, "branch-panel-cell-with-edited-code");
        await page.Locator("[data-testid=branch-submit]").ClickAsync();

        // The run is taken up again, the branch runs, and the run finishes again with it in the vote.
        await page.WaitForURLAsync($"**/runs/{runId}");
        await SolvePage.WaitForStatusAsync(page, "Finished");
        var tile = page.Locator("[data-testid=tile][data-candidate='48']");
        Assert.Equal("3", (await tile.Locator("[data-testid=tile-branch]").TextContentAsync())?.Trim());
        Assert.Equal(49, await page.Locator("[data-testid=tile]").CountAsync());
        var card = page.Locator("[data-testid=candidate-card][data-candidate='48']");
        Assert.Contains("branch of #3, code edited", await card.Locator("[data-testid=branch-chip]").TextContentAsync());
        Assert.Contains("print(1000)", await card.Locator("pre.code.inherited").First.TextContentAsync());
        Assert.Equal("1000", (await card.Locator("pre.output:not(.inherited)").First.TextContentAsync())?.Trim());
        Assert.Equal("Answered", await card.GetAttributeAsync("data-status"));
        Assert.Equal(votesBefore + 1, int.Parse((await page.Locator("[data-testid=valid-votes]").GetAttributeAsync("data-valid"))!));
        var branchAnswer = await card.GetAttributeAsync("data-answer");
        Assert.True(await page.Locator($"[data-testid=vote-chip][data-answer='{branchAnswer}']").CountAsync() == 1, "the branch's answer is in the vote");
        Assert.Contains("branched from #3", await page.Locator("[data-testid=run-panel]").TextContentAsync());
        // (cards off screen are not painted until scrolled to: the overview and the vote from the top, the branch's card alone)
        await page.ScreenshotAsync(new() { Path = Path.Combine(WorkbenchServer.Screenshots, "branch-joined-the-vote-n48.png") });
        await card.ScrollIntoViewIfNeededAsync();
        await page.WaitForTimeoutAsync(300); // painted at its real size once on screen
        await card.ScreenshotAsync(new() { Path = Path.Combine(WorkbenchServer.Screenshots, "branch-card-with-edited-code-n48.png") });

        // In the tree it grows, dotted, from candidate 3's cell.
        await page.Locator("[data-testid=layout-tree]").ClickAsync();
        var tree = page.Locator("[data-testid=candidate-tree]");
        await tree.WaitForAsync();
        Assert.Equal(1, await tree.Locator("line.branch").CountAsync());
        await tree.ScreenshotAsync(new() { Path = Path.Combine(WorkbenchServer.Screenshots, "tree-branch-from-cell-n48.png") });

        // The stored run keeps it: the history's run page (from the store) shows 49 candidates and the branch.
        await Browser.GotoAsync(page, $"{fixture.Server.Url}/runs/{runId}/candidates/48");
        Assert.Contains("branch of #3", await page.Locator("[data-testid=branch-origin]").TextContentAsync());
    }

    [Fact]
    public async Task Two_runs_of_one_problem_at_N_48_are_compared_side_by_side_from_the_history()
    {
        var page = await fixture.Browser.OpenAsync(fixture.Server.Url + "/");
        await SolvePage.FillAsync(page, DigitSum, width: 48, depth: 4, temperature: 0.8, knownAnswer: "31", seed: "21");
        var cool = await SolvePage.RunAsync(page);
        await SolvePage.WaitForStatusAsync(page, "Finished");
        await SolvePage.FillAsync(page, DigitSum, width: 48, depth: 4, temperature: 1.5, knownAnswer: "31", seed: "21");
        var hot = await SolvePage.RunAsync(page);
        await SolvePage.WaitForStatusAsync(page, "Finished");

        await Browser.GotoAsync(page, fixture.Server.Url + "/runs");
        foreach (var id in new[] { cool, hot })
            await page.Locator("tr", new() { Has = page.Locator($"[data-testid=history-open][data-run='{id}']") }).Locator("input[type=checkbox]").CheckAsync(new() { Force = true });
        await page.Locator("[data-testid=compare-selected]").ClickAsync();
        await page.WaitForURLAsync("**/compare?ids=*");
        await page.Locator("[data-testid=compare]").WaitForAsync();

        Assert.Equal([cool, hot], await page.Locator("[data-testid=compare-run]").EvaluateAllAsync<string[]>("ths => ths.map(t => t.dataset.run)"));
        var table = await page.Locator("[data-testid=compare-table]").TextContentAsync();
        Assert.Contains("0.8 · 1", table);
        Assert.Contains("1.5 · 1", table);
        Assert.Contains("known answer's share", table);
        Assert.True(await page.Locator("[data-testid=compare-vote-row]").CountAsync() >= 1);
        Assert.Equal(48, await page.Locator("[data-testid=compare-candidate-row]").CountAsync());
        Assert.Equal(96, await page.Locator("[data-testid=compare-cell]").CountAsync());
        Assert.Matches(@"\d+ of 48 give the same answer", await page.Locator("[data-testid=compare-aligned]").TextContentAsync());
        await SolvePage.ScreenshotAsync(page, "compare-two-runs-n48-t0.8-vs-t1.5");

        // A cell opens that candidate of that run.
        await page.Locator("[data-testid=compare-cell]").Nth(3).ClickAsync();
        await page.WaitForURLAsync($"**/runs/{hot}/candidates/1");
    }

    private sealed record UpdateSample(double At, double Lag);

    private const string EndedTiles = "() => document.querySelectorAll('[data-testid=tile]:is([data-status=Answered],[data-status=Pruned],[data-status=Unanswered],[data-status=Failed])').length";

    /// <summary>
    /// The overview and the tree at N = 48 — tiles that follow the run on one screen, a drawn tree — and, not as a timed
    /// test, what N = 48 costs (updates reaching the page per second, server memory).
    /// </summary>
    [Fact]
    public async Task At_N_48_the_overview_fits_one_screen_and_follows_the_run_and_the_tree_draws_it()
    {
        var page = await fixture.Browser.OpenAsync(fixture.Server.Url + "/");
        int frames = 0;
        page.WebSocket += (_, ws) => ws.FrameReceived += (_, _) => Interlocked.Increment(ref frames);
        await page.ReloadAsync(); // the circuit's socket is opened after the handler is attached
        await Browser.WaitInteractiveAsync(page);
        await SolvePage.FillAsync(page, DigitSum, width: 48, depth: 4, seed: "48");

        double idleRss = fixture.Server.RssMiB(), peakRss = 0;
        // In the page: each update applied (the panel's version changes) and how far behind the newest event it was.
        await page.EvaluateAsync(@"() => {
            window.numinaUpdates = [];
            window.numinaTiles = new Set(); // the overview's cells at each update
            let last = null;
            new MutationObserver(() => {
                const p = document.querySelector('[data-testid=run-panel]');
                if (!p || p.dataset.status !== 'Running' || p.dataset.version === last || !p.dataset.lastEvent) return;
                last = p.dataset.version;
                window.numinaUpdates.push({ at: performance.now(), lag: Date.now() - Number(p.dataset.lastEvent) });
                window.numinaTiles.add([...document.querySelectorAll('[data-testid=tile] .cell')].map(c => c.dataset.kind).join());
            }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-version'] });
        }");
        var runId = await SolvePage.RunAsync(page);
        await SolvePage.WaitForStatusAsync(page, "Running");
        int startFrames = frames;
        var clock = Stopwatch.StartNew();
        while (await page.Locator("[data-testid=run-panel]").GetAttributeAsync("data-status") == "Running")
        {
            peakRss = Math.Max(peakRss, fixture.Server.RssMiB());
            await Task.Delay(200);
        }
        double seconds = clock.Elapsed.TotalSeconds;
        int updates = frames - startFrames;
        await SolvePage.WaitForStatusAsync(page, "Finished");
        Assert.Equal(48, await page.Locator("[data-testid=candidate-card]").CountAsync());
        await SolvePage.ScreenshotAsync(page, "8-n48");
        var applied = (await page.EvaluateAsync<double[][]>("() => window.numinaUpdates.map(u => [u.at, u.lag])")).Select(u => new UpdateSample(u[0], u[1])).ToArray();
        // Applied updates per second over the run, and the lag (newest event shown → applied) in its first and last thirds.
        double span = applied.Length > 1 ? (applied[^1].At - applied[0].At) / 1000 : double.NaN;
        var thirds = applied.Chunk(Math.Max(1, (applied.Length + 2) / 3)).Select(c => c.Average(u => u.Lag)).ToArray();
        var lines = new[]
        {
            $"N=48: {applied.Length} updates applied in the page over {span:0.0} s of a {seconds:0.0} s run ({updates} websocket frames); " +
            $"lag first third {thirds.First():0} ms, last third {thirds.Last():0} ms; server RSS idle {idleRss:0} MiB, peak {peakRss:0} MiB",
            $"value page-updates-per-second-n48 = {(applied.Length - 1) / span:0.0} /s",
            $"value update-lag-first-third-n48 = {thirds.First():0} ms",
            $"value update-lag-last-third-n48 = {thirds.Last():0} ms",
            $"value server-rss-peak-n48 = {peakRss:0} MiB",
            $"value server-rss-run-above-idle-n48 = {peakRss - idleRss:0} MiB",
        };
        foreach (var line in lines) Console.WriteLine(line);
        await File.WriteAllLinesAsync(Path.Combine(WorkbenchServer.Screenshots, "n48-measurement.txt"), lines);
        Assert.True(applied.Length >= 3, "the page applied updates while the run ran");

        // The overview: 48 tiles that followed the run and fit one screen.
        int states = await page.EvaluateAsync<int>("() => window.numinaTiles.size");
        Assert.True(states >= 3, $"the tiles changed while the run ran ({states} different states seen)");
        Assert.Equal(48, await page.EvaluateAsync<int>(EndedTiles));
        var overview = page.Locator("[data-testid=overview]");
        await overview.ScrollIntoViewIfNeededAsync();
        var box = (await overview.BoundingBoxAsync())!;
        Assert.True(box.Height < 1000 / 2.0, $"48 tiles take {box.Height:0} px of a 1000 px screen");
        var tiles = page.Locator("[data-testid=tile]");
        Assert.Equal(48, await tiles.CountAsync());
        Assert.Equal(48, await page.EvaluateAsync<int>(@"() => [...document.querySelectorAll('[data-testid=tile]')]
            .filter(t => { const r = t.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth; }).length"));
        Assert.True(await page.Locator("[data-testid=tile] [data-kind=Output]").CountAsync() >= 24, "most tiles show an executed cell");
        await page.ScreenshotAsync(new() { Path = Path.Combine(WorkbenchServer.Screenshots, "overview-n48-one-screen.png"), Clip = new() { X = 0, Y = box.Y - 40, Width = 1600, Height = Math.Min(1000, box.Height + 60) } });
        var title = await tiles.Nth(5).GetAttributeAsync("title");
        Assert.StartsWith("#5 · ", title);

        // How the vote converged (both lines drawn), and a confidence sparkline on every card.
        var convergence = page.Locator("[data-testid=convergence]");
        Assert.False(string.IsNullOrEmpty(await convergence.Locator("[data-testid=convergence-leader]").GetAttributeAsync("points")));
        Assert.False(string.IsNullOrEmpty(await convergence.Locator("[data-testid=convergence-runner-up]").GetAttributeAsync("points")));
        Assert.True(int.Parse((await convergence.Locator("[data-testid=convergence-summary]").GetAttributeAsync("data-points"))!) >= 48, "a point per finished candidate at least");
        Assert.True(await page.Locator("[data-testid=candidate-card] [data-testid=sparkline]").CountAsync() >= 47, "sparklines on the cards");
        await convergence.ScrollIntoViewIfNeededAsync();
        await convergence.ScreenshotAsync(new() { Path = Path.Combine(WorkbenchServer.Screenshots, "convergence-n48.png") });

        // The tree at N = 48: a node per step, the majority's branches drawn thick; a tile opens its candidate.
        await page.Locator("[data-testid=layout-tree]").ClickAsync();
        var tree = page.Locator("[data-testid=candidate-tree]");
        await tree.WaitForAsync();
        Assert.True(await tree.Locator("[data-testid=tree-node]").CountAsync() >= 1 + 48 * 2, "at least a step and a leaf per candidate");
        Assert.True(await tree.Locator("line.majority").CountAsync() >= 2, "the majority's branches are highlighted");
        await tree.ScrollIntoViewIfNeededAsync();
        await tree.ScreenshotAsync(new() { Path = Path.Combine(WorkbenchServer.Screenshots, "tree-n48.png") });
        await page.Locator("[data-testid=tree-collapse-all]").ClickAsync();
        await page.WaitForFunctionAsync("() => document.querySelectorAll('[data-testid=tree-node]').length === 49");
        await tree.ScreenshotAsync(new() { Path = Path.Combine(WorkbenchServer.Screenshots, "tree-n48-collapsed.png") });
        await tiles.Nth(5).ClickAsync();
        await page.WaitForURLAsync("**/candidates/5");

        // The same run replayed at 1× (the same pacing, no decoding beside it): what the page alone can take.
        await Browser.GotoAsync(page, $"{fixture.Server.Url}/runs/{runId}");
        await page.Locator("[data-testid=replay-speed]").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = "1×" }).First.ClickAsync();
        await page.EvaluateAsync(@"() => {
            window.numinaReplayed = [];
            let last = null;
            new MutationObserver(() => {
                const p = document.querySelector('[data-testid=run-panel]');
                if (!p || p.dataset.status !== 'Running' || p.dataset.version === last) return;
                last = p.dataset.version;
                window.numinaReplayed.push(performance.now());
            }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-version'] });
        }");
        await page.Locator("[data-testid=replay]").ClickAsync();
        await page.Locator("[data-testid=replaying]").WaitForAsync();
        await page.Locator("[data-testid=replaying]").WaitForAsync(new() { State = WaitForSelectorState.Detached, Timeout = 120_000 });
        var replayed = await page.EvaluateAsync<double[]>("() => window.numinaReplayed");
        double replaySpan = replayed.Length > 1 ? (replayed[^1] - replayed[0]) / 1000 : double.NaN;
        var replayLine = $"value page-updates-per-second-n48-replay = {(replayed.Length - 1) / replaySpan:0.0} /s";
        Console.WriteLine(replayLine);
        await File.AppendAllLinesAsync(Path.Combine(WorkbenchServer.Screenshots, "n48-measurement.txt"),
            [$"replayed at 1x without decoding: {replayed.Length} updates applied over {replaySpan:0.0} s", replayLine]);
        Assert.True(replayed.Length >= 3, "the replay updated the page");
    }
}
