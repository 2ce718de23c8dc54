using System.Globalization;
using System.Text;

namespace Msun.Analysis.Reports;

/// <summary>
/// The toolkit's one HTML table renderer, shared by the HTML report (<see cref="HtmlReport.Table"/>) and the
/// notebook formatters: escaped text cells, an optional caption, invariant-culture number helpers.
/// </summary>
public sealed class HtmlTable
{
    private readonly StringBuilder _html = new();
    private readonly string _caption;
    private readonly int _columns;

    /// <summary>Starts a table with a CSS class (may be empty), a caption (may be empty) and its header row.</summary>
    public HtmlTable(string cssClass, string caption, IEnumerable<string> header)
    {
        ArgumentNullException.ThrowIfNull(cssClass);
        ArgumentNullException.ThrowIfNull(caption);
        ArgumentNullException.ThrowIfNull(header);
        _caption = caption;
        _html.Append("<table class=\"msun-table");
        if (cssClass.Length > 0) _html.Append(' ').Append(Encode(cssClass));
        _html.Append("\">");
        if (caption.Length > 0)
            _html.Append("<caption>").Append(Encode(caption)).Append("</caption>");
        _html.Append("<thead><tr>");
        foreach (var h in header)
        {
            _html.Append("<th>").Append(Encode(h)).Append("</th>");
            _columns++;
        }
        _html.Append("</tr></thead><tbody>");
    }

    /// <summary>Adds a row of plain-text cells, one per header column.</summary>
    /// <exception cref="ArgumentException">A row with another number of cells than the header.</exception>
    public HtmlTable Row(IEnumerable<string> cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        var row = cells.ToArray();
        if (row.Length != _columns)
            throw new ArgumentException($"table '{_caption}': a row has {row.Length} cells; the header has {_columns}.", nameof(cells));
        _html.Append("<tr>");
        foreach (var c in row)
            _html.Append("<td>").Append(Encode(c)).Append("</td>");
        _html.Append("</tr>");
        return this;
    }

    /// <summary>The finished table.</summary>
    public override string ToString() => _html.ToString() + "</tbody></table>";

    /// <summary>HTML-escapes text: the five markup characters only (<see cref="HtmlReport.Encode"/>), so "±" stays readable.</summary>
    public static string Encode(string text) => HtmlReport.Encode(text);

    /// <summary>A number with fixed decimals; "undefined" for NaN.</summary>
    public static string Number(double value, int decimals = 4) =>
        double.IsNaN(value) ? "undefined" : value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>A count with thousands separators.</summary>
    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A fraction as a percentage with two decimals; "undefined" for NaN.</summary>
    public static string Percent(double fraction) =>
        double.IsNaN(fraction) ? "undefined" : (fraction * 100).ToString("F2", CultureInfo.InvariantCulture) + " %";
}
