using Numina.Engine.Candidates;
using Numina.Engine.Execution;
using Numina.Engine.Presets;

namespace Numina.Engine.Tests.Execution;

public class CellSourceTests
{
    [Theory]
    [InlineData("math.factorial(5)", "print(math.factorial(5))")]
    [InlineData("x = 2\nx * 3  # six", "x = 2\nprint(x * 3)")] // the comment cut, the line stripped (as numina_reference.py)
    [InlineData("print(1)", "print(1)")]
    [InlineData("for i in range(3):\n    total += i", "for i in range(3):\n    total += i")]
    [InlineData("x = 5", "x = 5")]
    [InlineData("x += 5", "x += 5")]
    [InlineData("import math", "import math")]
    [InlineData("a == b", "print(a == b)")]
    [InlineData("f(n=3)", "print(f(n=3))")]
    [InlineData("x <= 3", "print(x <= 3)")]
    [InlineData("s = 'a=b'", "s = 'a=b'")]
    [InlineData("'a=b'", "print('a=b')")]
    [InlineData("  \nresult\n\n", "print(result)")]
    public void Numina_auto_print_wraps_only_what_print_can_take(string code, string expected)
    {
        Assert.Equal(expected, CellSource.WrapLastLineInPrint(code));
    }

    [Fact]
    public void Header_goes_before_the_block()
    {
        Assert.Equal("import math\nimport numpy as np\nimport sympy as sp\nprint(1)",
            CellSource.Prepare("1", BuiltInPresets.Numina.ExecutorHeader, AutoPrint.LastLine));
    }

    [Theory]
    [InlineData("import subprocess", "subprocess")]
    [InlineData("import venv, subprocess", "subprocess")]
    [InlineData("# make a venv", "venv")]
    [InlineData("print(1)", null)]
    public void Forbidden_words_are_found_in_numina_order(string code, string? word)
    {
        Assert.Equal(word, CellSource.ForbiddenWord(code, BuiltInPresets.Numina.ForbiddenWords));
    }

    [Fact]
    public void Numina_output_cap_is_200_characters_then_the_marker()
    {
        var text = new string('a', 201);
        Assert.Equal(new string('a', 200) + " ... (output truncated)", ToolOutputFormatter.Cap(text, BuiltInPresets.Numina));
        Assert.Equal(new string('a', 200), ToolOutputFormatter.Cap(new string('a', 200), BuiltInPresets.Numina));
    }

    [Fact]
    public void Qwen_and_tora_caps_keep_head_and_tail()
    {
        var text = new string('h', 300) + new string('t', 300);
        // Qwen2.5-Math's python_executor.truncate(s, 400); ToRA's inference.py keeps 50 + "..." + 50 of anything over 100.
        Assert.Equal(new string('h', 200) + "..." + new string('t', 200), ToolOutputFormatter.Cap(text, BuiltInPresets.QwenMath));
        Assert.Equal(new string('h', 50) + "..." + new string('t', 50), ToolOutputFormatter.Cap(text, BuiltInPresets.ToRA));
        Assert.Equal(new string('x', 100), ToolOutputFormatter.Cap(new string('x', 100), BuiltInPresets.ToRA));
    }

    [Fact]
    public void Numina_traceback_filter_keeps_what_the_reference_kept()
    {
        var traceback = "Traceback (most recent call last):\n" +
                        "  File \"/tmp/abc/tmp.py\", line 5, in <module>\n" +
                        "    print(f(3))\n" +
                        "          ^^^^\n" +
                        "  File \"/usr/lib/python3/dist-packages/sympy/core.py\", line 10, in f\n" +
                        "    raise ValueError\n" +
                        "  File \"/tmp/abc/tmp.py\", line 4, in f\n" +
                        "    return 1 / 0\n" +
                        "ZeroDivisionError: division by zero";
        Assert.Equal("Traceback (most recent call last):\n  File \"\n    print(f(3))\n  File \"\n    return 1 / 0\nZeroDivisionError: division by zero",
            ToolOutputFormatter.NuminaFilter(traceback, "/tmp/abc/tmp.py"));
        Assert.Equal("ZeroDivisionError: division by zero", ToolOutputFormatter.ErrorText(traceback, "", ErrorFormat.LastLine));
    }

    [Fact]
    public void Refusals_and_timeouts_use_the_preset_words()
    {
        Assert.Equal("subprocess is not allowed\n```",
            ToolOutputFormatter.Format(new CellResult { Outcome = CellOutcome.Refused, RefusedWord = "subprocess" }, BuiltInPresets.Numina));
        Assert.Equal("\n```output\nTimed out after 2 seconds.\n```\n",
            ToolOutputFormatter.Format(new CellResult { Outcome = CellOutcome.TimedOut }, BuiltInPresets.NemoSkills));
    }

    [Fact]
    public void Model_text_splits_into_prose_and_code_segments_that_concatenate_back()
    {
        var attempt = new Attempt();
        var text = "Let us compute.\n```python\nprint(2)\n```\n```output\n";
        attempt.AddModelText(text, 1, "```python", "```");
        Assert.Equal([SegmentKind.Text, SegmentKind.Code, SegmentKind.Text], attempt.Segments.Select(s => s.Kind));
        Assert.Equal("```python\nprint(2)\n```", attempt.Segments[1].Text);
        Assert.Equal(text, attempt.Text());
    }
}
