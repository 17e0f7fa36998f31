using System.Globalization;
using System.Numerics;
using System.Text.Json;
using Numina.Engine.Answers;
using Numina.Engine.Tests.Support;
using Xunit.Abstractions;

namespace Numina.Engine.Tests.Answers;

/// <summary>Every integer answer of the evaluation sets survives extract → normalize → policy when written as \boxed{...}.</summary>
public class RealDataAnswerTests(ITestOutputHelper output)
{
    public static TheoryData<string> DataFiles() =>
        Directory.Exists(Repo.SharedData)
            ? new(Directory.GetFiles(Repo.SharedData, "*.jsonl").Select(Path.GetFileName).OfType<string>().Order())
            : throw new DirectoryNotFoundException($"The evaluation sets are expected in {Repo.SharedData} (shared/data beside the checkout).");

    [Theory]
    [MemberData(nameof(DataFiles))]
    public void Integer_answers_survive_the_pipeline(string file)
    {
        int integers = 0, outsideAimoRange = 0;
        foreach (var line in File.ReadLines(Path.Combine(Repo.SharedData, file)).Where(l => l.Trim().Length > 0))
        {
            using var doc = JsonDocument.Parse(line);
            var answer = doc.RootElement.GetProperty("answer");
            var text = answer.ValueKind == JsonValueKind.Number ? answer.GetRawText() : answer.GetString()!;
            if (!BigInteger.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
                continue;
            integers++;
            var transcript = "... so the total is computed above.\n\nTherefore, the final answer is \\boxed{" + text + "}.";
            var normalized = AnswerNormalizer.Normalize(AnswerExtractor.Extract(transcript, 100)!);

            Assert.Equal(value.ToString(CultureInfo.InvariantCulture), AnswerPolicies.Apply(AnswerPolicy.Integer, normalized));
            var aimo = AnswerPolicies.Apply(AnswerPolicy.AimoInteger, normalized);
            if (value.Sign < 0) Assert.Null(aimo);
            else Assert.Equal((value % 1000).ToString(CultureInfo.InvariantCulture), aimo);
            if (value.Sign < 0 || value > 999) outsideAimoRange++;
        }
        output.WriteLine($"{file}: {integers} integer answers checked, {outsideAimoRange} outside 0-999");
        Assert.True(integers > 0, $"{file} has no integer answers");
    }
}
