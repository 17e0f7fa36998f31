using Numina.Engine.Candidates;
using Numina.Engine.Events;
using Numina.Engine.Execution;
using Numina.Engine.Models;
using Numina.Engine.Presets;
using Numina.Engine.Runs;
using Numina.Engine.Tests.Support;
using static Numina.Engine.Tests.Loop.LoopHarness;

namespace Numina.Engine.Tests.Loop;

/// <summary>
/// Fixed continuations played through the real loop and the real executor. Assertions are on the exact text the model
/// sees next, byte for byte.
/// </summary>
[Collection("sandbox")]
public class ScriptedLoopTests
{
    private const string CodeFive = "Let me compute.\n```python\nprint(2 + 3)\n```\n```output\n";

    [Fact]
    public async Task Code_then_output_then_answer()
    {
        var model = ScriptedModel.PerCandidate(Seed, [[CodeFive, "\nThe sum is \\boxed{5}."]]);
        var (record, events) = await Run(model, width: 1, depth: 4, knownAnswer: "5");

        Assert.Equal(Prompt + CodeFive + "5\n```", ContextAt(model, 0, 0, 2));
        var c = record.Candidates.Single();
        Assert.Equal(CandidateStatus.Answered, c.Status);
        Assert.Equal("5", c.Answer);
        Assert.Equal(2, c.AnsweredRound);
        Assert.Equal("5", record.Answer);
        Assert.True(record.Correct);
        Assert.Equal(RunStatus.Finished, record.Status);
        Assert.Equal([DecisionKind.Execute, DecisionKind.Retire], record.Decisions.Select(d => d.Kind));
        Assert.Equal([SegmentKind.Text, SegmentKind.Code, SegmentKind.Text, SegmentKind.Output, SegmentKind.Text], c.Current.Segments.Select(s => s.Kind));
        Assert.Equal(CodeFive + "5\n```" + "\nThe sum is \\boxed{5}.", c.Current.Text());
        // Tokens: the scripted model counts characters.
        Assert.Equal("5\n```".Length, c.AppendedTokens);
        Assert.Equal(CodeFive.Length + "\nThe sum is \\boxed{5}.".Length, c.GeneratedTokens);
        Assert.Equal(Prompt.Length, c.PromptTokens);
        Assert.IsType<RunFinished>(events[^1]);
    }

    [Fact]
    public async Task A_tool_output_with_no_room_left_ends_only_that_candidate()
    {
        const string LongOutput = "Let me print a lot.\n```python\nprint('x' * 400)\n```\n```output\n";
        var model = ScriptedModel.PerCandidate(Seed,
            [[LongOutput, "\nThe sum is \\boxed{7}."]],
            [[CodeFive, "\nThe sum is \\boxed{5}."]],
            [[CodeFive, "\nSo \\boxed{5}."]]);
        model.ContextRoom = 150;
        var (record, events) = await Run(model, width: 3, depth: 4, knownAnswer: "5");

        Assert.Equal(RunStatus.Finished, record.Status);
        Assert.Null(record.Error);
        Assert.Equal("5", record.Answer);
        var full = record.Candidates[0];
        Assert.Equal(CandidateStatus.Unanswered, full.Status);
        Assert.Contains("does not fit", full.Error);
        Assert.Contains(record.Decisions, d => d is { Candidate: 0, Reason: DecisionReason.ContextFull, Kind: DecisionKind.Unanswered });
        Assert.Contains(events.OfType<CandidateUnanswered>(), u => u.Candidate == 0 && u.Reason == DecisionReason.ContextFull && u.Error!.Contains("does not fit"));
        Assert.All(record.Candidates.Skip(1), c => Assert.Equal((CandidateStatus.Answered, "5"), (c.Status, c.Answer)));
    }

