using Numina.Engine.Candidates;
using Numina.Engine.Events;
using Numina.Engine.Presets;
using Numina.Engine.Problems;
using Numina.Engine.Runs;
using Numina.Engine.Settings;
using Numina.Engine.Tests.Support;

namespace Numina.Engine.Tests.Loop;

/// <summary>
/// Steering a running run (N, M, temperature, top_p) through <see cref="RunControl"/>, with a scripted model that
/// writes slowly enough to be steered and real python3 running its code.
/// </summary>
[Collection("sandbox")]
public class SteeringTests
{
    private const string Code = "Let me compute.\n```python\nprint(2 + 3)\n```\n```output\n";
    private const string Answer = "\nThe sum is \\boxed{5}.";

    private static ScriptedModel SlowModel(Func<ScriptCall, string>? script = null) =>
        new(script ?? (call => call.CallNumber == 1 ? Code : Answer)) { DelayPerPiece = TimeSpan.FromMilliseconds(15), PieceLength = 2 };

    /// <summary>Runs the loop; <paramref name="steer"/> is called once, off the publishing thread, when <paramref name="when"/> first holds.</summary>
    private static async Task<(RunRecord Record, IReadOnlyList<RunEvent> Events, Exception? SteerError)> Run(
        ScriptedModel model, int width, int depth, Func<RunEvent, bool> when, Action<RunControl> steer, double temperature = 0.8)
    {
        await using var executor = Python.Executor();
        var control = new RunControl();
        var sink = new TriggerSink(when, () => steer(control));
        var request = new RunRequest
        {
            Problem = Problem.Create("What is 2 + 3?"),
            Preset = BuiltInPresets.Numina,
            Settings = new RunSettings { Decoding = new DecodingSettings { Width = width, Depth = depth, Seed = 7, Temperature = temperature } },
        };
        var record = await new SctirLoop(model, executor).RunAsync(request, sink, CancellationToken.None, control);
        if (sink.Acted is { } t) await t;
        return (record, sink.Recorded.Events, sink.Error);
    }

    [Fact]
    public async Task Raising_N_forks_new_candidates_that_vote()
    {
        var model = SlowModel();
        var (record, events, error) = await Run(model, width: 2, depth: 4, e => e is CodeSubmitted, c => c.SetWidth(4));

        Assert.Null(error);
        Assert.Equal(4, record.Candidates.Count);
        Assert.All(record.Candidates, c => Assert.Equal(CandidateStatus.Answered, c.Status));
        Assert.Equal(4, record.Vote.Buckets.Single(b => b.Answer == "5").Count);
        Assert.Equal([2, 3], events.OfType<CandidateAdded>().Select(e => e.Candidate).Order());
        var change = Assert.Single(events.OfType<SettingsChanged>());
        Assert.Equal(("N", "2", "4"), (change.Setting, change.From, change.To));
        Assert.Equal([2, 3], change.Candidates.Order());
        Assert.Equal("N 2 → 4", Assert.Single(record.Steering).ToString());
        // New candidates draw with their own seeds, derived from the run seed like the others'.
        Assert.Equal(Seeds.ForAttempt(7, 3, 0), record.Candidates[3].Attempts[0].Seed);
        Assert.Equal(0, model.LiveSequences);
    }

    [Fact]
    public async Task Lowering_N_removes_the_newest_unfinished_candidates_from_the_vote()
    {
        var model = SlowModel();
        var (record, events, error) = await Run(model, width: 4, depth: 4, e => e is TextDelta, c => c.SetWidth(2));

        Assert.Null(error);
        Assert.Equal(4, record.Candidates.Count);
        Assert.Equal([CandidateStatus.Answered, CandidateStatus.Answered, CandidateStatus.Pruned, CandidateStatus.Pruned], record.Candidates.Select(c => c.Status).ToArray());
        Assert.All(record.Candidates.Skip(2), c => Assert.Equal(PruneReason.RemovedByResearcher, c.PruneReason));
        Assert.Equal(2, record.Vote.Buckets.Single(b => b.Answer == "5").Count);
        Assert.Equal([2, 3], events.OfType<CandidatePruned>().Where(p => p.Reason == PruneReason.RemovedByResearcher).Select(p => p.Candidate).Order());
        Assert.Equal(2, record.Decisions.Count(d => d.Reason == DecisionReason.RemovedByResearcher));
        Assert.Equal(RunStatus.Finished, record.Status);
        Assert.Equal(0, model.LiveSequences); // removed sequences were disposed: their KV cells are free
    }

