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
    /// <summary>One candidate's context in tokens (prompt, its rounds and the outputs appended).</summary>
    public int ContextSize { get; set; } = 4096;
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

    // --- The numbers as typed: a field whose text is not a number keeps its text and its problem (and the number it
    // had), so Run stays disabled with a message; nothing is turned into a default or a zero. ---
    private readonly Dictionary<string, (string Text, string Problem)> _unparsed = [];

    private string Shown(string what, string formatted) => _unparsed.TryGetValue(what, out var u) ? u.Text : formatted;

    private void TypedInt(string what, string? text, Action<int> set)
    {
        if (SettingText.ParseInt(what, text, out var v) is { } problem) _unparsed[what] = (text ?? "", problem);
        else
        {
            _unparsed.Remove(what);
            set(v);
        }
    }

    private void TypedDouble(string what, string? text, Action<double> set)
    {
        if (SettingText.ParseDouble(what, text, out var v) is { } problem) _unparsed[what] = (text ?? "", problem);
        else
        {
            _unparsed.Remove(what);
            set(v);
        }
    }

    public string WidthText { get => Shown("Width N", SettingText.Format(Width)); set => TypedInt("Width N", value, v => Width = v); }
    public string DepthText { get => Shown("Depth M", SettingText.Format(Depth)); set => TypedInt("Depth M", value, v => Depth = v); }
    public string TemperatureText { get => Shown("Temperature", SettingText.Format(Temperature)); set => TypedDouble("Temperature", value, v => Temperature = v); }
    public string TopPText { get => Shown("top_p", SettingText.Format(TopP)); set => TypedDouble("top_p", value, v => TopP = v); }
    public string MaxNewTokensText { get => Shown("Max new tokens per round", SettingText.Format(MaxNewTokensPerRound)); set => TypedInt("Max new tokens per round", value, v => MaxNewTokensPerRound = v); }
    public string ContextSizeText { get => Shown("The context size", SettingText.Format(ContextSize)); set => TypedInt("The context size", value, v => ContextSize = v); }
    public string TimeoutText { get => Shown("The code timeout", SettingText.Format(TimeoutSeconds)); set => TypedDouble("The code timeout", value, v => TimeoutSeconds = v); }
    public string StopWhenFirstAgreeText { get => Shown("Stop when the first K agree", SettingText.Format(StopWhenFirstAgree)); set => TypedInt("Stop when the first K agree", value, v => StopWhenFirstAgree = v); }
    public string StopWhenAgreeText { get => Shown("Stop when K agree", SettingText.Format(StopWhenAgree)); set => TypedInt("Stop when K agree", value, v => StopWhenAgree = v); }
    public string StopAmongLastText { get => Shown("Among the last J", SettingText.Format(StopAmongLast)); set => TypedInt("Among the last J", value, v => StopAmongLast = v); }
    public string TimeBudgetText { get => Shown("The time budget", SettingText.Format(TimeBudgetSeconds)); set => TypedDouble("The time budget", value, v => TimeBudgetSeconds = v); }
    public string MaxConcurrentText { get => Shown("At most K at once", SettingText.Format(MaxConcurrentCandidates)); set => TypedInt("At most K at once", value, v => MaxConcurrentCandidates = v); }
    public string ConfidenceWindowText { get => Shown("The confidence window", SettingText.Format(ConfidenceWindow)); set => TypedInt("The confidence window", value, v => ConfidenceWindow = v); }
    public string ConfidenceWarmupText { get => Shown("The warm-up answers", SettingText.Format(ConfidenceWarmup)); set => TypedInt("The warm-up answers", value, v => ConfidenceWarmup = v); }
    public string ConfidenceKeepText { get => Shown("Keep %", SettingText.Format(ConfidenceKeepPercent)); set => TypedDouble("Keep %", value, v => ConfidenceKeepPercent = v); }

    /// <summary>
    /// Takes back a draft the browser kept (field id → text as typed; see workbench.js): the problem and every typed
    /// setting, through the same reading as typing (so a bad value comes back with its message).
    /// </summary>
    public void ApplyDraft(IReadOnlyDictionary<string, string> draft)
    {
        foreach (var (field, text) in draft)
            switch (field)
            {
                case "problem-input": Problem = text; break;
                case "known-answer": KnownAnswer = text; break;
                case "seed": Seed = text; break;
                case "width": WidthText = text; break;
                case "depth": DepthText = text; break;
                case "temperature": TemperatureText = text; break;
                case "top-p": TopPText = text; break;
                case "max-tokens": MaxNewTokensText = text; break;
                case "context-size": ContextSizeText = text; break;
                case "timeout": TimeoutText = text; break;
                case "stop-first-agree": StopWhenFirstAgreeText = text; break;
                case "stop-agree": StopWhenAgreeText = text; break;
                case "stop-among": StopAmongLastText = text; break;
                case "time-budget": TimeBudgetText = text; break;
                case "max-concurrent": MaxConcurrentText = text; break;
                case "confidence-window": ConfidenceWindowText = text; break;
                case "confidence-warmup": ConfidenceWarmupText = text; break;
                case "confidence-keep": ConfidenceKeepText = text; break;
            }
    }

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
        _unparsed.Clear();
        if (!engine.Presets.TryGet(preset, out var p)) return;
        var defaults = engine.DefaultsFor(p, model);
        var d = defaults.Decoding;
        (Width, Depth, Temperature, TopP, MaxNewTokensPerRound, ContextSize, TimeoutSeconds) = (d.Width, d.Depth, d.Temperature, d.TopP, d.MaxNewTokensPerRound, d.ContextSize, p.TimeoutSeconds);
        TakePolicies(defaults.Policies);
    }

    public IReadOnlyList<string> Check(EngineOptions engine, ModelEntry? model = null)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Problem)) problems.Add("Enter a problem (LaTeX is fine), or pick a sample.");
        else if (Engine.Problems.Problem.Check(Problem) is { } problem) problems.Add(problem);
        if (!engine.Presets.TryGet(Preset, out _)) problems.Add($"Unknown preset \"{Preset}\".");
        if (SettingText.ParseSeed(Seed, out _) is { } seedProblem) problems.Add(seedProblem);
        problems.AddRange(_unparsed.Values.Select(u => u.Problem));
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
        Width = Width, Depth = Depth, Temperature = Temperature, TopP = TopP, MaxNewTokensPerRound = MaxNewTokensPerRound, ContextSize = ContextSize,
        Seed = SettingText.ParseSeed(Seed, out var seed) is null ? seed : null,
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
