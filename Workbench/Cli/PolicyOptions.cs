using System.CommandLine;
using Numina.Engine.Policies;
using Numina.Engine.Settings;

namespace Numina.Workbench.Cli;

/// <summary>The decoding policies on the command line (solve and eval): each option overrides the preset's value.</summary>
public static class PolicyOptions
{
    private static readonly Option<bool> None = new("--no-policies") { Description = "Turn off every policy the preset or configuration turns on (then apply the options below)." };
    private static readonly Option<int?> FirstAgree = new("--stop-first-agree") { Description = "Stop when the first K answers agree (NemoSkills; 0 = off)." };
    private static readonly Option<int?> Agree = new("--stop-agree") { Description = "Stop when K equal answers are among the last J (--stop-among; imagination-research)." };
    private static readonly Option<int?> Among = new("--stop-among") { Description = "J for --stop-agree (default: K + 1)." };
    private static readonly Option<bool> Decided = new("--stop-when-decided") { Description = "Stop once the unfinished candidates cannot change the winner." };
    private static readonly Option<double?> Budget = new("--time-budget") { Description = "Seconds per problem; then the unfinished candidates stop (0 = none)." };
    private static readonly Option<VoteWeighting?> Vote = new("--vote") { Description = "Count (one vote each), Imagination (0.6 for answers <= 20 or multiples of 100, ties to the larger) or Confidence." };
    private static readonly Option<bool> Confidence = new("--confidence-pruning") { Description = "DeepConf: stop traces whose window confidence falls below the calibrated threshold." };
    private static readonly Option<int?> Window = new("--confidence-window") { Description = "Tokens in the confidence window (default 32)." };
    private static readonly Option<int?> Warmup = new("--confidence-warmup") { Description = "Answers that calibrate the threshold (default 4)." };
    private static readonly Option<double?> Keep = new("--confidence-keep") { Description = "Percent of the warm-up's range kept above the threshold: 90 (DeepConf-high, default) or 10 (DeepConf-low)." };
    private static readonly Option<double?> Threshold = new("--confidence-threshold") { Description = "A fixed threshold (0-1) instead of the calibrated one." };
    private static readonly Option<int?> Concurrent = new("--max-concurrent") { Description = "At most K candidates decode at once; the rest wait their turn (0 = all)." };
    private static readonly Option<bool> Hint = new("--remaining-calls-hint") { Description = "Tell the model how many code executions it has left (NemoSkills)." };

    public static IEnumerable<Option> All => [None, FirstAgree, Agree, Among, Decided, Budget, Vote, Confidence, Window, Warmup, Keep, Threshold, Concurrent, Hint];

    /// <summary>The preset's (and configuration's) policies with the options given on the command line over them.</summary>
    public static RunPolicies Apply(ParseResult parse, RunPolicies defaults)
    {
        var p = parse.GetValue(None) ? RunPolicies.Off : defaults;
        int? agree = parse.GetValue(Agree);
        p = p with
        {
            StopWhenFirstAgree = parse.GetValue(FirstAgree) ?? p.StopWhenFirstAgree,
            StopWhenAgree = agree ?? p.StopWhenAgree,
            StopAmongLast = parse.GetValue(Among) ?? (agree is { } k ? k + 1 : p.StopAmongLast),
            StopWhenDecided = parse.GetValue(Decided) || p.StopWhenDecided,
            TimeBudgetSeconds = parse.GetValue(Budget) ?? p.TimeBudgetSeconds,
            Vote = parse.GetValue(Vote) ?? p.Vote,
            ConfidencePruning = parse.GetValue(Confidence) || p.ConfidencePruning,
            ConfidenceWindow = parse.GetValue(Window) ?? p.ConfidenceWindow,
            ConfidenceWarmup = parse.GetValue(Warmup) ?? p.ConfidenceWarmup,
            ConfidenceKeepPercent = parse.GetValue(Keep) ?? p.ConfidenceKeepPercent,
            ConfidenceThreshold = parse.GetValue(Threshold) ?? p.ConfidenceThreshold,
            MaxConcurrentCandidates = parse.GetValue(Concurrent) ?? p.MaxConcurrentCandidates,
            RemainingCallsHint = parse.GetValue(Hint) || p.RemainingCallsHint,
        };
        var problems = p.Check();
        if (problems.Count > 0) throw new InvalidSettingsException(problems);
        return p;
    }
}
