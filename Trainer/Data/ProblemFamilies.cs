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
/// How a problem is worded: <see cref="Template"/>, the one sentence per family the shipped model was trained on (and
/// the same random draws, so its datasets are reproduced exactly); <see cref="Varied"/>, one of at least 20 wordings per
/// family that differ in structure (question first or last, "Find / Compute / What is / Determine / How many", numbers
/// plain, grouped or in LaTeX, names and objects varied), and the families of <see cref="ProblemFamilies.More"/>;
/// <see cref="Broad"/>, all of that and the makers of <see cref="ProblemFamilies.Broader"/> (stage 6).
/// </summary>
public enum Wording { Template, Varied, Broad }

/// <summary>
/// Problem families with numbers drawn at random. Every answer is computed in C#; the trace's code is run in the sandbox
/// later and must print the same. Names are bound to variables first, so the model learns to copy numbers from the text.
/// </summary>
public static partial class ProblemFamilies
{
    private static readonly string[] Names = ["Ava", "Ben", "Chloe", "Dan", "Emma", "Finn", "Grace", "Hugo", "Iris", "Jack", "Lena", "Max", "Nora", "Omar", "Pia", "Sam"];
    private static readonly string[] Items = ["apples", "books", "coins", "stamps", "marbles", "cards", "shells", "pens"];

    public delegate CraftedProblem Family(Random r, Wording wording);

