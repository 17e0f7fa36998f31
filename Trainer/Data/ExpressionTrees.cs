namespace Numina.Trainer.Data;

/// <summary>
/// Arithmetic expressions of any small shape, drawn as trees: sums, differences, products, exact quotients, powers,
/// factorials and binomials nested up to two levels, each written in LaTeX, in Python and (when short enough to read)
/// in words. Why trees: <see cref="Expressions"/> has ten fixed shapes, which a model can match instead of reading; a
/// tree makes copying the expression the only way to get it right. Values stay whole and non-negative.
/// </summary>
public static class ExpressionTrees
{
    public sealed record Node(string Tex, string Python, string? Words, long Value, int Precedence);

    public static Node Draw(Random r)
    {
        for (;;)
        {
            var node = Make(r, r.Next(3) == 0 ? 2 : 1);
            if (node.Precedence < 4 && node.Value is >= 0 and < 50_000_000) return node;
        }
    }

    private static Node Leaf(Random r, int max = 99) { int v = r.Next(2, max + 1); return new(v.ToString(), v.ToString(), v.ToString(), v, 4); }

    private static Node Make(Random r, int depth)
    {
        Node Child() => depth > 1 && r.Next(2) == 0 ? Make(r, depth - 1) : Leaf(r, r.Next(3) == 0 ? 999 : 60);
        switch (r.Next(9))
        {
            case 0: case 1:
            {
                var (a, b) = (Child(), Child());
                return new($"{a.Tex} + {b.Tex}", $"{a.Python} + {b.Python}", Phrase(r, "the sum of", a, b, "plus"), a.Value + b.Value, 1);
            }
            case 2:
            {
                var (a, b) = (Child(), Child());
                if (a.Value < b.Value) (a, b) = (b, a);
                return new($"{a.Tex} - {Wrap(b, 1, tex: true)}", $"{a.Python} - {Wrap(b, 1, tex: false)}", Phrase(r, "the difference between", a, b, "minus"), a.Value - b.Value, 1);
            }
            case 3: case 4:
            {
                var (a, b) = (Child(), Child());
                string times = Pick(r, [" \\times ", " \\cdot "]);
                string tex = a.Precedence == 1 && b.Precedence == 1 && r.Next(2) == 0 ? $"({a.Tex})({b.Tex})" : $"{Wrap(a, 1, true)}{times}{Wrap(b, 1, true)}";
                return new(tex, $"{Wrap(a, 1, false)} * {Wrap(b, 1, false)}", Phrase(r, "the product of", a, b, "times"), a.Value * b.Value, 2);
            }
            case 5:
            {
                int b = r.Next(2, 13), q = r.Next(2, 200);
                var a = depth > 1 && r.Next(2) == 0 ? Make(r, depth - 1) : null;
                long top = a?.Value ?? (long)b * q;
                if (a is not null && (a.Value % b != 0 || a.Value == 0)) return Leaf(r);
                string texTop = a?.Tex ?? top.ToString(), pyTop = a is null ? top.ToString() : $"({a.Python})";
                string tex = r.Next(2) == 0 ? $"\\frac{{{texTop}}}{{{b}}}" : a is null ? $"{top} \\div {b}" : $"({a.Tex}) \\div {b}";
                return new(tex, $"{pyTop} // {b}", a is null ? $"{top} divided by {b}" : null, top / b, 2);
            }
            case 6:
            {
                int b = r.Next(2, 13), e = r.Next(2, b < 4 ? 11 : 5);
                long v = 1;
                for (int i = 0; i < e; i++) v *= b;
                string words = e == 2 ? $"{b} squared" : e == 3 ? $"{b} cubed" : $"{b} to the power {e}";
                return new($"{b}^{{{e}}}", $"{b}**{e}", words, v, 3);
            }
            case 7:
            {
                int n = r.Next(3, 10);
                long v = 1;
                for (int i = 2; i <= n; i++) v *= i;
                return new($"{n}!", $"math.factorial({n})", $"{n} factorial", v, 3);
            }
            default:
            {
                int n = r.Next(4, 16), k = r.Next(1, Math.Min(6, n));
                long v = 1;
                for (int i = 1; i <= k; i++) v = v * (n - k + i) / i;
                return new($"\\binom{{{n}}}{{{k}}}", $"math.comb({n}, {k})", $"{n} choose {k}", v, 3);
            }
        }
    }

