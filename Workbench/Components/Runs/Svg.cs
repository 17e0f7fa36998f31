using System.Globalization;
using Microsoft.AspNetCore.Components;

namespace Numina.Workbench.Components.Runs;

/// <summary>What the server-drawn SVG charts (tree, histogram, convergence) share: numbers as attributes, and text.</summary>
public static class Svg
{
    /// <summary>A coordinate or label as SVG wants it: invariant culture, at most <paramref name="decimals"/> decimals.</summary>
    public static string Number(double value, int decimals = 1) =>
        value.ToString(decimals == 1 ? "0.#" : "0." + new string('#', decimals), CultureInfo.InvariantCulture);

    /// <summary>An SVG &lt;text&gt; element, its content encoded. Razor reserves &lt;text&gt;, so it is written as markup.</summary>
    public static MarkupString Text(double x, double y, string content, string? anchor = null, string? cssClass = null, string? transform = null, int decimals = 1) =>
        new($"<text x=\"{Number(x, decimals)}\" y=\"{Number(y, decimals)}\"" +
            (anchor is null ? "" : $" text-anchor=\"{anchor}\"") +
            (cssClass is null ? "" : $" class=\"{cssClass}\"") +
            (transform is null ? "" : $" transform=\"{transform}\"") +
            $">{System.Net.WebUtility.HtmlEncode(content)}</text>");
}
