using System.Text.Json;
using Numina.Engine.Answers;
using Numina.Engine.Tests.Sandbox;
using Numina.Engine.Tests.Support;
using Xunit.Abstractions;

namespace Numina.Engine.Tests.Answers;

/// <summary>
/// The grader against Hugging Face's Math-Verify, the grader NemoSkills and most recent papers use: its own test
/// suite's answer-versus-answer cases (MathVerify/cases.jsonl, ported by MathVerify/port.py: inputs and expected
/// verdicts are data, no Math-Verify code). Agreement must be at least 95 % with no false positive (a pair Math-Verify
/// calls different that we call equal); every remaining disagreement must be one of the accepted ones below, each
/// with why.
/// </summary>
[Collection("sandbox")]
public class MathVerifyAgreementTests(ITestOutputHelper output)
{
    private sealed record Case(string Gold, string Pred, bool Equivalent, int Precision, string Source);

    /// <summary>Disagreements we accept, all "not equal" where Math-Verify says equal, with why.</summary>
    private static readonly Dictionary<(string Gold, string Pred), string> Accepted = new()
    {
        [("$1 = \\zzz = x = 0$", "$0$")] = "an unknown macro \\zzz: we do not guess what it is",
        [("$-2 \\\\le x \\\\le 7$", "$x \\in [-2,7]$")] = "the gold has \\\\ (a LaTeX line break) before \"le\", not \\le",
        [("\\\\boxed{W(n) = 1 \\\\text{ and } W(n) = -1", "W(x)=1orW(x)=-1")] = "the gold's box never closes, and W(n) is not W(x) (strict variables)",
        [("$F_n = \\sum_{k=0}^{n-1} F_k F_{n-k-1}$", "$F_n = \\sum_{k=0}^{n-1} F_{n-k-1} F_k$")] = "sums (\\sum) are compared as text, not algebra",
        [("$1 - \\frac{1}{\\mathrm{e}}$", "$1 + \\frac{1}{\\mathrm{e}}$")] = "1 - 1/e and 1 + 1/e are different numbers (Math-Verify's case expects equal)",
    };

    private static List<Case> Cases(string file) =>
        File.ReadLines(Path.Combine(Repo.Root, "Tests", "Engine.Tests", "Answers", "MathVerify", file))
            .Select(l => JsonSerializer.Deserialize<Case>(l, new JsonSerializerOptions(JsonSerializerDefaults.Web))!).ToList();

    /// <summary>Each pair through the grader as eval runs it (the sandbox), at its case's precision.</summary>
    private static async Task<List<GradeVerdict>> GradeAll(IReadOnlyList<(string Gold, string Pred, int Precision)> pairs)
    {
        await using var executor = SandboxKit.Pool(workers: 1);
        var graders = new Dictionary<int, SymbolicEquivalence>();
        try
        {
            var verdicts = new List<GradeVerdict>();
            foreach (var (gold, pred, precision) in pairs)
            {
                if (!graders.TryGetValue(precision, out var grader))
                    graders[precision] = grader = new SymbolicEquivalence(executor) { Precision = precision };
                verdicts.Add(await grader.GradeAsync(gold, pred));
            }
            return verdicts;
        }
        finally
        {
            foreach (var g in graders.Values) await g.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_grader_agrees_with_Math_Verify_on_its_answer_versus_answer_cases_with_no_false_positive()
    {
        var cases = Cases("cases.jsonl");
        Assert.True(cases.Count >= 140, $"only {cases.Count} cases");
        Assert.Contains(cases, c => !c.Equivalent);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var verdicts = await GradeAll(cases.Select(c => (c.Gold, c.Pred, c.Precision)).ToList());
        var falsePositives = new List<string>();
        var unexplained = new List<string>();
        int agree = 0, accepted = 0;
        foreach (var (c, verdict) in cases.Zip(verdicts))
        {
            if (verdict.Equivalent == c.Equivalent) { agree++; continue; }
            var line = $"{c.Source}: gold {c.Gold} | pred {c.Pred} | Math-Verify {c.Equivalent}, ours {verdict.Equivalent} ({verdict.Reason})";
            output.WriteLine(line);
            if (verdict.Equivalent) falsePositives.Add(line);
            else if (Accepted.ContainsKey((c.Gold, c.Pred))) accepted++;
            else unexplained.Add(line);
        }
        double agreement = (double)agree / cases.Count;
        output.WriteLine($"{cases.Count} cases ({cases.Count(c => !c.Equivalent)} not equivalent): agree on {agree} ({agreement:P1}), " +
                         $"{falsePositives.Count} false positives, {cases.Count - agree - falsePositives.Count} false negatives ({accepted} accepted), {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.Empty(falsePositives);
        Assert.Empty(unexplained);
        Assert.True(agreement >= 0.95, $"agreement {agreement:P1}");
    }

    /// <summary>
    /// Math-Verify's other cases — free text on one side or both — through <see cref="AnswerExtractor.ExtractFreeText"/>
    /// first, where it finds an answer on both sides (what the symbolic policy claims to handle: the last boxes, "answer
    /// is", display or inline math, a bare answer). No false positive; agreement at least 80 % (Math-Verify also reads
    /// numbers out of prose, which this policy does not claim).
    /// </summary>
    [Fact]
    public async Task Extraction_then_grading_agrees_with_Math_Verify_on_its_free_text_cases()
    {
        var cases = Cases("extraction-cases.jsonl");
        Assert.True(cases.Count >= 100, $"only {cases.Count} cases");
        var read = cases.Select(c => (Case: c, Gold: AnswerExtractor.ExtractFreeText(c.Gold), Pred: AnswerExtractor.ExtractFreeText(c.Pred))).ToList();
        foreach (var r in read.Where(r => r.Gold is null || r.Pred is null)) output.WriteLine($"not handled: {Short(r.Case.Gold)} | {Short(r.Case.Pred)}");
        var handled = read.Where(r => r.Gold is not null && r.Pred is not null).ToList();
        var verdicts = await GradeAll(handled.Select(r => (r.Gold!, r.Pred!, r.Case.Precision)).ToList());
        int agree = 0;
        var falsePositives = new List<string>();
        foreach (var (r, verdict) in handled.Zip(verdicts))
        {
            if (verdict.Equivalent == r.Case.Equivalent) { agree++; continue; }
            var line = $"{r.Case.Source}: read {r.Gold} | {r.Pred} — Math-Verify {r.Case.Equivalent}, ours {verdict.Equivalent} ({verdict.Reason})";
            output.WriteLine(line);
            if (verdict.Equivalent) falsePositives.Add(line);
        }
        double agreement = (double)agree / handled.Count;
        output.WriteLine($"{cases.Count} free-text cases: {handled.Count} handled, agree on {agree} ({agreement:P1}), {falsePositives.Count} false positives");
        Assert.Empty(falsePositives);
        Assert.True(handled.Count >= cases.Count * 3 / 4, $"only {handled.Count} of {cases.Count} handled");
        Assert.True(agreement >= 0.80, $"agreement {agreement:P1}");
    }

    private static string Short(string s) => s.Length <= 60 ? s.Replace("\n", " ") : s[..60].Replace("\n", " ") + "…";
}
