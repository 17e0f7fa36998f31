using System.Text;
using Numina.Engine.Answers;
using Numina.Engine.Candidates;
using Numina.Engine.Events;
using Numina.Engine.Execution;
using Numina.Engine.Models;
using Numina.Engine.Policies;
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
    /// <summary>A run of branches: every candidate starts from this point of another run's candidate (null: from the prompt).</summary>
    public BranchStart? Start { get; init; }
}

/// <summary>
/// SC-TIR: evaluate the prompt once, fork N candidates, and let each one run its rounds on its own — generate, apply
/// the five checks (<see cref="RoundCheck"/>), restart / prune / retire / execute — while the backend batches whoever
/// is generating. Then the majority vote.
/// </summary>
public sealed class SctirLoop(ILanguageModel model, ICodeExecutor executor)
{
    public Task<RunRecord> RunAsync(RunRequest request, IRunEventSink events, CancellationToken cancellationToken, RunControl? control = null)
    {
        SettingsValidator.Validate(request.Settings.Decoding);
        var problems = request.Preset.Check().Concat(request.Settings.Policies.Check()).ToList();
        if (problems.Count > 0) throw new InvalidSettingsException(problems);

        var run = new RunState(request, model, executor, events);
        return DriveAsync(run, request, cancellationToken, control,
            prompt => new RunStarted(run.Decoding.Width, run.Decoding.Depth, run.Record.Seed, request.Preset.Name, run.Record.Prompt, prompt.TokenCount, run.Policies.ToString()),
            live => { foreach (var candidate in run.CandidatesSnapshot()) live.Start(candidate); });
    }

    /// <summary>
    /// Takes a finished run up again for new branches (<see cref="BranchPoint"/>): the prompt is evaluated again, the
    /// branches run, and the run finishes again with every candidate in the vote. Its events number on from
    /// <paramref name="lastSequence"/>. The model must be the one the run was made with.
    /// </summary>
    public Task<RunRecord> ContinueAsync(RunRecord record, RunRequest request, long lastSequence, IReadOnlyList<BranchPoint> branches,
        IRunEventSink events, CancellationToken cancellationToken, RunControl? control = null)
    {
        if (branches.Count == 0) throw new ArgumentException("Nothing to take the run up again for: no branch.");
        CheckCanContinue(record, request, model);
        var run = new RunState(record, lastSequence, events);
        var from = string.Join(", ", branches.Select(b => $"#{b.Candidate}"));
        return DriveAsync(run, request, cancellationToken, control,
            _ => new RunResumed($"{branches.Count} branch(es) from {from}"),
            live => { foreach (var point in branches) live.Branch(point); });
    }

    /// <summary>Whether <paramref name="model"/> can take the run up again: the run's model, reading the run's prompt.</summary>
    public static void CheckCanContinue(RunRecord record, RunRequest request, ILanguageModel model)
    {
        if (record.Model is { } made && made.Name != model.Facts.Name)
            throw new InvalidOperationException($"The run was made with {made.Name} and {model.Facts.Name} is loaded: load {made.Name} to branch inside the run, or branch as a new run.");
        if (PromptRenderer.Render(request.Preset, request.Problem.Text, model).Prompt.Text != record.Prompt)
            throw new InvalidOperationException("The loaded model renders this problem's prompt differently from the run: branch as a new run instead.");
    }

