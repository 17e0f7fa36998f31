namespace Numina.Engine.Prompts;

/// <summary>
/// A preset's prompt as chat messages — an optional system message, the user's message, then the assistant's turn that
/// the model continues — rendered through a chat template (see <see cref="PromptRenderer"/>). In <see cref="System"/>
/// and <see cref="User"/>, "{problem}" is the problem text and "{max_code_calls}" the preset's code-call budget.
/// </summary>
public sealed record ChatPrompt
{
    /// <summary>The system message; null for none.</summary>
    public string? System { get; init; }
    public string User { get; init; } = "{problem}";

    /// <summary>
    /// Which chat template renders the messages: null for the model's own (<c>tokenizer.chat_template</c>, through
    /// llama.cpp's template support, falling back to <see cref="Turns"/> when the model has none llama.cpp knows);
    /// <see cref="PresetTurns"/> for <see cref="Turns"/> always; or the name of a template llama.cpp knows
    /// ("chatml", "llama2", "mistral-v1", "deepseek", ...).
    /// </summary>
    public string? Template { get; init; }

    /// <summary>The chat format spelled out, for models whose template llama.cpp does not know.</summary>
    public ChatTurns? Turns { get; init; } = ChatTurns.ChatMl;

    public const string PresetTurns = "preset";
}

/// <summary>
/// A chat format spelled out: each turn's text around its content ("{content}"). Special tokens written here
/// (<c>&lt;|im_start|&gt;</c>, <c>&lt;s&gt;</c>) become special tokens; the content never does.
/// </summary>
public sealed record ChatTurns
{
    public string System { get; init; } = "";
    public string User { get; init; } = "";
    /// <summary>The opening of the assistant's turn: the prompt ends here and the model continues.</summary>
    public string Assistant { get; init; } = "";

    /// <summary>ChatML (Qwen, OpenMath-Nemotron, DeepSeek-R1-Distill-Qwen). A new instance each time: configuration binds into it.</summary>
    public static ChatTurns ChatMl => new()
    {
        System = "<|im_start|>system\n{content}<|im_end|>\n",
        User = "<|im_start|>user\n{content}<|im_end|>\n",
        Assistant = "<|im_start|>assistant\n",
    };

    public IReadOnlyList<string> Check(string preset)
    {
        var problems = new List<string>();
        if (!System.Contains("{content}", StringComparison.Ordinal) && System.Length > 0)
            problems.Add($"Preset '{preset}': the chat format's system turn must contain {{content}}.");
        if (!User.Contains("{content}", StringComparison.Ordinal))
            problems.Add($"Preset '{preset}': the chat format's user turn must contain {{content}}.");
        return problems;
    }
}