    public static readonly IReadOnlyList<(string Name, Family Make)> All =
    [
        ("add", (r, w) =>
        {
            string who = Pick(r, Names), what = Pick(r, Items);
            int a = r.Next(12, 500), b = r.Next(12, 500);
            var n = Numbers.For(r, w);
            string text = Say(r, w, $"{who} has {a} {what} and gets {b} more. How many {what} does {who} have now?",
                $"{who} has {n(a)} {what} and gets {n(b)} more. How many {what} does {who} have now?",
                $"How many {what} does {who} have after starting with {n(a)} and getting {n(b)} more?",
                $"On one trip {who} picked up {n(a)} {what}; on a second trip, {n(b)}. Together that makes how many {what}?",
                $"What is {n(a)} plus {n(b)}?",
                $"Find the sum of {n(a)} and {n(b)}.",
                $"Compute ${a} + {b}$.",
                $"{n(a)} and {n(b)} together make what number?",
                $"A shelf holds {n(a)} {what}. Another {n(b)} are put on it. How many {what} are on the shelf now?",
                $"Add {n(a)} to {n(b)}. What is the total?",
                $"{who} had {n(a)} {what}, then found {n(b)} more. How many {what} does {who} have in all?",
                $"There are {n(a)} {what} in one bag and {n(b)} in another. How many {what} are there in both bags together?",
                $"Determine the total of {n(a)} and {n(b)}.",
                $"If {who} owns {n(a)} {what} and is given {n(b)} more, how many {what} does {who} own?",
                $"{n(a)} + {n(b)} = ?",
                $"Calculate the sum {n(a)} + {n(b)}.",
                $"A school has {n(a)} girls and {n(b)} boys. How many students does it have?",
                $"How many {what} are there altogether if {who} has {n(a)} and a friend has {n(b)}?",
                $"Increase {n(a)} by {n(b)}. What number do you get?",
                $"{who} read {n(a)} pages yesterday and {n(b)} pages today. How many pages has {who} read in the two days?",
                $"What is the total number of {what} when {n(a)} {what} are put together with {n(b)} {what}?");
            return new("add", text, a + b,
                $"We add the {what} {who} gets to those {who} already has.", [new($"have = {a}\ngets = {b}\nprint(have + gets)", a + b)]);
        }),
        ("remainder", (r, w) =>
        {
            int a = r.Next(100, 100000), b = r.Next(3, 97);
            var n = Numbers.For(r, w);
            var text = Pose(r, w, $"What is the remainder when ${a}$ is divided by ${b}$?",
                [$"the remainder on dividing {n(a)} by {n(b)}", $"the remainder of {n(a)} over {n(b)}", $"${a} \\bmod {b}$", $"the amount left over when {n(a)} is divided by {n(b)} as evenly as possible"],
                [$"{n(a)} candies are shared equally among {n(b)} children, as many as possible each. How many candies are left over?",
                 $"{n(a)} is divided by {n(b)} with a whole-number quotient. What remainder is left?", $"Divide {n(a)} by {n(b)}; tell me only the remainder.",
                 $"{n(a)} students stand in rows of {n(b)}. How many students are in the last, incomplete row?"]);
            return new("remainder", text, a % b,
                "We compute the remainder with the % operator.", [new($"n = {a}\nd = {b}\nprint(n % d)", a % b)]);
        }),
        ("powmod", (r, w) =>
        {
            int a = r.Next(2, 40), b = r.Next(5, 200), c = r.Next(7, 1000);
            long v = (long)System.Numerics.BigInteger.ModPow(a, b, c);
            var text = Pose(r, w, $"What is the remainder when ${a}^{{{b}}}$ is divided by ${c}$?",
                [$"the remainder on dividing ${a}^{{{b}}}$ by ${c}$", $"${a}^{{{b}}}$ reduced modulo ${c}$", $"the remainder of {a} to the power {b} divided by {c}", $"${a}^{{{b}}}$ modulo ${c}$"],
                [$"When ${a}^{{{b}}}$ is divided by ${c}$, what remainder is left?", $"Raise {a} to the {b}th power and divide by {c}. What is the remainder?",
                 $"Find the residue of ${a}^{{{b}}}$ modulo ${c}$."]);
            return new("powmod", text, v,
                "We use modular exponentiation.", [new($"base = {a}\nexponent = {b}\nmodulus = {c}\nprint(pow(base, exponent, modulus))", v)]);
        }),
        ("range-sum", (r, w) =>
        {
            string person = w != Wording.Template ? Pick(r, Names) : "";
            int a = r.Next(1, 60), b = a + r.Next(10, 400);
            long v = (long)(a + b) * (b - a + 1) / 2;
            var n = Numbers.For(r, w);
            var text = Pose(r, w, $"What is the sum of all integers from ${a}$ to ${b}$, inclusive?",
                [$"the sum of all integers from {n(a)} to {n(b)}, inclusive", $"the sum of the whole numbers {n(a)} through {n(b)}", $"${a} + {a + 1} + {a + 2} + \\dots + {b}$ (every integer in between)", $"the total of every integer between {n(a)} and {n(b)}, both included"],
                [$"Starting at {n(a)} and stopping at {n(b)}, every integer is written down and added. What is the result?", $"{person} writes the numbers {n(a)}, {a + 1}, ..., {n(b)} on a board and adds them. What total does {person} get?",
                 $"{person} adds every number from {n(a)} to {n(b)}. What sum does {person} get?"]);
            return new("range-sum", text, v,
                "We add the integers in the range.", [new($"low = {a}\nhigh = {b}\nprint(sum(range(low, high + 1)))", v)]);
        }),
        ("gcd", (r, w) =>
        {
            int g = r.Next(2, 40), a = g * r.Next(2, 60), b = g * r.Next(2, 60);
            long v = Gcd(a, b);
            var n = Numbers.For(r, w);
            var text = Pose(r, w, $"Find the greatest common divisor of ${a}$ and ${b}$.",
                [$"the greatest common divisor of {n(a)} and {n(b)}", $"the GCD of {n(a)} and {n(b)}", $"the biggest common factor shared by {n(a)} and {n(b)}", $"the highest common factor of {n(a)} and {n(b)}"],
                [$"What is the largest whole number that divides {n(a)} and {n(b)} exactly?", $"{n(a)} red beads and {n(b)} blue beads are split into identical bags with none left over. At most how many bags can there be?",
                 $"Which is the greatest number that is a factor of both {n(a)} and {n(b)}?"]);
            return new("gcd", text, v,
                "We use math.gcd.", [new($"a = {a}\nb = {b}\nprint(math.gcd(a, b))", v)]);
        }),
        ("lcm", (r, w) =>
        {
            int a = r.Next(4, 90), b = r.Next(4, 90);
            long v = (long)a * b / Gcd(a, b);
            var n = Numbers.For(r, w);
            var text = Pose(r, w, $"Find the least common multiple of ${a}$ and ${b}$.",
                [$"the least common multiple of {n(a)} and {n(b)}", $"the LCM of {n(a)} and {n(b)}", $"the first positive number that is a multiple of {n(a)} and of {n(b)}", $"the lowest common multiple of {n(a)} and {n(b)}"],
                [$"One bell rings every {a} minutes and another every {b} minutes. They have just rung at the same moment. How many minutes until they ring together again?",
                 $"What is the smallest positive integer that both {n(a)} and {n(b)} divide?", $"Buses leave every {a} minutes on one route and every {b} minutes on another. Both leave now. In how many minutes do they next leave together?"]);
            return new("lcm", text, v,
                "We use math.lcm.", [new($"a = {a}\nb = {b}\nprint(math.lcm(a, b))", v)]);
        }),
        ("linear", (r, w) =>
        {
            int a = r.Next(2, 20), x = r.Next(1, 60), b = r.Next(1, 100);
            int c = a * x + b;
            var text = Pose(r, w, $"Solve for $x$: ${a}x + {b} = {c}$.",
                [$"$x$ if ${a}x + {b} = {c}$", $"the value of $x$ that satisfies ${a}x + {b} = {c}$", $"the solution of ${b} + {a}x = {c}$"],
                [$"Given ${a}x + {b} = {c}$, find the value of $x$.", $"I think of a number, multiply it by {a} and add {b}; the result is {c}. What was my number?", $"Solve ${a}x + {b} = {c}$ for $x$.",
                 $"A number is multiplied by {a} and then {b} is added, giving {c}. What was the number?", $"${a}x + {b} = {c}$. Find $x$."]);
            return new("linear", text, x,
                "We solve the equation with sympy.", [new($"x = sp.symbols('x')\nsolution = sp.solve({a}*x + {b} - {c}, x)\nprint(solution[0])", x)]);
        }),
        ("choose", (r, w) =>
        {
            int n = r.Next(5, 30), k = r.Next(2, Math.Min(6, n));
            long v = Choose(n, k);
            string who = Pick(r, Names);
            var text = Pose(r, w, $"In how many ways can {who} choose {k} books from a shelf of {n} different books?",
                [$"the number of ways to choose {k} of {n} different books", $"{n} choose {k}", $"the number of {k}-element subsets of a {n}-element set"],
                [$"A club of {n} members elects a {k}-member board (all seats alike). How many boards are possible?", $"An ice-cream bar has {n} flavors. How many cups with {k} different flavors (order does not matter) are there?",
                 $"{who} picks {k} of {n} different books to take on a trip. How many choices are there?", $"From a class of {n} students, {k} are picked for a team. In how many ways can this be done?"]);
            return new("choose", text, v,
                "We count combinations with math.comb.", [new($"n = {n}\nk = {k}\nprint(math.comb(n, k))", v)]);
        }),
        ("divisors", (r, w) =>
        {
            int n = r.Next(12, 5000);
            long v = Enumerable.Range(1, n).Count(d => n % d == 0);
            var f = Numbers.For(r, w);
            var text = Pose(r, w, $"How many positive divisors does ${n}$ have?",
                [$"the number of positive divisors of {f(n)}", $"how many factors {f(n)} has", $"the count of positive integers that divide {f(n)}"],
                [$"List every positive divisor of {f(n)}. How many are there?", $"For how many positive integers d does d divide {f(n)}?", $"In how many ways can {f(n)} chairs be set out in equal rows (one row counts)?",
                 $"{f(n)} has how many positive divisors?"]);
            return new("divisors", text, v,
                "We count the divisors.", [new($"n = {n}\nprint(len([d for d in range(1, n + 1) if n % d == 0]))", v)]);
        }),
        ("digit-sum", (r, w) =>
        {
            long n = r.NextInt64(1000, 100_000_000);
            long v = n.ToString().Sum(ch => ch - '0');
            var f = Numbers.For(r, w);
            var text = Pose(r, w, $"What is the sum of the digits of ${n}$?",
                [$"the sum of the digits of {f(n)}", $"the digit sum of {f(n)}", $"the total of the digits of the number {f(n)}"],
                [$"Take the number {f(n)} and add its digits one by one. What total results?", $"The digits of {f(n)} are summed. What is the sum?", $"{f(n)}: what is the sum of its digits?"]);
            return new("digit-sum", text, v,
                "We add the digits.", [new($"n = {n}\nprint(sum(int(digit) for digit in str(n)))", v)]);
        }),
        ("percent", (r, w) =>
        {
            int p = Pick(r, new[] { 5, 10, 15, 20, 25, 30, 40, 50, 60, 75, 80 }), n = 20 * r.Next(2, 100);
            long v = (long)p * n / 100;
            var f = Numbers.For(r, w);
            var text = Pose(r, w, $"What is ${p}\\%$ of ${n}$?",
                [$"{p}% of {f(n)}", $"${p}\\%$ of ${n}$", $"{p} percent of {f(n)}"],
                [$"A coat priced at {f(n)} dollars is marked down by {p}%. By how many dollars is the price lowered?", $"Of the {f(n)} trees in a park, {p}% are oaks. How many oaks are there?",
                 $"A town of {f(n)} people voted, and {p}% chose the park. How many people chose the park?"]);
            return new("percent", text, v,
                "We multiply by the percentage and divide by 100.", [new($"percent = {p}\nwhole = {n}\nprint(percent * whole // 100)", v)]);
        }),
        ("distance", (r, w) =>
        {
            int v = r.Next(20, 130), t = r.Next(2, 12);
            string who = Pick(r, Names);
            var text = Pose(r, w, $"{who} drives at {v} kilometers per hour for {t} hours. How many kilometers does {who} drive?",
                [$"the distance covered in {t} hours at {v} km/h", $"how far a car at {v} kilometers per hour goes in {t} hours"],
                [$"Moving at a constant {v} km/h, how many kilometers does a train cover in {t} hours?", $"{who} drives for {t} hours at a steady {v} kilometers per hour. How many kilometers is that?",
                 $"How many kilometers does a bus going {v} kilometers per hour cover in {t} hours?", $"At {v} km per hour, how far will {who} travel in {t} hours?",
                 $"A plane flies at {v} kilometers an hour for {t} hours. What distance does it fly, in kilometers?"]);
            return new("distance", text, (long)v * t,
                "Distance is speed times time.", [new($"speed = {v}\nhours = {t}\nprint(speed * hours)", (long)v * t)]);
        }),
        ("squares", (r, w) =>
        {
            int n = r.Next(5, 80);
            long v = (long)n * (n + 1) * (2 * n + 1) / 6;
            var text = Pose(r, w, $"What is the sum of the squares of the first ${n}$ positive integers?",
                [$"the sum of the squares of the first {n} positive integers", $"$1^2 + 2^2 + \\cdots + {n}^2$", $"the sum of the squares of the numbers 1 through {n}"],
                [$"Square each whole number from 1 to {n} and add the results. What is the total?", $"What do $1^2, 2^2, \\ldots, {n}^2$ add up to?"]);
            return new("squares", text, v,
                "We add the squares.", [new($"n = {n}\nprint(sum(i**2 for i in range(1, n + 1)))", v)]);
        }),
        // Two steps: an intermediate result, then the final computation from the printed value (blocks share nothing).
        ("boxes", (r, w) =>
        {
            string person = w != Wording.Template ? Pick(r, Names) : "";
            int a = r.Next(6, 40), b = r.Next(5, 30), c = r.Next(1, a * b / 2);
            long total = (long)a * b;
            string what = Pick(r, Items);
            var text = Say(r, w, $"A box holds {a} {what}. There are {b} boxes, and {c} {what} are given away. How many {what} are left?",
                $"A box holds {a} {what}. There are {b} boxes, and {c} {what} are given away. How many {what} are left?",
                $"A store receives {b} cartons with {a} {what} per carton, then sells {c} {what}. What number of {what} is still in stock?",
                $"How many {what} are left if {b} boxes of {a} {what} each are filled and then {c} {what} are given away?",
                $"There are {b} bags with {a} {what} in each. {c} {what} are lost. How many {what} are still there?",
                $"{b} packs of {a} {what} were bought, and {c} {what} were used. How many {what} are left?",
                $"A teacher has {b} boxes of {a} {what} and hands out {c}. How many {what} does the teacher have left?",
                $"Find how many {what} remain when {c} are taken from {b} full boxes of {a}.",
                $"{b} shelves hold {a} {what} each. If {c} {what} are removed, how many {what} stay on the shelves?",
                $"Muffins are baked {a} to a tray on {b} trays; {c} muffins are eaten. How many muffins are not eaten?",
                $"There are {a} {what} in a box. After {c} {what} are given away from {b} such boxes, how many {what} are left?",
                $"{b} rows of {a} chairs are set out, and {c} chairs are taken away. How many chairs are left?",
                $"What is left when {c} {what} are taken out of {b} boxes holding {a} {what} each?",
                $"A farmer packs {a} eggs in each of {b} cartons, then {c} eggs break. How many eggs are unbroken?",
                $"Compute ${b} \\times {a} - {c}$.",
                $"{b} classes have {a} students each; {c} students are absent. How many students are present?",
                $"A library orders {b} boxes of {a} {what} and returns {c} {what}. How many {what} does it keep?",
                $"How many {what} remain from {b} boxes of {a} after giving away {c}?",
                $"Each of {b} friends brings {a} {what}. They give {c} {what} away. How many {what} do they have left?",
                $"Determine how many {what} are left: {b} boxes, {a} {what} per box, {c} {what} given away.",
                $"A box contains {a} {what}. {person} buys {b} boxes and gives away {c} {what}. How many {what} does {person} keep?");
            return new("boxes", text, total - c,
                $"First we find how many {what} there are in all.", [new($"per_box = {a}\nboxes = {b}\nprint(per_box * boxes)", total), new($"total = {total}\ngiven = {c}\nprint(total - given)", total - c)],
                Intermediate: $"There are {total} {what} in all. Now we subtract the {what} given away.")
            {
                Direct = new("boxes", "", total - c, $"We find how many {what} there are in all and subtract those given away.",
                    [new($"per_box = {a}\nboxes = {b}\ngiven = {c}\nprint(per_box * boxes - given)", total - c)]),
            };
        }),
        ("fence", (r, w) =>
        {
            string person = w != Wording.Template ? Pick(r, Names) : "";
            int a = r.Next(5, 60), b = r.Next(5, 60), c = r.Next(2, 15);
            long perimeter = 2L * (a + b);
            var text = Say(r, w, $"A garden is {a} meters long and {b} meters wide. Fencing costs {c} dollars per meter. How many dollars does it cost to fence the garden?",
                $"A garden is {a} meters long and {b} meters wide. Fencing costs {c} dollars per meter. How many dollars does it cost to fence the garden?",
                $"To enclose a {a} m × {b} m paddock, fencing at {c} dollars per meter is bought. What is the total price in dollars?",
                $"How many dollars does it cost to put a fence around a {a} m by {b} m yard if fencing costs {c} dollars a meter?",
                $"Fencing costs {c} dollars per meter. What is the cost of fencing a rectangular garden {a} meters long and {b} meters wide?",
                $"A farmer fences a rectangular pen {a} meters long and {b} meters wide at {c} dollars per meter. How much does the fence cost?",
                $"Find the cost, in dollars, of a fence around a {a} by {b} meter rectangle at {c} dollars per meter.",
                $"A park is a rectangle {a} m long and {b} m wide. A fence costs {c} dollars for each meter. What is the total cost?",
                $"What does it cost to edge a {a} meter by {b} meter lawn with border that costs {c} dollars per meter?",
                $"Ribbon costs {c} cents per centimeter. How many cents does enough ribbon to go around a {a} cm by {b} cm card cost?",
                $"A rectangular pool is {a} m long and {b} m wide. Tiles along its edge cost {c} dollars per meter. What is the cost of edging the pool?",
                $"{person} wants to fence a garden measuring {a} m by {b} m. The fence costs {c} dollars per meter. How many dollars will {person} spend?",
                $"Compute the cost of fencing a {a} m × {b} m field when each meter of fence costs {c} dollars.",
                $"The perimeter of a {a} by {b} rectangle is fenced at {c} dollars per unit. What is the total cost?",
                $"Determine how many dollars it costs to fence a rectangle of length {a} meters and width {b} meters at {c} dollars per meter.",
                $"A frame goes around a {a} cm by {b} cm picture and costs {c} dollars per centimeter. How much does the frame cost?",
                $"At {c} dollars per meter, what does a fence around a {a} m long, {b} m wide field cost?",
                $"How much will fencing cost for a rectangular plot {b} meters wide and {a} meters long, at {c} dollars per meter?",
                $"A school fences its {a} m by {b} m playground. Fencing is {c} dollars per meter. What is the bill in dollars?",
                $"Lights are strung around a {a} ft by {b} ft deck at {c} dollars per foot. How many dollars do the lights cost?",
                $"What is the price of fencing all four sides of a {a} m by {b} m garden, if fencing costs {c} dollars per meter?");
            return new("fence", text, perimeter * c,
                "First we find the perimeter of the garden.", [new($"length = {a}\nwidth = {b}\nprint(2 * (length + width))", perimeter), new($"perimeter = {perimeter}\ncost = {c}\nprint(perimeter * cost)", perimeter * c)],
                Intermediate: $"The perimeter is {perimeter} meters. Now we multiply by the cost per meter.")
            {
                Direct = new("fence", "", perimeter * c, "The cost is the perimeter times the cost per meter.",
                    [new($"length = {a}\nwidth = {b}\ncost = {c}\nprint(2 * (length + width) * cost)", perimeter * c)]),
            };
        }),
    ];

