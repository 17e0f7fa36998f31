using Numina.Engine.Candidates;
using Numina.Engine.Events;
using Numina.Engine.Models.Llama;
using Numina.Engine.Presets;
using Numina.Engine.Problems;
using Numina.Engine.Runs;
using Numina.Engine.Settings;
using Numina.Engine.Tests.Sandbox;
using Xunit.Abstractions;

namespace Numina.Engine.Tests.Backend;

/// <summary>
/// The SC-TIR loop on a real GGUF model (random weights) and the real sandbox. The text is meaningless; a preset whose
/// fences are single letters makes the random model open, close and run "code" often, so every mechanism runs for real:
/// stopping, executing, appending into the candidate's own cache, restarting, voting.
/// </summary>
[Collection("sandbox")]
public class EndToEndTests(ITestOutputHelper output)
{
    private static readonly Preset Letters = BuiltInPresets.Numina with
    {
        Name = "letters",
        CodeOpen = "x",
        CodeClose = "z", // a block closes where the model stops for it, so check 1 sees a complete block (x … z)
        StopString = "z",
        OutputMarker = "z", // the stop string stays in the transcript before every output
        PromptTemplate = "{problem} ",
        ExecutorHeader = "",
        TimeoutSeconds = 2,
    };

    private static async Task<(RunRecord Record, IReadOnlyList<RunEvent> Events)> Solve(LlamaModel model, ulong seed, int width = 4, Preset? preset = null)
    {
        await using var executor = SandboxKit.Pool(workers: 2);
        var sink = new RecordingEventSink();
        var request = new RunRequest
        {
            Problem = Problem.Create("Compute 2 + 3."),
            Preset = preset ?? Letters,
            Settings = new RunSettings
            {
                Decoding = new DecodingSettings { Width = width, Depth = 4, Seed = seed, MaxNewTokensPerRound = 120, ContextSize = 1024, Temperature = 0.9 },
                Execution = ExecutionMode.Jupyter,
            },
        };
        var record = await new SctirLoop(model, executor).RunAsync(request, sink, CancellationToken.None);
        return (record, sink.Events);
    }

    [Fact]
    public async Task A_run_on_a_real_model_and_real_python_is_consistent_and_reproducible()
    {
        await using var model = TestModels.Load(pool: 32 * 1024, parallel: 32);
        var (record, events) = await Solve(model, seed: 21);

        Assert.Equal(RunStatus.Finished, record.Status);
        Assert.All(record.Candidates, c => Assert.True(c.IsFinished));
        Assert.True(record.Executions > 0, "the random model should have run some code");
        foreach (var c in record.Candidates)
        {
            // Tokens: what the backend counted equals what the events reported.
            Assert.Equal(events.OfType<RoundFinished>().Where(r => r.Candidate == c.Index).Sum(r => r.GeneratedTokens), c.GeneratedTokens);
            Assert.Equal(events.OfType<OutputReceived>().Where(o => o.Candidate == c.Index).Sum(o => o.AppendedTokens), c.AppendedTokens);
            Assert.Equal(record.PromptTokens, c.PromptTokens);
            // Every appended block is in the transcript exactly as the event says.
            var appended = events.OfType<OutputReceived>().Where(o => o.Candidate == c.Index && o.Attempt == c.Current.Number).Select(o => o.AppendedText);
            Assert.Equal(appended, c.Current.Segments.Where(s => s.Kind is SegmentKind.Output or SegmentKind.Traceback).Select(s => s.Text));
        }
        Assert.All(events.OfType<TextDelta>(), d => Assert.InRange(d.Probabilities![0], 0f, 1f));

        var (again, _) = await Solve(model, seed: 21);
        Assert.Equal(record.Candidates.Select(Transcripts), again.Candidates.Select(Transcripts));
        output.WriteLine($"{record.Executions} executions, {record.Restarts} restarts, {record.GeneratedTokens} generated, {record.AppendedTokens} appended tokens");
        output.WriteLine(record.Candidates[0].Current.Text());
    }

    private static string Transcripts(Candidate c) => string.Join("\n|restart|\n", c.Attempts.Select(a => a.Text()));

    [Fact]
    public async Task A_run_wider_than_the_kv_pool_completes_in_waves()
    {
        await using var model = LlamaModel.Load(new LlamaModelOptions { Path = TestModels.Tiny, KvPoolTokens = 2500, Threads = 2 });
        var (record, _) = await Solve(model, seed: 4, width: 8);
        Assert.Equal(RunStatus.Finished, record.Status);
        Assert.True(record.SequencePlan!.Waves, record.SequencePlan.ToString());
        Assert.All(record.Candidates, c => Assert.True(c.IsFinished));
        output.WriteLine(record.SequencePlan.ToString());
    }
}
