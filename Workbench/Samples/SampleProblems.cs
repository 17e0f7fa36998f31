using System.Text.Json;
using System.Text.Json.Serialization;

namespace Numina.Workbench.Samples;

/// <summary>A problem shipped with the app, with its known answer.</summary>
public sealed record SampleProblem(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("set")] string Set,
    [property: JsonPropertyName("problem")] string Problem,
    [property: JsonPropertyName("answer")] string Answer);

/// <summary>
/// The sample problems in <c>samples/problems.jsonl</c> (next to the executable): some in the bundled tiny model's reach,
/// some for a real model. Written for the workbench; not taken from the evaluation sets.
/// </summary>
public static class SampleProblems
{
    public static IReadOnlyList<SampleProblem> Load(string? path = null)
    {
        path ??= Path.Combine(AppContext.BaseDirectory, "samples", "problems.jsonl");
        if (!File.Exists(path)) return [];
        return File.ReadLines(path).Where(l => l.Trim().Length > 0).Select(l => JsonSerializer.Deserialize<SampleProblem>(l)!).ToList();
    }
}
