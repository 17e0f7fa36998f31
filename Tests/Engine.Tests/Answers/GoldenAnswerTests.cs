using Numina.Engine.Answers;
using Numina.Engine.Presets;

namespace Numina.Engine.Tests.Answers;

/// <summary>The spec's golden cases for answers and votes (shared/spec/sc-tir.md).</summary>
public class GoldenAnswerTests
{
    [Fact]
    public void Integer_filter_matches_the_spec()
    {
        var filtered = AnswerPolicies.AimoFilter(["142", "2.5", "3.5", "-3", "1234", "abc", "1e3", "0", "999.6"]);
        Assert.Equal([142L, 2, 4, 234, 0, 0, 0], filtered);
    }

    [Theory]
    [InlineData(new[] { "5", "7", "7", "5" }, "5")]
    [InlineData(new[] { "7", "5", "5", "7" }, "7")]
    public void Vote_ties_go_to_the_answer_seen_first(string[] answers, string winner)
    {
        var tally = VoteTally.Count(answers.Select((a, i) => new Ballot(i, 1, a)));
        Assert.Equal(winner, tally.Winner);
        Assert.Equal(4, tally.ValidVotes);
    }

    [Fact]
    public void An_empty_vote_falls_back_to_zero()
    {
        var tally = VoteTally.Count([]);
        Assert.Null(tally.Winner);
        Assert.Equal("0", tally.Winner ?? BuiltInPresets.Numina.FallbackAnswer);
    }

    private static string? Numina(string transcript) =>
        AnswerExtractor.Extract(transcript, 100, AnswerNormalization.Numina) is { } raw ? AnswerNormalizer.Normalize(raw, AnswerNormalization.Numina) : null;

    [Theory]
    [InlineData("so we get \\boxed{1,000}.", "1000")]
    [InlineData("The side is \\boxed{12 \\text{ cm}}.", "12")]
    [InlineData("Thus \\boxed{\\frac{1}{2}}", "\\frac{1}{2}")]
    [InlineData("The share is \\boxed{25\\%}.", "25")]                       // \% removed
    [InlineData("So \\boxed{x = 5}.", "x=5")]                                 // no split on "="
    [InlineData("The final answer is $5$ and $6$.", "6")]                     // the last $…$ of the whole region
    [InlineData("Thus the answer is:\n\n42", "42")]                          // "answer is" reads the whole window
    [InlineData("We get \\boxed{\\dfrac{3}{4}}", "\\df\\frac{3}{4}")]               // "rac" without "\\frac": the reference's own rule
    [InlineData("It is \\boxed{rac{3}{4}}", "\\frac{3}{4}")]                  // the "rac" fix
    [InlineData("Answer: \\boxed {9}", "9")]                                  // a space before the brace: read (the reference's bug, not copied)
    public void Normalize_of_extract(string text, string expected)
    {
        Assert.Equal(expected, Numina(text));
    }

    [Fact]
    public void Golden_answers_through_the_integer_filter()
    {
        Assert.Equal("25", AnswerPolicies.Apply(AnswerPolicy.AimoInteger, Numina("\\boxed{25\\%}")));
        Assert.Null(AnswerPolicies.Apply(AnswerPolicy.AimoInteger, Numina("\\boxed{x = 5}"))); // dropped
        Assert.Equal("6", AnswerPolicies.Apply(AnswerPolicy.AimoInteger, Numina("The final answer is $5$ and $6$.")));
        Assert.Equal("42", AnswerPolicies.Apply(AnswerPolicy.AimoInteger, Numina("Thus the answer is:\n\n42")));
    }

    [Fact]
    public void A_fraction_is_dropped_by_the_integer_filter()
    {
        var normalized = Numina("\\boxed{\\frac{1}{2}}");
        Assert.Null(AnswerPolicies.Apply(AnswerPolicy.AimoInteger, normalized));
        Assert.Equal("\\frac{1}{2}", AnswerPolicies.Apply(AnswerPolicy.Normalized, normalized));
    }

    [Fact]
    public void Numina_extraction_reads_only_the_region_and_never_falls_back_from_a_box()
    {
        Assert.Null(AnswerExtractor.Extract("the answer is 7.\n\\boxed{12", 100, AnswerNormalization.Numina)); // "boxed" in the region: the box or nothing
        var region = "x".PadLeft(30, 'x') + " so the answer is 7";
        Assert.Equal(region, AnswerExtractor.Extract(region, 100, AnswerNormalization.Numina)); // the whole region goes to the normalizer
        Assert.Equal("17", AnswerExtractor.Extract("so \\fbox{17}.", 100, AnswerNormalization.Numina));
        var far = "\\boxed{5}" + new string('x', 150);
        Assert.Null(AnswerExtractor.Extract(far, 100, AnswerNormalization.Numina));
    }
}

