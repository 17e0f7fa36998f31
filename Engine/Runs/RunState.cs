using Numina.Engine.Answers;
using Numina.Engine.Candidates;
using Numina.Engine.Events;
using Numina.Engine.Execution;
using Numina.Engine.Models;
using Numina.Engine.Policies;
using Numina.Engine.Presets;
using Numina.Engine.Settings;

namespace Numina.Engine.Runs;

/// <summary>
/// The bookkeeping of one run, kept out of <see cref="SctirLoop"/> so the loop reads like the protocol: the record,
/// numbered events, the decision log and the live vote. Candidate tasks call it concurrently.
/// </summary>
internal sealed class RunState
{
    private readonly object _gate = new();
    private readonly IRunEventSink _events;
    private long _sequence;
    private Exception? _failure;

    public RunRecord Record { get; }
    public Preset Preset => Record.Preset;
    public RunSettings Settings => Record.Settings;
    public RunPolicies Policies => Record.Settings.Policies;
    private DecodingSettings _decoding;
    private readonly Dictionary<int, ISequence> _sequences = [];

    /// <summary>The settings in force now: the requested ones, as steered since (see <see cref="RunControl"/>).</summary>
    public DecodingSettings Decoding
    {
        get { lock (_gate) return _decoding; }
    }

    /// <summary>Where a run of branches starts every candidate (a raised N adds more of them); null: the prompt.</summary>
    private readonly BranchStart? _start;

    public RunState(RunRequest request, ILanguageModel model, ICodeExecutor executor, IRunEventSink events)
    {
        _events = events;
        _start = request.Start;
        _decoding = request.Settings.Decoding;
        Record = new RunRecord
        {
            Id = request.RunId ?? Guid.NewGuid().ToString("N"),
            StartedAt = DateTimeOffset.UtcNow,
            Problem = request.Problem,
            Preset = request.Preset,
            Settings = request.Settings,
            Seed = request.Settings.Decoding.Seed ?? Seeds.Draw(),
            AnswerPolicy = request.Settings.AnswerPolicy ?? request.Preset.AnswerPolicy,
            Model = model.Facts,
            Executor = executor.Facts,
            Candidates = Enumerable.Range(0, request.Settings.Decoding.Width).Select(i => new Candidate { Index = i, Branch = request.Start }).ToList(),
        };
    }

    /// <summary>
    /// A finished run taken up again (for new branches): its record, the settings as it was steered, the vote so far;
    /// its events go on numbering after <paramref name="lastSequence"/>.
    /// </summary>
    public RunState(RunRecord record, long lastSequence, IRunEventSink events)
    {
        _events = events;
        _sequence = lastSequence;
        Record = record;
        var decoding = record.Settings.Decoding;
        foreach (var change in record.Steering)
            decoding = change.Setting switch
            {
                "N" => decoding with { Width = int.Parse(change.To, System.Globalization.CultureInfo.InvariantCulture) },
                "M" => decoding with { Depth = int.Parse(change.To, System.Globalization.CultureInfo.InvariantCulture) },
                "temperature" => decoding with { Temperature = double.Parse(change.To, System.Globalization.CultureInfo.InvariantCulture) },
                "top_p" => decoding with { TopP = double.Parse(change.To, System.Globalization.CultureInfo.InvariantCulture) },
                _ => decoding,
            };
        _decoding = decoding;
        _start = record.Candidates.Select(c => c.Branch).FirstOrDefault(b => b?.SourceRunId is not null);
        foreach (var c in record.Candidates.Where(c => c.Status == CandidateStatus.Answered && c.Answer is not null).OrderBy(c => c.AnsweredRound))
            _arrived.Add(c.Answer!);
        (record.Status, record.FinishedAt, record.Error) = (RunStatus.Running, null, null);
    }

    public void Publish(RunEvent e)
    {
        // Numbered and published under one lock so the sequence order is the publication order.
        lock (_gate) _events.Publish(e with { Sequence = ++_sequence, Time = DateTimeOffset.UtcNow, RunId = Record.Id });
    }

