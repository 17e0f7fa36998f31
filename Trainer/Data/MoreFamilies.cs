namespace Numina.Trainer.Data;

/// <summary>
/// The families of the same school level that the shipped model never saw, crafted only with <see cref="Wording.Varied"/>:
/// multiplication and division, multi-step stories, area and perimeter, factorials and powers, averages, speed, counting
/// and summing multiples, the digits of a power, and "Compute &lt;expression&gt;" (a LaTeX expression translated into
/// Python, so the model learns to copy an expression, not a template).
/// </summary>
public static partial class ProblemFamilies
{
    private static readonly string[] Things = ["apples", "books", "coins", "stamps", "marbles", "cards", "shells", "pens", "stickers", "beads", "pencils", "tickets"];

    /// <summary>The families for a wording: the first fifteen; with varied wording these as well; with broad wording also <see cref="Broader"/>, every text roughened.</summary>
    public static IReadOnlyList<(string Name, Family Make)> For(Wording wording) => wording switch
    {
        Wording.Template => All,
        Wording.Varied => [.. All, .. More],
        _ => [.. from f in All.Concat(More).Concat(Broader) select (f.Name, (Family)((r, w) => Roughened(r, f.Make(r, w))))],
    };

    private static CraftedProblem Roughened(Random r, CraftedProblem p) => p with { Text = Roughen(r, p.Text) };

    /// <summary>Built on first use: its makers use the name and object lists of the other part of this class.</summary>
    public static IReadOnlyList<(string Name, Family Make)> More => LazyMore.Value;

    private static readonly Lazy<IReadOnlyList<(string Name, Family Make)>> LazyMore = new(MakeMore);

