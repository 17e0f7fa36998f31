using Numina.Engine.Answers;
using Numina.Engine.Policies;
using Numina.Engine.Prompts;
using Numina.Engine.Settings;

namespace Numina.Engine.Presets;

/// <summary>
/// The published systems, as data, each with the model it is for and the decoding its authors ran. Numina is the
/// reference row (spec: shared/spec/sc-tir.md); the others differ only in the fields they set. Sources are named in
/// each description.
/// </summary>
public static class BuiltInPresets
{
    /// <summary>NuminaMath-7B-TIR at AIMO-1, exactly (the defaults of <see cref="Preset"/> are Numina's).</summary>
    public static readonly Preset Numina = new()
    {
        Name = "Numina",
        Description = "For NuminaMath-7B-TIR (DeepSeek vocabulary, BOS added). The AIMO-1 winner's SC-TIR, after the team's Kaggle notebook (shared/spec/sc-tir.md): " +
            "text prompt \"### Problem: {problem}\\n### Solution: \" (also the model's own chat template), ```python blocks, output capped at 200, filtered traceback, 5 s, " +
            "restart without code, prune answers without executed code, integer mod 1000, first-seen ties; N 48, M 4, T 0.8, 2048 tokens per round, 4096-token context.",
        Defaults = new DecodingDefaults { Width = 48, Depth = 4, Temperature = 0.8, TopP = 1.0, MaxNewTokensPerRound = 2048, ContextSize = 4096 },
    };

    /// <summary>ToRA (Llama-2 / CodeLlama based): its own training prompt format, greedy, 4 tool calls.</summary>
    public static readonly Preset ToRA = new()
    {
        Name = "ToRA",
        Description = "For ToRA-7B/13B/70B and ToRA-Code (Llama-2 / CodeLlama SentencePiece vocabulary, BOS added). microsoft/ToRA src/infer/inference.py with its " +
            "training prompt format \"<|user|>\\n{question}\\n<|assistant|>\\n\" (utils.construct_prompt): stop at ```output, 1024 tokens per call, 4 calls, greedy; " +
            "output as \\n```output\\n{out}\\n```\\n cut to 100 characters as first 50 + ... + last 50, the last traceback line; 4096-token context. Answers without code count.",
        PromptTemplate = "<|user|>\n{problem}\n<|assistant|>\n",
        // ToRA stops at "```output", drops it and appends "\n```output\n{out}\n```\n" after the model's "```\n".
        // Keeping the stop string and appending the rest gives the same transcript without re-sending it.
        StopString = "```output",
        OutputFormat = "\n{output}\n```\n",
        OutputCap = 100,
        Truncation = OutputTruncation.HeadAndTail,
        TruncationMarker = "...",
        ErrorFormat = ErrorFormat.LastLine,
        TimeoutMessage = "Timeout Error",
        ExecutorHeader = "",
        AutoPrint = AutoPrint.None,
        RestartWithoutCode = false,
        PruneAnswerWithoutOutput = false,
        RestartWhenUnfinished = false,
        Normalizer = AnswerNormalization.Minerva,
        Defaults = new DecodingDefaults { Width = 1, Depth = 4, Temperature = 0, TopP = 1.0, MaxNewTokensPerRound = 1024, ContextSize = 4096 },
    };

    /// <summary>Qwen2.5-Math-Instruct's tool-integrated reasoning: ToRA's protocol (its evaluation code descends from ToRA's), ChatML with its TIR system prompt.</summary>
    public static readonly Preset QwenMath = ToRA with
    {
        Name = "Qwen2.5-Math-TIR",
        Description = "For Qwen2.5-Math-7B/72B-Instruct (Qwen2 vocabulary, ChatML, no BOS). Its tool-integrated reasoning as published: system prompt " +
            "\"Please integrate natural language reasoning with programs to solve the problem above, and put your final answer within \\boxed{}.\" (model card); " +
            "QwenLM/Qwen2.5-Math evaluation (math_eval.py: stop at ```output, 2048 tokens per call, 4 calls; python_executor.py: output as \\n```output\\n{out}\\n```\\n, " +
            "cut to 400 characters as first 200 + ... + last 200, the last traceback line, a trailing expression's value shown, 5 s, \"Timeout Error\"); " +
            "N 8, M 4, T 0.7, 4096-token context. Answers without code count.",
        PromptTemplate = "{problem}",
        Chat = new ChatPrompt
        {
            System = "Please integrate natural language reasoning with programs to solve the problem above, and put your final answer within \\boxed{}.",
            User = "{problem}",
        },
        OutputCap = 400,
        AutoPrint = AutoPrint.TrailingExpression,
        Defaults = new DecodingDefaults { Width = 8, Depth = 4, Temperature = 0.7, TopP = 1.0, MaxNewTokensPerRound = 2048, ContextSize = 4096 },
    };

    /// <summary>NemoSkills / OpenMath-Nemotron TIR (AIMO-2 winner): ChatML, no system, &lt;tool_call&gt; fences, 8 code calls.</summary>
    public static readonly Preset NemoSkills = new()
    {
        Name = "NemoSkills",
        Description = "For OpenMath-Nemotron-1.5B/7B/14B/32B (Qwen2 vocabulary, ChatML). NVIDIA/NeMo-Skills prompt generic/math-tir.yaml (no system message; user " +
            "\"Solve the following math problem, integrating natural language reasoning with Python code executions. You may perform up to 8 Python code calls...\") " +
            "and code tags openmath.yaml (<tool_call> ... </tool_call>, output fenced as ```output); the whole traceback, a trailing expression's value shown, " +
            "2 s per call (the AIMO-2 submission); T 0.6, top_p 0.95, a 32,768-token solution; N 16, M 9 (8 calls and the answer). " +
            "llama.cpp's ChatML does not add the default system message a Qwen2.5 Jinja template adds when none is given.",
        PromptTemplate = "{problem}",
        Chat = new ChatPrompt
        {
            User = "Solve the following math problem, integrating natural language reasoning with Python code executions. You may perform up to {max_code_calls} Python code calls to assist your reasoning. Make sure to put the answer (and only answer) inside \\boxed{}.\n{problem}",
        },
        CodeOpen = "<tool_call>",
        CodeClose = "</tool_call>",
        StopString = "</tool_call>",
        OutputFormat = "\n```output\n{output}\n```\n",
        OutputCap = 200,
        ErrorFormat = ErrorFormat.FullTraceback,
        ExecutorHeader = "",
        AutoPrint = AutoPrint.TrailingExpression,
        TimeoutSeconds = 2,
        MaxCodeExecutions = 8,
        RestartWithoutCode = false,
        PruneAnswerWithoutOutput = false,
        RestartWhenUnfinished = false,
        Normalizer = AnswerNormalization.Minerva,
        Defaults = new DecodingDefaults { Width = 16, Depth = 9, Temperature = 0.6, TopP = 0.95, MaxNewTokensPerRound = 32768, ContextSize = 34816 },
        // Their TIR models were trained and evaluated with the hint (add_remaining_code_executions); the AIMO-2
        // submission cancelled the rest once the first answers agreed (spec: 4-5 of 16).
        Policies = new RunPolicies { RemainingCallsHint = true, StopWhenFirstAgree = 4 },
    };

    public static IReadOnlyList<Preset> All { get; } = [Numina, QwenMath, ToRA, NemoSkills];
}
