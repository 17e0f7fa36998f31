namespace Numina.Trainer.Data;

/// <summary>One step of a solution: the code the model writes, and the value it must print.</summary>
public sealed record CodeStep(string Code, long Expected);

/// <summary>A crafted problem: its text, the answer computed here (independently of Python), and its solution steps.</summary>
public sealed record CraftedProblem(string Family, string Text, long Answer, string Rationale, IReadOnlyList<CodeStep> Steps, string? Intermediate = null)
{
    /// <summary>Another way to solve the same problem (a two-step problem in one block), if there is one.</summary>
    public CraftedProblem? Direct { get; init; }
}

/// <summary>
/// Problem families with numbers drawn at random. Every answer is computed in C#; the trace's code is run in the sandbox
/// later and must print the same. Names are bound to variables first, so the model learns to copy numbers from the text.
/// </summary>
public static class ProblemFamilies
{
    private static readonly string[] Names = ["Ava", "Ben", "Chloe", "Dan", "Emma", "Finn", "Grace", "Hugo", "Iris", "Jack", "Lena", "Max", "Nora", "Omar", "Pia", "Sam"];
    private static readonly string[] Items = ["apples", "books", "coins", "stamps", "marbles", "cards", "shells", "pens"];

    public delegate CraftedProblem Family(Random r);