    [Fact]
    public async Task An_answer_in_round_one_after_unexecuted_code_is_pruned()
    {
        var model = ScriptedModel.PerCandidate(Seed, [["```python\nprint(2 + 3)\n```\nSo the answer is \\boxed{5}."]]);
        var (record, events) = await Run(model, width: 1, depth: 4);

        var c = record.Candidates.Single();
        Assert.Equal(CandidateStatus.Pruned, c.Status);
        Assert.Equal(PruneReason.AnswerWithoutExecutedCode, c.PruneReason);
        Assert.Null(c.Answer);
        Assert.Equal("0", record.Answer); // nobody voted: the Numina fallback
        Assert.Single(events.OfType<CandidatePruned>());
        Assert.Empty(events.OfType<CodeSubmitted>());
    }

    [Fact]
    public async Task An_answer_after_a_hand_written_output_block_counts_as_the_reference_tests_text()
    {
        // The model wrote its own output block without stopping: no output was ever appended by the executor, but the
        // reference's check 2 tests the transcript's text for "```output", so the answer is accepted (spec: check 2).
        var model = ScriptedModel.PerCandidate(Seed, [["```python\nprint(2 + 3)\n```\n```output 5```\nThe answer is \\boxed{5}."]]);
        var (record, _) = await Run(model, width: 1, depth: 4);
        Assert.Equal(CandidateStatus.Answered, record.Candidates.Single().Status);
        Assert.Equal("5", record.Candidates.Single().Answer);
        // Without any output block, the answer is pruned.
        var bare = ScriptedModel.PerCandidate(Seed, [["```python\nprint(2 + 3)\n```\nThe answer is \\boxed{5}."]]);
        Assert.Equal(CandidateStatus.Pruned, (await Run(bare, width: 1, depth: 4)).Record.Candidates.Single().Status);
    }

    [Fact]
    public async Task Only_a_complete_code_block_counts_for_check_1()
    {
        // An opened but never closed block is no code block (the reference's re.findall(r"```python(.*?)```")).
        var model = ScriptedModel.PerCandidate(Seed, [["```python\nprint(5)\nSo \\boxed{5}."], [CodeFive, "\\boxed{5}"]]);
        var (record, events) = await Run(model, width: 1, depth: 4);
        Assert.Equal(DecisionReason.NoCodeBlock, Assert.Single(events.OfType<CandidateRestarted>()).Reason);
        Assert.Equal("5", record.Candidates.Single().Answer);
    }

    [Fact]
    public async Task Error_then_traceback_then_corrected_code_then_answer()
    {
        const string bad = "```python\nvalues = [1, 2]\nprint(values[5])\n```\n```output\n";
        const string fix = "\nThe list is short; use the last item.\n```python\nvalues = [1, 2]\nprint(values[-1] * 7)\n```\n```output\n";
        var model = ScriptedModel.PerCandidate(Seed, [[bad, fix, "\nHence \\boxed{14}."]]);
        var (record, events) = await Run(model, width: 1, depth: 4);

        const string traceback = "Traceback (most recent call last):\n  File \"\n    print(values[5])\nIndexError: list index out of range\n```";
        Assert.Equal(Prompt + bad + traceback, ContextAt(model, 0, 0, 2));
        Assert.Equal(Prompt + bad + traceback + fix + "14\n```", ContextAt(model, 0, 0, 3));
        var c = record.Candidates.Single();
        Assert.Equal("14", c.Answer);
        Assert.Equal(2, c.Current.Executions);
        Assert.Equal([SegmentKind.Traceback, SegmentKind.Output], c.Current.Segments.Where(s => s.Round > 0 && s.Kind is SegmentKind.Output or SegmentKind.Traceback).Select(s => s.Kind));
        Assert.Equal([CellOutcome.Error, CellOutcome.Success], events.OfType<OutputReceived>().Select(o => o.Outcome));
    }

