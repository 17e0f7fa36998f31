using System.Diagnostics;
using Numina.Engine.Candidates;
using Numina.Engine.Events;
using Numina.Engine.Models;
using Numina.Engine.Models.Remote;
using Numina.Engine.Presets;
using Numina.Engine.Problems;
using Numina.Engine.Runs;
using Numina.Engine.Settings;
using Numina.Engine.Tests.Support;
using static Numina.Engine.Tests.Remote.FakeCompletionServer;

namespace Numina.Engine.Tests.Remote;

/// <summary>
/// The remote backend against faults on a real socket: each ends with the round completed, retried from its start, or
/// its candidate failed with the server's message — never with text recorded twice or lost silently.
/// </summary>
public class RemoteFaultTests
{
    private const string Code = "Let me compute.\n```python\nprint(6 * 7)\n```\n```output\n";
    private const string Answer = "So the answer is \\boxed{42}.";

    private static RemoteModelOptions Options(params string[] urls) => new()
    {
        Endpoints = urls.Select(u => new ServerEndpoint { BaseUrl = u, Model = "fake-model", MaxInFlight = 8 }).ToList(),
        RetryDelaySeconds = 0.05, MaxRetryDelaySeconds = 5, ReadTimeoutSeconds = 2, ConnectTimeoutSeconds = 2, MaxRetries = 3,
        FailuresBeforeRest = 2, RestSeconds = 60,
    };

    private static async Task<(Generation Generation, List<GenerationRetry> Retries, string Streamed)> Generate(OpenAiCompletionsModel model, string prompt = "Q: ", CancellationToken ct = default)
    {
        using var state = await model.EvaluatePromptAsync(prompt, new PromptOptions { MaxSequenceTokens = 4096 }, ct);
        using var sequence = state.Fork(new SamplingSettings { Seed = 7 });
        var retries = new List<GenerationRetry>();
        var streamed = new System.Text.StringBuilder();
        var generation = await sequence.GenerateAsync(new GenerationRequest
        {
            StopStrings = ["```output"], MaxNewTokens = 200,
            OnRetry = r => { retries.Add(r); streamed.Clear(); },
        }, p => streamed.Append(p.Text), ct);
        return (generation, retries, streamed.ToString());
    }

    [Fact]
    public async Task A_server_killed_mid_stream_is_retried_from_the_round_start_and_nothing_is_streamed_twice()
    {
        await using var server = new FakeCompletionServer();
        server.OnCompletion = r => r.Index == 0 ? new Streamed("Let me com", Ending.Close) : new Streamed(Code);
        await using var model = await OpenAiCompletionsModel.ConnectAsync(Options(server.BaseUrl));

        var (generation, retries, streamed) = await Generate(model);

        Assert.Equal(StopReason.StopString, generation.StopReason);
        Assert.Equal("Let me compute.\n```python\nprint(6 * 7)\n```\n```output", generation.Text); // the stop kept, the rest cut
        Assert.Equal(generation.Text, streamed); // after the retry, the pieces spell the result once
        Assert.Equal(generation.Text.Length, generation.TokenCount); // one token per character, counted once
        var retry = Assert.Single(retries);
        Assert.Equal(10, retry.DiscardedTokens);
        Assert.Contains("dropped", retry.Reason);
        Assert.Single(generation.Retries);
        Assert.Equal(2, server.Completions.Count);
    }

