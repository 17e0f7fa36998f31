using System.Text.Json;
using System.Text.Json.Serialization;
using Numina.Engine.Answers;
using Numina.Engine.Candidates;
using Numina.Engine.Presets;
using Numina.Engine.Problems;
using Numina.Engine.Settings;

namespace Numina.Engine.Runs;

/// <summary>Interrupted: the process ended while the run ran (found so when the store opens again).</summary>
public enum RunStatus { Running, Finished, Cancelled, Failed, Interrupted }

/// <summary>Everything about one run: inputs, every candidate's transcript, every decision, the vote. Serializes to JSON.</summary>
public sealed class RunRecord
{
    public required string Id { get; init; }
    public RunStatus Status { get; set; } = RunStatus.Running;
    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; set; }
    public required Problem Problem { get; init; }
    public required Preset Preset { get; init; }
    public required RunSettings Settings { get; init; }
    /// <summary>The run's global seed (drawn when the settings gave none); each attempt's seed derives from it.</summary>
    public ulong Seed { get; init; }
    public AnswerPolicy AnswerPolicy { get; init; }
    public Models.ModelFacts? Model { get; init; }
    public Execution.ExecutorFacts? Executor { get; init; }
    /// <summary>The prompt as the model read it (a chat prompt with its template's text).</summary>
    public string Prompt { get; set; } = "";
    /// <summary>How the prompt was built: "text", or which chat template rendered it.</summary>
    public string PromptRendering { get; set; } = "";
    public int PromptTokens { get; set; }
    /// <summary>How the backend held the candidates (all at once, or in waves when the KV pool is too small).</summary>
    public Models.SequencePlan? SequencePlan { get; set; }
    public List<Candidate> Candidates { get; init; } = [];
    public List<Decision> Decisions { get; init; } = [];
    /// <summary>Changes the researcher made while the run ran (N, M, temperature, top_p), in order.</summary>
    public List<SteeringChange> Steering { get; init; } = [];
    /// <summary>What the decoding policies did (early stops, pruned traces, the calibrated threshold, groupings), in order.</summary>
    public List<Policies.PolicyAction> PolicyActions { get; init; } = [];
    public VoteTally Vote { get; set; } = VoteTally.Empty;
    /// <summary>The winner, or the preset's fallback ("0" for Numina) when no candidate gave a valid answer.</summary>
    public string? Answer { get; set; }
    /// <summary>Whether <see cref="Answer"/> matches the problem's known answer under the run's policy; null when unknown.</summary>
    public bool? Correct { get; set; }
    public string? Error { get; set; }

    public double ElapsedSeconds => ((FinishedAt ?? DateTimeOffset.UtcNow) - StartedAt).TotalSeconds;
    public int GeneratedTokens => Candidates.Sum(c => c.GeneratedTokens);
    public int AppendedTokens => Candidates.Sum(c => c.AppendedTokens);
    public int Executions => Candidates.Sum(c => c.Attempts.Sum(a => a.Executions));
    public int Restarts => Candidates.Sum(c => c.Restarts);

    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        // Records are files for people and tools, not HTML: keep <, >, ` and non-ASCII readable.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static RunRecord FromJson(string json) =>
        JsonSerializer.Deserialize<RunRecord>(json, JsonOptions) ?? throw new JsonException("The run record is empty.");
}
