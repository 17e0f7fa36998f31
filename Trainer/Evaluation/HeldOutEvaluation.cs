using Numina.Engine.Candidates;
using Numina.Engine.Events;
using Numina.Engine.Execution;
using Numina.Engine.Models;
using Numina.Engine.Presets;
using Numina.Engine.Problems;
using Numina.Engine.Runs;
using Numina.Engine.Settings;
using Numina.Trainer.Data;

namespace Numina.Trainer.Evaluation;

public sealed record EvaluationResult(int Problems, int Greedy, double OneSample, int Majority, int AnyOf, int SelfCorrections, int SelfCorrectedRight, double Seconds)
{
    public override string ToString() =>
        $"greedy {Greedy}/{Problems}, one sample {OneSample:P1}, maj@8 {Majority}/{Problems}, any-of-8 {AnyOf}/{Problems}, " +
        $"answers after a self-correction {SelfCorrections} ({SelfCorrectedRight} right), {Seconds:0} s";
}

/// <summary>The shipped model through the real engine (LLamaSharp + sandbox, Numina preset) on held-out problems.</summary>
public static class HeldOutEvaluation
{
    public static async Task<EvaluationResult> RunAsync(ILanguageModel model, ICodeExecutor executor, IReadOnlyList<HeldOutProblem> problems,
        int width, ulong seed, Action<string>? log, CancellationToken ct)
    {
        var loop = new SctirLoop(model, executor);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int greedy = 0, majority = 0, anyOf = 0, selfCorrections = 0, selfRight = 0;
        double oneSample = 0;
        for (int i = 0; i < problems.Count; i++)
        {
            var p = problems[i];
            var problem = Problem.Create(p.Problem, p.Id, p.Answer.ToString());
            var greedyRun = await loop.RunAsync(Request(problem, 1, 0, seed), NullEventSink.Instance, ct);
            var sampled = await loop.RunAsync(Request(problem, width, 0.8, seed + (ulong)i), NullEventSink.Instance, ct);
            var known = Engine.Answers.AnswerPolicies.Apply(Engine.Answers.AnswerPolicy.Integer, p.Answer.ToString());
            if (greedyRun.Correct == true) greedy++;
            if (sampled.Correct == true) majority++;
            var right = sampled.Candidates.Where(c => c.Answer == known).ToList();
            if (right.Count > 0) anyOf++;
            oneSample += (double)right.Count / width;
            foreach (var c in sampled.Candidates.Where(c => c.Status == CandidateStatus.Answered && c.Current.Segments.Any(s => s.Kind == SegmentKind.Traceback)))
            {
                selfCorrections++;
                if (c.Answer == known) selfRight++;
            }
            if ((i + 1) % 10 == 0) log?.Invoke($"{i + 1}/{problems.Count}: greedy {greedy}, maj {majority}, any {anyOf}");
        }
        return new EvaluationResult(problems.Count, greedy, problems.Count == 0 ? 0 : oneSample / problems.Count, majority, anyOf, selfCorrections, selfRight, clock.Elapsed.TotalSeconds);
    }

    private static RunRequest Request(Problem problem, int width, double temperature, ulong seed) => new()
    {
        Problem = problem,
        Preset = BuiltInPresets.Numina,
        Settings = new RunSettings
        {
            // Exact integers: the synthetic answers exceed 999, and AIMO's mod-1000 mapping would count a wrong leading digit as right.
            Decoding = new DecodingSettings { Width = width, Depth = 4, Temperature = temperature, Seed = seed, MaxNewTokensPerRound = 400, ContextSize = 1024 },
            Execution = ExecutionMode.Stateless,
            AnswerPolicy = Engine.Answers.AnswerPolicy.Integer,
        },
    };
}
