using System.Text.RegularExpressions;

namespace Numina.Trainer.Data;

/// <summary>How a solution's code is laid out: numbers bound to names first (as crafted), the same bindings in
/// reverse order, or the numbers written straight into the expression.</summary>
public enum CodeLayout { Bound, Reversed, Inline }

/// <summary>
/// Several equally valid ways to write the same code. Why: a tiny model's copy errors are tied to the context it
/// copies in; when each sample may take another layout, its errors stop repeating across samples, which is what
/// lets a majority vote beat the single greedy path (self-consistency's premise: many paths, one right answer).
/// </summary>
public static partial class CodeLayouts
{
    public static CodeLayout Pick(Random r) => (CodeLayout)r.Next(3);

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
        foreach (var binding in bindings)
        {
            var m = Binding().Match(binding);
            var name = new Regex($@"\b{Regex.Escape(m.Groups[1].Value)}\b");
            for (int i = 0; i < rest.Length; i++) rest[i] = name.Replace(rest[i], m.Groups[2].Value);
        }
        return string.Join('\n', rest);
    }

    [GeneratedRegex(@"^([A-Za-z_]\w*) = (-?\d+)$")]
    private static partial Regex Binding();
}
