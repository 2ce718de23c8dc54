using System.Globalization;
using System.Net;
using System.Text;

namespace Msun.Analysis.Interactive;

/// <summary>Builds the small HTML tables the formatters show: escaped text, invariant-culture numbers.</summary>
internal sealed class HtmlTable
{
    private readonly StringBuilder _html = new();

    /// <summary>Starts a table with a caption (may be empty) and its header row.</summary>
    public HtmlTable(string cssClass, string caption, IEnumerable<string> header)
    {
        _html.Append("<table class=\"msun-table ").Append(Encode(cssClass)).Append("\">");
        if (caption.Length > 0)
            _html.Append("<caption>").Append(Encode(caption)).Append("</caption>");
        _html.Append("<thead><tr>");
        foreach (var h in header)
            _html.Append("<th>").Append(Encode(h)).Append("</th>");
        _html.Append("</tr></thead><tbody>");
    }

    /// <summary>Appends a row of already-formatted cells (escaped here).</summary>
    public HtmlTable Row(IEnumerable<string> cells)
    {
        _html.Append("<tr>");
        foreach (var c in cells)
            _html.Append("<td>").Append(Encode(c)).Append("</td>");
        _html.Append("</tr>");
        return this;
    }

    /// <summary>The finished table.</summary>
    public override string ToString() => _html.ToString() + "</tbody></table>";

    /// <summary>HTML-escapes text.</summary>
    public static string Encode(string text) => WebUtility.HtmlEncode(text);

    /// <summary>A number with a fixed number of decimals, or "undefined" for NaN (never a silent 0).</summary>
    public static string Number(double value, int decimals = 4) =>
        double.IsNaN(value) ? "undefined" : value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>An integer with thousands separators.</summary>
    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A fraction as a percentage with two decimals.</summary>
    public static string Percent(double fraction) =>
        double.IsNaN(fraction) ? "undefined" : (fraction * 100).ToString("F2", CultureInfo.InvariantCulture) + " %";
}