    /// <summary>Words for a binary operation when both sides are short: "the sum of 3 and 4" or "3 plus 4"; null when nested words would be ambiguous.</summary>
    private static string? Phrase(Random r, string noun, Node a, Node b, string infix)
    {
        if (a.Words is null || b.Words is null) return null;
        bool leaves = a.Precedence == 4 && b.Precedence == 4;
        if (leaves && r.Next(2) == 0) return $"{a.Words} {infix} {b.Words}";
        return a.Words.Contains(" and ") || b.Words.Contains(" and ") ? null : $"{noun} {a.Words} and {b.Words}";
    }

    private static string Wrap(Node n, int atOrBelow, bool tex) => n.Precedence <= atOrBelow ? $"({(tex ? n.Tex : n.Python)})" : tex ? n.Tex : n.Python;

    private static T Pick<T>(Random r, IReadOnlyList<T> items) => items[r.Next(items.Count)];
}

/// <summary>
/// Linear equations in one unknown in the arrangements people write (<c>3x - 7 = 20</c>, <c>4y + 9 = 3y + 25</c>,
/// <c>5(n + 2) = 45</c>, <c>x/4 + 3 = 10</c>, the unknown on the right), as LaTeX, as the two sides of a sympy <c>Eq</c>,
/// and sometimes in words; the solution is a whole number chosen first.
/// </summary>
public static class Equations
{
    public static (string Tex, string Python, string? Words, long X, string Letter) Draw(Random r)
    {
        string v = "xxxyntk"[r.Next(7)].ToString();
        int x = r.Next(1, 60), a = r.Next(2, 13), b = r.Next(1, 100);
        switch (r.Next(6))
        {
            case 0:
            {
                int c = a * x + b;
                return ($"{a}{v} + {b} = {c}", $"{a}*{v} + {b}, {c}", $"{Cap(Times(a))} a number, plus {b}, is {c}. What is the number?", x, v);
            }
            case 1:
            {
                int c = a * x - b;
                if (c <= 0) goto case 0;
                return ($"{a}{v} - {b} = {c}", $"{a}*{v} - {b}, {c}", $"If {b} is subtracted from {Times(a)} a number, the result is {c}. Find the number.", x, v);
            }
            case 2:
            {
                int c = r.Next(1, a), d = (a - c) * x + b;
                return ($"{a}{v} + {b} = {(c == 1 ? "" : c.ToString())}{v} + {d}", $"{a}*{v} + {b}, {c}*{v} + {d}", null, x, v);
            }
            case 3:
            {
                int c = a * (x + b);
                return ($"{a}({v} + {b}) = {c}", $"{a}*({v} + {b}), {c}", $"Add {b} to a number and multiply by {a}: the result is {c}. What is the number?", x, v);
            }
            case 4:
            {
                int c = x + b;
                x *= a;
                c = x / a + b;
                return ($"\\frac{{{v}}}{{{a}}} + {b} = {c}", $"{v}/{a} + {b}, {c}", $"A number divided by {a}, plus {b}, gives {c}. What is the number?", x, v);
            }
            default:
            {
                int c = a * x + b;
                return ($"{c} = {b} + {a}{v}", $"{c}, {b} + {a}*{v}", $"{c} is {b} more than {Times(a)} a number. What is the number?", x, v);
            }
        }
    }

    private static string Times(int a) => a switch { 2 => "twice", 3 => "three times", _ => $"{a} times" };
    private static string Cap(string s) => char.ToUpperInvariant(s[0]) + s[1..];
}
