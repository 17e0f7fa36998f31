using Numina.Engine.Candidates;
using Numina.Engine.Events;
using Numina.Engine.Models;
using Numina.Engine.Policies;

namespace Numina.Engine.Runs;

/// <summary>
/// A running run: the candidates' tasks, who may decode now, and whatever stops candidates before they finish — the
/// researcher's steering and the run's policies (early stop, time budget, confidence pruning).
/// </summary>
internal sealed class LiveRun : ISteerable
{
    private readonly object _gate = new();
    private readonly List<Task> _tasks = [];
    private readonly Dictionary<int, CancellationTokenSource> _stops = [];
    private readonly Dictionary<int, PruneReason> _stopReasons = [];
    private readonly Func<LiveRun, Candidate, Task, CancellationToken, Task> _runCandidate;
    private readonly CancellationTokenSource _failure;
    private bool _finished; // set with the last candidate: the prompt is disposed next, so nothing may start after
    private bool _stoppedEarly;

    public RunState Run { get; }
    public IPromptState Prompt { get; }
    public CandidateSlots Slots { get; }
    public ConfidenceGate? Confidence { get; }
    public AnswerGrouping? Grouping { get; }
    public CancellationTokenSource Failure => _failure;

    public LiveRun(RunState run, IPromptState prompt, CancellationTokenSource failure, AnswerGrouping? grouping,
        Func<LiveRun, Candidate, Task, CancellationToken, Task> runCandidate)
    {
        (Run, Prompt, _failure, Grouping, _runCandidate) = (run, prompt, failure, grouping, runCandidate);
        Slots = new CandidateSlots(run.Policies.MaxConcurrentCandidates);
        Confidence = run.Policies.ConfidencePruning ? new ConfidenceGate(run.Policies) : null;
    }

    public void Start(Candidate candidate)
    {
        lock (_gate)
        {
            var stop = CancellationTokenSource.CreateLinkedTokenSource(_failure.Token);
            _stops[candidate.Index] = stop;
            var place = Slots.Enter(candidate.Index, stop.Token); // asked for in index order, here, not when the task runs
            _tasks.Add(Task.Run(() => _runCandidate(this, candidate, place, stop.Token)));
        }
    }

    /// <summary>Waits for every candidate, including those added while waiting.</summary>
    public async Task WhenAllFinished()
    {
        while (true)
        {
            Task[] snapshot;
            lock (_gate) snapshot = [.. _tasks];
            await Task.WhenAll(snapshot).ConfigureAwait(false);
            lock (_gate)
                if (_tasks.Count == snapshot.Length)
                {
                    _finished = true;
                    foreach (var stop in _stops.Values) stop.Dispose();
                    return;
                }
        }
    }

    /// <summary>Why a cancelled candidate was stopped: a policy's reason, or the researcher's (N lowered).</summary>
    public PruneReason StopReasonOf(int candidate)
    {
        lock (_gate) return _stopReasons.GetValueOrDefault(candidate, PruneReason.RemovedByResearcher);
    }

    /// <summary>Stops candidates that have not finished (those waiting for a place never start), for one reason.</summary>
    public IReadOnlyList<int> Stop(IEnumerable<Candidate> candidates, PruneReason reason)
    {
        var cancel = new List<CancellationTokenSource>();
        var stopped = new List<int>();
        lock (_gate)
        {
            if (_finished) return [];
            foreach (var c in candidates)
            {
                if (c.IsFinished || _stopReasons.ContainsKey(c.Index) || !_stops.TryGetValue(c.Index, out var cts)) continue;
                _stopReasons[c.Index] = reason;
                cancel.Add(cts);
                stopped.Add(c.Index);
            }
        }
        // Cancelled outside the lock: a candidate's cancellation may run its ending inline.
        foreach (var cts in cancel) cts.Cancel();
        return stopped;
    }

    /// <summary>A candidate ended (any way): the early-stop rules look at the vote, and may stop the others.</summary>
    public void CandidateEnded()
    {
        var policies = Run.Policies;
        if (!policies.StopsEarly) return;
        string? reason;
        lock (_gate)
        {
            if (_stoppedEarly || _finished) return;
            var (tally, arrived, unfinished) = Run.VoteNow();
            reason = EarlyStop.Reason(policies, arrived, tally, unfinished);
            if (reason is null) return;
            _stoppedEarly = true;
        }
        var stopped = Stop(Run.CandidatesSnapshot(), PruneReason.StoppedEarly);
        if (stopped.Count > 0) // the others may all be stopping already (time budget, confidence)
            Run.PolicyActed("early stop", $"stopped early: {reason}; {stopped.Count} candidate(s) stopped", stopped);
    }

    /// <summary>The time budget is spent: every unfinished candidate stops and the vote is taken from what is in.</summary>
    public void BudgetSpent(double seconds)
    {
        var stopped = Stop(Run.CandidatesSnapshot(), PruneReason.TimeBudget);
        if (stopped.Count > 0)
            Run.PolicyActed("time budget", $"time budget of {seconds:0.###} s spent: {stopped.Count} unfinished candidate(s) stopped", stopped);
    }

