namespace Numina.Trainer.Data;

/// <summary>
/// Arithmetic expressions as a problem writes them (LaTeX) and as Python computes them, with their value computed here:
/// powers, products, binomials, factorial quotients, fractions that divide exactly. Non-negative by construction.
/// </summary>
public static class Expressions
{
    public static (string Tex, string Python, long Value) Draw(Random r)
    {
        int A() => r.Next(2, 13);
        switch (r.Next(10))
        {
            case 0:
            {
                int a = r.Next(3, 13), b = r.Next(2, a), p = r.Next(2, 5);
                return ($"{a}^{p} - {b}^{p}", $"{a}**{p} - {b}**{p}", Pow(a, p) - Pow(b, p));
            }
            case 1:
            {
                int d = r.Next(11, 60), e = r.Next(3, 30), c = d * e + r.Next(1, 900);
                return ($"{c} - {d} \\cdot {e}", $"{c} - {d} * {e}", c - (long)d * e);
            }
            case 2:
            {
                int n = r.Next(5, 25), k = r.Next(2, Math.Min(7, n));
                return ($"\\binom{{{n}}}{{{k}}}", $"math.comb({n}, {k})", Choose(n, k));
            }
            case 3:
            {
                int n = r.Next(5, 16), m = n - r.Next(1, 4);
                long v = 1;
                for (int i = m + 1; i <= n; i++) v *= i;
                return ($"\\frac{{{n}!}}{{{m}!}}", $"math.factorial({n}) // math.factorial({m})", v);
            }
            case 4:
            {
                int a = r.Next(3, 16), b = r.Next(2, 9);
                return ($"2^{{{a}}} + 3^{{{b}}}", $"2**{a} + 3**{b}", Pow(2, a) + Pow(3, b));
            }
            case 5:
            {
                int a = r.Next(2, 40), b = r.Next(2, 40), c = r.Next(20, 60), d = r.Next(1, c);
                return ($"({a} + {b}) \\times ({c} - {d})", $"({a} + {b}) * ({c} - {d})", (long)(a + b) * (c - d));
            }
            case 6:
            {
                int a = r.Next(2, 50), b = r.Next(2, 50), c = r.Next(2, 50), d = r.Next(2, 50);
                return ($"{a} \\times {b} + {c} \\times {d}", $"{a} * {b} + {c} * {d}", (long)a * b + (long)c * d);
            }
            case 7:
            {
                int c = A(), a = c * r.Next(2, 20), b = r.Next(2, 30);
                return ($"\\frac{{{a} \\cdot {b}}}{{{c}}}", $"{a} * {b} // {c}", (long)a * b / c);
            }
            case 8:
            {
                int a = r.Next(10, 100), b = r.Next(1, a);
                return ($"{a}^2 - {b}^2", $"{a}**2 - {b}**2", (long)a * a - (long)b * b);
            }
            default:
            {
                int n = r.Next(6, 20), k = r.Next(2, n / 2 + 1);
                return ($"\\binom{{{n}}}{{{k}}} - \\binom{{{n}}}{{{k - 1}}}", $"math.comb({n}, {k}) - math.comb({n}, {k - 1})", Choose(n, k) - Choose(n, k - 1));
            }
        }
    }

    private static long Pow(long b, int e)
    {
        long v = 1;
        for (int i = 0; i < e; i++) v *= b;
        return v;
    }

    private static long Choose(int n, int k)
    {
        long v = 1;
        for (int i = 1; i <= k; i++) v = v * (n - k + i) / i;
        return v;
    }
}
