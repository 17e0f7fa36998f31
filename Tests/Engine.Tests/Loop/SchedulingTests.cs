using Numina.Engine.Presets;
using Numina.Engine.Runs;
using Numina.Engine.Tests.Support;

namespace Numina.Engine.Tests.Loop;

/// <summary>A candidate's text depends on its own seed, never on how the others were scheduled.</summary>
public class SchedulingTests
{
    private static readonly Preset Light = BuiltInPresets.Numina with { ExecutorHeader = "" };

    /// <summary>A "random" model: each call's continuation is drawn from the sequence's seed and call number only.</summary>
    private static ScriptedModel RandomModel(Func<ulong, int, TimeSpan>? jitter) => new(call =>
    {
        var rng = new Random(HashCode.Combine(call.Seed, call.CallNumber));
        int a = rng.Next(2, 50), b = rng.Next(2, 50);
        return rng.Next(5) switch
        {
            0 => $"We multiply.\n```python\nprint({a} * {b})\n```\n```output\n",
            1 => $"So the answer is \\boxed{{{a % 7}}}.",
            2 => "I am not sure yet, let me think without code.",
            3 => $"```python\nprint(undefined_{a})\n```\n```output\n",
            _ => $"```python\nprint({a} + {b}\n```\n```output\n",
        };
    })
    {
        PieceLength = 3,
        Jitter = jitter,
    };

    private static async Task<Dictionary<int, string>> Transcripts(int width, Func<ulong, int, TimeSpan>? jitter)
    {
        var (record, _) = await LoopHarness.Run(RandomModel(jitter), width, depth: 4, preset: Light);
        return record.Candidates.ToDictionary(c => c.Index,
            c => string.Join("\n=== restart ===\n", c.Attempts.Select(a => a.Text())) + $"\n[{c.Status} {c.Answer}]");
    }

    [Fact]
    public async Task Texts_do_not_depend_on_scheduling_or_on_the_other_candidates()
    {
        var steady = await Transcripts(8, null);
        var shuffled = await Transcripts(8, (seed, i) => TimeSpan.FromMilliseconds(Random.Shared.Next(0, 4)));
        var alone = await Transcripts(1, null);

        Assert.Equal(steady, shuffled);
        Assert.Equal(steady[0], alone[0]);
        Assert.True(steady.Values.Distinct().Count() > 4, "the per-candidate seeds should give different texts");
        Assert.Contains(steady.Values, t => t.Contains("=== restart ==="));
        Assert.Contains(steady.Values, t => t.Contains("Traceback"));
    }

    [Fact]
    public void Attempt_seeds_differ_per_candidate_and_attempt_and_follow_the_run_seed()
    {
        var seeds = Enumerable.Range(0, 64).SelectMany(c => Enumerable.Range(0, 8).Select(a => Seeds.ForAttempt(7, c, a))).ToList();
        Assert.Equal(seeds.Count, seeds.Distinct().Count());
        Assert.Equal(Seeds.ForAttempt(7, 3, 1), Seeds.ForAttempt(7, 3, 1));
        Assert.NotEqual(Seeds.ForAttempt(7, 3, 1), Seeds.ForAttempt(8, 3, 1));
    }
}
