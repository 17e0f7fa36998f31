using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Markdig;

namespace Numina.Workbench.Rendering;

/// <summary>
/// Model text and problems as HTML: Markdown (Markdig, raw HTML disabled — the text is untrusted) with math spans that
/// the page's script typesets with KaTeX. LLM-style <c>\( … \)</c> and <c>\[ … \]</c> are mapped to dollars first,
/// because Markdig would eat their backslashes.
/// </summary>
public static partial class Markdown
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UseMathematics().UseEmphasisExtras().DisableHtml().Build();
    private static readonly ConcurrentDictionary<string, string> Cache = new();

    public static string ToHtml(string markdown)
    {
        if (Cache.TryGetValue(markdown, out var html)) return html;
        html = Markdig.Markdown.ToHtml(MapDelimiters(markdown), Pipeline);
        if (Cache.Count > 20_000) Cache.Clear(); // finished paragraphs repeat across renders; a bound keeps memory flat
        Cache[markdown] = html;
        return html;
    }

    public static string MapDelimiters(string text)
    {
        text = DisplayMath().Replace(text, m => $"\n$$\n{m.Groups[1].Value.Trim()}\n$$\n");
        return InlineMath().Replace(text, m => $"${m.Groups[1].Value.Trim()}$");
    }

    /// <summary>
    /// Tail rendering: the finished paragraphs of text still being written as Markdown, the paragraph being written as
    /// plain text (re-parsing everything per token is what makes a page fall behind).
    /// </summary>
    public static (string Html, string Tail) SplitTail(string text, bool complete)
    {
        if (complete) return (ToHtml(text), "");
        int cut = text.LastIndexOf("\n\n", StringComparison.Ordinal);
        return cut < 0 ? ("", text) : (ToHtml(text[..cut]), text[(cut + 2)..]);
    }

    [GeneratedRegex(@"\\\[(.+?)\\\]", RegexOptions.Singleline)]
    private static partial Regex DisplayMath();

    [GeneratedRegex(@"\\\((.+?)\\\)", RegexOptions.Singleline)]
    private static partial Regex InlineMath();
}

/// <summary>Small text helpers the pages share.</summary>
public static class DisplayText
{
    /// <summary>An appended tool output ("...\n```") without its closing fence, which the page does not need.</summary>
    public static string OutputBody(string appended) =>
        appended.EndsWith("\n```", StringComparison.Ordinal) ? appended[..^4] : appended.TrimEnd('`');

    /// <summary>At most <paramref name="max"/> characters, with an ellipsis when cut.</summary>
    public static string Shorten(string text, int max = 80) => text.Length <= max ? text : text[..(max - 3)] + "…";
}

/// <summary>A part of what the model wrote in a round: prose or a code block (fences included).</summary>
public sealed record ModelPart(bool IsCode, string Text, bool Complete)
{
    /// <summary>The code without its fences.</summary>
    public string Code(string open = "```python", string close = "```")
    {
        var body = Text.StartsWith(open, StringComparison.Ordinal) ? Text[open.Length..] : Text;
        if (body.EndsWith(close, StringComparison.Ordinal)) body = body[..^close.Length];
        return body.Trim('\n');
    }

    public static IReadOnlyList<ModelPart> Split(string text, bool complete, string open = "```python", string close = "```")
    {
        var parts = new List<ModelPart>();
        int at = 0;
        while (at < text.Length)
        {
            int start = text.IndexOf(open, at, StringComparison.Ordinal);
            if (start < 0) { parts.Add(new ModelPart(false, text[at..], complete)); break; }
            if (start > at) parts.Add(new ModelPart(false, text[at..start], true));
            int end = text.IndexOf(close, start + open.Length, StringComparison.Ordinal);
            if (end < 0) { parts.Add(new ModelPart(true, text[start..], complete)); break; }
            parts.Add(new ModelPart(true, text[start..(end + close.Length)], true));
            at = end + close.Length;
        }
        return parts;
    }
}

/// <summary>Python source as HTML with spans for keywords, builtins, strings, numbers and comments.</summary>
public static partial class PythonHighlighter
{
    private static readonly HashSet<string> Keywords =
    [
        "and", "as", "assert", "break", "class", "continue", "def", "del", "elif", "else", "except", "False", "finally", "for", "from",
        "global", "if", "import", "in", "is", "lambda", "None", "nonlocal", "not", "or", "pass", "raise", "return", "True", "try",
        "while", "with", "yield",
    ];

    private static readonly HashSet<string> Builtins =
        ["print", "range", "len", "sum", "min", "max", "abs", "int", "float", "str", "list", "dict", "set", "tuple", "round", "pow", "sorted", "enumerate", "zip", "map"];

    public static string ToHtml(string code)
    {
        var sb = new StringBuilder();
        foreach (Match m in Token().Matches(code))
        {
            var text = WebUtility.HtmlEncode(m.Value);
            string? css = m.Groups["comment"].Success ? "py-comment"
                : m.Groups["string"].Success ? "py-string"
                : m.Groups["number"].Success ? "py-number"
                : m.Groups["word"].Success ? (Keywords.Contains(m.Value) ? "py-keyword" : Builtins.Contains(m.Value) ? "py-builtin" : null)
                : null;
            sb.Append(css is null ? text : $"<span class=\"{css}\">{text}</span>");
        }
        return sb.ToString();
    }

    [GeneratedRegex("""(?<comment>#[^\n]*)|(?<string>'''[\s\S]*?(?:'''|$)|\"\"\"[\s\S]*?(?:\"\"\"|$)|'(?:\\.|[^'\\\n])*'?|"(?:\\.|[^"\\\n])*"?)|(?<number>\b\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b)|(?<word>[A-Za-z_]\w*)|(?<other>[\s\S])""")]
    private static partial Regex Token();
}