    [Fact]
    public async Task A_503_with_retry_after_is_waited_out_then_retried()
    {
        await using var server = new FakeCompletionServer();
        server.OnCompletion = r => r.Index == 0
            ? new Status(503, """{"error":{"message":"the engine is overloaded","type":"server_error","code":503}}""", RetryAfterSeconds: 1)
            : new Streamed(Code);
        await using var model = await OpenAiCompletionsModel.ConnectAsync(Options(server.BaseUrl));
        var clock = Stopwatch.StartNew();

        var (generation, retries, _) = await Generate(model);

        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.9), $"retried after {clock.Elapsed.TotalSeconds:0.00} s, before Retry-After's 1 s");
        Assert.Equal(StopReason.StopString, generation.StopReason);
        Assert.Contains("503", Assert.Single(retries).Reason);
        Assert.Contains("overloaded", retries[0].Reason);
    }

    [Fact]
    public async Task A_stalled_stream_times_out_and_is_retried()
    {
        await using var server = new FakeCompletionServer();
        server.OnCompletion = r => r.Index == 0 ? new Streamed("Let", Ending.Stall) : new Streamed(Code);
        await using var model = await OpenAiCompletionsModel.ConnectAsync(Options(server.BaseUrl) with { ReadTimeoutSeconds = 0.5 });

        var (generation, retries, streamed) = await Generate(model);

        Assert.Equal(StopReason.StopString, generation.StopReason);
        Assert.Contains("stalled", Assert.Single(retries).Reason);
        Assert.Equal(3, retries[0].DiscardedTokens);
        Assert.Equal(generation.Text, streamed);
    }

    [Fact]
    public async Task A_refused_connection_fails_the_round_with_the_reason_after_the_retries()
    {
        var dead = $"http://127.0.0.1:{DeadPort()}/v1";
        var e = await Assert.ThrowsAsync<ModelServerException>(() => OpenAiCompletionsModel.ConnectAsync(Options(dead)));
        Assert.Contains("ConnectionRefused", e.Message);
    }

    [Fact]
    public async Task A_server_that_goes_away_fails_the_round_after_the_retries_with_the_reason()
    {
        var server = new FakeCompletionServer();
        server.OnCompletion = _ => new Streamed(Code);
        await using var model = await OpenAiCompletionsModel.ConnectAsync(Options(server.BaseUrl) with { MaxRetries = 2 });
        using var state = await model.EvaluatePromptAsync("Q: ", new PromptOptions { MaxSequenceTokens = 4096 }, CancellationToken.None);
        using var sequence = state.Fork(new SamplingSettings());
        await server.DisposeAsync(); // now nothing listens there
        var retries = new List<GenerationRetry>();

        var e = await Assert.ThrowsAsync<ModelServerException>(() => sequence.GenerateAsync(new GenerationRequest { OnRetry = retries.Add }, null, CancellationToken.None));

        Assert.Contains("ConnectionRefused", e.Message);
        Assert.Contains("3 time(s)", e.Message);
        Assert.Equal(2, retries.Count);
    }

    [Fact]
    public async Task A_refusal_fails_at_once_with_the_servers_message()
    {
        await using var server = new FakeCompletionServer();
        server.OnCompletion = _ => new Status(400, """{"object":"error","message":"This model's maximum context length is 4096 tokens.","type":"BadRequestError","code":400}""");
        await using var model = await OpenAiCompletionsModel.ConnectAsync(Options(server.BaseUrl));

        var e = await Assert.ThrowsAsync<ModelServerException>(() => Generate(model));

        Assert.Contains("maximum context length is 4096", e.Message);
        Assert.Single(server.Completions); // a refusal is not retried
    }

    [Fact]
    public async Task With_one_of_two_replicas_down_every_round_completes_on_the_other_and_the_dead_one_is_avoided()
    {
        await using var live = new FakeCompletionServer();
        live.OnCompletion = _ => new Streamed(Code);
        var dead = $"http://127.0.0.1:{DeadPort()}/v1";
        await using var model = await OpenAiCompletionsModel.ConnectAsync(Options(dead, live.BaseUrl));
        Assert.Single(model.Facts.Warnings); // the dead one is named at start-up

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Generate(model)));

        Assert.All(results, r => Assert.Equal(StopReason.StopString, r.Generation.StopReason));
        Assert.Equal(8, live.Completions.Count); // each round completed once on the live replica
        // The dead replica failed every request it got (a failed replica goes to the back of the choice, and rests
        // after FailuresBeforeRest in a row), and was tried at all.
        var deadLine = Assert.Single(model.Replicas, line => line.StartsWith(dead, StringComparison.Ordinal));
        var counts = System.Text.RegularExpressions.Regex.Match(deadLine, @"(\d+) requests, (\d+) failed");
        Assert.True(int.Parse(counts.Groups[1].Value) >= 1 && counts.Groups[1].Value == counts.Groups[2].Value, deadLine);
        var again = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Generate(model)));
        Assert.Equal(0, again.Sum(r => r.Retries.Count)); // once failed, the dead replica is not chosen while the live one has room
        Assert.Equal(16, live.Completions.Count);
    }

    [Fact]
    public async Task A_replica_that_fails_in_a_row_rests_and_is_tried_again_when_none_is_left()
    {
        await using var server = new FakeCompletionServer();
        var failing = true;
        server.OnCompletion = _ => failing ? new Status(502, "bad gateway") : new Streamed(Code);
        await using var model = await OpenAiCompletionsModel.ConnectAsync(Options(server.BaseUrl) with { MaxRetries = 1 });

        await Assert.ThrowsAsync<ModelServerException>(() => Generate(model)); // two 502s in a row
        Assert.Contains("resting", Assert.Single(model.Replicas));
        failing = false;
        var (generation, _, _) = await Generate(model); // the only replica rests, so it is tried anyway, and is back

        Assert.Equal(StopReason.StopString, generation.StopReason);
        Assert.DoesNotContain("resting", Assert.Single(model.Replicas));
        Assert.Contains("5 requests, 2 failed", model.Replicas[0]); // two prompts tokenized, three completions
    }

    [Fact]
    public async Task Cancelling_a_candidate_closes_its_request()
    {
        await using var server = new FakeCompletionServer();
        server.OnCompletion = _ => new Streamed(new string('a', 400), Pace: TimeSpan.FromMilliseconds(20));
        await using var model = await OpenAiCompletionsModel.ConnectAsync(Options(server.BaseUrl) with { MaxRetries = 0 });
        using var state = await model.EvaluatePromptAsync("Q: ", new PromptOptions { MaxSequenceTokens = 4096 }, CancellationToken.None);
        using var sequence = state.Fork(new SamplingSettings());
        using var cancel = new CancellationTokenSource();
        int pieces = 0;

        // Stopped once the stream is under way (a policy or the researcher stops the candidate).
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sequence.GenerateAsync(new GenerationRequest { MaxNewTokens = 1000 },
            _ => { if (Interlocked.Increment(ref pieces) == 5) cancel.Cancel(); }, cancel.Token));

        // The server sees its writes fail once the client has gone (it would have streamed for 8 s).
        for (int i = 0; i < 50 && server.ClosedByClient == 0; i++) await Task.Delay(100);
        Assert.Equal(1, server.ClosedByClient);
    }

    [Fact]
    public async Task In_a_run_a_dropped_round_is_retried_and_recorded_and_a_refused_candidate_fails_alone()
    {
        const ulong seed = 11;
        ulong refused = Seeds.ForRound(Seeds.ForAttempt(seed, 2, 0), 0) & long.MaxValue; // candidate 2's first round (JSON carries 63 bits)
        int dropped = 0;
        await using var server = new FakeCompletionServer();
        server.OnCompletion = r =>
        {
            if (r.Seed == refused) return new Status(400, """{"error":{"message":"prompt rejected by the moderation filter"}}""");
            if (!r.Prompt.Contains("```output")) // a first round
                return Interlocked.Increment(ref dropped) == 1 ? new Streamed("Let me", Ending.Close) : new Streamed(Code);
            return new Streamed(Answer);
        };
        await using var model = await OpenAiCompletionsModel.ConnectAsync(Options(server.BaseUrl));
        await using var executor = Python.Executor();
        var sink = new RecordingEventSink();
        var request = new RunRequest
        {
            Problem = Problem.Create("What is 6 times 7?"),
            Preset = BuiltInPresets.Numina,
            Settings = new RunSettings { Decoding = new DecodingSettings { Width = 3, Depth = 3, Seed = seed, MaxNewTokensPerRound = 200 } },
        };

        var record = await new SctirLoop(model, executor).RunAsync(request, sink, CancellationToken.None);

        Assert.Equal(RunStatus.Finished, record.Status);
        Assert.Equal("42", record.Answer);
        var failed = Assert.Single(record.Candidates, c => c.Status == CandidateStatus.Failed);
        Assert.Equal(2, failed.Index);
        Assert.Contains("moderation filter", failed.Error);
        Assert.Equal(2, record.Candidates.Count(c => c.Status == CandidateStatus.Answered));
        var retried = Assert.Single(record.Candidates, c => c.Attempts[0].Retries.Count > 0);
        Assert.Contains("dropped", Assert.Single(retried.Attempts[0].Retries));
        Assert.DoesNotContain("Let meLet me", retried.Transcript(record.Prompt)); // the dropped text is not in the transcript
        Assert.Equal(1, retried.Transcript(record.Prompt).Split("Let me compute.").Length - 1);
        Assert.Single(sink.Events.OfType<RoundRetried>());
        Assert.Contains(sink.Events.OfType<CandidateUnanswered>(), u => u.Candidate == 2 && u.Error!.Contains("moderation filter"));
        Assert.Equal(record.Candidates.Where(c => c.Status == CandidateStatus.Answered).Sum(c => c.GeneratedTokens),
            2 * (Code.Length + Answer.Length)); // Numina's stop, "```output\n", ends the code round; the dropped try's tokens are not counted
    }
}
