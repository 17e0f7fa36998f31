using Numina.Engine.Candidates;
using Numina.Engine.Events;
using Numina.Engine.Presets;
using Numina.Engine.Problems;
using Numina.Engine.Runs;
using Numina.Engine.Storage;
using Numina.Workbench.Runs;

namespace Numina.Components.Tests;

/// <summary>Runs side by side: votes across runs, the known answer's share, candidates aligned by index.</summary>
public sealed class ComparisonTests
{
    private static ComparedRun Run(string id, params string?[] answers)
    {
        var events = new Events().Start(answers.Length);
        for (int i = 0; i < answers.Length; i++)
            if (answers[i] is { } a) events.Solve(i, a);
            else events.Add(new CandidateUnanswered(i, 4, DecisionReason.LastRound));
        var buckets = answers.Select((a, i) => (a, i)).Where(x => x.a is not null).GroupBy(x => x.a!)
            .OrderByDescending(g => g.Count()).Select(g => (g.Key, g.Select(x => x.i).ToArray())).ToArray();
        events.Vote(buckets);
        var summary = new RunSummary { Id = id, Problem = "What is 2 + 3?", KnownAnswer = "5", Answer = buckets[0].Key, Status = RunStatus.Finished };
        var record = new RunRecord { Id = id, Problem = Problem.Create("What is 2 + 3?", knownAnswer: "5"), Preset = BuiltInPresets.Numina, Settings = new() };
        return new ComparedRun(summary, events.View.Snapshot(), record);
    }

    [Fact]
    public void Answers_are_lined_up_across_runs_with_one_colour_each_and_candidates_by_index()
    {
        var cmp = RunComparison.Build([Run("a", "5", "5", "7", null), Run("b", "5", "6", "7", "5")]);

        // 5: 2/3 + 2/4; 7: 1/3 + 1/4; 6: 0 + 1/4.
        Assert.Equal(["5", "7", "6"], cmp.Answers.Select(a => a.Answer));
        Assert.Equal([(0, 0.0), (1, 0.25)], cmp.Answers[2].PerRun);
        Assert.Equal(2, cmp.Answers[0].PerRun[0].Votes);
        Assert.Equal(cmp.Answers[1].Color, cmp.ColorOf("7"));
        Assert.Equal(3, cmp.Answers.Select(a => a.Color).Distinct().Count());

        Assert.Equal(4, cmp.CandidateRows);
        Assert.Equal((2, 4), cmp.Aligned(0, 1)); // #0 (5) and #2 (7) agree; #1 differs; #3 has no answer in a
        Assert.Equal("6", cmp.Candidate(1, 1)!.Answer);
        Assert.Equal(CandidateStatus.Unanswered, cmp.Candidate(0, 3)!.Status);

        Assert.True(cmp.SameProblem);
        Assert.True(cmp.SameAnswer);
        Assert.Equal(2 / 3.0, cmp.Runs[0].KnownShare!.Value, 6);
        Assert.Equal(0.5, cmp.Runs[1].KnownShare!.Value, 6);
        Assert.Throws<ArgumentException>(() => RunComparison.Build([Run("a", "5")]));
    }
}
