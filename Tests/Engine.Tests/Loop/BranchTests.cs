using System.Text.RegularExpressions;
using Numina.Engine.Candidates;
using Numina.Engine.Events;
using Numina.Engine.Presets;
using Numina.Engine.Problems;
using Numina.Engine.Runs;
using Numina.Engine.Settings;
using Numina.Engine.Tests.Support;

namespace Numina.Engine.Tests.Loop;

/// <summary>
/// Branching a candidate by hand: from a cell (its code edited or not), an output or a token, inside a running run or
/// into a finished one taken up again. A scripted model that answers whatever its last output says, and real python3.
/// </summary>
[Collection("sandbox")]
public class BranchTests
{
    private const ulong RunSeed = 7;
    private const string Code = "Let me compute.\n```python\nprint(2 + 3)\n```\n```output\n";

    /// <summary>Writes <see cref="Code"/> until its context holds an output, then answers what the last output says.</summary>
    private static string Script(ScriptCall call)
    {
        var outputs = Regex.Matches(call.Context, "```output\n(.*?)\n```", RegexOptions.Singleline);
        return outputs.Count == 0 ? Code : $"\nThe answer is \\boxed{{{outputs[^1].Groups[1].Value.Trim()}}}.";
    }

    private static RunRequest Request(int width, ExecutionMode mode = ExecutionMode.Stateless) => new()
    {
        Problem = Problem.Create("What is 2 + 3?"),
        Preset = BuiltInPresets.Numina,
        Settings = new RunSettings { Decoding = new DecodingSettings { Width = width, Depth = 4, Seed = RunSeed }, Execution = mode },
    };

    /// <summary>Candidate 1 writes slowly, so the run is still running when candidate 0 has answered.</summary>
    private static ScriptedModel SlowSecond() => new(Script)
    {
        PieceLength = 2,
        Jitter = (seed, _) => seed == Seeds.ForAttempt(RunSeed, 1, 0) ? TimeSpan.FromMilliseconds(40) : TimeSpan.Zero,
    };

    private static async Task<(RunRecord Record, IReadOnlyList<RunEvent> Events)> RunBranching(ScriptedModel model, BranchPoint point)
    {
        await using var executor = Python.Executor();
        var control = new RunControl();
        int? branched = null;
        var sink = new TriggerSink(e => e is CandidateAnswered { Candidate: 0 }, () => branched = control.Branch(point));
        var record = await new SctirLoop(model, executor).RunAsync(Request(2), sink, CancellationToken.None, control);
        await sink.Acted!;
        Assert.Null(sink.Error);
        Assert.Equal(2, branched);
        return (record, sink.Recorded.Events);
    }

    [Fact]
    public async Task A_branch_from_a_cell_with_edited_code_runs_the_new_code_goes_on_and_joins_the_vote()
    {
        var model = SlowSecond();
        var point = new BranchPoint { Candidate = 0, Offset = Code.Length, Code = "print(2 * 3)" };
        var (record, events) = await RunBranching(model, point);

        Assert.Equal(3, record.Candidates.Count);
        var branch = record.Candidates[2];
        Assert.Equal(point, branch.Branch!.Point);
        Assert.True(branch.Branch.RunsCode);
        Assert.Equal(CandidateStatus.Answered, branch.Status);
        Assert.Equal("6", branch.Answer);
        // Its transcript: the source's up to the cell, the edited code in place, the new output, then its own writing.
        Assert.StartsWith("Let me compute.\n```python\nprint(2 * 3)\n```\n```output\n6\n```\nThe answer is \\boxed{6}.", branch.Current.Text());
        // The model never wrote the inherited part: its one call saw it, with the new output, after the prompt.
        var call = Assert.Single(model.Calls, c => c.Seed == Seeds.ForAttempt(RunSeed, 2, 0));
        Assert.EndsWith("```python\nprint(2 * 3)\n```\n```output\n6\n```", call.Context);
        Assert.Equal(("print(2 * 3)", 1), events.OfType<CodeSubmitted>().Where(e => e.Candidate == 2).Select(e => (e.Code, e.Round)).Single());
        var started = Assert.Single(events.OfType<BranchStarted>());
        Assert.Equal((2, 0, 0), (started.Candidate, started.From.Candidate, started.Attempt));

        // It votes beside the others: 5 twice, 6 once. N is still 2 (a branch is extra).
        Assert.Equal([("5", 2), ("6", 1)], record.Vote.Buckets.Select(b => (b.Answer, b.Count)));
        Assert.Equal("5", record.Answer);
        Assert.Equal(2, events.OfType<RunStarted>().Single().Width);
        Assert.Equal(0, model.LiveSequences);
    }

