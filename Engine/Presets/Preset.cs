using Numina.Engine.Answers;

namespace Numina.Engine.Presets;

/// <summary>How a cut output is shortened.</summary>
public enum OutputTruncation
{
    /// <summary>Keep the first <see cref="Preset.OutputCap"/> characters, then the marker (Numina).</summary>
    Head,
    /// <summary>Keep the first and last half of the cap with the marker between them (ToRA/Qwen).</summary>
    HeadAndTail,
}

/// <summary>What the model sees when its code raised an error.</summary>
public enum ErrorFormat
{
    /// <summary>Numina: "Traceback" lines, each line naming the script (path removed) and the line after it, and the last line.</summary>
    FilteredTraceback,
    /// <summary>ToRA/Qwen: the last line of the traceback only ("NameError: name 'x' is not defined").</summary>
    LastLine,
    /// <summary>NemoSkills: the whole traceback as Python printed it.</summary>
    FullTraceback,
}

/// <summary>Whether the value of a block's last line is printed for the model.</summary>
public enum AutoPrint
{
    None,
    /// <summary>Numina: a last line without "print(" is wrapped in print(...) as text (a trailing comment cut first).</summary>
    LastLine,
    /// <summary>Notebook style: the value of a trailing expression statement is shown, as IPython does.</summary>
    TrailingExpression,
}

/// <summary>How ties among equally voted answers are broken.</summary>
public enum TieRule
{
    /// <summary>Numina: the answer seen first wins (by retirement round, then candidate index).</summary>
    FirstSeen,
    /// <summary>The numerically larger answer wins (as some AIMO-2 entries did).</summary>
    Larger,
}

/// <summary>
/// A preset is data, not a code path: the prompt, the code fences, what the tool output looks like, the limits and
/// the policies of one published SC-TIR/TIR system. Built-ins are in <see cref="BuiltInPresets"/>; more come from
/// appsettings.json (<c>Engine:Presets</c>).
/// </summary>
public sealed record Preset
{
    public required string Name { get; init; }
    public string Description { get; init; } = "";

    // --- Prompt ---
    /// <summary>
    /// A text prompt: "{problem}" is replaced by the problem text (used when <see cref="Chat"/> is null). Special tokens
    /// written in the template itself are recognized; in the problem they never are.
    /// </summary>
    public string PromptTemplate { get; init; } = "### Problem: {problem}\n### Solution: ";
    /// <summary>A chat prompt (system, user, then the assistant's turn) rendered through a chat template; null for <see cref="PromptTemplate"/>.</summary>
    public Prompts.ChatPrompt? Chat { get; init; }

    // --- Decoding defaults of the system (a run takes them unless the configuration, the model entry or the researcher says otherwise) ---
    public Settings.DecodingDefaults Defaults { get; init; } = new();
    /// <summary>The decoding policies the system used (early stop, weighted votes, ...); all off for Numina.</summary>
    public Policies.RunPolicies Policies { get; init; } = new();

    // --- Code blocks and stopping ---
    public string CodeOpen { get; init; } = "```python";
    public string CodeClose { get; init; } = "```";
    /// <summary>Generation stops when this appears (kept in the text): the model asks for its code to run.</summary>
    public string StopString { get; init; } = "```output\n";
    // The stop string always stays in the transcript: the model generated it, and a backend that never re-sends the
    // transcript cannot take it back. Presets whose reference dropped it put the equivalent text into OutputFormat.

    // --- Tool output as the model sees it ---
    /// <summary>"{output}" is replaced by the (capped) result.</summary>
    public string OutputFormat { get; init; } = "{output}\n```";
    /// <summary>A result longer than this many characters is shortened (0 = never).</summary>
    public int OutputCap { get; init; } = 200;
    public OutputTruncation Truncation { get; init; } = OutputTruncation.Head;
    public string TruncationMarker { get; init; } = " ... (output truncated)";
    public ErrorFormat ErrorFormat { get; init; } = ErrorFormat.FilteredTraceback;
    /// <summary>"{seconds}" is replaced by the timeout.</summary>
    public string TimeoutMessage { get; init; } = "Timed out after {seconds} seconds.";
    /// <summary>Code containing one of these words is not run; the model sees "{word} is not allowed".</summary>
    public IReadOnlyList<string> ForbiddenWords { get; init; } = ["subprocess", "venv"];

