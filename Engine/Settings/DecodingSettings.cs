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

/// <summary>Everything chosen per run besides the preset: the sampler, the execution mode, the answer policy.</summary>
public sealed record RunSettings
{
    public DecodingSettings Decoding { get; init; } = new();
    public ExecutionMode Execution { get; init; } = ExecutionMode.Stateless;
    /// <summary>Overrides the preset's answer policy (AMC and GSM8K have answers outside 0–999).</summary>
    public Answers.AnswerPolicy? AnswerPolicy { get; init; }
}