    [Fact]
    public async Task A_branch_from_a_token_goes_on_writing_that_round_with_its_own_seed_and_temperature()
    {
        var model = SlowSecond();
        var point = new BranchPoint { Candidate = 0, Offset = "Let me".Length, Temperature = 1.7, Seed = 12345 };
        var (record, _) = await RunBranching(model, point);

        var branch = record.Candidates[2];
        Assert.False(branch.Branch!.RunsCode);
        Assert.Equal(12345ul, branch.Attempts[0].Seed);
        var first = model.Calls.Where(c => c.Seed == 12345).OrderBy(c => c.CallNumber).First();
        Assert.EndsWith("### Solution: Let me", first.Context.Replace("\r", ""), StringComparison.Ordinal);
        Assert.Equal(1.7, first.Temperature, 3);
        Assert.Equal(1, record.Decisions.First(d => d.Candidate == 2).Round); // it went on in round 1
        Assert.Equal(CandidateStatus.Answered, branch.Status);
        Assert.Equal("5", branch.Answer);
    }

    [Fact]
    public async Task A_finished_run_is_taken_up_again_for_a_branch_and_finishes_with_it_in_the_vote()
    {
        await using var executor = Python.Executor();
        var model = new ScriptedModel(Script);
        var first = new RecordingEventSink();
        var request = Request(2);
        var record = await new SctirLoop(model, executor).RunAsync(request, first, CancellationToken.None);
        Assert.Equal((RunStatus.Finished, 2), (record.Status, record.Vote.ValidVotes));
        long last = first.Events.Max(e => e.Sequence);

        var again = new RecordingEventSink();
        var point = new BranchPoint { Candidate = 1, Offset = Code.Length, Code = "print(40 + 2)" };
        var resumed = await new SctirLoop(model, executor).ContinueAsync(record, request, last, [point], again, CancellationToken.None);

        Assert.Equal(RunStatus.Finished, resumed.Status);
        Assert.Equal(3, resumed.Candidates.Count);
        Assert.Equal("42", resumed.Candidates[2].Answer);
        Assert.Equal([("5", 2), ("42", 1)], resumed.Vote.Buckets.Select(b => (b.Answer, b.Count)));
        // The events go on from where the run's stopped: taken up, the branch, a new finish.
        Assert.Equal(last + 1, again.Events[0].Sequence);
        Assert.IsType<RunResumed>(again.Events[0]);
        Assert.Equal(3, Assert.IsType<RunFinished>(again.Events[^1]).Tally.ValidVotes);
        Assert.Equal(Enumerable.Range(0, again.Events.Count).Select(i => last + 1 + i), again.Events.Select(e => e.Sequence));

        // Another model cannot take the run up: its prompt state would not be the run's.
        var other = new ScriptedModel(Script);
        var foreign = RunRecord.FromJson(resumed.ToJson());
        foreign = RunRecord.FromJson(foreign.ToJson().Replace("\"name\": \"scripted\"", "\"name\": \"another\""));
        var e = Assert.Throws<InvalidOperationException>(() => { _ = new SctirLoop(other, executor).ContinueAsync(foreign, request, 99, [point], again, CancellationToken.None); });
        Assert.Contains("made with another", e.Message);
    }

