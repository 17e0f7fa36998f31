using System.Globalization;
using Numina.Engine.Configuration;
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

    public static RunForm FromDefaults(EngineOptions engine)
    {
        var d = engine.Defaults.Decoding;
        return new RunForm
        {
            Preset = engine.DefaultPreset, Width = d.Width, Depth = d.Depth, Temperature = d.Temperature, TopP = d.TopP,
            Seed = d.Seed?.ToString(CultureInfo.InvariantCulture), MaxNewTokensPerRound = d.MaxNewTokensPerRound,
            Execution = engine.Defaults.Execution, TimeoutSeconds = engine.Preset().TimeoutSeconds,
        };
    }

    public IReadOnlyList<string> Check(EngineOptions engine)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Problem)) problems.Add("Enter a problem (LaTeX is fine), or pick a sample.");
        if (!engine.Presets.TryGet(Preset, out _)) problems.Add($"Unknown preset \"{Preset}\".");
        if (!string.IsNullOrWhiteSpace(Seed) && !ulong.TryParse(Seed.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out _))
            problems.Add($"The seed must be a whole number from 0 to {ulong.MaxValue}, or empty to draw one (got \"{Seed}\").");
        if (!double.IsFinite(TimeoutSeconds) || TimeoutSeconds <= 0 || TimeoutSeconds > 600)
            problems.Add($"The code timeout must be more than 0 and at most 600 seconds (got {TimeoutSeconds}).");
        problems.AddRange(SettingsValidator.Check(Decoding(engine)));
        return problems;
    }

    private DecodingSettings Decoding(EngineOptions engine) => engine.Defaults.Decoding with
    {
        Width = Width, Depth = Depth, Temperature = Temperature, TopP = TopP, MaxNewTokensPerRound = MaxNewTokensPerRound,
        Seed = ulong.TryParse(Seed?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : null,
    };

    public RunRequest ToRequest(EngineOptions engine)
    {
        var problems = Check(engine);
        if (problems.Count > 0) throw new InvalidSettingsException(problems);
        return new RunRequest
        {
            Problem = Engine.Problems.Problem.Create(Problem.Trim(), knownAnswer: string.IsNullOrWhiteSpace(KnownAnswer) ? null : KnownAnswer.Trim()),
            Preset = engine.Preset(Preset) with { TimeoutSeconds = TimeoutSeconds },
            Settings = engine.Defaults with { Decoding = Decoding(engine), Execution = Execution },
        };
    }
}
