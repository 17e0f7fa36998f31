using Numina.Engine.Answers;
using Numina.Engine.Candidates;
using Numina.Engine.Events;
using Numina.Engine.Execution;
using Numina.Engine.Models;
using Numina.Engine.Runs;
using Numina.Workbench.Runs;

namespace Numina.Components.Tests;

/// <summary>Builds a run's view from events the way the engine publishes them.</summary>
public sealed class Events
{
    private long _sequence;
    private readonly DateTimeOffset _t0 = DateTimeOffset.Parse("2026-12-01T10:00:00Z");
    public RunView View { get; } = new("run1", "0.8", "1");

    public Events Add(RunEvent e)
    {
        View.Apply(e with { Sequence = ++_sequence, RunId = "run1", Time = _t0.AddSeconds(_sequence * 0.1) });
        return this;
    }

    public Events Start(int width) => Add(new RunStarted(width, 4, 7, "Numina", "### Problem: What is 2 + 3?\n### Solution: ", 20));

    /// <summary>A candidate that writes code, gets output and answers.</summary>
    public Events Solve(int candidate, string answer, string code = "print(2 + 3)")
    {
        Add(new TextDelta(candidate, 0, 1, "Let me compute.\n```python\n", [0.9f]));
        Add(new TextDelta(candidate, 0, 1, code + "\n```\n```output\n", [0.5f]));
        Add(new RoundFinished(candidate, 0, 1, StopReason.StopString, 2));
        Add(new CodeSubmitted(candidate, 0, 1, code));
        Add(new OutputReceived(candidate, 0, 1, CellOutcome.Success, answer + "\n```", 0.01, 3));
        Add(new TextDelta(candidate, 0, 2, $"\nSo the answer is $\\boxed{{{answer}}}$.", [0.8f]));
        Add(new RoundFinished(candidate, 0, 2, StopReason.EndOfSequence, 1));
        return Add(new CandidateAnswered(candidate, 2, answer, answer, answer));
    }

    public Events Vote(params (string Answer, int[] Candidates)[] buckets) => Add(new VoteUpdated(new VoteTally
    {
        Buckets = buckets.Select(b => new VoteBucket(b.Answer, b.Candidates.Length, b.Candidates)).ToList(),
        Winner = buckets.FirstOrDefault().Answer,
        ValidVotes = buckets.Sum(b => b.Candidates.Length),
    }));
}