/// <summary>Minerva-style extraction and normalization (the other presets' and MATH-style grading's).</summary>
public class AnswerExtractionTests
{
    [Fact]
    public void The_last_box_wins_and_nested_braces_balance()
    {
        var text = "first \\boxed{1} then \\boxed{\\frac{3}{4}} done";
        Assert.Equal("\\frac{3}{4}", AnswerExtractor.Extract(text, 100));
    }

    [Fact]
    public void Fbox_counts_as_a_box()
    {
        Assert.Equal("17", AnswerExtractor.Extract("so \\fbox{17}.", 100));
    }

    [Fact]
    public void A_box_outside_the_window_is_not_seen()
    {
        var text = "\\boxed{5}" + new string('x', 150);
        Assert.False(AnswerExtractor.HasAnswerMarker(text, 100));
        Assert.Null(AnswerExtractor.Extract(text, 100));
    }

    [Fact]
    public void A_box_that_starts_in_the_window_is_read_to_its_close()
    {
        var text = new string('x', 200) + "\\boxed{" + new string('9', 10) + "}";
        Assert.Equal(new string('9', 10), AnswerExtractor.Extract(text, 100));
    }

    [Fact]
    public void Answer_is_reads_the_rest_of_the_line()
    {
        Assert.Equal("$42$", AnswerExtractor.Extract("Therefore the answer is $42$.\n", 100));
        Assert.Equal("42", MinervaNormalizer.Normalize("$42$"));
    }

    [Fact]
    public void An_unclosed_box_falls_back_to_answer_is_or_nothing()
    {
        Assert.Null(AnswerExtractor.Extract("the value \\boxed{12", 100));
        Assert.Equal("7", AnswerExtractor.Extract("the answer is 7.\n\\boxed{12", 100));
    }

    [Theory]
    [InlineData("x = 5", "5")]
    [InlineData("100{,}000", "100000")]
    [InlineData("\\$18.00", "18.00")]
    [InlineData("90^\\circ", "90")]
    [InlineData("\\frac12", "\\frac{1}{2}")]
    [InlineData("\\sqrt2", "\\sqrt{2}")]
    [InlineData("5 \\text{ dollars}", "5")]
    [InlineData("\\textbf{7}", "7")]
    public void Normalization_follows_the_math_rules(string input, string expected)
    {
        Assert.Equal(expected, MinervaNormalizer.Normalize(input));
    }

    [Theory]
    [InlineData(AnswerPolicy.AimoInteger, "1296", "296")]
    [InlineData(AnswerPolicy.AimoInteger, "-4", null)]
    [InlineData(AnswerPolicy.AimoInteger, "-0.4", "0")]
    [InlineData(AnswerPolicy.AimoInteger, "1e30", "656")] // Python: round(1e30) % 1000 == 656
    [InlineData(AnswerPolicy.AimoInteger, "inf", null)]
    [InlineData(AnswerPolicy.Integer, "-4", "-4")]
    [InlineData(AnswerPolicy.Integer, "1296", "1296")]
    [InlineData(AnswerPolicy.Integer, "2.5", null)]
    [InlineData(AnswerPolicy.Integer, "12.0", "12")]
    [InlineData(AnswerPolicy.Normalized, "\\frac{1}{2}", "\\frac{1}{2}")]
    public void Policies_map_values(AnswerPolicy policy, string normalized, string? expected)
    {
        Assert.Equal(expected, AnswerPolicies.Apply(policy, normalized));
    }

    [Fact]
    public void Ties_can_go_to_the_larger_answer()
    {
        var tally = VoteTally.Count([new Ballot(0, 1, "5"), new Ballot(1, 1, "70"), new Ballot(2, 2, "9")], TieRule.Larger);
        Assert.Equal("70", tally.Winner);
    }

    [Fact]
    public void First_seen_orders_by_retirement_round_then_index_not_by_listing_order()
    {
        // Candidate 3 retired in round 1, candidate 0 in round 2: candidate 3's answer was seen first.
        var tally = VoteTally.Count([new Ballot(0, 2, "8"), new Ballot(3, 1, "4")]);
        Assert.Equal("4", tally.Winner);
        Assert.Equal(["4", "8"], tally.Buckets.Select(b => b.Answer));
    }

    [Fact]
    public void Invalid_ballots_are_counted_apart()
    {
        var tally = VoteTally.Count([new Ballot(0, 1, null), new Ballot(1, 1, "3")]);
        Assert.Equal(1, tally.InvalidVotes);
        Assert.Equal(1, tally.ValidVotes);
        Assert.Equal(1.0, tally.Agreement);
    }
}
