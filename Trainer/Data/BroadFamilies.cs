namespace Numina.Trainer.Data;

/// <summary>
/// <see cref="Wording.Broad"/> (stage 6): what <see cref="Wording.Varied"/> still left out of how people write. Stage 5 read
/// its 20-odd sentences per family and little else; these makers add the everyday names of the operations ("times",
/// "minus", "x", "÷", "squared", "factorial"), plain subtraction and unit conversions, equations in any arrangement
/// (copied into <c>sp.Eq</c>), expressions of any shape built as trees (written in LaTeX or in words, and copied into
/// Python rather than matched to a template), and rough surface forms (lower case, no final mark, a trailing request,
/// small numbers in words). The answer is still computed here and every block is run in the sandbox.
/// </summary>
public static partial class ProblemFamilies
{
    private static readonly string[] People = ["Ava", "Ben", "Tara", "Raj", "Mei", "Carlos", "Yusuf", "Olga", "Kofi", "Ines", "Priya", "Jonas", "Amir", "Elena", "Theo", "Nadia", "my sister", "a farmer", "the teacher", "a baker"];
    private static readonly string[] Stuff = ["apples", "eggs", "nails", "cookies", "bottles", "balloons", "chairs", "seeds", "bricks", "cupcakes", "buttons", "toys", "rocks", "candles", "socks"];

    /// <summary>The makers of broad wording; <see cref="For"/> adds them, each problem roughened, to the varied ones.</summary>
    public static IReadOnlyList<(string Name, Family Make)> Broader => LazyBroader.Value;

    private static readonly Lazy<IReadOnlyList<(string Name, Family Make)>> LazyBroader = new(MakeBroader);

