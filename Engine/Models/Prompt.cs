namespace Numina.Engine.Models;

/// <summary>
/// A piece of a rendered prompt. Special tokens (<c>&lt;|im_start|&gt;</c>, <c>&lt;s&gt;</c>, ...) are recognized only in
/// the template's own parts; content (the problem, a system prompt, tool output) is always plain text, so a problem
/// that contains "&lt;|im_end|&gt;" stays those characters.
/// </summary>
public readonly record struct PromptPart(string Text, bool IsTemplate);

/// <summary>A prompt as the model will read it: template parts and content parts, in order.</summary>
public sealed record PromptText(IReadOnlyList<PromptPart> Parts)
{
    /// <summary>The whole prompt as text (what the transcript shows).</summary>
    public string Text { get; } = string.Concat(Parts.Select(p => p.Text));

    /// <summary>A prompt that is all content: no special token is recognized anywhere in it.</summary>
    public static PromptText Plain(string text) => new([new PromptPart(text, IsTemplate: false)]);

    public static implicit operator PromptText(string text) => Plain(text);

    public override string ToString() => Text;
}

/// <summary>One chat message (role "system", "user" or "assistant").</summary>
public sealed record ChatMessage(string Role, string Content);

/// <summary>The model cannot render chat messages as asked (no template, or one llama.cpp does not know).</summary>
public sealed class ChatTemplateException(string message) : Exception(message);
