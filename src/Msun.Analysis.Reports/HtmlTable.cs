using System.Text;
using Msun.Analysis.Core.Tables;

namespace Msun.Analysis.Reports;

/// <summary>
/// The toolkit's one HTML table renderer, shared by the HTML report (<see cref="HtmlReport.Table(ResultTable)"/>) and the
/// notebook formatters: escaped text cells and an optional caption. What a result table holds is defined once in
/// <see cref="ResultTables"/>; <see cref="Render"/> draws it.
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

    /// <summary>A shared result table as HTML (<see cref="ResultTables"/> defines its content).</summary>
    /// <param name="table">The table.</param>
    /// <param name="cssClass">An extra CSS class (may be empty).</param>
    public static string Render(ResultTable table, string cssClass = "")
    {
        ArgumentNullException.ThrowIfNull(table);
        var html = new HtmlTable(cssClass, table.Caption, table.Header);
        foreach (var row in table.Rows) html.Row(row);
        return html.ToString();
    }
}