    private static IReadOnlyList<(string Name, Family Make)> MakeBroader() =>
    [
        ("subtract", (r, w) =>
        {
            int a = r.Next(20, 3000), b = r.Next(1, a);
            string who = Pick(r, People), what = Pick(r, Stuff);
            var n = Numbers.For(r, w);
            var text = Pose(r, w, "", [$"{n(a)} minus {n(b)}", $"{n(a)} take away {n(b)}", $"the difference between {n(a)} and {n(b)}", $"${a} - {b}$", $"{n(b)} less than {n(a)}", $"{n(a)} - {n(b)}"],
                [$"{Cap(who)} has {n(a)} {what} and gives {n(b)} of them away. How many {what} remain?", $"Subtract {n(b)} from {n(a)}.", $"How much greater is {n(a)} than {n(b)}?",
                 $"{Cap(who)} had {n(a)} dollars and spent {n(b)}. How many dollars are left?", $"A rope {n(a)} cm long has {n(b)} cm cut off. How long is the rest, in cm?",
                 $"Of {n(a)} {what}, {n(b)} were sold. How many were not sold?", $"{n(a)} {what} were in a box; {n(b)} broke. How many are still whole?",
                 $"How many more {what} does a shop with {n(a)} have than a shop with {n(b)}?", $"{Cap(who)} needs {n(a)} points and has {n(b)}. How many more points are needed?",
                 $"If you take {n(b)} from {n(a)}, what is left?", $"A tank holds {n(a)} liters and {n(b)} liters leak out. How many liters stay in the tank?",
                 $"{n(a)} people were at a concert and {n(b)} left early. How many stayed to the end?", $"A book has {n(a)} pages. {Cap(who)} has read {n(b)}. How many pages are still to read?",
                 $"The difference of {n(a)} and {n(b)} is what?", $"What number is {n(b)} smaller than {n(a)}?"]);
            return new("subtract", text, a - b, Pick(r, ["We subtract.", "We take the smaller amount away from the larger.", "We compute the difference."]),
                [Bind($"{Pick(r, ["total", "have", "start", "a"])} = {a}\n{Pick(r, ["taken", "gone", "spent", "b"])} = {b}\nprint(#0 - #1)", a - b)]);
        }),
        ("multiply", (r, w) =>
        {
            int a = r.Next(6, 400), b = r.Next(3, 99);
            string who = Pick(r, People), what = Pick(r, Stuff);
            var n = Numbers.For(r, w);
            var text = Pose(r, w, "", [$"{n(a)} times {n(b)}", $"{n(a)} x {n(b)}", $"{n(a)} × {n(b)}", $"{n(a)} * {n(b)}", $"${a} \\cdot {b}$", $"{n(b)} lots of {n(a)}", $"{n(a)} multiplied by {n(b)}"],
                [$"Multiply {n(a)} by {n(b)}.", $"One {what[..^1]} costs {n(a)} cents. What do {n(b)} of them cost, in cents?", $"A hall has {n(b)} rows of {n(a)} seats. How many seats is that?",
                 $"{Cap(who)} saves {n(a)} dollars a week for {n(b)} weeks. How much is saved?", $"Each bag holds {n(a)} {what}. How many {what} are in {n(b)} bags?",
                 $"There are {n(b)} crates and every crate has {n(a)} {what} in it. How many {what} altogether?", $"{n(b)} friends each bring {n(a)} {what}. How many {what} do they bring?",
                 $"A printer prints {n(a)} pages a minute. How many pages does it print in {n(b)} minutes?", $"What do you get when you multiply {n(a)} and {n(b)}?"]);
            return new("multiply", text, (long)a * b, Pick(r, ["We multiply.", "This is a product.", "We multiply the two numbers."]), [Bind(($"{Pick(r, ["each", "per", "a", "size"])} = {a}\n{Pick(r, ["count", "times", "b", "groups"])} = {b}\nprint(#0 * #1)"), (long)a * b)]);
        }),
        ("divide", (r, w) =>
        {
            int b = r.Next(2, 60), q = r.Next(2, 400), a = b * q;
            string who = Pick(r, People), what = Pick(r, Stuff);
            var n = Numbers.For(r, w);
            var text = Pose(r, w, "", [$"{n(a)} divided by {n(b)}", $"{n(a)} ÷ {n(b)}", $"{n(a)} / {n(b)}", $"${a} / {b}$", $"how many times {n(b)} goes into {n(a)}"],
                [$"{n(a)} {what} are shared equally by {n(b)} people. How many does each person get?", $"Split {n(a)} into {n(b)} equal parts. How big is each part?",
                 $"{Cap(who)} paid {n(a)} dollars for {n(b)} tickets, all the same price. What did one ticket cost?", $"How many {n(b)}-seat tables are needed to seat exactly {n(a)} guests?",
                 $"A {n(a)} m road is cut into {n(b)} equal pieces. How long is each piece, in meters?", $"{n(a)} {what} go into bags of {n(b)}. How many full bags are there?",
                 $"Divide {n(a)} by {n(b)}. What is the quotient?", $"If {n(b)} equal boxes weigh {n(a)} grams together, how heavy is one box, in grams?"]);
            return new("divide", text, q, Pick(r, ["We divide.", "We divide the total into equal parts.", "Each part is the total divided by the number of parts."]), [Bind($"{Pick(r, ["total", "whole", "a"])} = {a}\n{Pick(r, ["parts", "size", "b"])} = {b}\nprint(#0 // #1)", q)]);
        }),
        ("convert", (r, w) =>
        {
            var (big, small, per) = Pick(r, new[] { ("weeks", "days", 7), ("hours", "minutes", 60), ("minutes", "seconds", 60), ("days", "hours", 24), ("dozen", "items", 12), ("feet", "inches", 12), ("meters", "centimeters", 100), ("kilograms", "grams", 1000), ("years", "months", 12), ("yards", "feet", 3) });
            int k = r.Next(2, 60);
            long m = (long)k * per;
            var n = Numbers.For(r, w);
            bool down = r.Next(2) == 0; // big unit to small (multiply), or small to big (divide)
            string text = down
                ? Say(r, w, "", $"How many {small} are in {n(k)} {big}?", $"Convert {n(k)} {big} to {small}.", $"{n(k)} {big} is how many {small}?", $"What is {n(k)} {big} in {small}?", $"Express {n(k)} {big} in {small}.")
                : Say(r, w, "", $"How many {big} are there in {n(m)} {small}?", $"Convert {n(m)} {small} into {big}.", $"{n(m)} {small} make how many {big}?", $"What is {n(m)} {small} in {big}?", $"How many {big} is {n(m)} {small}?");
            if (big == "dozen") text = down ? Say(r, w, "", $"How many eggs are in {n(k)} dozen?", $"{Cap(Pick(r, People))} buys {n(k)} dozen rolls. How many rolls is that?") : Say(r, w, "", $"How many dozen is {n(m)}?", $"{n(m)} eggs make how many dozen?");
            return down
                ? new("convert", text, m, $"There are {per} {small} in one of the {big}, so we multiply.", [Bind($"{Pick(r, ["amount", big, "n"])} = {k}\n{Pick(r, ["per", "factor", "rate"])} = {per}\nprint(#0 * #1)", m)])
                : new("convert", text, k, $"There are {per} {small} in one of the {big}, so we divide.", [Bind($"{Pick(r, ["amount", small, "n"])} = {m}\n{Pick(r, ["per", "factor", "rate"])} = {per}\nprint(#0 // #1)", k)]);
        }),
        ("rate", (r, w) =>
        {
            int a = r.Next(2, 60), b = r.Next(2, 13), c = r.Next(2, 31);
            long v = (long)a * b * c;
            string who = Pick(r, People);
            var text = Say(r, w, "",
                $"{Cap(who)} earns {a} dollars an hour and works {b} hours a day. How much is earned in {c} days?",
                $"A machine makes {a} parts per hour. It runs {b} hours a day for {c} days. How many parts does it make?",
                $"A class has {c} tables, each with {b} students, and every student brings {a} pencils. How many pencils in all?",
                $"{Cap(who)} reads {a} pages a day, {b} days a week, for {c} weeks. How many pages is that?",
                $"There are {c} shelves with {b} boxes on each shelf and {a} cards in every box. How many cards are there?",
                $"A tap drips {a} drops a minute. How many drops in {b} minutes a day over {c} days?",
                $"Compute {a} times {b} times {c}.", $"What is the product of {a}, {b} and {c}?");
            return new("rate", text, v, "We multiply the three amounts.", [Bind($"{Pick(r, ["rate", "a", "each"])} = {a}\n{Pick(r, ["per_day", "b", "groups"])} = {b}\n{Pick(r, ["days", "c", "count"])} = {c}\nprint(#0 * #1 * #2)", v)]);
        }),
        ("gcd", (r, w) =>
        {
            int g = r.Next(2, 40), a = g * r.Next(2, 40), b = g * r.Next(2, 40);
            long v = Gcd(a, b);
            var n = Numbers.For(r, w);
            var text = Pose(r, w, "", [$"$\\gcd({a}, {b})$", $"gcd({a}, {b})", $"the greatest common factor of {n(a)} and {n(b)}", $"the GCF of {n(a)} and {n(b)}", $"the biggest number that goes evenly into {n(a)} and {n(b)}", $"the largest divisor {n(a)} and {n(b)} have in common"],
                [$"What is the biggest whole number that both {n(a)} and {n(b)} can be divided by?", $"Two boards, {n(a)} cm and {n(b)} cm long, are cut into equal pieces with no waste. What is the longest the pieces can be, in cm?",
                 $"{n(a)} boys and {n(b)} girls are split into teams that all look alike (same number of boys, same number of girls). What is the largest number of teams?", $"Find the highest number dividing {n(a)} and {n(b)} with no remainder."]);
            return new("gcd", text, v, "The answer is the greatest common divisor.", [Bind($"{Pick(r, ["a", "first", "x"])} = {a}\n{Pick(r, ["b", "second", "y"])} = {b}\nprint(math.gcd(#0, #1))", v)]);
        }),
        ("lcm", (r, w) =>
        {
            int a = r.Next(2, 60), b = r.Next(2, 60);
            long v = (long)a * b / Gcd(a, b);
            var n = Numbers.For(r, w);
            var text = Pose(r, w, "", [$"$\\operatorname{{lcm}}({a}, {b})$", $"lcm({a}, {b})", $"the smallest number that is a multiple of both {n(a)} and {n(b)}", $"the least number that {n(a)} and {n(b)} both divide into", $"the smallest positive common multiple of {n(a)} and {n(b)}"],
                [$"Which positive number is the smallest that both {n(a)} and {n(b)} divide evenly?", $"Hot dogs come in packs of {n(a)} and buns in packs of {n(b)}. What is the smallest number of each you can buy to have the same number?",
                 $"Two runners lap a track in {a} and {b} minutes. They start together. After how many minutes are they together at the start again?", $"Find the least positive integer divisible by {n(a)} and by {n(b)}."]);
            return new("lcm", text, v, "The answer is the least common multiple.", [Bind($"{Pick(r, ["a", "first", "x"])} = {a}\n{Pick(r, ["b", "second", "y"])} = {b}\nprint(math.lcm(#0, #1))", v)]);
        }),
        ("linear", (r, w) =>
        {
            var (tex, python, words, x, letter) = Equations.Draw(r);
            var text = words is not null && r.Next(3) == 0 ? words
                : Pose(r, w, "", [$"${letter}$ if ${tex}$", $"the value of ${letter}$ for which ${tex}$", $"the solution of ${tex}$"],
                    [$"Solve ${tex}$.", $"Solve for ${letter}$: ${tex}$", $"If ${tex}$, what is ${letter}$?", $"${tex}$. What is ${letter}$?", $"Find ${letter}$ when ${tex}$.", $"Given that ${tex}$, find ${letter}$."]);
            return new("linear", text, x, "We solve the equation with sympy.", [new($"{letter} = sp.symbols('{letter}')\nprint(sp.solve(sp.Eq({python}), {letter})[0])", x)]);
        }),
        ("compute", (r, w) =>
        {
            var e = ExpressionTrees.Draw(r);
            var text = e.Words is not null && r.Next(2) == 0
                ? Say(r, w, "", $"What is {e.Words}?", $"Compute {e.Words}.", $"Find {e.Words}.", $"How much is {e.Words}?", $"Work out {e.Words}.", $"Calculate {e.Words}.")
                : Pose(r, w, "", [$"${e.Tex}$", $"the value of ${e.Tex}$"], [$"Evaluate ${e.Tex}$.", $"${e.Tex} = ?", $"Simplify ${e.Tex}$.", $"How much is ${e.Tex}$?", $"What does ${e.Tex}$ equal?"]);
            return new("compute", text, e.Value, "We compute the expression in Python.", [new($"print({e.Python})", e.Value)]);
        }),
        ("range-sum", (r, w) =>
        {
            int a = r.Next(1, 60), b = a + r.Next(5, 300);
            long v = (long)(a + b) * (b - a + 1) / 2;
            var n = Numbers.For(r, w);
            var text = Pose(r, w, "", [$"${a} + {a + 1} + {a + 2} + \\cdots + {b}$", $"{a} + {a + 1} + ... + {b}", $"the sum of the whole numbers from {n(a)} to {n(b)}", $"the total of every integer from {n(a)} up to {n(b)}"],
                [$"Add all the integers from {n(a)} to {n(b)}, both included.", $"What do the numbers {a}, {a + 1}, ..., {b} add up to?", $"Sum every whole number between {n(a)} and {n(b)} inclusive.",
                 $"A stack has {a} cans on top, one more in each row below, and {b} in the bottom row. How many cans in all?"]);
            return new("range-sum", text, v, "We add the integers in the range.", [Bind($"{Pick(r, ["low", "a", "first"])} = {a}\n{Pick(r, ["high", "b", "last"])} = {b}\nprint(sum(range(#0, #1 + 1)))", v)]);
        }),
        ("power-sum", (r, w) =>
        {
            int n = r.Next(3, 40), p = r.Next(2, 4); // squares or cubes
            long v = Enumerable.Range(1, n).Sum(i => (long)Math.Pow(i, p));
            string power = p == 2 ? "squares" : "cubes";
            var text = Pose(r, w, "", [$"the sum of the {power} of 1 through {n}", $"$1^{p} + 2^{p} + \\cdots + {n}^{p}$", $"the sum of the {power} of the first {n} whole numbers"],
                [$"Add the {power} of the numbers from 1 to {n}.", $"What is $1^{p} + 2^{p} + 3^{p} + \\dots + {n}^{p}$?", $"{(p == 2 ? "Square" : "Cube")} each integer from 1 to {n} and add them up."]);
            return new("power-sum", text, v, $"We add the {power}.", [Bind($"n = {n}\np = {p}\nprint(sum(i ** #1 for i in range(1, #0 + 1)))", v)]);
        }),
        ("percent", (r, w) =>
        {
            int p = Pick(r, new[] { 5, 10, 12, 15, 20, 25, 30, 35, 40, 45, 50, 60, 70, 75, 80, 90 }), whole = 20 * r.Next(1, 150);
            long v = (long)p * whole / 100;
            string pw = r.Next(3) == 0 ? $"{Words(p)} percent" : r.Next(2) == 0 ? $"{p}%" : $"{p} percent";
            var text = Pose(r, w, "", [$"{pw} of {whole}", $"${p}\\%$ of {whole}"],
                [$"A {whole} dollar bike is {pw} off. How many dollars do you save?", $"{Cap(pw)} of {whole} students take the bus. How many students is that?",
                 $"A tip of {pw} on a {whole} dollar bill is how many dollars?", $"Take {pw} of {whole}.", $"What number is {pw} of {whole}?"]);
            return new("percent", text, v, "We take the percentage of the whole.", [Bind($"{Pick(r, ["percent", "p", "rate"])} = {p}\n{Pick(r, ["whole", "total", "n"])} = {whole}\nprint(#1 * #0 // 100)", v)]);
        }),
        ("average", (r, w) =>
        {
            int count = r.Next(2, 7), mean = r.Next(5, 100);
            var values = Enumerable.Range(0, count - 1).Select(_ => mean + r.Next(-15, 16)).ToList();
            values.Add(mean * count - values.Sum());
            if (values[^1] < 0) values[^1] = 0;
            long v = values.Sum() / count;
            if (values.Sum() % count != 0) { values[^1] += count - values.Sum() % count; v = values.Sum() / count; }
            string list = string.Join(", ", values.Take(count - 1)) + " and " + values[^1];
            var text = Say(r, w, "", $"The scores on a quiz were {list}. What is the average score?", $"What is the average of {list}?", $"Find the mean of {list}.",
                $"{Cap(Pick(r, People))} weighed {count} parcels: {list} kg. What was their mean weight in kg?", $"Compute the average of the numbers {list}.");
            return new("average", text, v, "We add the numbers and divide by how many there are.", [new($"values = [{string.Join(", ", values)}]\nprint(sum(values) // len(values))", v)]);
        }),
        ("factorial", (r, w) =>
        {
            int n = r.Next(4, 13), m = r.Next(Math.Max(1, n - 5), n);
            long v = 1;
            for (int i = m + 1; i <= n; i++) v *= i;
            var text = Pose(r, w, "", [$"${n}!/{m}!$", $"{n}! divided by {m}!", $"{Words(n)} factorial divided by {Words(m)} factorial", $"$\\frac{{{n}!}}{{{m}!}}$", $"the quotient {n}!/{m}!"],
                [$"Divide {n} factorial by {m} factorial.", $"What is {n}! over {m}!?"]);
            return new("factorial", text, v, "We divide the factorials.", [Bind($"n = {n}\nm = {m}\nprint(math.factorial(#0) // math.factorial(#1))", v)]);
        }),
    ];

