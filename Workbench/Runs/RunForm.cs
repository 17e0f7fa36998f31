using System.Globalization;
using Numina.Engine.Configuration;
using Numina.Engine.Policies;
using Numina.Engine.Problems;
using Numina.Engine.Runs;
using Numina.Engine.Settings;

namespace Numina.Workbench.Runs;

/// <summary>What the solve page edits: a problem and the run's settings, with the messages a researcher can act on.</summary>
public sealed class RunForm
{
    public string Problem { get; set; } = "";
    public string? KnownAnswer { get; set; }
    public string Preset { get; set; } = "Numina";
    public int Width { get; set; } = 8;
    public int Depth { get; set; } = 4;
    public double Temperature { get; set; } = 0.8;
    public double TopP { get; set; } = 1.0;
    /// <summary>Empty = drawn per run.</summary>
    public string? Seed { get; set; }
    public int MaxNewTokensPerRound { get; set; } = 2048;
    public ExecutionMode Execution { get; set; } = ExecutionMode.Stateless;
    public double TimeoutSeconds { get; set; } = 5;

    // --- Decoding policies (the preset's, then the researcher's) ---
    public int StopWhenFirstAgree { get; set; }
    public int StopWhenAgree { get; set; }
    public int StopAmongLast { get; set; }
    public bool StopWhenDecided { get; set; }
    public double TimeBudgetSeconds { get; set; }
    public VoteWeighting Vote { get; set; }
    public bool ConfidencePruning { get; set; }
    public int ConfidenceWindow { get; set; } = 32;
    public int ConfidenceWarmup { get; set; } = 4;
    public double ConfidenceKeepPercent { get; set; } = 90;
    public int MaxConcurrentCandidates { get; set; }
    public bool RemainingCallsHint { get; set; }
    public bool GroupEquivalentAnswers { get; set; }

    /// <summary>The policies as the form sets them (the preset's fixed threshold, if any, is kept).</summary>
    public RunPolicies Policies(RunPolicies preset) => preset with
    {
        StopWhenFirstAgree = StopWhenFirstAgree, StopWhenAgree = StopWhenAgree, StopAmongLast = StopAmongLast, StopWhenDecided = StopWhenDecided,
        TimeBudgetSeconds = TimeBudgetSeconds, Vote = Vote, ConfidencePruning = ConfidencePruning, ConfidenceWindow = ConfidenceWindow,
        ConfidenceWarmup = ConfidenceWarmup, ConfidenceKeepPercent = ConfidenceKeepPercent, MaxConcurrentCandidates = MaxConcurrentCandidates,
        RemainingCallsHint = RemainingCallsHint, GroupEquivalentAnswers = GroupEquivalentAnswers,
    };

    private void TakePolicies(RunPolicies p) =>
        (StopWhenFirstAgree, StopWhenAgree, StopAmongLast, StopWhenDecided, TimeBudgetSeconds, Vote, ConfidencePruning, ConfidenceWindow, ConfidenceWarmup,
            ConfidenceKeepPercent, MaxConcurrentCandidates, RemainingCallsHint, GroupEquivalentAnswers) =
        (p.StopWhenFirstAgree, p.StopWhenAgree, p.StopAmongLast, p.StopWhenDecided, p.TimeBudgetSeconds, p.Vote, p.ConfidencePruning, p.ConfidenceWindow,
            p.ConfidenceWarmup, p.ConfidenceKeepPercent, p.MaxConcurrentCandidates, p.RemainingCallsHint, p.GroupEquivalentAnswers);

    /// <summary>A form with the defaults of the model's preset on that model (see <see cref="EngineOptions.DefaultsFor"/>).</summary>
    public static RunForm FromDefaults(EngineOptions engine, ModelEntry? model = null)
    {
        var form = new RunForm { Seed = engine.Seed?.ToString(CultureInfo.InvariantCulture), Execution = engine.Execution };
        form.ApplyPreset(engine, model, engine.PresetFor(model).Name);
        return form;
    }

    /// <summary>Chooses a preset and takes its system's decoding defaults (on this model) and its code timeout.</summary>
    public void ApplyPreset(EngineOptions engine, ModelEntry? model, string preset)
    {
        Preset = preset;
        if (!engine.Presets.TryGet(preset, out var p)) return;
        var defaults = engine.DefaultsFor(p, model);
        var d = defaults.Decoding;
        (Width, Depth, Temperature, TopP, MaxNewTokensPerRound, TimeoutSeconds) = (d.Width, d.Depth, d.Temperature, d.TopP, d.MaxNewTokensPerRound, p.TimeoutSeconds);
        TakePolicies(defaults.Policies);
    }

    public IReadOnlyList<string> Check(EngineOptions engine, ModelEntry? model = null)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Problem)) problems.Add("Enter a problem (LaTeX is fine), or pick a sample.");
        if (!engine.Presets.TryGet(Preset, out _)) problems.Add($"Unknown preset \"{Preset}\".");
        if (!string.IsNullOrWhiteSpace(Seed) && !ulong.TryParse(Seed.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out _))
            problems.Add($"The seed must be a whole number from 0 to {ulong.MaxValue}, or empty to draw one (got \"{Seed}\").");
        if (!double.IsFinite(TimeoutSeconds) || TimeoutSeconds <= 0 || TimeoutSeconds > 600)
            problems.Add($"The code timeout must be more than 0 and at most 600 seconds (got {TimeoutSeconds}).");
        problems.AddRange(SettingsValidator.Check(Decoding(engine, model)));
        problems.AddRange(Policies(Defaults(engine, model).Policies).Check());
        return problems;
    }

    private RunSettings Defaults(EngineOptions engine, ModelEntry? model) =>
        engine.Presets.TryGet(Preset, out var p) ? engine.DefaultsFor(p, model) : engine.Defaults;

    private DecodingSettings Decoding(EngineOptions engine, ModelEntry? model) => Defaults(engine, model).Decoding with
    {
        Width = Width, Depth = Depth, Temperature = Temperature, TopP = TopP, MaxNewTokensPerRound = MaxNewTokensPerRound,
        Seed = ulong.TryParse(Seed?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : null,
    };

    public RunRequest ToRequest(EngineOptions engine, ModelEntry? model = null)
    {
        var problems = Check(engine, model);
        if (problems.Count > 0) throw new InvalidSettingsException(problems);
        var defaults = Defaults(engine, model);
        return new RunRequest
        {
            Problem = Engine.Problems.Problem.Create(Problem.Trim(), knownAnswer: string.IsNullOrWhiteSpace(KnownAnswer) ? null : KnownAnswer.Trim()),
            Preset = engine.Preset(Preset) with { TimeoutSeconds = TimeoutSeconds },
            Settings = defaults with { Decoding = Decoding(engine, model), Execution = Execution, Policies = Policies(defaults.Policies) },
        };
    }
}