    public static readonly IReadOnlyList<(string Name, Family Make)> All =
    [
        ("add", r =>
        {
            string who = Pick(r, Names), what = Pick(r, Items);
            int a = r.Next(12, 500), b = r.Next(12, 500);
            return new("add", $"{who} has {a} {what} and gets {b} more. How many {what} does {who} have now?", a + b,
                $"We add the {what} {who} gets to those {who} already has.", [new($"have = {a}\ngets = {b}\nprint(have + gets)", a + b)]);
        }),
        ("remainder", r =>
        {
            int a = r.Next(100, 100000), b = r.Next(3, 97);
            return new("remainder", $"What is the remainder when ${a}$ is divided by ${b}$?", a % b,
                "We compute the remainder with the % operator.", [new($"n = {a}\nd = {b}\nprint(n % d)", a % b)]);
        }),
        ("powmod", r =>
        {
            int a = r.Next(2, 40), b = r.Next(5, 200), c = r.Next(7, 1000);
            long v = (long)System.Numerics.BigInteger.ModPow(a, b, c);
            return new("powmod", $"What is the remainder when ${a}^{{{b}}}$ is divided by ${c}$?", v,
                "We use modular exponentiation.", [new($"base = {a}\nexponent = {b}\nmodulus = {c}\nprint(pow(base, exponent, modulus))", v)]);
        }),
        ("range-sum", r =>
        {
            int a = r.Next(1, 60), b = a + r.Next(10, 400);
            long v = (long)(a + b) * (b - a + 1) / 2;
            return new("range-sum", $"What is the sum of all integers from ${a}$ to ${b}$, inclusive?", v,
                "We add the integers in the range.", [new($"low = {a}\nhigh = {b}\nprint(sum(range(low, high + 1)))", v)]);
        }),
        ("gcd", r =>
        {
            int g = r.Next(2, 40), a = g * r.Next(2, 60), b = g * r.Next(2, 60);
            long v = Gcd(a, b);
            return new("gcd", $"Find the greatest common divisor of ${a}$ and ${b}$.", v,
                "We use math.gcd.", [new($"a = {a}\nb = {b}\nprint(math.gcd(a, b))", v)]);
        }),
        ("lcm", r =>
        {
            int a = r.Next(4, 90), b = r.Next(4, 90);
            long v = (long)a * b / Gcd(a, b);
            return new("lcm", $"Find the least common multiple of ${a}$ and ${b}$.", v,
                "We use math.lcm.", [new($"a = {a}\nb = {b}\nprint(math.lcm(a, b))", v)]);
        }),
        ("linear", r =>
        {
            int a = r.Next(2, 20), x = r.Next(1, 60), b = r.Next(1, 100);
            int c = a * x + b;
            return new("linear", $"Solve for $x$: ${a}x + {b} = {c}$.", x,
                "We solve the equation with sympy.", [new($"x = sp.symbols('x')\nsolution = sp.solve({a}*x + {b} - {c}, x)\nprint(solution[0])", x)]);
        }),
        ("choose", r =>
        {
            int n = r.Next(5, 30), k = r.Next(2, Math.Min(6, n));
            long v = Choose(n, k);
            string who = Pick(r, Names);
            return new("choose", $"In how many ways can {who} choose {k} books from a shelf of {n} different books?", v,
                "We count combinations with math.comb.", [new($"n = {n}\nk = {k}\nprint(math.comb(n, k))", v)]);
        }),
        ("divisors", r =>
        {
            int n = r.Next(12, 5000);
            long v = Enumerable.Range(1, n).Count(d => n % d == 0);
            return new("divisors", $"How many positive divisors does ${n}$ have?", v,
                "We count the divisors.", [new($"n = {n}\nprint(len([d for d in range(1, n + 1) if n % d == 0]))", v)]);
        }),
        ("digit-sum", r =>
        {
            long n = r.NextInt64(1000, 100_000_000);
            long v = n.ToString().Sum(ch => ch - '0');
            return new("digit-sum", $"What is the sum of the digits of ${n}$?", v,
                "We add the digits.", [new($"n = {n}\nprint(sum(int(digit) for digit in str(n)))", v)]);
        }),
        ("percent", r =>
        {
            int p = Pick(r, new[] { 5, 10, 15, 20, 25, 30, 40, 50, 60, 75, 80 }), n = 20 * r.Next(2, 100);
            long v = (long)p * n / 100;
            return new("percent", $"What is ${p}\\%$ of ${n}$?", v,
                "We multiply by the percentage and divide by 100.", [new($"percent = {p}\nwhole = {n}\nprint(percent * whole // 100)", v)]);
        }),
        ("distance", r =>
        {
            int v = r.Next(20, 130), t = r.Next(2, 12);
            string who = Pick(r, Names);
            return new("distance", $"{who} drives at {v} kilometers per hour for {t} hours. How many kilometers does {who} drive?", (long)v * t,
                "Distance is speed times time.", [new($"speed = {v}\nhours = {t}\nprint(speed * hours)", (long)v * t)]);
        }),
        ("squares", r =>
        {
            int n = r.Next(5, 80);
            long v = (long)n * (n + 1) * (2 * n + 1) / 6;
            return new("squares", $"What is the sum of the squares of the first ${n}$ positive integers?", v,
                "We add the squares.", [new($"n = {n}\nprint(sum(i**2 for i in range(1, n + 1)))", v)]);
        }),
        // Two steps: an intermediate result, then the final computation from the printed value (blocks share nothing).
        ("boxes", r =>
        {
            int a = r.Next(6, 40), b = r.Next(5, 30), c = r.Next(1, a * b / 2);
            long total = (long)a * b;
            string what = Pick(r, Items);
            return new("boxes", $"A box holds {a} {what}. There are {b} boxes, and {c} {what} are given away. How many {what} are left?", total - c,
                $"First we find how many {what} there are in all.", [new($"per_box = {a}\nboxes = {b}\nprint(per_box * boxes)", total), new($"total = {total}\ngiven = {c}\nprint(total - given)", total - c)],
                Intermediate: $"There are {total} {what} in all. Now we subtract the {what} given away.")
            {
                Direct = new("boxes", "", total - c, $"We find how many {what} there are in all and subtract those given away.",
                    [new($"per_box = {a}\nboxes = {b}\ngiven = {c}\nprint(per_box * boxes - given)", total - c)]),
            };
        }),
        ("fence", r =>
        {
            int a = r.Next(5, 60), b = r.Next(5, 60), c = r.Next(2, 15);
            long perimeter = 2L * (a + b);
            return new("fence", $"A garden is {a} meters long and {b} meters wide. Fencing costs {c} dollars per meter. How many dollars does it cost to fence the garden?", perimeter * c,
                "First we find the perimeter of the garden.", [new($"length = {a}\nwidth = {b}\nprint(2 * (length + width))", perimeter), new($"perimeter = {perimeter}\ncost = {c}\nprint(perimeter * cost)", perimeter * c)],
                Intermediate: $"The perimeter is {perimeter} meters. Now we multiply by the cost per meter.")
            {
                Direct = new("fence", "", perimeter * c, "The cost is the perimeter times the cost per meter.",
                    [new($"length = {a}\nwidth = {b}\ncost = {c}\nprint(2 * (length + width) * cost)", perimeter * c)]),
            };
        }),
    ];

    private static T Pick<T>(Random r, IReadOnlyList<T> items) => items[r.Next(items.Count)];
    private static long Gcd(long a, long b) => b == 0 ? a : Gcd(b, a % b);

    private static long Choose(int n, int k)
    {
        long v = 1;
        for (int i = 1; i <= k; i++) v = v * (n - k + i) / i;
        return v;
    }
}