    /// <summary>
    /// A new attempt from the bare prompt, with its own seed; the current sampler settings apply. A branch's attempt
    /// starts with what it inherits (the caller appends it to the sequence) and may have its own seed and temperature.
    /// </summary>
    public ISequence StartAttempt(IPromptState prompt, Candidate candidate, int firstRound)
    {
        int number = candidate.Attempts.Count;
        var attempt = new Attempt
        {
            Number = number,
            Seed = candidate.Branch?.Point.Seed is { } own && number == 0 ? own : Seeds.ForAttempt(Record.Seed, candidate.Index, number),
            FirstRound = firstRound,
            Segments = candidate.Branch is { } branch ? [.. branch.Segments] : [],
            Executions = candidate.Branch?.InheritedExecutions ?? 0,
        };
        candidate.Attempts.Add(attempt);
        candidate.PromptTokens = prompt.TokenCount;
        lock (_gate)
        {
            var sequence = prompt.Fork(Sampling(attempt.Seed, candidate));
            _sequences[candidate.Index] = sequence;
            return sequence;
        }
    }

    private SamplingSettings Sampling(ulong seed, Candidate candidate) => new()
    {
        Temperature = candidate.Branch?.Point.Temperature ?? _decoding.Temperature,
        TopP = _decoding.TopP,
        TopK = _decoding.TopK,
        MinP = _decoding.MinP,
        RepetitionPenalty = _decoding.RepetitionPenalty,
        Seed = seed,
    };

    /// <summary>A new candidate for a raised N, or a branch; its seeds derive from its index like every other candidate's.</summary>
    public Candidate AddCandidate(BranchStart? branch = null)
    {
        lock (_gate)
        {
            var candidate = new Candidate { Index = Record.Candidates.Count, Branch = branch ?? _start };
            Record.Candidates.Add(candidate);
            return candidate;
        }
    }

    public IReadOnlyList<Candidate> CandidatesSnapshot()
    {
        lock (_gate) return Record.Candidates.ToList();
    }

    /// <summary>Validates and applies a steering change, records it and publishes it; running sequences see new sampler values at once.</summary>
    public SteeringChange Steer(string setting, Func<DecodingSettings, DecodingSettings> change, Func<DecodingSettings, string> show, IReadOnlyList<int>? candidates = null)
    {
        SteeringChange record;
        lock (_gate)
        {
            var next = change(_decoding);
            SettingsValidator.Validate(next);
            record = new SteeringChange(setting, show(_decoding), show(next), DateTimeOffset.UtcNow, candidates ?? []);
            if (record.From == record.To && record.Candidates.Count == 0) return record; // the value it has: nothing to record
            _decoding = next;
            foreach (var (index, sequence) in _sequences)
            {
                var candidate = Record.Candidates[index];
                try { sequence.Sampling = Sampling(candidate.Current.Seed, candidate); }
                catch (ObjectDisposedException) { } // it finished meanwhile
            }
            Record.Steering.Add(record);
        }
        Publish(new SettingsChanged(record.Setting, record.From, record.To, record.Candidates));
        return record;
    }

    /// <summary>
    /// A candidate stopped before it finished — by the researcher (N lowered) or by a policy — with what it had
    /// written in the interrupted round kept in its transcript and counted in its tokens.
    /// </summary>
    public void Stopped(Candidate candidate, int round, PruneReason reason, string partialText, int partialTokens)
    {
        if (candidate.Attempts.Count > 0 && partialText.Length > 0)
            candidate.Current.AddModelText(partialText, round, Preset.CodeOpen, Preset.CodeClose);
        candidate.GeneratedTokens += partialTokens;
        candidate.Status = CandidateStatus.Pruned;
        candidate.PruneReason = reason;
        var why = reason switch
        {
            PruneReason.StoppedEarly => DecisionReason.StoppedEarly,
            PruneReason.TimeBudget => DecisionReason.TimeBudget,
            PruneReason.LowConfidence => DecisionReason.LowConfidence,
            _ => DecisionReason.RemovedByResearcher,
        };
        lock (_gate) Record.Decisions.Add(new Decision(candidate.Index, candidate.Attempts.Count - 1, round, DecisionKind.Prune, why, DateTimeOffset.UtcNow));
        Publish(new CandidatePruned(candidate.Index, round, reason));
        PublishVote();
    }

