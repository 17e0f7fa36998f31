namespace Numina.Engine.Settings;

/// <summary>How candidates are drawn: width N, depth M and the sampler. Plain data; see <see cref="SettingsValidator"/>.</summary>
public sealed record DecodingSettings
{
    /// <summary>Width N: how many candidates are drawn for the problem.</summary>
    public int Width { get; init; } = 8;
    /// <summary>Depth M: how many generation rounds one candidate may have (restarts included).</summary>
    public int Depth { get; init; } = 4;
    public double Temperature { get; init; } = 0.8;
    public double TopP { get; init; } = 1.0;
    /// <summary>0 = off.</summary>
    public int TopK { get; init; }
    /// <summary>0 = off.</summary>
    public double MinP { get; init; }
    /// <summary>1 = off.</summary>
    public double RepetitionPenalty { get; init; } = 1.0;
    /// <summary>One global seed per run; null = drawn at random and written into the run record.</summary>
    public ulong? Seed { get; init; }
    public int MaxNewTokensPerRound { get; init; } = 2048;
    public int ContextSize { get; init; } = 4096;
}

/// <summary>How code blocks run: a fresh interpreter per block (Numina) or a live namespace per candidate.</summary>
public enum ExecutionMode
{
    /// <summary>Numina: each block runs in a fresh process; nothing carries over between blocks.</summary>
    Stateless,
    /// <summary>Notebook style: each candidate keeps one live Python namespace across its blocks.</summary>
    Jupyter,
}

/// <summary>Everything chosen per run besides the preset: the sampler, the execution mode, the answer policy, the decoding policies.</summary>
public sealed record RunSettings
{
    public DecodingSettings Decoding { get; init; } = new();
    public ExecutionMode Execution { get; init; } = ExecutionMode.Stateless;
    /// <summary>Overrides the preset's answer policy (AMC and GSM8K have answers outside 0–999).</summary>
    public Answers.AnswerPolicy? AnswerPolicy { get; init; }
    /// <summary>Early stop, time budget, weighted votes, confidence pruning, hints, grouping: all off for Numina.</summary>
    public Policies.RunPolicies Policies { get; init; } = new();
}

/// <summary>
/// Decoding values that a preset, the configuration or a model entry sets, each optional: a run starts from the
/// built-in <see cref="DecodingSettings"/> and takes, in order, the preset's, the configuration's
/// (<c>Engine:Defaults</c>) and the model entry's values; the researcher's own choices come last.
/// </summary>
public sealed record DecodingDefaults
{
    public int? Width { get; init; }
    public int? Depth { get; init; }
    public double? Temperature { get; init; }
    public double? TopP { get; init; }
    public int? TopK { get; init; }
    public double? MinP { get; init; }
    public double? RepetitionPenalty { get; init; }
    public int? MaxNewTokensPerRound { get; init; }
    public int? ContextSize { get; init; }

    public DecodingSettings ApplyTo(DecodingSettings d) => d with
    {
        Width = Width ?? d.Width,
        Depth = Depth ?? d.Depth,
        Temperature = Temperature ?? d.Temperature,
        TopP = TopP ?? d.TopP,
        TopK = TopK ?? d.TopK,
        MinP = MinP ?? d.MinP,
        RepetitionPenalty = RepetitionPenalty ?? d.RepetitionPenalty,
        MaxNewTokensPerRound = MaxNewTokensPerRound ?? d.MaxNewTokensPerRound,
        ContextSize = ContextSize ?? d.ContextSize,
    };

    public override string ToString() => string.Join(", ", new (string Name, object? Value)[]
    {
        ("N", Width), ("M", Depth), ("T", Temperature), ("top_p", TopP), ("top_k", TopK), ("min_p", MinP),
        ("repetition penalty", RepetitionPenalty), ("tokens per round", MaxNewTokensPerRound), ("context", ContextSize),
    }.Where(x => x.Value is not null).Select(x => $"{x.Name} {Convert.ToString(x.Value, System.Globalization.CultureInfo.InvariantCulture)}"));
}