    /// <summary>Confidence pruning, token by token: a trace whose window confidence fell below the threshold stops.</summary>
    public void Observe(Candidate candidate, SlidingConfidence trace)
    {
        if (Confidence?.Verdict(trace) is not { } verdict) return;
        if (Stop([candidate], PruneReason.LowConfidence).Count > 0)
            Run.PolicyActed("confidence pruning", $"candidate {candidate.Index} stopped: {verdict}", [candidate.Index]);
    }

    /// <summary>A trace that voted: during the warm-up it calibrates the confidence threshold.</summary>
    public void Voted(SlidingConfidence trace)
    {
        if (Confidence is not { } gate || !gate.TraceFinished(trace.LowestOrMean)) return;
        var warmup = string.Join(", ", gate.Warmup.Select(ConfidenceGate.F));
        Run.PolicyActed("confidence pruning", $"threshold {ConfidenceGate.F(gate.Threshold!.Value)} calibrated on the first {gate.Warmup.Count} answers' lowest windows ({warmup})", []);
    }

    public SteeringChange SetWidth(int width)
    {
        lock (_gate)
        {
            if (_finished) throw new InvalidOperationException("The run has finished: N can no longer be changed.");
            var all = Run.CandidatesSnapshot();
            // Branches made inside the run are extra: N counts the others.
            var kept = all.Where(c => c.PruneReason != PruneReason.RemovedByResearcher && !c.IsBranchInRun).ToList();
            var removed = kept.Where(c => !c.IsFinished).OrderByDescending(c => c.Index).Take(Math.Max(0, kept.Count - width)).ToList();
            var added = Enumerable.Range(all.Count, Math.Max(0, width - kept.Count)).ToList();
            var change = Run.Steer("N", d => d with { Width = width }, d => d.Width.ToString(), [.. added, .. removed.Select(c => c.Index)]);
            foreach (var _ in added)
            {
                var candidate = Run.AddCandidate();
                Run.Publish(new CandidateAdded(candidate.Index));
                Start(candidate);
            }
            foreach (var candidate in removed) _stops[candidate.Index].Cancel();
            int atOnce = Prompt.Plan.Concurrent;
            return width > atOnce && added.Count > 0
                ? change with { Note = $"the KV pool holds {atOnce} candidates at once: the other {width - atOnce} wait and start as others finish, in waves" }
                : change;
        }
    }

    /// <summary>A researcher's branch: a new candidate that goes on from a point of another one, and joins the vote.</summary>
    public int Branch(BranchPoint point)
    {
        lock (_gate)
        {
            if (_finished) throw new InvalidOperationException("The run has finished: nothing can join it now.");
            var all = Run.CandidatesSnapshot();
            if (point.Candidate < 0 || point.Candidate >= all.Count) throw new ArgumentException($"The run has no candidate {point.Candidate}.");
            var start = BranchStart.From(all[point.Candidate], point, Run.Preset);
            var candidate = Run.AddCandidate(start);
            Start(candidate);
            return candidate.Index;
        }
    }

    public SteeringChange SetDepth(int depth) => Run.Steer("M", d => d with { Depth = depth }, d => d.Depth.ToString());

    public SteeringChange SetSampling(double? temperature, double? topP) => temperature is { } t
        ? Run.Steer("temperature", d => d with { Temperature = t }, d => SteeringChange.Format(d.Temperature))
        : Run.Steer("top_p", d => d with { TopP = topP ?? d.TopP }, d => SteeringChange.Format(d.TopP));
}

/// <summary>
/// At most K candidates decode at once (0 = all); the others wait and are let in by index, lowest first, as places
/// free up — so which candidates a run that stops early never started does not depend on timing.
/// </summary>
internal sealed class CandidateSlots(int limit)
{
    private readonly object _gate = new();
    private readonly SortedDictionary<int, TaskCompletionSource> _waiting = [];
    private int _inUse;

    /// <summary>A place to decode: completed at once when one is free, else when an earlier candidate leaves.</summary>
    public Task Enter(int candidate, CancellationToken ct)
    {
        if (limit <= 0) return Task.CompletedTask;
        TaskCompletionSource waiter;
        lock (_gate)
        {
            if (_inUse < limit && _waiting.Count == 0) { _inUse++; return Task.CompletedTask; }
            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting[candidate] = waiter;
        }
        ct.Register(() => { lock (_gate) if (_waiting.Remove(candidate)) waiter.TrySetCanceled(ct); });
        return waiter.Task;
    }

    /// <summary>Frees the place of a candidate that entered.</summary>
    public void Leave()
    {
        if (limit <= 0) return;
        lock (_gate)
        {
            _inUse--;
            while (_inUse < limit && _waiting.Count > 0)
            {
                var (next, waiter) = _waiting.First();
                _waiting.Remove(next);
                _inUse++;
                waiter.TrySetResult();
            }
        }
    }
}
