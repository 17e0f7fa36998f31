using System.Text.Json;
using Numina.Engine.Answers;

namespace Numina.Engine.Evaluation;

/// <summary>One problem of an evaluation set: its text, its reference answer, and any other fields (level, subject, year, ...).</summary>
public sealed record EvalProblem(string Id, string Problem, string Answer, IReadOnlyDictionary<string, string> Fields);

/// <summary>How a dataset's answers are graded.</summary>
public enum GradingPolicy
{
    /// <summary>AIMO: integers, taken mod 1000 when outside 0–999 (the engine's AimoInteger policy).</summary>
    AimoInteger,
    /// <summary>Plain integers, negative and large ones included (AMC, GSM8K).</summary>
    Integer,
    /// <summary>Any answer: equal after normalization, or symbolically equal (sympy, in the sandbox).</summary>
    Symbolic,
}

/// <summary>
/// An evaluation set in the JSONL format of ../shared/data: one object per line with "problem" and "answer" (number or
/// string), optionally "id" and other scalar fields. Malformed lines are reported with their line numbers.
/// </summary>
public sealed class Dataset
{
    public required string Name { get; init; }
    public required IReadOnlyList<EvalProblem> Problems { get; init; }

    public static Dataset Load(string path, int? limit = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"The dataset {path} does not exist.", path);
        var problems = new List<EvalProblem>();
        var errors = new List<string>();
        int lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Trim().Length == 0) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object) { errors.Add($"line {lineNumber}: not a JSON object"); continue; }
                if (!root.TryGetProperty("problem", out var p) || p.ValueKind != JsonValueKind.String || p.GetString()!.Trim().Length == 0)
                { errors.Add($"line {lineNumber}: no \"problem\" text"); continue; }
                if (!root.TryGetProperty("answer", out var a) || a.ValueKind is not (JsonValueKind.String or JsonValueKind.Number))
                { errors.Add($"line {lineNumber}: no \"answer\" (a number or a string)"); continue; }
                var fields = new Dictionary<string, string>();
                foreach (var property in root.EnumerateObject())
                    if (property.Name is not ("problem" or "answer" or "id") && property.Value.ValueKind is JsonValueKind.String or JsonValueKind.Number)
                        fields[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
                var id = root.TryGetProperty("id", out var i) ? (i.ValueKind == JsonValueKind.String ? i.GetString()! : i.GetRawText()) : $"line-{lineNumber}";
                problems.Add(new EvalProblem(id, p.GetString()!, a.ValueKind == JsonValueKind.String ? a.GetString()! : a.GetRawText(), fields));
            }
            catch (JsonException e) { errors.Add($"line {lineNumber}: not JSON ({e.Message})"); }
            if (limit is { } l && problems.Count >= l) break;
        }
        if (errors.Count > 0)
            throw new InvalidDataException($"The dataset {path} has {errors.Count} malformed line(s): {string.Join("; ", errors.Take(5))}{(errors.Count > 5 ? "; ..." : "")}");
        if (problems.Count == 0) throw new InvalidDataException($"The dataset {path} has no problems.");
        var duplicate = problems.GroupBy(x => x.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidDataException($"The dataset {path} has the id \"{duplicate.Key}\" more than once.");
        return new Dataset { Name = Path.GetFileNameWithoutExtension(path), Problems = problems };
    }

    /// <summary>AIMO integer when every answer is an integer in 0–999, plain integer when all are integers, else symbolic.</summary>
    public GradingPolicy SuggestedPolicy()
    {
        bool allIntegers = Problems.All(p => long.TryParse(p.Answer.Trim(), out _));
        if (allIntegers && Problems.All(p => long.Parse(p.Answer.Trim()) is >= 0 and <= 999)) return GradingPolicy.AimoInteger;
        return allIntegers ? GradingPolicy.Integer : GradingPolicy.Symbolic;
    }

    /// <summary>The engine's vote policy for a grading policy (symbolic sets vote on normalized answers).</summary>
    public static AnswerPolicy VotePolicy(GradingPolicy policy) => policy switch
    {
        GradingPolicy.AimoInteger => AnswerPolicy.AimoInteger,
        GradingPolicy.Integer => AnswerPolicy.Integer,
        _ => AnswerPolicy.Normalized,
    };
}