    /// <summary>A policy acted: written to the record and published for the decision log.</summary>
    public void PolicyActed(string policy, string message, IReadOnlyList<int> candidates)
    {
        lock (_gate) Record.PolicyActions.Add(new PolicyAction(policy, message, candidates, DateTimeOffset.UtcNow));
        Publish(new PolicyActed(policy, message, candidates));
    }

    public void SequenceEnded(Candidate candidate)
    {
        lock (_gate) _sequences.Remove(candidate.Index);
    }

    /// <summary>The stop string stays on until the preset's code-call budget for this attempt is spent.</summary>
    public GenerationRequest GenerationRequest(Attempt attempt, int round) => new()
    {
        Seed = Seeds.ForRound(attempt.Seed, round - attempt.FirstRound),
        MaxNewTokens = Decoding.MaxNewTokensPerRound,
        StopStrings = Preset.MaxCodeExecutions is { } max && attempt.Executions >= max ? [] : [Preset.StopString],
    };

    public void AddGeneration(Candidate candidate, Generation generation, int round)
    {
        candidate.Current.AddModelText(generation.Text, round, Preset.CodeOpen, Preset.CodeClose);
        candidate.GeneratedTokens += generation.TokenCount;
        Publish(new RoundFinished(candidate.Index, candidate.Current.Number, round, generation.StopReason, generation.TokenCount));
    }

    public void Log(Candidate candidate, int round, RoundVerdict verdict)
    {
        lock (_gate) Record.Decisions.Add(new Decision(candidate.Index, candidate.Current.Number, round, verdict.Kind, verdict.Reason, DateTimeOffset.UtcNow));
    }

    public void Prune(Candidate candidate, int round, PruneReason reason)
    {
        candidate.Status = CandidateStatus.Pruned;
        candidate.PruneReason = reason;
        Publish(new CandidatePruned(candidate.Index, round, reason));
    }

    /// <summary>
    /// Check 2's retirement: extract, normalize, apply the answer policy, join an equal earlier answer when answers
    /// are grouped, then update the vote.
    /// </summary>
    public async Task RetireAsync(Candidate candidate, int round, AnswerGrouping? grouping, CancellationToken ct)
    {
        var raw = AnswerExtractor.Extract(candidate.Transcript(Record.Prompt), Preset.AnswerSearchWindow, Preset.Normalizer);
        candidate.RawAnswer = raw;
        candidate.NormalizedAnswer = raw is null ? null : AnswerNormalizer.Normalize(raw, Preset.Normalizer);
        var answer = AnswerPolicies.Apply(Record.AnswerPolicy, candidate.NormalizedAnswer);
        if (grouping is not null && answer is not null)
        {
            var canonical = await grouping.CanonicalAsync(answer, ct).ConfigureAwait(false);
            if (canonical != answer) PolicyActed("symbolic grouping", $"candidate {candidate.Index}'s {answer} votes as {canonical}", [candidate.Index]);
            answer = canonical;
        }
        candidate.Answer = answer;
        candidate.AnsweredRound = round;
        candidate.Status = CandidateStatus.Answered;
        if (answer is not null) lock (_gate) _arrived.Add(answer);
        Publish(new CandidateAnswered(candidate.Index, round, raw, candidate.NormalizedAnswer, candidate.Answer));
        PublishVote();
    }

    /// <summary>The model server failed the candidate's round for good: it ends with the server's message; the run goes on.</summary>
    public void ServerFailed(Candidate candidate, int round, string message) =>
        EndedByModel(candidate, round, DecisionReason.ModelServerFailed, CandidateStatus.Failed, message);

