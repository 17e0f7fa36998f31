using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Numina.Engine.Answers;

/// <summary>
/// Re-grading what other systems produced (NemoSkills, Qwen's toolkit, a researcher's script): JSONL lines with
/// <c>gold</c> and <c>pred</c>, and any other fields, written back in order with <c>equivalent</c> and <c>reason</c>
/// added — the same grader as <c>eval</c>. A line that cannot be graded (not JSON, no gold or pred) is written back with
/// <c>equivalent: null</c> and the reason, so no line is lost.
/// </summary>
public static class PairGrading
{
    public sealed record Summary(int Pairs, int Equivalent, int NotEquivalent, int Errors, TimeSpan Elapsed);

    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <param name="extract">Free text on either side (a whole solution): read its answer first with
    /// <see cref="AnswerExtractor.ExtractFreeText"/>, and write what was read as <c>gold_extracted</c>/<c>pred_extracted</c>.</param>
    public static async Task<Summary> GradeAsync(TextReader input, TextWriter output, SymbolicEquivalence grader, Action<string> reportError, CancellationToken ct, bool extract = false)
    {
        var clock = Stopwatch.StartNew();
        int pairs = 0, equivalent = 0, errors = 0, number = 0;
        while (await input.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            number++;
            if (line.Trim().Length == 0) continue;
            pairs++;
            JsonObject row;
            try
            {
                row = JsonNode.Parse(line) as JsonObject ?? throw new JsonException("not a JSON object");
            }
            catch (JsonException e)
            {
                errors++;
                reportError($"line {number}: not a JSON object ({e.Message})");
                await output.WriteLineAsync(new JsonObject { ["line"] = line, ["equivalent"] = null, ["reason"] = "error: not a JSON object" }.ToJsonString(Compact)).ConfigureAwait(false);
                continue;
            }
            var gold = Field(row, "gold");
            var pred = Field(row, "pred");
            if (gold is null || pred is null)
            {
                errors++;
                var missing = gold is null ? "gold" : "pred";
                reportError($"line {number}: no \"{missing}\" (a string or a number)");
                row["equivalent"] = null;
                row["reason"] = $"error: no \"{missing}\"";
            }
            else
            {
                if (extract)
                {
                    gold = AnswerExtractor.ExtractFreeText(gold) ?? gold;
                    pred = AnswerExtractor.ExtractFreeText(pred) ?? pred;
                    row["gold_extracted"] = gold;
                    row["pred_extracted"] = pred;
                }
                var verdict = await grader.GradeAsync(gold, pred, ct).ConfigureAwait(false);
                equivalent += verdict.Equivalent ? 1 : 0;
                row["equivalent"] = verdict.Equivalent;
                row["reason"] = verdict.Reason;
            }
            await output.WriteLineAsync(row.ToJsonString(Compact)).ConfigureAwait(false);
        }
        await output.FlushAsync(ct).ConfigureAwait(false);
        return new Summary(pairs, equivalent, pairs - equivalent - errors, errors, clock.Elapsed);
    }

    /// <summary>A string, or a number written as the JSON wrote it (1e3 stays 1e3).</summary>
    private static string? Field(JsonObject row, string name) => row[name] switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.ToJsonString(),
        _ => null,
    };
}