    [Fact]
    public async Task Setting_a_value_the_run_already_has_records_nothing()
    {
        var (record, events, error) = await Run(SlowModel(), width: 2, depth: 4, e => e is TextDelta, c =>
        {
            c.SetWidth(2);
            c.SetTemperature(0.8);
            c.SetDepth(4);
        });

        Assert.Null(error);
        Assert.Empty(record.Steering);
        Assert.Empty(events.OfType<SettingsChanged>());
        Assert.Equal(2, record.Candidates.Count);
    }

    [Fact]
    public async Task A_new_temperature_applies_to_tokens_sampled_from_then_on()
    {
        var model = SlowModel();
        var (record, _, error) = await Run(model, width: 2, depth: 4, e => e is TextDelta, c => c.SetTemperature(0.3));

        Assert.Null(error);
        // Round 1 started at 0.8; every later generation call saw 0.3.
        Assert.All(model.Calls.Where(c => c.CallNumber == 1), c => Assert.Equal(0.8, c.Temperature));
        Assert.All(model.Calls.Where(c => c.CallNumber == 2), c => Assert.Equal(0.3, c.Temperature));
        Assert.Equal("temperature 0.8 → 0.3", Assert.Single(record.Steering).ToString());
    }

    [Fact]
    public async Task Lowering_M_ends_candidates_at_their_next_check()
    {
        var model = SlowModel();
        // M 4 → 1 while round 1 writes code: round 1 becomes the last round, so the code never runs (check 3).
        var (record, events, error) = await Run(model, width: 2, depth: 4, e => e is TextDelta, c => c.SetDepth(1));

        Assert.Null(error);
        Assert.All(record.Candidates, c => Assert.Equal(CandidateStatus.Unanswered, c.Status));
        Assert.Empty(events.OfType<CodeSubmitted>());
        Assert.Equal("M 4 → 1", Assert.Single(record.Steering).ToString());
    }

    [Fact]
    public async Task Raising_M_gives_candidates_more_rounds()
    {
        // Three rounds are needed (code, code, answer); M = 2 alone would leave every candidate unanswered.
        var model = SlowModel(call => call.CallNumber switch { 1 or 2 => Code, _ => Answer });
        var (record, _, error) = await Run(model, width: 2, depth: 2, e => e is TextDelta, c => c.SetDepth(3));

        Assert.Null(error);
        Assert.All(record.Candidates, c => Assert.Equal((CandidateStatus.Answered, 3), (c.Status, c.AnsweredRound ?? 0)));
    }

    [Fact]
    public async Task Invalid_steering_is_refused_with_a_clear_message_and_changes_nothing()
    {
        var model = SlowModel();
        var (record, events, error) = await Run(model, width: 2, depth: 4, e => e is TextDelta, c => c.SetWidth(0));

        var invalid = Assert.IsType<InvalidSettingsException>(error);
        Assert.Contains("Width N must be between 1 and 512 (got 0)", invalid.Message);
        Assert.Empty(record.Steering);
        Assert.Empty(events.OfType<SettingsChanged>());
        Assert.Equal(2, record.Vote.Buckets.Single(b => b.Answer == "5").Count);
    }

    [Fact]
    public void Steering_a_run_that_is_not_running_is_refused()
    {
        var control = new RunControl();
        var e = Assert.Throws<InvalidOperationException>(() => control.SetWidth(3));
        Assert.Contains("not running", e.Message);
    }

    [Fact]
    public async Task Steering_N_in_the_instant_the_run_finishes_is_refused_and_starts_nothing()
    {
        // A caller that looked the run up just before it ended (a click racing the last candidate) still holds its
        // steering; raising N then must not fork a candidate from the prompt the run is disposing.
        var model = SlowModel();
        ISteerable? held = null;
        var (record, _, error) = await Run(model, width: 2, depth: 4, e => e is CodeSubmitted, c => held = c.Attached);
        Assert.Null(error);
        Assert.NotNull(held);
        int forks = model.ForkCount;

        var refused = Assert.Throws<InvalidOperationException>(() => held!.SetWidth(3));
        Assert.Contains("finished", refused.Message);
        Assert.Equal(forks, model.ForkCount);
        Assert.Equal(2, record.Candidates.Count);
        Assert.Empty(record.Steering);
    }
}
