using Numina.Engine.Candidates;
using Numina.Engine.Presets;
using Numina.Engine.Tests.Support;
using static Numina.Engine.Tests.Loop.LoopHarness;

namespace Numina.Engine.Tests.Loop;

/// <summary>The other presets through the same loop: only data differs.</summary>
public class PresetLoopTests
{
    [Fact]
    public async Task Tora_appends_its_output_block_and_accepts_answers_without_code()
    {
        var prompt = BuiltInPresets.ToRA.RenderPrompt(ProblemText);
        const string code = "```python\nprint(17 * 3)\n```\n```output";
        var model = ScriptedModel.PerCandidate(Seed,
            [[code, "\nSo \\boxed{51}."]],
            [["No code needed: \\boxed{5}."]]);
        var (record, _) = await Run(model, width: 2, depth: 3, preset: BuiltInPresets.ToRA);

        // The transcript reads exactly as ToRA's: "```\n```output\n{out}\n```\n".
        Assert.Equal(prompt + code + "\n51\n```\n", ContextAt(model, 0, 0, 2));
        Assert.Equal("51", record.Candidates[0].Answer);
        Assert.Equal("5", record.Candidates[1].Answer); // ToRA does not prune answers without executed code
        Assert.Equal(0, record.Restarts);
    }

    [Fact]
    public async Task Tora_shows_the_last_traceback_line_and_caps_head_and_tail()
    {
        var prompt = BuiltInPresets.ToRA.RenderPrompt(ProblemText);
        const string error = "```python\nimport math\nmath.sqrt(-1)\n```\n```output";
        const string flood = "\n```python\nprint('a' * 300 + 'b' * 300)\n```\n```output";
        var model = ScriptedModel.PerCandidate(Seed, [[error, flood, "\\boxed{1}"]]);
        await Run(model, width: 1, depth: 3, preset: BuiltInPresets.ToRA);

        Assert.Equal(prompt + error + "\nValueError: math domain error\n```\n", ContextAt(model, 0, 0, 2));
        Assert.EndsWith(flood + "\n" + new string('a', 50) + "..." + new string('b', 50) + "\n```\n", ContextAt(model, 0, 0, 3));
    }

    [Fact]
    public async Task NemoSkills_uses_tool_call_fences_notebook_values_and_a_code_call_budget()
    {
        var preset = BuiltInPresets.NemoSkills with { MaxCodeExecutions = 2 };
        const string call1 = "<tool_call>\nx = 20\nx + 1\n</tool_call>";
        const string call2 = "\n<tool_call>\nx * 2\n</tool_call>";
        const string call3 = "\n<tool_call>\nx * 3\n</tool_call> and the answer is \\boxed{60}";
        var model = ScriptedModel.PerCandidate(Seed, [[call1, call2, call3]]);
        var (record, _) = await Run(model, width: 1, depth: 4, preset: preset, mode: Numina.Engine.Settings.ExecutionMode.Jupyter);
        // A chat prompt: NemoSkills' user message (its code-call budget filled in), no system message.
        var prompt = record.Prompt;
        Assert.Equal("<|user|>\nSolve the following math problem, integrating natural language reasoning with Python code executions. You may perform up to 2 Python code calls to assist your reasoning. Make sure to put the answer (and only answer) inside \\boxed{}.\n" + ProblemText + "\n<|assistant|>\n", prompt);

        Assert.Equal(prompt + call1 + "\n```output\n21\n```\n", ContextAt(model, 0, 0, 2));
        Assert.Equal(prompt + call1 + "\n```output\n21\n```\n" + call2 + "\n```output\n40\n```\n", ContextAt(model, 0, 0, 3));
        // The budget of 2 calls is spent: the third round no longer stops at </tool_call>, so it runs on to the answer.
        var c = record.Candidates.Single();
        Assert.Equal(2, c.Current.Executions);
        Assert.Equal(CandidateStatus.Answered, c.Status);
        Assert.Equal("60", c.Answer);
    }
}