    /// <summary>The candidate's context had no room for its tool output: it ends unanswered, alone, with the numbers.</summary>
    public void ContextFull(Candidate candidate, int round, string message) =>
        EndedByModel(candidate, round, DecisionReason.ContextFull, CandidateStatus.Unanswered, message);

    private void EndedByModel(Candidate candidate, int round, DecisionReason reason, CandidateStatus status, string message)
    {
        candidate.Status = status;
        candidate.Error = message;
        lock (_gate) Record.Decisions.Add(new Decision(candidate.Index, candidate.Attempts.Count - 1, round, DecisionKind.Unanswered, reason, DateTimeOffset.UtcNow));
        Publish(new CandidateUnanswered(candidate.Index, round, reason, message));
        PublishVote();
    }

    /// <summary>A round's stream was thrown away and asked for again: recorded on the attempt and published (the view drops its text).</summary>
    public void RoundRetried(Candidate candidate, int round, GenerationRetry retry)
    {
        lock (_gate) candidate.Current.Retries.Add($"round {round}: {retry.Reason}; {retry.DiscardedTokens} streamed token(s) discarded, try {retry.Try + 1}");
        Publish(new RoundRetried(candidate.Index, candidate.Current.Number, round, retry.Reason, retry.DiscardedTokens));
    }

    public void Unanswered(Candidate candidate, int round, DecisionReason reason)
    {
        candidate.Status = CandidateStatus.Unanswered;
        Publish(new CandidateUnanswered(candidate.Index, round, reason));
    }

    public void Fail(Exception e)
    {
        lock (_gate) _failure ??= e;
    }

    private void PublishVote()
    {
        VoteTally tally;
        lock (_gate) tally = Record.Vote = CountVotes();
        Publish(new VoteUpdated(tally));
    }

    /// <summary>The vote now, and the valid answers in the order they came (the early-stop rules read both).</summary>
    public (VoteTally Tally, IReadOnlyList<string> Arrived, int Unfinished) VoteNow()
    {
        lock (_gate) return (Record.Vote, _arrived.ToList(), Record.Candidates.Count(c => !c.IsFinished));
    }

    private readonly List<string> _arrived = []; // valid answers in the order they came in time (not in rounds)

    private VoteTally CountVotes() => VoteTally.Count(
        Record.Candidates.ToList().Where(c => c.Status == CandidateStatus.Answered)
            .Select(c => new Ballot(c.Index, c.AnsweredRound ?? int.MaxValue, c.Answer,
                c.Answer is { } a ? VoteWeights.Of(Policies.Vote, a, c.Current.Confidence ?? 1) : 1)),
        VoteWeights.TieRuleFor(Policies.Vote, Preset.TieRule));

    /// <summary>Closes the record consistently whatever happened: every candidate ends in a final status.</summary>
    public RunRecord Finish(bool cancelled)
    {
        foreach (var c in Record.Candidates.Where(c => !c.IsFinished))
            c.Status = CandidateStatus.Cancelled;
        lock (_gate) Record.Vote = CountVotes();
        Record.Answer = Record.Vote.Winner ?? Preset.FallbackAnswer;
        if (Record.Problem.KnownAnswer is { } known && Record.Answer is not null)
            Record.Correct = AnswerPolicies.Apply(Record.AnswerPolicy, AnswerNormalizer.Normalize(known, Preset.Normalizer)) == Record.Answer;
        Record.FinishedAt = DateTimeOffset.UtcNow;
        if (_failure is not null)
        {
            Record.Status = RunStatus.Failed;
            Record.Error = _failure.Message;
            Publish(new RunFailed(_failure.Message));
        }
        else if (cancelled)
        {
            Record.Status = RunStatus.Cancelled;
            Publish(new RunCancelled(Record.Answer, Record.Vote));
        }
        else
        {
            Record.Status = RunStatus.Finished;
            Publish(new RunFinished(Record.Answer, Record.Vote, Record.Correct));
        }
        return Record;
    }
}