    /// <summary>Code with numbered holes: "#0" is the first bound name, "#1" the second, …; the bindings stay first so layouts apply.</summary>
    private static CodeStep Bind(string code, long expected)
    {
        var lines = code.Split('\n');
        for (int i = 0; i < lines.Length - 1; i++)
        {
            var name = lines[i].Split(" = ")[0];
            if (name.StartsWith('#')) break;
            for (int j = i + 1; j < lines.Length; j++)
                if (!lines[j].Contains(" = ")) lines[j] = lines[j].Replace($"#{i}", name);
        }
        return new(string.Join('\n', lines), expected);
    }

    private static string Cap(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    /// <summary>A number in English words, up to 999.</summary>
    public static string Words(long x)
    {
        string[] ones = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"];
        string[] tens = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];
        if (x < 20) return ones[x];
        if (x < 100) return tens[x / 10] + (x % 10 == 0 ? "" : "-" + ones[x % 10]);
        return ones[x / 100] + " hundred" + (x % 100 == 0 ? "" : " " + Words(x % 100));
    }

    /// <summary>How people actually send a question: sometimes in lower case, without the final mark, or with a request after it.</summary>
    private static string Roughen(Random r, string text)
    {
        if (text.Length == 0) return text;
        if (r.Next(8) == 0 && char.IsUpper(text[0]) && (text.Length < 2 || !char.IsUpper(text[1]))) text = char.ToLowerInvariant(text[0]) + text[1..];
        if (r.Next(10) == 0 && text[^1] is '?' or '.') text = text[..^1];
        if (r.Next(8) == 0) text += Pick(r, [" Show your work.", " Give the answer as a number.", " Explain briefly.", " Please help.", " Thanks!", " (Answer with an integer.)"]);
        return text;
    }
}
