using Numina.Engine.Events;
using Numina.Engine.Execution;
using Numina.Engine.Presets;
using Numina.Engine.Problems;
using Numina.Engine.Runs;
using Numina.Engine.Settings;
using Numina.Engine.Tests.Support;

namespace Numina.Engine.Tests.Loop;

/// <summary>Runs the real loop with a scripted model and real python3, recording every event.</summary>
public static class LoopHarness
{
    public const ulong Seed = 42;
    public const string ProblemText = "What is 2 + 3?";
    public static readonly string Prompt = BuiltInPresets.Numina.RenderPrompt(ProblemText);

    public static async Task<(RunRecord Record, IReadOnlyList<RunEvent> Events)> Run(
        ScriptedModel model, int width, int depth, Preset? preset = null, int maxNewTokens = 2048,
        ExecutionMode mode = ExecutionMode.Stateless, string? knownAnswer = null, CancellationToken cancellationToken = default,
        IRunEventSink? extraSink = null, ulong seed = Seed, Func<ICodeExecutor>? executorFactory = null,
        Engine.Policies.RunPolicies? policies = null, Engine.Answers.AnswerPolicy? answerPolicy = null)
    {
        await using ICodeExecutor executor = executorFactory?.Invoke() ?? Python.Executor();
        var sink = new RecordingEventSink();
        IRunEventSink events = extraSink is null ? sink : new TeeEventSink(sink, extraSink);
        var request = new RunRequest
        {
            Problem = Problem.Create(ProblemText, knownAnswer: knownAnswer),
            Preset = preset ?? BuiltInPresets.Numina,
            Settings = new RunSettings
            {
                Decoding = new DecodingSettings { Width = width, Depth = depth, Seed = seed, MaxNewTokensPerRound = maxNewTokens },
                Execution = mode,
                Policies = policies ?? new(),
                AnswerPolicy = answerPolicy,
            },
        };
        var record = await new SctirLoop(model, executor).RunAsync(request, events, cancellationToken);
        return (record, sink.Events);
    }

    /// <summary>What the model saw at its n-th call for (candidate, attempt).</summary>
    public static string ContextAt(ScriptedModel model, int candidate, int attempt, int call) =>
        model.Calls.Single(c => c.Seed == Seeds.ForAttempt(Seed, candidate, attempt) && c.CallNumber == call).Context;
}