    private static IReadOnlyList<(string Name, Family Make)> MakeMore() =>
    [
        ("multiply", (r, w) =>
        {
            int a = r.Next(12, 99), b = r.Next(12, 99);
            var n = Numbers.For(r, w);
            string who = Pick(r, Names), what = Pick(r, Things);
            var text = Pose(r, w, "", [$"the result of multiplying {n(a)} and {n(b)}", $"the product of {n(a)} and {n(b)}", $"${a} \\times {b}$", $"{n(a)} multiplied by {n(b)}"],
                [$"What do you get when {n(a)} is multiplied by {n(b)}?", $"An orchard has {a} rows of trees with {b} trees in each row. How many trees does it have?",
                 $"{who} buys {a} packs of {what} with {b} in each pack. How many {what} is that?", $"There are {b} {what} in each of {a} boxes. How many {what} are there in all?"]);
            return new("multiply", text, (long)a * b, "We multiply the two numbers.", [new($"a = {a}\nb = {b}\nprint(a * b)", (long)a * b)]);
        }),
        ("divide", (r, w) =>
        {
            int b = r.Next(3, 60), q = r.Next(4, 200), a = b * q;
            var n = Numbers.For(r, w);
            string what = Pick(r, Things);
            var text = Pose(r, w, "", [$"{n(a)} divided by {n(b)}", $"the quotient of {n(a)} and {n(b)}", $"$\\frac{{{a}}}{{{b}}}$", $"${a} \\div {b}$"],
                [$"{n(a)} {what} are split evenly between {n(b)} friends. How many {what} does each friend receive?", $"How many groups of {n(b)} can be made from {n(a)} {what}?",
                 $"{n(a)} {what} are packed {n(b)} to a box. How many boxes are filled?", $"Divide {n(a)} by {n(b)}."]);
            return new("divide", text, q, "We divide.", [new($"total = {a}\nparts = {b}\nprint(total // parts)", q)]);
        }),
        ("story", (r, w) =>
        {
            int a = r.Next(30, 400), b = r.Next(5, a - 5), c = r.Next(5, 300);
            string who = Pick(r, Names), what = Pick(r, Things);
            long v = a - b + c;
            var text = Say(r, w, "",
                $"{who} owned {a} {what}, handed {b} of them to a cousin, and later picked up {c} more at a fair. How many {what} does {who} own now?",
                $"{who} has {a} {what}, gives away {b}, then gets {c} more. How many {what} does {who} have?",
                $"How many {what} does {who} end up with after starting with {a}, giving away {b} and buying {c}?",
                $"A shop had {a} {what}. It sold {b} and received a delivery of {c}. How many {what} does it have now?",
                $"There were {a} people on a bus. At the first stop {b} got off and {c} got on. How many people are on the bus now?",
                $"{who} started the day with {a} dollars, spent {b} dollars and earned {c} dollars. How many dollars does {who} have now?",
                $"A tank held {a} liters. {b} liters were drained and {c} liters added. How many liters are in the tank?",
                $"Start with {a}, take away {b}, then add {c}. What number do you get?",
                $"Compute ${a} - {b} + {c}$.",
                $"{who} had {a} {what}; after losing {b} and finding {c}, how many {what} does {who} have?",
                $"A library had {a} books. {b} were checked out and {c} were returned. How many books are on the shelves now?",
                $"{who}'s collection had {a} {what}. {who} traded away {b} and received {c}. What is the size of the collection now?",
                $"What is {a} minus {b} plus {c}?",
                $"A farmer had {a} sheep, sold {b}, and then {c} lambs were born. How many sheep does the farmer have?",
                $"Find how many {what} {who} has after these steps: {a} to start, {b} given away, {c} bought.",
                $"In a parking lot there are {a} cars. {b} drive away and {c} arrive. How many cars are in the lot?",
                $"{who} scored {a} points, lost {b} points for a penalty, then won {c} points. What is {who}'s score?",
                $"There are {a} {what} in a jar. {who} takes out {b} and puts in {c}. How many {what} are in the jar?",
                $"A school had {a} students. {b} moved away and {c} new students joined. How many students does it have now?",
                $"Determine the number of {what} left: {who} had {a}, gave away {b}, and got {c} more.");
            return new("story", text, v, $"First we find how many {what} are left after giving some away.",
                [new($"start = {a}\ngiven = {b}\nprint(start - given)", a - b), new($"left = {a - b}\nbought = {c}\nprint(left + bought)", v)],
                Intermediate: $"After giving some away there are {a - b}. Now we add the new ones.")
            {
                Direct = new("story", "", v, "We subtract what was given away and add what was bought.", [new($"start = {a}\ngiven = {b}\nbought = {c}\nprint(start - given + bought)", v)]),
            };
        }),
        ("area", (r, w) =>
        {
            int a = r.Next(3, 90), b = r.Next(3, 90);
            var text = Pose(r, w, "", [$"the area enclosed by a rectangle whose sides are {a} and {b}", $"the area of a {a} by {b} rectangle", $"the number of square meters in a {a} m by {b} m floor"],
                [$"A room is {a} meters long and {b} meters wide. What is its area in square meters?", $"How many 1 by 1 tiles cover a {a} by {b} rectangle?",
                 $"A garden measures {a} ft by {b} ft. How many square feet is it?", $"A rectangle has sides {a} cm and {b} cm. Find its area in square centimeters."]);
            return new("area", text, (long)a * b, "The area of a rectangle is length times width.", [new($"length = {a}\nwidth = {b}\nprint(length * width)", (long)a * b)]);
        }),
        ("perimeter", (r, w) =>
        {
            int a = r.Next(3, 150), b = r.Next(3, 150);
            long v = 2L * (a + b);
            var text = Pose(r, w, "", [$"the perimeter of a rectangle {a} long and {b} wide", $"the perimeter of a {a} by {b} rectangle", $"the distance around a {a} m by {b} m field"],
                [$"A rectangular rug is {a} inches by {b} inches. How many inches of trim go around its edge?", $"How many meters of fence go around a {a} m by {b} m garden?",
                 $"A runner goes once around a rectangular field {a} m by {b} m. How far does she run?", $"A picture is {a} cm by {b} cm. How long is the ribbon that goes once around its edge?"]);
            return new("perimeter", text, v, "The perimeter is twice the sum of length and width.", [new($"length = {a}\nwidth = {b}\nprint(2 * (length + width))", v)]);
        }),
        ("factorial", (r, w) =>
        {
            int n = r.Next(4, 14);
            long v = Enumerable.Range(1, n).Aggregate(1L, (f, i) => f * i);
            var text = Pose(r, w, "", [$"the factorial of {n}", $"${n}!$ (the factorial)", $"the product of the whole numbers from 1 to {n}", $"the number of ways to line up {n} different books"],
                [$"In how many orders can {n} runners finish a race with no ties?", $"How many ways can {n} people stand in a line?", $"Multiply together all the integers from 1 to {n}. What is the product?"]);
            return new("factorial", text, v, "We compute the factorial with math.factorial.", [new($"n = {n}\nprint(math.factorial(n))", v)]);
        }),
        ("power", (r, w) =>
        {
            int b = r.Next(2, 13), e = r.Next(2, b < 4 ? 30 : 9);
            long v = (long)System.Numerics.BigInteger.Pow(b, e);
            var text = Pose(r, w, "", [$"{b} to the power {e}", $"${b}^{{{e}}}$", $"{b} raised to the {e}th power", $"the product of {e} copies of {b}"],
                [$"Multiply {b} by itself so that there are {e} factors. What is the product?", $"Write ${b}^{{{e}}}$ as an ordinary whole number.", $"A cell splits into {b} cells every hour. Starting from one cell, how many cells are there after {e} hours?"]);
            return new("power", text, v, "We raise the base to the exponent.", [new($"base = {b}\nexponent = {e}\nprint(base ** exponent)", v)]);
        }),
        ("average", (r, w) =>
        {
            int count = r.Next(3, 7), mean = r.Next(10, 100);
            var values = Enumerable.Range(0, count - 1).Select(_ => mean + r.Next(-9, 10)).ToList();
            values.Add(mean * count - values.Sum());
            string list = string.Join(", ", values);
            var text = Pose(r, w, "", [$"the average of {list}", $"the mean of {list}", $"the arithmetic mean of the numbers {list}"],
                [$"A player scored {list} points in {count} games. What was the average per game?", $"{Pick(r, Names)} ran {list} laps on {count} days. On average, how many laps a day?",
                 $"What is the mean of these numbers: {list}?", $"Find the average of {list}."]);
            return new("average", text, mean, "We add the numbers and divide by how many there are.", [new($"values = [{list}]\nprint(sum(values) // len(values))", mean)]);
        }),
        ("speed", (r, w) =>
        {
            int v = r.Next(4, 120), t = r.Next(2, 12);
            long d = (long)v * t;
            string who = Pick(r, Names);
            bool askTime = r.Next(2) == 0; // speed from distance and time, or time from distance and speed
            var text = askTime
                ? Say(r, w, "",
                    $"A car keeps a speed of {v} kilometers per hour for a {d}-kilometer drive. How many hours does the drive take?",
                    $"At {v} miles per hour, how long does a {d}-mile trip take, in hours?",
                    $"A plane flies {d} miles at {v} miles per hour. How many hours is the flight?",
                    $"{who} runs at {v} meters per minute. How many minutes does {who} take to run {d} meters?",
                    $"Find the time in hours to travel {d} km at {v} km/h.",
                    $"A truck moving at {v} km/h covers {d} km. How many hours does that take?",
                    $"{who} cycled {d} km at {v} km/h. For how many hours did {who} cycle?",
                    $"How long, in hours, is a {d} km journey at an average speed of {v} km/h?",
                    $"A boat sails {d} nautical miles at {v} knots. How many hours does the trip last?",
                    $"Determine the travel time in hours for {d} miles at {v} miles per hour.")
                : Say(r, w, "",
                    $"Over {t} hours a cyclist covers {d} miles. What is the cyclist's average speed in miles per hour?",
                    $"{who} drives {d} kilometers in {t} hours. How fast is that, in kilometers per hour?",
                    $"What is the average speed of a train that travels {d} km in {t} hours, in km/h?",
                    $"A car covers {d} miles in {t} hours. Find its speed in miles per hour.",
                    $"If {who} walks {d} km in {t} hours at a steady pace, how many km does {who} walk each hour?",
                    $"Compute the speed, in km per hour, of a boat that goes {d} km in {t} hours.",
                    $"Determine the speed of a runner who covers {d} meters in {t} minutes, in meters per minute.",
                    $"How fast, in km/h, must {who} go to cover {d} km in {t} hours?",
                    $"A snail crawls {d} cm in {t} minutes. How many centimeters does it crawl per minute?",
                    $"A drone flies {d} meters in {t} seconds. What is its speed in meters per second?");
            long answer = askTime ? t : v;
            var code = askTime ? $"distance = {d}\nspeed = {v}\nprint(distance // speed)" : $"distance = {d}\nhours = {t}\nprint(distance // hours)";
            return new("speed", text, answer, askTime ? "Time is distance divided by speed." : "Speed is distance divided by time.", [new(code, answer)]);
        }),
        ("count-multiples", (r, w) =>
        {
            int k = r.Next(3, 40), hi = r.Next(50, 2000);
            long v = hi / k;
            var n = Numbers.For(r, w);
            var text = Pose(r, w, "", [$"how many multiples of {k} there are from 1 to {n(hi)}", $"the number of positive multiples of {k} up to {n(hi)}", $"the count of integers from 1 to {n(hi)} divisible by {k}"],
                [$"Among the integers 1 to {n(hi)}, how many are multiples of {k}?", $"How many of the numbers 1, 2, ..., {n(hi)} are divisible by {k}?",
                 $"Every {k}th seat in a row of {n(hi)} seats is red. How many red seats are there?"]);
            return new("count-multiples", text, v, $"We count the multiples of {k}.", [new($"k = {k}\nlimit = {hi}\nprint(len([i for i in range(1, limit + 1) if i % k == 0]))", v)]);
        }),
        ("sum-multiples", (r, w) =>
        {
            int k = r.Next(2, 15), hi = r.Next(30, 500);
            long v = Enumerable.Range(1, hi).Where(i => i % k == 0).Sum(i => (long)i);
            var n = Numbers.For(r, w);
            var text = Pose(r, w, "", [$"the sum of the multiples of {k} from 1 to {n(hi)}", $"the sum of all positive multiples of {k} not exceeding {n(hi)}", $"the total of the numbers up to {n(hi)} that are divisible by {k}"],
                [$"Add up all the multiples of {k} between 1 and {n(hi)}. What is the total?", $"What is the sum of the numbers from 1 to {n(hi)} that {k} divides?"]);
            return new("sum-multiples", text, v, $"We add the multiples of {k}.", [new($"k = {k}\nlimit = {hi}\nprint(sum(i for i in range(1, limit + 1) if i % k == 0))", v)]);
        }),
        ("power-digits", (r, w) =>
        {
            int b = r.Next(2, 10), e = r.Next(10, 120);
            var value = System.Numerics.BigInteger.Pow(b, e).ToString();
            bool count = r.Next(2) == 0;
            long v = count ? value.Length : value.Sum(ch => ch - '0');
            var text = count
                ? Pose(r, w, "", [$"the number of digits of ${b}^{{{e}}}$", $"how many digits ${b}^{{{e}}}$ has"], [$"Written out in full, ${b}^{{{e}}}$ has how many digits?", $"Written in base ten, how long is {b} to the power {e}?"])
                : Pose(r, w, "", [$"the total you get by adding the digits of ${b}^{{{e}}}$", $"the digit sum of {b} to the power {e}"], [$"Add the digits of ${b}^{{{e}}}$. What do you get?", $"What do the digits of ${b}^{{{e}}}$ add up to?"]);
            var code = count ? $"base = {b}\nexponent = {e}\nprint(len(str(base ** exponent)))" : $"base = {b}\nexponent = {e}\nprint(sum(int(digit) for digit in str(base ** exponent)))";
            return new("power-digits", text, v, count ? "We write out the power and count its digits." : "We write out the power and add its digits.", [new(code, v)]);
        }),
        ("compute", (r, w) =>
        {
            var (tex, python, v) = Expressions.Draw(r);
            var text = Pose(r, w, "", [$"${tex}$", $"the value of ${tex}$"], [$"Evaluate ${tex}$.", $"${tex}$ = ?", $"Simplify ${tex}$ to a single integer."]);
            return new("compute", text, v, "We compute the expression in Python.", [new($"print({python})", v)]);
        }),
    ];
}