    [Fact]
    public async Task An_answer_without_any_code_restarts_and_never_counts()
    {
        var model = ScriptedModel.PerCandidate(Seed,
            [["The answer is \\boxed{3}."], [CodeFive, "\n\\boxed{5}"]]);
        var (record, events) = await Run(model, width: 1, depth: 4);

        var c = record.Candidates.Single();
        Assert.Equal(1, c.Restarts);
        Assert.Equal("5", c.Answer);
        Assert.Equal(3, c.AnsweredRound); // the restart used a round: rounds are counted per candidate, restarts included
        Assert.Equal(Prompt, ContextAt(model, 0, 1, 1)); // restarted from the bare prompt
        var restart = Assert.Single(events.OfType<CandidateRestarted>());
        Assert.Equal(DecisionReason.NoCodeBlock, restart.Reason);
        Assert.DoesNotContain(record.Vote.Buckets, b => b.Answer == "3");
        Assert.NotEqual(Seeds.ForAttempt(Seed, 0, 0), c.Attempts[1].Seed);
    }

    [Fact]
    public async Task A_candidate_that_only_answers_without_code_is_never_counted()
    {
        // Golden case: a transcript whose only answer is \boxed{3} with no code block is restarted, never counted.
        var model = new ScriptedModel(_ => "The answer is \\boxed{3}.");
        var (record, events) = await Run(model, width: 2, depth: 3);
        Assert.All(record.Candidates, c =>
        {
            Assert.Equal(CandidateStatus.Unanswered, c.Status);
            Assert.Equal(3, c.Attempts.Count);
            Assert.Null(c.Answer);
        });
        // Rounds 1 and 2 restart; round 3 is the last, so no attempt follows and no restart is published for one:
        // the candidate ends unanswered for the restart's reason.
        Assert.Equal(4, events.OfType<CandidateRestarted>().Count());
        Assert.All(events.OfType<CandidateRestarted>(), r => Assert.True(r.Round < 3));
        Assert.All(events.OfType<CandidateUnanswered>(), u => Assert.Equal((3, DecisionReason.NoCodeBlock), (u.Round, u.Reason)));
        Assert.Equal(2, events.OfType<CandidateUnanswered>().Count());
        Assert.Equal(0, record.Vote.ValidVotes);
        Assert.Equal("0", record.Answer);
    }

    [Fact]
    public async Task Token_limit_restarts_the_candidate()
    {
        var rambling = "```python\nprint(1)\n```\n" + new string('#', 200); // a complete block, then no end
        var model = ScriptedModel.PerCandidate(Seed, [[rambling], [CodeFive, "\\boxed{5}"]]);
        var (record, events) = await Run(model, width: 1, depth: 4, maxNewTokens: 100);

        var first = events.OfType<RoundFinished>().First();
        Assert.Equal(StopReason.TokenLimit, first.StopReason);
        Assert.Equal(100, first.GeneratedTokens);
        Assert.Equal(DecisionReason.TokenLimit, Assert.Single(events.OfType<CandidateRestarted>()).Reason);
        Assert.Equal("5", record.Candidates.Single().Answer);
    }

    [Fact]
    public async Task The_last_round_ends_unanswered_even_when_code_is_waiting()
    {
        var model = ScriptedModel.PerCandidate(Seed, [[CodeFive, "\nOne more check.\n```python\nprint(5)\n```\n```output\n"]]);
        var (record, events) = await Run(model, width: 1, depth: 2);

        var c = record.Candidates.Single();
        Assert.Equal(CandidateStatus.Unanswered, c.Status);
        Assert.Equal(1, c.Current.Executions); // the second block never ran
        Assert.Equal(DecisionReason.LastRound, Assert.Single(events.OfType<CandidateUnanswered>()).Reason);
        Assert.Equal("0", record.Answer);
    }

    [Theory]
    [InlineData(new[] { "5", "7", "7", "5" }, "5")]
    [InlineData(new[] { "7", "5", "5", "7" }, "7")]
    public async Task Ties_go_to_the_first_answer_seen(string[] answers, string winner)
    {
        var model = ScriptedModel.PerCandidate(Seed, answers.Select(a => new[] { new[] { CodeFive, $"\n\\boxed{{{a}}}" } }).ToArray());
        var (record, _) = await Run(model, width: 4, depth: 2);
        Assert.Equal(winner, record.Answer);
        Assert.Equal(2, record.Vote.Buckets[0].Count);
    }

