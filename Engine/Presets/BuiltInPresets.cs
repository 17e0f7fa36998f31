namespace Numina.Engine.Presets;

/// <summary>
/// The published systems, as data. Numina is the reference row (spec: shared/spec/sc-tir.md); the others differ
/// only in the fields they set.
/// </summary>
public static class BuiltInPresets
{
    /// <summary>NuminaMath-7B-TIR at AIMO-1, exactly (the defaults of <see cref="Preset"/> are Numina's).</summary>
    public static readonly Preset Numina = new()
    {
        Name = "Numina",
        Description = "AIMO-1 winner: ### Problem/### Solution prompt, ```python blocks, output capped at 200, filtered traceback, 5 s, restart without code, prune answers without executed code, integer mod 1000, first-seen ties.",
    };

    /// <summary>ToRA / Qwen2.5-Math evaluation: output fenced on its own lines, 400-character cap, last traceback line.</summary>
    public static readonly Preset ToRA = new()
    {
        Name = "ToRA",
        Description = "ToRA / Qwen2.5-Math TIR: the output block as \\n```output\\n{out}\\n```\\n, cap 400 as first 200 + ... + last 200, last traceback line, answers accepted without code.",
        PromptTemplate = "Question: {problem}\n\nSolution:\n",
        // ToRA stops at "```output", drops it and appends "\n```output\n{out}\n```\n" after the model's "```\n".
        // Keeping the stop string and appending the rest gives the same transcript without re-sending it.
        StopString = "```output",
        OutputFormat = "\n{output}\n```\n",
        OutputCap = 400,
        Truncation = OutputTruncation.HeadAndTail,
        TruncationMarker = "...",
        ErrorFormat = ErrorFormat.LastLine,
        ExecutorHeader = "",
        AutoPrint = AutoPrint.None,
        RestartWithoutCode = false,
        PruneAnswerWithoutOutput = false,
        RestartWhenUnfinished = false,
    };

    /// <summary>NemoSkills (AIMO-2 winner): &lt;tool_call&gt; fences, cap 200, 2 s, at most 6 code calls.</summary>
    public static readonly Preset NemoSkills = new()
    {
        Name = "NemoSkills",
        Description = "NemoSkills (AIMO-2 winner): <tool_call> code fences, output fenced as ```output, cap 200, plain traceback, 2 s timeout, at most 6 code calls, notebook-style value of the last expression.",
        PromptTemplate = "Solve the following math problem, using Python code where it helps. Put the final answer inside \\boxed{}.\n\n{problem}\n\n",
        CodeOpen = "<tool_call>",
        CodeClose = "</tool_call>",
        StopString = "</tool_call>",
        OutputFormat = "\n```output\n{output}\n```\n",
        OutputCap = 200,
        ErrorFormat = ErrorFormat.FullTraceback,
        ExecutorHeader = "",
        AutoPrint = AutoPrint.TrailingExpression,
        TimeoutSeconds = 2,
        MaxCodeExecutions = 6,
        RestartWithoutCode = false,
        PruneAnswerWithoutOutput = false,
        RestartWhenUnfinished = false,
    };

    public static IReadOnlyList<Preset> All { get; } = [Numina, ToRA, NemoSkills];
}
