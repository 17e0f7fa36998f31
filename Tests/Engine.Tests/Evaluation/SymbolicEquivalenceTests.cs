using Numina.Engine.Answers;
using Numina.Engine.Evaluation;
using Numina.Engine.Tests.Sandbox;

namespace Numina.Engine.Tests.Evaluation;

/// <summary>
/// Symbolic equivalence on real MATH-500 answers (left) re-written by hand in another form (right), through sympy in the
/// sandbox; and pairs that look alike but differ, which must never be called equal.
/// </summary>
[Collection("sandbox")]
public class SymbolicEquivalenceTests
{
    public static readonly (string A, string B)[] Equivalent =
    [
        (@"\frac65", @"6/5"),
        (@"\frac65", @"\dfrac{6}{5}"),
        (@"\frac65", @"1.2"),
        (@"\begin{pmatrix} -2 \\ -14 \\ -7 \end{pmatrix}", @"\begin{bmatrix}-2\\-14\\-7\end{bmatrix}"),
        (@"x^3+3x-6", @"3x + x^3 - 6"),
        (@"\dfrac{33}{100}", @"0.33"),
        (@"2k+2", @"2(k+1)"),
        (@"0.15", @"\frac{3}{20}"),
        (@"3, 5, 7", @"7, 5, 3"),
        (@"3\sqrt{13}", @"\sqrt{117}"),
        (@"180^\circ", @"180"),
        (@"(0,9) \cup (9,36)", @"(0, 9)\cup(9, 36)"),
        (@"11\sqrt2", @"11 \sqrt{2}"),
        (@"90^\circ", @"90^{\circ}"),
        (@"5x - 7y + 11z + 4 = 0", @"-5x + 7y - 11z - 4 = 0"),
        (@"\frac43", @"\frac{4}{3}"),
        (@"40_9", @"40_{9}"),
        (@"(15,-29)", @"\left( 15, -29 \right)"),
        (@"\frac{270}7\text{ degrees}", @"\frac{270}{7}"),
        (@"(a+5)(b+2)", @"ab + 2a + 5b + 10"),
        (@"11,\! 111,\! 111,\! 100", @"11111111100"),
        (@"8 \pi", @"8\pi"),
        (@"\text{(E)}", @"(E)"),
        (@"-\frac{\pi}{6}", @"-\pi/6"),
        (@"\begin{pmatrix} 1/5 \\ -18/5 \end{pmatrix}", @"\begin{pmatrix} \frac15 \\ -\frac{18}{5} \end{pmatrix}"),
        (@"15\mbox{ cm}^2", @"15"),
        (@"p - q", @"-q + p"),
        (@"11 \sqrt{5} + 11", @"11(1+\sqrt5)"),
        (@"\frac{\sqrt{3}}{3}", @"\frac{1}{\sqrt{3}}"),
        (@"\left( \frac{3}{2}, -13 \right)", @"(1.5, -13)"),
        (@"3R^2", @"3 R^2"),
        (@"x=5", @"5"),
        (@"\text{ellipse}", @"ellipse"),
        (@".0000672", @"6.72 \times 10^{-5}"),
        (@"\frac 59", @"\frac{5}{9}"),
        (@"1+2i", @"2i+1"),
        (@"\{1, 2\}", @"\{2, 1\}"),
        (@"[2, 5)", @"\left[2,5\right)"),
        (@"\sqrt[3]{8}", @"2"),
    ];

    public static readonly (string A, string B)[] Different =
    [
        (@"\frac65", @"\frac56"),
        (@"x^3+3x-6", @"x^3+3x+6"),
        (@"3, 5, 7", @"3, 5"),
        (@"3\sqrt{13}", @"13\sqrt{3}"),
        (@"(0,9) \cup (9,36)", @"(0,9] \cup (9,36)"),
        (@"(15,-29)", @"(-29,15)"),
        (@"40_9", @"40_8"),
        (@"\text{(E)}", @"\text{(B)}"),
        (@"p - q", @"q - p"),
        (@"[2, 5)", @"(2, 5)"),
        (@"\begin{pmatrix} 1/5 \\ -18/5 \end{pmatrix}", @"\begin{pmatrix} 1/5 \\ 18/5 \end{pmatrix}"),
        (@"0.15", @"0.1500001"),
        (@"-\frac{\pi}{6}", @"\frac{\pi}{6}"),
        (@"5x - 7y + 11z + 4 = 0", @"5x - 7y + 11z - 4 = 0"),
        (@"\text{ellipse}", @"\text{parabola}"),
        (@"1+2i", @"1-2i"),
        (@"2k+2", @"2k+1"),
    ];

    [Fact]
    public async Task Every_rewritten_answer_is_equivalent_and_no_lookalike_is()
    {
        await using var executor = SandboxKit.Pool(workers: 1);
        await using var equivalence = new SymbolicEquivalence(executor);
        var missed = new List<string>();
        foreach (var row in Equivalent)
        {
            var (a, b) = row;
            if (!await equivalence.EquivalentAsync(a, b)) missed.Add($"{a} ≢ {b}");
            if (!await equivalence.EquivalentAsync(b, a)) missed.Add($"{b} ≢ {a} (reversed)");
        }
        var falseEqual = new List<string>();
        foreach (var row in Different)
        {
            var (a, b) = row;
            if (await equivalence.EquivalentAsync(a, b)) falseEqual.Add($"{a} ≡ {b}");
        }
        Assert.True(Equivalent.Length + Different.Length >= 40);
        Assert.Empty(missed);
        Assert.Empty(falseEqual);
    }

    [Fact]
    public async Task A_hostile_answer_times_out_as_not_equal_and_the_checker_carries_on()
    {
        await using var executor = SandboxKit.Pool(workers: 1);
        await using var equivalence = new SymbolicEquivalence(executor, TimeSpan.FromSeconds(2));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.False(await equivalence.EquivalentAsync("9^{9^{9^{9}}}", "1"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        Assert.True(await equivalence.EquivalentAsync(@"\frac{1}{2}", "0.5"));
        Assert.False(await equivalence.EquivalentAsync("\"); import os; os._exit(1) #", "1"));
        Assert.True(await equivalence.EquivalentAsync(@"2\sqrt2", @"\sqrt8"));
    }
}
