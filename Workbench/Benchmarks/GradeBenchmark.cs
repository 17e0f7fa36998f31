using System.Diagnostics;
using System.Text.RegularExpressions;
using Numina.Engine.Answers;
using Numina.Engine.Configuration;
using Numina.Engine.Evaluation;

namespace Numina.Workbench.Benchmarks;

/// <summary>
/// <c>bench grade</c>: the grader on MATH-500's 500 reference answers, through the sandbox as <c>eval</c> runs it:
/// each answer against itself (a trailing space, so it is not the identical-text shortcut), against a rewriting that
/// keeps its value (boxed and in $…$, \frac and \dfrac swapped, \left/\right, a thousands separator, "x = "), and
/// against a near miss (its last digit changed), which must never be called equal.
/// </summary>
public static class GradeBenchmark
{
    public static async Task<int> RunAsync(EngineOptions options, string datasetPath, CancellationToken ct)
    {
        var answers = Dataset.Load(datasetPath).Problems.Select(p => p.Answer).ToList();
        Console.WriteLine($"bench grade: {answers.Count} answers from {datasetPath}");
        await using var executor = options.CreateExecutor();
        await using var grader = new SymbolicEquivalence(executor);
        await grader.GradeAsync("1", "1.0", ct); // the session loads sympy and the grader once

        var (selfSeconds, selfEqual, _) = await Time(grader, answers.Select(a => (a, a + " ")).ToList(), ct);
        var rewritten = answers.Select((a, i) => (a, Rewrite(a, i))).ToList();
        var (rewrittenSeconds, rewrittenEqual, missed) = await Time(grader, rewritten, ct);
        var nearMisses = answers.Select(a => (a, NearMiss(a))).Where(p => p.Item2 is not null).Select(p => (p.a, p.Item2!)).ToList();
        var (nearSeconds, nearEqual, _) = await Time(grader, nearMisses, ct);

        Console.WriteLine($"against itself:   {selfEqual}/{answers.Count} equal in {selfSeconds:0.0} s");
        Console.WriteLine($"rewritten:        {rewrittenEqual}/{rewritten.Count} equal in {rewrittenSeconds:0.0} s");
        foreach (var (gold, pred, reason) in missed.Take(15)) Console.WriteLine($"  not equal: {gold}  |  {pred}  ({reason})");
        Console.WriteLine($"near misses:      {nearEqual}/{nearMisses.Count} called equal (must be 0) in {nearSeconds:0.0} s");
        Console.WriteLine($"timed out: {grader.TimedOut}");
        Console.WriteLine($"value grade-self-seconds = {selfSeconds:0.00} s");
        Console.WriteLine($"value grade-rewritten-seconds = {rewrittenSeconds:0.00} s");
        Console.WriteLine($"value grade-rewritten-equal = {(double)rewrittenEqual / rewritten.Count:0.000}");
        Console.WriteLine($"value grade-near-miss-false-positives = {nearEqual}");
        return 0;
    }

    private static async Task<(double Seconds, int Equal, List<(string, string, string)> Missed)> Time(SymbolicEquivalence grader, List<(string Gold, string Pred)> pairs, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        int equal = 0;
        var missed = new List<(string, string, string)>();
        foreach (var (gold, pred) in pairs)
        {
            var verdict = await grader.GradeAsync(gold, pred, ct);
            if (verdict.Equivalent) equal++;
            else missed.Add((gold, pred, verdict.Reason));
        }
        return (clock.Elapsed.TotalSeconds, equal, missed);
    }

    /// <summary>The same value written another way; which way depends on the answer and its index.</summary>
    public static string Rewrite(string answer, int index)
    {
        var a = answer;
        if (a.Contains("\\dfrac")) a = a.Replace("\\dfrac", "\\frac");
        else if (a.Contains("\\frac")) a = a.Replace("\\frac", "\\dfrac");
        if (Regex.IsMatch(a, @"^\d{4,}$")) a = Regex.Replace(a, @"(\d)(?=(\d{3})+$)", "$1,");
        if (a.StartsWith("\\left(")) a = "(" + a[6..].Replace("\\right)", ")");
        else if (a.StartsWith('(') && a.EndsWith(')') && !a.Contains("\\left")) a = "\\left(" + a[1..^1] + "\\right)";
        if (index % 3 == 1 && !a.Contains('=') && !a.Contains("\\in") && !a.Contains("\\text") && !a.Contains(',')) a = "x = " + a;
        return index % 2 == 0 ? $"$\\boxed{{{a}}}$" : $"\\({a}\\).";
    }

    /// <summary>The answer with the last digit of its value changed (null when it has none).</summary>
    public static string? NearMiss(string answer)
    {
        int i = answer.Length - 1;
        // the last digit of the value, not of a unit's exponent (15\mbox{ cm}^2: units are not graded)
        while (i >= 0 && (!char.IsAsciiDigit(answer[i]) || Regex.IsMatch(answer[..i], @"\\(?:mbox|text)\{[^{}]*\}\^\{?$"))) i--;
        if (i < 0) return null;
        char changed = answer[i] == '9' ? '8' : (char)(answer[i] + 1);
        return answer[..i] + changed + answer[(i + 1)..];
    }
}