    // --- Executor ---
    /// <summary>Prepended to every block (stateless mode) or run once when a session opens (Jupyter mode).</summary>
    public string ExecutorHeader { get; init; } = "import math\nimport numpy as np\nimport sympy as sp\n";
    public AutoPrint AutoPrint { get; init; } = AutoPrint.LastLine;
    public double TimeoutSeconds { get; init; } = 5;
    /// <summary>Most code executions per candidate attempt; null = only depth M limits them.</summary>
    public int? MaxCodeExecutions { get; init; }
    /// <summary>
    /// The remaining-code-calls hint (a policy), appended after a code output: "{remaining}" is replaced by the count.
    /// NemoSkills' words, which its models were trained on.
    /// </summary>
    public string RemainingCallsHint { get; init; } =
        "```system\nRemaining code executions: {remaining}. You will not be able to call code when you run out of executions, so use it wisely. " +
        "Note that you can still continue solving the problem without code after that.\n```\n";
    /// <summary>The hint once no execution is left.</summary>
    public string NoCallsLeftHint { get; init; } =
        "```system\nYou have run out of code executions! You can no longer write or execute code. " +
        "Now you should continue solving the problem by relying on your mathematical reasoning and analytical skills.\n```\n";

    // --- Answers ---
    /// <summary>The answer is looked for in this many last characters of the transcript.</summary>
    public int AnswerSearchWindow { get; init; } = 100;
    /// <summary>How an extracted answer is read and normalized: Numina's own rules, or Minerva's (MATH-style).</summary>
    public AnswerNormalization Normalizer { get; init; } = AnswerNormalization.Numina;
    /// <summary>Check 2's text test: an answer is accepted only if the transcript contains this (an output block).</summary>
    public string OutputMarker { get; init; } = "```output";
    public AnswerPolicy AnswerPolicy { get; init; } = AnswerPolicy.AimoInteger;
    public TieRule TieRule { get; init; } = TieRule.FirstSeen;
    /// <summary>The run's answer when no candidate gave a valid one.</summary>
    public string? FallbackAnswer { get; init; } = "0";

    // --- Restart and prune policy (the five checks) ---
    /// <summary>Check 1: a transcript with no code block restarts from the bare prompt.</summary>
    public bool RestartWithoutCode { get; init; } = true;
    /// <summary>Check 2: an answer given before any code output was appended is pruned.</summary>
    public bool PruneAnswerWithoutOutput { get; init; } = true;
    /// <summary>Check 4: a round that ends without the stop string and without an answer restarts.</summary>
    public bool RestartWhenUnfinished { get; init; } = true;

    /// <summary>The prompt's text for a text preset (a chat preset's prompt needs the model's template: <see cref="Prompts.PromptRenderer"/>).</summary>
    public string RenderPrompt(string problem) => PromptTemplate.Replace("{problem}", problem, StringComparison.Ordinal);

    public string RenderTimeoutMessage() =>
        TimeoutMessage.Replace("{seconds}", TimeoutSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

    /// <summary>Every problem with this preset, one sentence each; empty when it is usable.</summary>
    public IReadOnlyList<string> Check()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Name)) problems.Add("A preset needs a name.");
        if (Chat is null && !PromptTemplate.Contains("{problem}", StringComparison.Ordinal))
            problems.Add($"Preset '{Name}': the prompt template must contain {{problem}}.");
        if (Chat is { } chat)
        {
            if (!chat.User.Contains("{problem}", StringComparison.Ordinal))
                problems.Add($"Preset '{Name}': the chat prompt's user message must contain {{problem}}.");
            if (chat.Turns is { } turns) problems.AddRange(turns.Check(Name));
            if (chat.Template == Prompts.ChatPrompt.PresetTurns && chat.Turns is null)
                problems.Add($"Preset '{Name}': the chat template is '{Prompts.ChatPrompt.PresetTurns}' but no turns are spelled out.");
        }
        problems.AddRange(Settings.SettingsValidator.Check(Defaults.ApplyTo(new Settings.DecodingSettings())).Select(p => $"Preset '{Name}' defaults: {p}"));
        if (string.IsNullOrEmpty(CodeOpen)) problems.Add($"Preset '{Name}': the code fence opening is empty.");
        if (string.IsNullOrEmpty(CodeClose)) problems.Add($"Preset '{Name}': the code fence closing is empty.");
        if (string.IsNullOrEmpty(StopString)) problems.Add($"Preset '{Name}': the stop string is empty.");
        if (!OutputFormat.Contains("{output}", StringComparison.Ordinal))
            problems.Add($"Preset '{Name}': the output format must contain {{output}}.");
        if (OutputCap < 0) problems.Add($"Preset '{Name}': the output cap cannot be negative.");
        if (!double.IsFinite(TimeoutSeconds) || TimeoutSeconds <= 0 || TimeoutSeconds > 3600)
            problems.Add($"Preset '{Name}': the timeout must be more than 0 and at most 3600 seconds (got {TimeoutSeconds}).");
        if (AnswerSearchWindow < 1) problems.Add($"Preset '{Name}': the answer search window must be at least 1 character.");
        if (MaxCodeExecutions is < 0) problems.Add($"Preset '{Name}': max code executions cannot be negative.");
        if (!RemainingCallsHint.Contains("{remaining}", StringComparison.Ordinal))
            problems.Add($"Preset '{Name}': the remaining-code-calls hint must contain {{remaining}}.");
        problems.AddRange(Policies.Check().Select(p => $"Preset '{Name}' policies: {p}"));
        return problems;
    }
}
