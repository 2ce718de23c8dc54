using System.Text;

namespace Msun.Analysis.Core.Tables;

/// <summary>One column of a <see cref="ResultTable"/>: its header and whether it holds labels or numbers.</summary>
/// <param name="Header">The header text.</param>
/// <param name="IsLabel">True for names (left-aligned in text); false for numbers (right-aligned).</param>
public sealed record TableColumn(string Header, bool IsLabel = false)
{
    /// <summary>A column of names.</summary>
    public static TableColumn Label(string header) => new(header, IsLabel: true);

    /// <summary>A column of numbers.</summary>
    public static TableColumn Number(string header) => new(header);
}

/// <summary>
/// The content of one result table (caption, columns, rows of already formatted cells), built once per result type by
/// <see cref="ResultTables"/> and rendered by every surface that shows it: HTML in the report and the notebooks
/// (<c>Msun.Analysis.Reports.HtmlTable.Render</c>), plain text on the command line (<see cref="ToText"/>), Markdown in
/// <c>verdict.md</c> (<see cref="ToMarkdown"/>).
/// </summary>
public sealed class ResultTable
{
    /// <summary>Creates a table.</summary>
    /// <param name="caption">What the table shows (may be empty).</param>
    /// <param name="columns">The columns, at least one.</param>
    /// <param name="rows">Rows of plain-text cells, one cell per column.</param>
    /// <exception cref="ArgumentException">No column, or a row with another number of cells than there are columns.</exception>
    public ResultTable(string caption, IReadOnlyList<TableColumn> columns, IEnumerable<IReadOnlyList<string>> rows)
    {
        ArgumentNullException.ThrowIfNull(caption);
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(rows);
        if (columns.Count == 0) throw new ArgumentException($"table '{caption}': no columns.", nameof(columns));
        var list = new List<IReadOnlyList<string>>();
        foreach (var row in rows)
        {
            ArgumentNullException.ThrowIfNull(row, nameof(rows));
            if (row.Count != columns.Count)
                throw new ArgumentException($"table '{caption}': a row has {row.Count} cells; the header has {columns.Count}.", nameof(rows));
            list.Add([.. row]);
        }

        Caption = caption;
        Columns = [.. columns];
        Rows = list;
    }

    /// <summary>What the table shows.</summary>
    public string Caption { get; }

    /// <summary>The columns.</summary>
    public IReadOnlyList<TableColumn> Columns { get; }

    /// <summary>The header texts, one per column.</summary>
    public IReadOnlyList<string> Header => Columns.Select(c => c.Header).ToArray();

    /// <summary>The rows of formatted cells.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Rows { get; }

    /// <summary>
    /// The table as plain text for a terminal: the caption (when not empty), then the header and the rows, columns two
    /// spaces apart, labels left-aligned and numbers right-aligned, no trailing spaces; lines end with '\n'.
    /// </summary>
    public string ToText()
    {
        var widths = Columns.Select((c, i) => Rows.Select(r => r[i].Length).Append(c.Header.Length).Max()).ToArray();
        var sb = new StringBuilder();
        if (Caption.Length > 0) sb.Append(Caption).Append('\n');
        foreach (var cells in Rows.Prepend(Header))
            sb.Append(string.Join("  ", cells.Select((c, i) => Columns[i].IsLabel ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))).TrimEnd()).Append('\n');
        return sb.ToString();
    }

    /// <summary>
    /// The table as Markdown (a GitHub table): the caption as a line of its own (when not empty), a blank line, then
    /// the header, the alignment row (numbers right-aligned) and the rows; a '|' inside a cell is escaped.
    /// </summary>
    public string ToMarkdown()
    {
        static string Line(IEnumerable<string> cells) => "| " + string.Join(" | ", cells.Select(c => c.Replace("|", "\\|", StringComparison.Ordinal))) + " |\n";
        var sb = new StringBuilder();
        if (Caption.Length > 0) sb.Append(Caption).Append("\n\n");
        sb.Append(Line(Header));
        sb.Append('|').Append(string.Concat(Columns.Select(c => c.IsLabel ? "---|" : "---:|"))).Append('\n');
        foreach (var row in Rows) sb.Append(Line(row));
        return sb.ToString();
    }
}
