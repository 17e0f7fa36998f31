using Numina.Engine.Answers;
using Numina.Engine.Candidates;
using Numina.Engine.Events;
using Numina.Engine.Execution;
using Numina.Engine.Models;
using Numina.Engine.Presets;
using Numina.Engine.Problems;
using Numina.Engine.Prompts;
using Numina.Engine.Settings;

namespace Numina.Engine.Runs;

/// <summary>A problem, a preset and the run's settings.</summary>
public sealed record RunRequest
{
    public required Problem Problem { get; init; }
    public Preset Preset { get; init; } = BuiltInPresets.Numina;
    public RunSettings Settings { get; init; } = new();
    public string? RunId { get; init; }
}

/// <summary>
/// SC-TIR: evaluate the prompt once, fork N candidates, and let each one run its rounds on its own — generate, apply
/// the five checks (<see cref="RoundCheck"/>), restart / prune / retire / execute — while the backend batches whoever
/// is generating. Then the majority vote.
/// </summary>
public sealed class SctirLoop(ILanguageModel model, ICodeExecutor executor)
{
    public async Task<RunRecord> RunAsync(RunRequest request, IRunEventSink events, CancellationToken cancellationToken, RunControl? control = null)
    {
        SettingsValidator.Validate(request.Settings.Decoding);
        var presetProblems = request.Preset.Check();
        if (presetProblems.Count > 0) throw new InvalidSettingsException(presetProblems);

        var run = new RunState(request, model, executor, events);
        using var failure = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            var rendered = PromptRenderer.Render(request.Preset, request.Problem.Text, model);
            (run.Record.Prompt, run.Record.PromptRendering) = (rendered.Prompt.Text, rendered.How);
            var promptOptions = new PromptOptions { MaxSequenceTokens = run.Decoding.ContextSize, Sequences = run.Decoding.Width };
            using var prompt = await model.EvaluatePromptAsync(rendered.Prompt, promptOptions, cancellationToken).ConfigureAwait(false);
            run.Record.PromptTokens = prompt.TokenCount;
            run.Record.SequencePlan = prompt.Plan;
            run.Publish(new RunStarted(run.Decoding.Width, run.Decoding.Depth, run.Record.Seed, request.Preset.Name, run.Record.Prompt, prompt.TokenCount));
            var live = new LiveRun(this, run, prompt, failure);
            foreach (var candidate in run.CandidatesSnapshot()) live.Start(candidate);
            control?.Attach(live);
            try { await live.WhenAllFinished().ConfigureAwait(false); }
            finally { control?.Detach(); }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            run.Fail(e);
        }
        return run.Finish(cancellationToken.IsCancellationRequested);
    }

    private async Task RunCandidateAsync(RunState run, IPromptState prompt, Candidate candidate, CancellationToken ct, CancellationTokenSource failure)
    {
        var preset = run.Preset;
        ISequence? sequence = null;
        try
        {
            await using var session = await executor.OpenSessionAsync(
                CodeSessionOptions.From(preset, run.Settings.Execution, $"candidate {candidate.Index}"), ct).ConfigureAwait(false);
            sequence = run.StartAttempt(prompt, candidate, firstRound: 1);

            // M is read each round: the researcher may raise or lower it while the run runs.
            for (int round = 1; round <= run.Decoding.Depth; round++)
            {
                candidate.RoundsUsed = round;
                candidate.Status = CandidateStatus.Decoding;
                var attempt = candidate.Current;
                var generation = await sequence.GenerateAsync(run.GenerationRequest(attempt), piece =>
                    run.Publish(new TextDelta(candidate.Index, attempt.Number, round, piece.Text, [piece.Probability])), ct).ConfigureAwait(false);
                run.AddGeneration(candidate, generation, round);

                bool lastRound = round >= run.Decoding.Depth;
                var verdict = RoundCheck.Decide(preset, candidate.Transcript(run.Record.Prompt), generation.StopReason, lastRound);
                run.Log(candidate, round, verdict);

                switch (verdict.Kind)
                {
                    case DecisionKind.Restart when lastRound:
                        // No round is left for a new attempt: the candidate ends unanswered, for the restart's reason.
                        run.Unanswered(candidate, round, verdict.Reason);
                        return;
                    case DecisionKind.Restart:
                        run.Publish(new CandidateRestarted(candidate.Index, round, attempt.Number + 1, verdict.Reason));
                        sequence.Dispose();
                        await session.ResetAsync(ct).ConfigureAwait(false);
                        sequence = run.StartAttempt(prompt, candidate, firstRound: round + 1);
                        continue;
                    case DecisionKind.Prune:
                        run.Prune(candidate, round, PruneReason.AnswerWithoutExecutedCode);
                        return;
                    case DecisionKind.Retire:
                        run.Retire(candidate, round);
                        return;
                    case DecisionKind.Unanswered:
                        run.Unanswered(candidate, round, verdict.Reason);
                        return;
                    case DecisionKind.Execute:
                        await ExecuteAsync(run, session, sequence, candidate, verdict.Code!, round, ct).ConfigureAwait(false);
                        continue;
                }
            }
            run.Unanswered(candidate, candidate.RoundsUsed, DecisionReason.LastRound);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested && !failure.IsCancellationRequested)
        {
            run.Removed(candidate, candidate.RoundsUsed); // only the researcher cancels one candidate alone
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            candidate.Status = CandidateStatus.Cancelled;
        }
        catch (Exception e)
        {
            candidate.Status = CandidateStatus.Failed;
            candidate.Error = e.Message;
            run.Fail(e);
            await failure.CancelAsync().ConfigureAwait(false); // a failing backend fails the run
        }
        finally
        {
            run.SequenceEnded(candidate);
            sequence?.Dispose();
        }
    }

    /// <summary>The candidates' tasks of a running run, and the steering that adds or removes them.</summary>
    private sealed class LiveRun(SctirLoop loop, RunState run, IPromptState prompt, CancellationTokenSource failure) : ISteerable
    {
        private readonly object _gate = new();
        private readonly List<Task> _tasks = [];
        private readonly Dictionary<int, CancellationTokenSource> _stops = [];
        private bool _finished; // set with the last candidate: the prompt is disposed next, so nothing may start after

        public void Start(Candidate candidate)
        {
            lock (_gate)
            {
                var stop = CancellationTokenSource.CreateLinkedTokenSource(failure.Token);
                _stops[candidate.Index] = stop;
                _tasks.Add(Task.Run(() => loop.RunCandidateAsync(run, prompt, candidate, stop.Token, failure)));
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

        public SteeringChange SetWidth(int width)
        {
            lock (_gate)
            {
                if (_finished) throw new InvalidOperationException("The run has finished: N can no longer be changed.");
                var all = run.CandidatesSnapshot();
                var kept = all.Where(c => c.PruneReason != PruneReason.RemovedByResearcher).ToList();
                var removed = kept.Where(c => !c.IsFinished).OrderByDescending(c => c.Index).Take(Math.Max(0, kept.Count - width)).ToList();
                var added = Enumerable.Range(all.Count, Math.Max(0, width - kept.Count)).ToList();
                var change = run.Steer("N", d => d with { Width = width }, d => d.Width.ToString(), [.. added, .. removed.Select(c => c.Index)]);
                foreach (var _ in added)
                {
                    var candidate = run.AddCandidate();
                    run.Publish(new CandidateAdded(candidate.Index));
                    Start(candidate);
                }
                foreach (var candidate in removed) _stops[candidate.Index].Cancel();
                return change;
            }
        }

        public SteeringChange SetDepth(int depth) => run.Steer("M", d => d with { Depth = depth }, d => d.Depth.ToString());

        public SteeringChange SetSampling(double? temperature, double? topP) => temperature is { } t
            ? run.Steer("temperature", d => d with { Temperature = t }, d => SteeringChange.Format(d.Temperature))
            : run.Steer("top_p", d => d with { TopP = topP ?? d.TopP }, d => SteeringChange.Format(d.TopP));
    }

    /// <summary>Check 5: run the last block and append its output to the candidate's own context.</summary>
    private static async Task ExecuteAsync(RunState run, ICodeSession session, ISequence sequence, Candidate candidate, string code, int round, CancellationToken ct)
    {
        var preset = run.Preset;
        var attempt = candidate.Current;
        candidate.Status = CandidateStatus.Executing;
        run.Publish(new CodeSubmitted(candidate.Index, attempt.Number, round, code));

        var result = await CellSource.RunAsync(session, code, preset, ct).ConfigureAwait(false);
        attempt.Executions++;
        candidate.ExecutionSeconds += result.Elapsed.TotalSeconds;

        var appended = ToolOutputFormatter.Format(result, preset);
        int appendedTokens = sequence.Append(appended);
        candidate.AppendedTokens += appendedTokens;
        var kind = result.Outcome is CellOutcome.Error or CellOutcome.Crashed ? SegmentKind.Traceback : SegmentKind.Output;
        attempt.Segments.Add(new Segment(kind, appended, round) { Outcome = result.Outcome });
        run.Publish(new OutputReceived(candidate.Index, attempt.Number, round, result.Outcome, appended, result.Elapsed.TotalSeconds, appendedTokens));
    }
}
