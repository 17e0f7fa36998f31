using System.Text.RegularExpressions;

namespace Numina.Trainer.Data;

/// <summary>How a solution's code is laid out: numbers bound to names first (as crafted), the same bindings in
/// reverse order, the numbers written straight into the expression, or bound to plain names v1, v2, ….</summary>
public enum CodeLayout { Bound, Reversed, Inline, Generic }

/// <summary>
/// Several equally valid ways to write the same code. Why: a tiny model's copy errors are tied to the context it
/// copies in; when each sample may take another layout, its errors stop repeating across samples, which is what
/// lets a majority vote beat the single greedy path (self-consistency's premise: many paths, one right answer).
/// </summary>
public static partial class CodeLayouts
{
    public static CodeLayout Pick(Random r, int count) => (CodeLayout)r.Next(count);

    /// <summary>The code in the given layout; code without leading <c>name = number</c> lines comes back unchanged.</summary>
    public static string Apply(string code, CodeLayout layout)
    {
        var lines = code.Split('\n');
        int bound = 0;
        while (bound < lines.Length - 1 && Binding().IsMatch(lines[bound])) bound++;
        if (bound == 0 || layout == CodeLayout.Bound) return code;
        var bindings = lines[..bound];
        var rest = lines[bound..];
        if (layout == CodeLayout.Reversed) return string.Join('\n', bindings.Reverse().Concat(rest));
        for (int b = 0; b < bindings.Length; b++)
        {
            var m = Binding().Match(bindings[b]);
            var name = new Regex($@"\b{Regex.Escape(m.Groups[1].Value)}\b");
            var with = layout == CodeLayout.Generic ? $"v{b + 1}" : m.Groups[2].Value;
            for (int i = 0; i < rest.Length; i++) rest[i] = name.Replace(rest[i], with);
            bindings[b] = $"{with} = {m.Groups[2].Value}";
        }
        return string.Join('\n', layout == CodeLayout.Generic ? bindings.Concat(rest) : rest);
    }

    [GeneratedRegex(@"^([A-Za-z_]\w*) = (-?\d+)$")]
    private static partial Regex Binding();
}
