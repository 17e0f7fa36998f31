using AngleSharp.Dom;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using Numina.Engine.Answers;
using Numina.Engine.Candidates;
using Numina.Engine.Events;
using Numina.Engine.Execution;
using Numina.Engine.Models;
using Numina.Engine.Problems;
using Numina.Engine.Runs;
using Numina.Engine.Settings;
using Numina.Workbench.Components.Runs;
using Numina.Workbench.Runs;

namespace Numina.Components.Tests;

public sealed class ComponentTests : IAsyncLifetime
{
    private readonly BunitContext _ctx = new();

    public Task InitializeAsync()
    {
        _ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        _ctx.Services.AddMudServices();
        _ctx.Renderer.SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: false));
        _ctx.Render<MudPopoverProvider>();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _ctx.DisposeAsync();

    [Fact]
    public void A_card_shows_status_code_output_and_traceback_distinctly()
    {
        var events = new Events().Start(2).Solve(0, "5", code: "import math\nx = 5  # five\nprint(x)");
        events.Add(new TextDelta(1, 0, 1, "```python\nprint(y)\n```\n```output\n", [0.3f]));
        events.Add(new RoundFinished(1, 0, 1, StopReason.StopString, 1));
        events.Add(new OutputReceived(1, 0, 1, CellOutcome.Error, "NameError: name 'y' is not defined\n```", 0.01, 9));
        events.Add(new CandidateRestarted(1, 2, 1, DecisionReason.NoCodeBlock));
        events.Add(new TextDelta(1, 1, 2, "Let me", [0.7f]));
        var run = events.View.Snapshot();

        var answered = _ctx.Render<CandidateCard>(p => p.Add(c => c.Candidate, run.Candidates[0]).Add(c => c.AnswerColor, "#2563eb"));
        Assert.Equal("answered 5", answered.Find("[data-testid=status-chip]").TextContent.Trim());
        Assert.Contains("#2563eb", answered.Find("[data-testid=candidate-card]").GetAttribute("style"));
        var code = answered.Find("pre.code");
        Assert.Equal("import", code.QuerySelector(".py-keyword")!.TextContent);
        Assert.Equal("# five", code.QuerySelector(".py-comment")!.TextContent);
        Assert.Equal("5", answered.Find("pre.output").TextContent);
        Assert.Contains("math", answered.Find(".transcript").InnerHtml); // the boxed answer is math for KaTeX
        Assert.NotEmpty(answered.FindAll(".math"));

        var failed = _ctx.Render<CandidateCard>(p => p.Add(c => c.Candidate, events.View.Snapshot().Candidates[1]));
        Assert.Equal("NameError: name 'y' is not defined", failed.Find("pre.traceback").TextContent);
        Assert.Empty(failed.FindAll("pre.output"));
        Assert.Contains("restarted — no code block (check 1)", failed.Find(".restart").TextContent);
        Assert.Contains("restarted 1×", failed.Markup);
    }

    [Fact]
    public void Text_being_written_is_plain_until_its_paragraph_ends()
    {
        var events = new Events().Start(1);
        events.Add(new TextDelta(0, 0, 1, "First we note that $x^2 = 4$.\n\nSo $x", [0.9f]));
        var card = _ctx.Render<CandidateCard>(p => p.Add(c => c.Candidate, events.View.Snapshot().Candidates[0]));
        Assert.Equal("So $x", card.Find(".tail").TextContent); // the half-written math is not parsed yet
        Assert.Single(card.FindAll(".math"));                   // the finished paragraph is Markdown + math
    }

    [Fact]
    public void Clicking_a_vote_filters_the_candidates_to_those_behind_it()
    {
        var events = new Events().Start(3).Solve(0, "5").Solve(1, "6").Solve(2, "5").Vote(("5", [0, 2]), ("6", [1]));
        var panel = _ctx.Render<RunPanel>(p => p.Add(c => c.View, events.View).Add(c => c.RefreshHz, 0));
        Assert.Equal(3, panel.FindAll("[data-testid=candidate-card]").Count);

        panel.Find("[data-testid=vote-chip][data-answer='6']").Click();
        var shown = panel.FindAll("[data-testid=candidate-card]");
        Assert.Equal(["1"], shown.Select(c => c.GetAttribute("data-candidate")));

        panel.Find("[data-testid=vote-chip][data-answer='5']").Click();
        Assert.Equal(["0", "2"], panel.FindAll("[data-testid=candidate-card]").Select(c => c.GetAttribute("data-candidate")));

        panel.Find("[data-testid=clear-filter]").Click();
        Assert.Equal(3, panel.FindAll("[data-testid=candidate-card]").Count);

        // The bars do the same; the one picked stands out, the others dim.
        Assert.Equal(["5", "6"], panel.FindAll("[data-testid=vote-bar]").Select(b => b.GetAttribute("data-answer")));
        panel.Find("[data-testid=vote-bar][data-answer='6']").Click();
        Assert.Equal(["1"], panel.FindAll("[data-testid=candidate-card]").Select(c => c.GetAttribute("data-candidate")));
        Assert.Equal(["5"], panel.FindAll("[data-testid=vote-bar].dimmed").Select(b => b.GetAttribute("data-answer")));
        var heights = panel.FindAll("[data-testid=vote-bar] rect").Select(r => double.Parse(r.GetAttribute("height")!, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(2.0, heights[0] / heights[1], 3); // two votes against one
    }

    [Fact]
    public void The_decision_log_filters_by_candidate_and_kind()
    {
        var events = new Events().Start(3).Solve(0, "5").Solve(1, "6");
        events.Add(new CandidateRestarted(2, 1, 1, DecisionReason.NoCodeBlock));
        events.Add(new CandidatePruned(2, 2, PruneReason.AnswerWithoutExecutedCode));
        events.Add(new SettingsChanged("temperature", "0.8", "0.5", []));
        var log = _ctx.Render<DecisionLog>(p => p.Add(c => c.Entries, events.View.Snapshot().Decisions));
        Assert.Equal(5, log.FindAll("[data-testid=decision-row]").Count);

        log.Find("input[data-testid=decision-candidate]").Input("2");
        var rows = log.FindAll("[data-testid=decision-row]");
        Assert.Equal(["restart", "prune"], rows.Select(r => r.GetAttribute("data-kind")));
        Assert.Contains("answer without executed code", rows[1].TextContent);

        log.Find("input[data-testid=decision-candidate]").Input("");
        log.Instance.Kind = "steer";
        log.Render();
        var steer = Assert.Single(log.FindAll("[data-testid=decision-row]"));
        Assert.Contains("temperature 0.8 → 0.5", steer.TextContent);
    }

    [Fact]
    public void A_stopped_run_marks_unfinished_candidates_cancelled_and_an_interrupted_one_says_so()
    {
        var events = new Events().Start(2).Solve(0, "5");
        events.Add(new TextDelta(1, 0, 1, "Let me", [0.9f]));
        var interrupted = RunView.FromEvents("run1", null, [], RunStatus.Interrupted);
        Assert.Equal(RunStatus.Interrupted, interrupted.Snapshot().Status);

        events.View.MarkInterrupted();
        var run = events.View.Snapshot();
        Assert.Equal(RunStatus.Interrupted, run.Status);
        Assert.Equal([CandidateStatus.Answered, CandidateStatus.Cancelled], run.Candidates.Select(c => c.Status));
        var panel = _ctx.Render<RunPanel>(p => p.Add(c => c.View, events.View).Add(c => c.RefreshHz, 0));
        Assert.Equal("Interrupted", panel.Find("[data-testid=run-panel]").GetAttribute("data-status"));
    }

    [Fact]
    public void A_policy_acting_shows_in_the_log_on_its_candidates_and_in_the_header()
    {
        var events = new Events();
        events.Add(new RunStarted(4, 4, 7, "Numina", "### Problem: What is 2 + 3?\n### Solution: ", 20, "stop when the first 2 agree; at most 2 candidates at once"));
        events.Solve(0, "5").Solve(1, "5");
        events.Add(new TextDelta(2, 0, 1, "Let me", [0.9f]));
        events.Add(new PolicyActed("early stop", "stopped early: the first 2 answers agree (5); 2 candidate(s) stopped", [2, 3]));
        events.Add(new CandidatePruned(2, 1, PruneReason.StoppedEarly));
        events.Add(new CandidatePruned(3, 0, PruneReason.StoppedEarly));
        events.Add(new PolicyActed("confidence pruning", "candidate 1 stopped: confidence 0.41 < 0.55 over its last 32 tokens", [1]));

        var run = events.View.Snapshot();
        Assert.Equal(["stopped early", "not started: stopped early"], run.Candidates.Skip(2).Select(c => c.StatusText));
        var log = _ctx.Render<DecisionLog>(p => p.Add(c => c.Entries, run.Decisions));
        var policy = log.FindAll("[data-testid=decision-row][data-kind=policy]");
        Assert.Equal(2, policy.Count);
        Assert.Contains("early stop: stopped early: the first 2 answers agree (5)", policy[0].TextContent);
        Assert.Contains("#1", policy[1].TextContent); // acting on one candidate, it is that candidate's entry
        Assert.Equal(2, log.FindAll("[data-testid=decision-row][data-kind=stopped]").Count);

        var panel = _ctx.Render<RunPanel>(p => p.Add(c => c.View, events.View).Add(c => c.RefreshHz, 0));
        Assert.Equal("policies: stop when the first 2 agree; at most 2 candidates at once", panel.Find("[data-testid=run-policies]").TextContent);
    }

    [Fact]
    public void A_run_with_no_valid_vote_says_its_answer_is_the_presets_fallback()
    {
        var events = new Events().Start(2);
        events.Add(new CandidatePruned(0, 1, PruneReason.AnswerWithoutExecutedCode));
        events.Add(new CandidatePruned(1, 1, PruneReason.AnswerWithoutExecutedCode));
        events.Add(new RunFinished("0", VoteTally.Empty, null));
        var panel = _ctx.Render<RunPanel>(p => p.Add(c => c.View, events.View).Add(c => c.RefreshHz, 0));
        Assert.Equal("0", panel.Find("[data-testid=final-answer]").GetAttribute("data-answer"));
        Assert.Contains("fallback", panel.Find("[data-testid=fallback-note]").TextContent);

        var voted = new Events().Start(2).Solve(0, "5").Solve(1, "5").Vote(("5", [0, 1]));
        voted.Add(new RunFinished("5", voted.View.Snapshot().Tally, null));
        var won = _ctx.Render<RunPanel>(p => p.Add(c => c.View, voted.View).Add(c => c.RefreshHz, 0));
        Assert.Equal("5", won.Find("[data-testid=final-answer]").GetAttribute("data-answer"));
        Assert.Empty(won.FindAll("[data-testid=fallback-note]"));
    }

    [Fact]
    public void A_queued_runs_header_shows_what_was_asked_for()
    {
        var view = new RunView("run2", "0.8", "1");
        var job = new RunJob
        {
            Id = "run2", View = view,
            Request = new RunRequest
            {
                Problem = Problem.Create("What is 2 + 3?"),
                Settings = new RunSettings { Decoding = new DecodingSettings { Width = 48, Depth = 3, Temperature = 0.6 } },
            },
        };
        var panel = _ctx.Render<RunPanel>(p => p.Add(c => c.View, view).Add(c => c.Job, job).Add(c => c.RefreshHz, 0));
        var facts = panel.Find("[data-testid=run-facts]").TextContent;
        Assert.Contains("N 48 · M 3 · T 0.6", facts);
        Assert.Contains("seed drawn at start", facts);
        Assert.DoesNotContain("N 0", facts);
    }

    /// <summary>A replay applies a stored run's events as they were: its elapsed time is the run's own, not the time since it ran.</summary>
    [Fact]
    public void A_replayed_runs_elapsed_time_is_the_runs_own()
    {
        var events = new Events().Start(2).Solve(0, "5"); // 9 events 0.1 s apart, days ago
        var panel = _ctx.Render<RunPanel>(p => p.Add(c => c.View, events.View).Add(c => c.RefreshHz, 0));
        Assert.EndsWith("· 0.8 s", panel.Find("[data-testid=run-facts]").TextContent.Trim());
    }
}