    /// <summary>The template in <see cref="Wording.Template"/> (no draw: old datasets stay as they were); else one of the variants.</summary>
    private static string Say(Random r, Wording w, string template, params string[] variants) =>
        w == Wording.Template ? template : variants[r.Next(variants.Length)];

    /// <summary>
    /// A question about a quantity: in <see cref="Wording.Varied"/>, one of the frames around one of its noun phrases,
    /// or one of its own sentences (stories), drawn uniformly.
    /// </summary>
    private static string Pose(Random r, Wording w, string template, string[] nounPhrases, string[] sentences)
    {
        if (w == Wording.Template) return template;
        var frames = w == Wording.Broad ? BroadFrames : Frames;
        int i = r.Next(frames.Length * nounPhrases.Length + sentences.Length);
        return i < sentences.Length ? sentences[i] : frames[(i - sentences.Length) % frames.Length](nounPhrases[(i - sentences.Length) / frames.Length]);
    }

    /// <summary>Ways to ask for a quantity, question first or last, imperative or not.</summary>
    private static readonly Func<string, string>[] Frames =
    [
        np => $"What is {np}?",
        np => $"Find {np}.",
        np => $"Compute {np}.",
        np => $"Determine {np}.",
        np => $"Calculate {np}.",
        np => $"Work out {np}.",
        np => $"What number is {np}?",
        np => $"Please find {np}.",
        np => $"I would like to know {np}. What is it?",
        np => $"Can you tell me {np}?",
        np => $"Give the value of {np}.",
        np => $"Here is a question: what is {np}?",
    ];