    [Fact]
    public async Task First_seen_means_earliest_retirement_round_not_lowest_index()
    {
        // Candidate 0 answers 5 only in round 3; candidates 1-3 answer 7, 5, 7 in round 2: 7 was seen first.
        var model = ScriptedModel.PerCandidate(Seed,
            [[CodeFive, "\nCheck again.\n```python\nprint(5)\n```\n```output\n", "\\boxed{5}"]],
            [[CodeFive, "\\boxed{7}"]],
            [[CodeFive, "\\boxed{5}"]],
            [[CodeFive, "\\boxed{7}"]]);
        var (record, _) = await Run(model, width: 4, depth: 4);
        Assert.Equal(3, record.Candidates[0].AnsweredRound);
        Assert.Equal("7", record.Answer);
    }

    [Fact]
    public async Task Forbidden_code_is_refused_not_run()
    {
        var model = ScriptedModel.PerCandidate(Seed, [["```python\nimport subprocess\nsubprocess.run(['ls'])\n```\n```output\n", "\\boxed{1}"]]);
        var (record, _) = await Run(model, width: 1, depth: 3);
        Assert.Equal(Prompt + "```python\nimport subprocess\nsubprocess.run(['ls'])\n```\n```output\nsubprocess is not allowed\n```", ContextAt(model, 0, 0, 2));
        Assert.Equal(CellOutcome.Refused, record.Candidates[0].Current.Segments.Single(s => s.Kind == SegmentKind.Output).Outcome);
    }

