using Numina.Engine.Models;
using Numina.Engine.Presets;

namespace Numina.Engine.Prompts;

/// <summary>A rendered prompt and how it was rendered (for the run record).</summary>
public sealed record RenderedPrompt(PromptText Prompt, string How);

/// <summary>
/// Builds a run's prompt from its preset and problem. A text preset's template surrounds the problem; a chat preset's
/// messages go through a chat template. Either way the result keeps the template's own text apart from the content
/// (problem, system prompt), so that special tokens are recognized only where the template wrote them.
///
/// A model's chat template is rendered by llama.cpp with a placeholder in place of each message's content; the
/// placeholders are then found in the output and the real contents put in their place as content parts. A template
/// that alters or repeats its messages' contents cannot be split this way and is refused.
/// </summary>
public static class PromptRenderer
{
    public static RenderedPrompt Render(Preset preset, string problem, ILanguageModel model)
    {
        if (preset.Chat is not { } chat) return new RenderedPrompt(Text(preset.PromptTemplate, problem), "text");

        var messages = new List<ChatMessage>();
        if (chat.System is { } system) messages.Add(new ChatMessage("system", Fill(system, preset, problem)));
        messages.Add(new ChatMessage("user", Fill(chat.User, preset, problem)));

        if (chat.Template == ChatPrompt.PresetTurns) return new RenderedPrompt(FromTurns(TurnsOf(preset), messages), "chat: the preset's turns");
        try
        {
            var how = chat.Template is null ? "chat: the model's template (llama.cpp)" : $"chat: llama.cpp template '{chat.Template}'";
            return new RenderedPrompt(FromTemplate(model, chat.Template, messages), how);
        }
        catch (ChatTemplateException) when (chat.Template is null && chat.Turns is not null)
        {
            return new RenderedPrompt(FromTurns(chat.Turns, messages), "chat: the preset's turns (the model has no chat template llama.cpp knows)");
        }
    }

    private static ChatTurns TurnsOf(Preset preset) =>
        preset.Chat?.Turns ?? throw new ChatTemplateException($"Preset '{preset.Name}' asks for its own chat turns but spells none out.");

    /// <summary>"{problem}" and "{max_code_calls}" in a preset's message text.</summary>
    public static string Fill(string text, Preset preset, string problem) => text
        .Replace("{max_code_calls}", (preset.MaxCodeExecutions ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("{problem}", problem, StringComparison.Ordinal);

    private static PromptText Text(string template, string problem)
    {
        var parts = new List<PromptPart>();
        var pieces = template.Split("{problem}");
        for (int i = 0; i < pieces.Length; i++)
        {
            if (i > 0) parts.Add(new PromptPart(problem, IsTemplate: false));
            if (pieces[i].Length > 0) parts.Add(new PromptPart(pieces[i], IsTemplate: true));
        }
        return new PromptText(parts);
    }

    private static PromptText FromTurns(ChatTurns turns, IReadOnlyList<ChatMessage> messages)
    {
        var parts = new List<PromptPart>();
        foreach (var m in messages)
        {
            var turn = m.Role == "system" ? turns.System : turns.User;
            var (before, after) = Around(turn);
            parts.Add(new PromptPart(before, true));
            parts.Add(new PromptPart(m.Content, false));
            parts.Add(new PromptPart(after, true));
        }
        parts.Add(new PromptPart(turns.Assistant, true));
        return new PromptText(parts.Where(p => p.Text.Length > 0).ToList());
    }

    private static (string Before, string After) Around(string turn)
    {
        int at = turn.IndexOf("{content}", StringComparison.Ordinal);
        return (turn[..at], turn[(at + "{content}".Length)..]);
    }

    private static PromptText FromTemplate(ILanguageModel model, string? template, IReadOnlyList<ChatMessage> messages)
    {
        var placeholders = messages.Select((_, i) => $"\u0002numina-content-{i}\u0003").ToList();
        var rendered = model.ApplyChatTemplate(messages.Select((m, i) => m with { Content = placeholders[i] }).ToList(), template);
        var parts = new List<PromptPart>();
        int from = 0;
        for (int i = 0; i < messages.Count; i++)
        {
            int at = rendered.IndexOf(placeholders[i], from, StringComparison.Ordinal);
            if (at < 0 || rendered.IndexOf(placeholders[i], at + 1, StringComparison.Ordinal) >= 0)
                throw new ChatTemplateException("The chat template alters or repeats its messages' contents, so the problem cannot be kept apart from the template's special tokens; give the preset its own chat turns.");
            if (at > from) parts.Add(new PromptPart(rendered[from..at], true));
            parts.Add(new PromptPart(messages[i].Content, false));
            from = at + placeholders[i].Length;
        }
        if (from < rendered.Length) parts.Add(new PromptPart(rendered[from..], true));
        return new PromptText(parts);
    }
}