    /// <summary>The frames of <see cref="Frames"/> and the shorter, looser ones people type.</summary>
    private static readonly Func<string, string>[] BroadFrames =
    [
        .. Frames,
        np => $"What's {np}?",
        np => $"How much is {np}?",
        np => $"Evaluate {np}.",
        np => $"Tell me {np}.",
        np => $"what is {np}",
        np => $"Quick one: {np}?",
        np => $"I need {np}.",
        np => $"Do you know {np}?",
        np => $"Find {np}, please.",
        np => $"Help me work out {np}.",
    ];

    /// <summary>How a problem writes its numbers: plain, in LaTeX, or with thousands separators (one style per problem).</summary>
    private static class Numbers
    {
        public static Func<long, string> For(Random r, Wording w) => w == Wording.Template ? (x => x.ToString()) : r.Next(w == Wording.Broad ? 4 : 3) switch
        {
            3 => x => x is >= 0 and <= 20 ? Words(x) : x.ToString(System.Globalization.CultureInfo.InvariantCulture),
            0 => x => x.ToString(System.Globalization.CultureInfo.InvariantCulture),
            1 => x => $"${x}$",
            _ => x => x.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    private static T Pick<T>(Random r, IReadOnlyList<T> items) => items[r.Next(items.Count)];
    private static long Gcd(long a, long b) => b == 0 ? a : Gcd(b, a % b);

    private static long Choose(int n, int k)
    {
        long v = 1;
        for (int i = 1; i <= k; i++) v = v * (n - k + i) / i;
        return v;
    }
}