    [Fact]
    public async Task Events_tell_the_whole_story_in_order()
    {
        var model = ScriptedModel.PerCandidate(Seed,
            [[CodeFive, "\n\\boxed{5}"]],
            [["no code here."], [CodeFive, "\n\\boxed{5}"]],
            [["```python\nprint(1/0)\n```\n```output\n", "\\boxed{4}"]]);
        var (record, events) = await Run(model, width: 3, depth: 4);

        Assert.IsType<RunStarted>(events[0]);
        Assert.IsType<RunFinished>(events[^1]);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Sequence));
        Assert.All(events, e => Assert.Equal(record.Id, e.RunId));
        // Streaming deltas rebuild each attempt's model text exactly.
        foreach (var c in record.Candidates)
            foreach (var a in c.Attempts)
            {
                var streamed = string.Concat(events.OfType<TextDelta>().Where(d => d.Candidate == c.Index && d.Attempt == a.Number).Select(d => d.Text));
                var written = string.Concat(a.Segments.Where(s => s.Kind is SegmentKind.Text or SegmentKind.Code).Select(s => s.Text));
                Assert.Equal(written, streamed);
            }
        Assert.Equal(3, events.OfType<CandidateAnswered>().Count());
        Assert.Equal(3, events.OfType<VoteUpdated>().Count());
        var finished = (RunFinished)events[^1];
        Assert.Equal("5", finished.Answer);
        Assert.Equal(2, finished.Tally.Buckets[0].Count);
        Assert.Equal(record.Decisions.Count, events.OfType<RoundFinished>().Count());
    }

    [Fact]
    public async Task The_record_round_trips_through_json()
    {
        var model = ScriptedModel.PerCandidate(Seed, [[CodeFive, "\\boxed{5}"]], [["plain"], [CodeFive, "\\boxed{6}"]]);
        var (record, _) = await Run(model, width: 2, depth: 3);
        var json = record.ToJson();
        var back = RunRecord.FromJson(json);
        Assert.Equal(json, back.ToJson());
        Assert.Contains("\"status\": \"Finished\"", json);
        Assert.Equal(record.Preset, back.Preset with { ForbiddenWords = record.Preset.ForbiddenWords });
        Assert.Equal(record.Preset.ForbiddenWords, back.Preset.ForbiddenWords);
        Assert.Equal(record.Settings, back.Settings with { Decoding = record.Settings.Decoding } );
        Assert.Equal(record.Settings.Decoding, back.Settings.Decoding);
        Assert.Equal(record.Candidates[1].Attempts[1].Text(), back.Candidates[1].Attempts[1].Text());
    }

    [Fact]
    public async Task Cancellation_mid_run_leaves_a_consistent_record()
    {
        using var cts = new CancellationTokenSource();
        var model = new ScriptedModel(call => call.CallNumber == 1 ? CodeFive : "\nThinking very slowly " + new string('.', 400) + "\\boxed{5}")
        {
            DelayPerPiece = TimeSpan.FromMilliseconds(20),
        };
        var cancelOnFirstOutput = new CallbackSink(e => { if (e is OutputReceived) cts.Cancel(); });
        var (record, events) = await Run(model, width: 4, depth: 4, cancellationToken: cts.Token, extraSink: cancelOnFirstOutput);

        Assert.Equal(RunStatus.Cancelled, record.Status);
        Assert.IsType<RunCancelled>(events[^1]);
        Assert.All(record.Candidates, c => Assert.True(c.IsFinished, $"candidate {c.Index} is {c.Status}"));
        Assert.Contains(record.Candidates, c => c.Status == CandidateStatus.Cancelled);
        Assert.NotNull(record.FinishedAt);
        Assert.Equal(0, model.LiveSequences); // every sequence was disposed
        Assert.Equal(record.ToJson(), RunRecord.FromJson(record.ToJson()).ToJson());
    }

    private sealed class CallbackSink(Action<RunEvent> action) : IRunEventSink
    {
        public void Publish(RunEvent runEvent) => action(runEvent);
    }

    [Fact]
    public async Task A_failing_model_fails_the_run_with_its_error()
    {
        var model = new ScriptedModel(call => call.Seed == Seeds.ForAttempt(Seed, 1, 0) ? throw new InvalidOperationException("backend exploded") : CodeFive);
        var (record, events) = await Run(model, width: 3, depth: 2);
        Assert.Equal(RunStatus.Failed, record.Status);
        Assert.Equal("backend exploded", record.Error);
        Assert.Equal(CandidateStatus.Failed, record.Candidates[1].Status);
        Assert.All(record.Candidates, c => Assert.True(c.IsFinished));
        Assert.Equal("backend exploded", Assert.IsType<RunFailed>(events[^1]).Error);
    }

    public static TheoryData<string> Executors() => new("processes", "sandbox");

    [Theory]
    [MemberData(nameof(Executors))]
    public async Task Jupyter_or_stateless_is_one_setting_and_the_loop_does_not_change(string executorName)
    {
        Func<ICodeExecutor> executor = executorName == "sandbox"
            ? () => Sandbox.SandboxKit.Pool(workers: 1)
            : () => Python.Executor();
        const string define = "```python\nx = 5\n```\n```output\n";
        const string use = "\n```python\nprint(x + 1)\n```\n```output\n";
        var script = new[] { new[] { define, use, "\\boxed{6}" } };
        var notebook = ScriptedModel.PerCandidate(Seed, script);
        var (jupyter, _) = await Run(notebook, width: 1, depth: 4, mode: Numina.Engine.Settings.ExecutionMode.Jupyter, executorFactory: executor);
        Assert.EndsWith(use + "6\n```", ContextAt(notebook, 0, 0, 3));
        Assert.Equal("6", jupyter.Answer);

        var fresh = ScriptedModel.PerCandidate(Seed, script);
        await Run(fresh, width: 1, depth: 4, mode: Numina.Engine.Settings.ExecutionMode.Stateless, executorFactory: executor);
        Assert.EndsWith(use + "Traceback (most recent call last):\n  File \"\n    print(x + 1)\nNameError: name 'x' is not defined\n```", ContextAt(fresh, 0, 0, 3));
    }
}