    /// <summary>Evaluates the prompt once, starts the candidates, lets the researcher steer, and closes the record.</summary>
    private async Task<RunRecord> DriveAsync(RunState run, RunRequest request, CancellationToken cancellationToken, RunControl? control,
        Func<IPromptState, RunEvent> started, Action<LiveRun> begin)
    {
        using var failure = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            var rendered = PromptRenderer.Render(request.Preset, request.Problem.Text, model);
            (run.Record.Prompt, run.Record.PromptRendering) = (rendered.Prompt.Text, rendered.How);
            var promptOptions = new PromptOptions { MaxSequenceTokens = run.Decoding.ContextSize, Sequences = run.Decoding.Width };
            using var prompt = await model.EvaluatePromptAsync(rendered.Prompt, promptOptions, cancellationToken).ConfigureAwait(false);
            run.Record.PromptTokens = prompt.TokenCount;
            run.Record.SequencePlan = prompt.Plan;
            run.Publish(started(prompt));
            await using var grouping = run.Policies.GroupEquivalentAnswers ? new AnswerGrouping(new SymbolicEquivalence(executor)) : null;
            var live = new LiveRun(run, prompt, failure, grouping, RunCandidateAsync);
            begin(live);
            control?.Attach(live);
            using var budget = run.Policies.TimeBudgetSeconds > 0 ? new CancellationTokenSource(TimeSpan.FromSeconds(run.Policies.TimeBudgetSeconds)) : null;
            using var spent = budget?.Token.Register(() => live.BudgetSpent(run.Policies.TimeBudgetSeconds));
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

    /// <summary>One candidate, round after round, until it answers, is pruned, or runs out of rounds.</summary>
    private async Task RunCandidateAsync(LiveRun live, Candidate candidate, Task place, CancellationToken ct)
    {
        var (run, preset) = (live.Run, live.Run.Preset);
        ISequence? sequence = null;
        bool entered = false;
        var partial = new StringBuilder(); // the round being written, kept if the candidate is stopped mid-round
        int partialTokens = 0;
        try
        {
            await place.WaitAsync(ct).ConfigureAwait(false); // its turn, when at most K candidates decode at once
            entered = true;
            await using var session = await executor.OpenSessionAsync(
                CodeSessionOptions.From(preset, run.Settings.Execution, $"candidate {candidate.Index}"), ct).ConfigureAwait(false);
            int first;
            (sequence, first) = await BeginAttemptAsync(live, session, candidate, candidate.Branch?.Round ?? 1, ct).ConfigureAwait(false);
            var confidence = new SlidingConfidence(run.Policies.ConfidenceWindow);

            // M is read each round: the researcher may raise or lower it while the run runs.
            for (int round = first; round <= DepthOf(run, candidate); round++)
            {
                candidate.RoundsUsed = round;
                candidate.Status = CandidateStatus.Decoding;
                var attempt = candidate.Current;
                (partial.Length, partialTokens) = (0, 0);
                var before = confidence.Copy();
                var request = run.GenerationRequest(attempt, round) with
                {
                    OnRetry = retry => // a server's stream broke: what it streamed is void, the round starts again
                    {
                        run.RoundRetried(candidate, round, retry);
                        (partial.Length, partialTokens) = (0, 0);
                        confidence = before.Copy();
                    },
                };
                var generation = await sequence.GenerateAsync(request, piece =>
                {
                    run.Publish(new TextDelta(candidate.Index, attempt.Number, round, piece.Text, [piece.Probability]));
                    partial.Append(piece.Text);
                    partialTokens++;
                    confidence.Add(piece.Probability);
                    live.Observe(candidate, confidence);
                }, ct).ConfigureAwait(false);
                (partial.Length, partialTokens) = (0, 0);
                run.AddGeneration(candidate, generation, round);
                (attempt.Confidence, attempt.LowestWindowConfidence) = (confidence.Mean, confidence.LowestOrMean);

                bool lastRound = round >= DepthOf(run, candidate);
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
                        sequence = null;
                        await session.ResetAsync(ct).ConfigureAwait(false);
                        (sequence, first) = await BeginAttemptAsync(live, session, candidate, round + 1, ct).ConfigureAwait(false);
                        round = first - 1;
                        confidence = new SlidingConfidence(run.Policies.ConfidenceWindow);
                        continue;
                    case DecisionKind.Prune:
                        run.Prune(candidate, round, PruneReason.AnswerWithoutExecutedCode);
                        return;
                    case DecisionKind.Retire:
                        await run.RetireAsync(candidate, round, live.Grouping, ct).ConfigureAwait(false);
                        if (candidate.Answer is not null) live.Voted(confidence);
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
        catch (OperationCanceledException) when (ct.IsCancellationRequested && !live.Failure.IsCancellationRequested)
        {
            // Stopped alone: by the researcher (N lowered) or by a policy (early stop, time budget, low confidence).
            run.Stopped(candidate, candidate.RoundsUsed, live.StopReasonOf(candidate.Index), partial.ToString(), partialTokens);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            candidate.GeneratedTokens += partialTokens;
            candidate.Status = CandidateStatus.Cancelled;
        }
        catch (ModelServerException e) when (!ct.IsCancellationRequested)
        {
            run.ServerFailed(candidate, candidate.RoundsUsed, e.Message); // the others may still answer
        }
        catch (ContextFullException e) when (!ct.IsCancellationRequested)
        {
            run.ContextFull(candidate, candidate.RoundsUsed, e.Message); // only this one had no room
        }
        catch (Exception e)
        {
            candidate.Status = CandidateStatus.Failed;
            candidate.Error = e.Message;
            run.Fail(e);
            await live.Failure.CancelAsync().ConfigureAwait(false); // a failing backend fails the run
        }
        finally
        {
            run.SequenceEnded(candidate);
            sequence?.Dispose();
            live.CandidateEnded(); // before its place is freed: a run that stops here starts no one else
            if (entered) live.Slots.Leave();
        }
    }

    /// <summary>
    /// A new attempt: a fork of the kept prompt. A branch's attempt then takes what it inherits — appended to the
    /// sequence in one go, its cells run again silently in Jupyter mode — and, branched at a cell, runs that cell (edited
    /// or not) in <paramref name="firstRound"/>. Returns the sequence and the first round the model writes.
    /// </summary>
    private static async Task<(ISequence Sequence, int FirstWritten)> BeginAttemptAsync(LiveRun live, ICodeSession session, Candidate candidate, int firstRound, CancellationToken ct)
    {
        var run = live.Run;
        var sequence = run.StartAttempt(live.Prompt, candidate, firstRound);
        if (candidate.Branch is not { } branch) return (sequence, firstRound);
        try
        {
            run.Publish(new BranchStarted(candidate.Index, candidate.Current.Number, branch.Point, branch.SourceRunId, branch.Segments));
            var inherited = string.Concat(branch.Segments.Select(s => s.Text));
            if (inherited.Length > 0) candidate.PromptTokens += await sequence.AppendAsync(inherited, ct).ConfigureAwait(false);
            if (run.Settings.Execution == ExecutionMode.Jupyter)
                foreach (var cell in branch.EarlierCells) await CellSource.RunAsync(session, cell, run.Preset, ct).ConfigureAwait(false);
            if (!branch.RunsCode) return (sequence, firstRound);
            await ExecuteAsync(run, session, sequence, candidate, branch.Code!, firstRound, ct).ConfigureAwait(false);
            return (sequence, firstRound + 1);
        }
        catch
        {
            sequence.Dispose();
            throw;
        }
    }

    /// <summary>M, or for a branch at least the round after its point (a branch from the last round still gets to write).</summary>
    private static int DepthOf(RunState run, Candidate candidate) =>
        candidate.Branch is { } branch ? Math.Max(run.Decoding.Depth, branch.FirstWrittenRound) : run.Decoding.Depth;

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
        if (run.Policies.RemainingCallsHint) appended += RemainingCallsHint(run, attempt, round);
        int appendedTokens = await sequence.AppendAsync(appended, ct).ConfigureAwait(false);
        candidate.AppendedTokens += appendedTokens;
        var kind = result.Outcome is CellOutcome.Error or CellOutcome.Crashed ? SegmentKind.Traceback : SegmentKind.Output;
        attempt.Segments.Add(new Segment(kind, appended, round) { Outcome = result.Outcome });
        run.Publish(new OutputReceived(candidate.Index, attempt.Number, round, result.Outcome, appended, result.Elapsed.TotalSeconds, appendedTokens));
    }
    /// <summary>
    /// NemoSkills' hint after an output: how many more blocks this attempt may run — the preset's budget, and never
    /// more than the rounds left (the last round cannot run code).
    /// </summary>
    private static string RemainingCallsHint(RunState run, Attempt attempt, int round)
    {
        int byRounds = Math.Max(0, run.Decoding.Depth - round - 1);
        int remaining = run.Preset.MaxCodeExecutions is { } max ? Math.Min(Math.Max(0, max - attempt.Executions), byRounds) : byRounds;
        return remaining > 0
            ? run.Preset.RemainingCallsHint.Replace("{remaining}", remaining.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            : run.Preset.NoCallsLeftHint;
    }
}