    [Fact]
    public async Task In_jupyter_mode_a_branch_runs_the_inherited_cells_again_so_its_cell_sees_their_names()
    {
        const string First = "First x.\n```python\nx = 2\nprint(x)\n```\n```output\n";
        const string Second = "\nNow ten times.\n```python\nprint(x * 10)\n```\n```output\n";
        var model = new ScriptedModel(call => Regex.Matches(call.Context, "```output").Count switch
        {
            0 => First,
            1 => Second,
            _ => Script(call),
        });
        await using var executor = Python.Executor();
        var request = Request(1, ExecutionMode.Jupyter);
        var sink = new RecordingEventSink();
        var record = await new SctirLoop(model, executor).RunAsync(request, sink, CancellationToken.None);
        Assert.Equal("20", record.Candidates[0].Answer);

        // Branch at the second cell with x * 100: x must exist in the branch's fresh namespace.
        var text = record.Candidates[0].Current.Text();
        int cell = text.IndexOf("```output", text.IndexOf("ten times", StringComparison.Ordinal), StringComparison.Ordinal) + "```output\n".Length;
        var point = new BranchPoint { Candidate = 0, Offset = cell, Code = "print(x * 100)" };
        var start = BranchStart.From(record.Candidates[0], point, request.Preset);
        Assert.Equal(["x = 2\nprint(x)"], start.EarlierCells);
        Assert.Equal(2, start.Round);
        var resumed = await new SctirLoop(model, executor).ContinueAsync(record, request, sink.Events.Max(e => e.Sequence), [point], new RecordingEventSink(), CancellationToken.None);
        Assert.Equal("200", resumed.Candidates[1].Answer);
        Assert.DoesNotContain("NameError", resumed.Candidates[1].Current.Text());
    }

    [Fact]
    public void A_point_inside_an_output_keeps_the_whole_output_and_edited_code_needs_a_cell()
    {
        var source = new Candidate { Index = 3 };
        var attempt = new Attempt { Number = 0, FirstRound = 1 };
        attempt.AddModelText(Code, 1, "```python", "```");
        attempt.Segments.Add(new Segment(SegmentKind.Output, "5\n```", 1));
        attempt.AddModelText("\nThe answer is \\boxed{5}.", 2, "```python", "```");
        source.Attempts.Add(attempt);
        var preset = BuiltInPresets.Numina;

        var inOutput = BranchStart.From(source, new BranchPoint { Candidate = 3, Offset = Code.Length + 1 }, preset);
        Assert.Equal(Code + "5\n```", string.Concat(inOutput.Segments.Select(s => s.Text)));
        Assert.False(inOutput.RunsCode);
        Assert.Equal(2, inOutput.Round); // the next round is the branch's first

        var atCell = BranchStart.From(source, new BranchPoint { Candidate = 3, Offset = Code.Length }, preset);
        Assert.True(atCell.RunsCode);
        Assert.Equal("print(2 + 3)", atCell.Code);
        Assert.Equal(Code, string.Concat(atCell.Segments.Select(s => s.Text)));

        var inText = BranchStart.From(source, new BranchPoint { Candidate = 3, Offset = Code.Length + "5\n```\n".Length }, preset);
        Assert.Equal(Code + "5\n```\n", string.Concat(inText.Segments.Select(s => s.Text)));
        Assert.Equal(2, inText.Round);

        Assert.Contains("needs a branch point at a code cell", Assert.Throws<ArgumentException>(() =>
            BranchStart.From(source, new BranchPoint { Candidate = 3, Offset = 4, Code = "print(1)" }, preset)).Message);
        Assert.Contains("outside", Assert.Throws<ArgumentException>(() =>
            BranchStart.From(source, new BranchPoint { Candidate = 3, Offset = 9999 }, preset)).Message);
        Assert.Contains("no attempt 1", Assert.Throws<ArgumentException>(() =>
            BranchStart.From(source, new BranchPoint { Candidate = 3, Attempt = 1, Offset = 0 }, preset)).Message);
    }
}
