using System.Text;
using Msun.Analysis.Core.IO;
using Msun.Analysis.Core.Tables;

namespace Msun.Analysis.Reports;

/// <summary>
/// One self-contained HTML page: plotly.js embedded once in the head, then headings, paragraphs, figures (a div and a
/// script each), tables and provenance lists, in the order they were added. Every text is HTML-encoded; the page loads
/// nothing from the network, so it opens offline.
/// </summary>
public sealed class HtmlReport
{
    private readonly List<string> _parts = [];
    private readonly List<Figure> _figures = [];
    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);
    private readonly List<string> _figureIds = [];

    /// <summary>Starts a page.</summary>
    /// <param name="title">The page title and top heading.</param>
    public HtmlReport(string title)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        Title = title;
    }

    /// <summary>The page title.</summary>
    public string Title { get; }

    /// <summary>The figures added, in order.</summary>
    public IReadOnlyList<Figure> Figures => _figures;

    /// <summary>The figures' ids in the page, unique (a repeated <see cref="Figure.Id"/> gets <c>-2</c>, <c>-3</c>, …); same order as <see cref="Figures"/>.</summary>
    public IReadOnlyList<string> FigureIds => _figureIds;

    /// <summary>Adds a section heading.</summary>
    public HtmlReport Heading(string text)
    {
        _parts.Add($"<h2>{Encode(text)}</h2>");
        return this;
    }

    /// <summary>Adds a paragraph of plain text (line breaks kept).</summary>
    public HtmlReport Paragraph(string text)
    {
        _parts.Add($"<p>{Encode(text).ReplaceLineEndings("<br>")}</p>");
        return this;
    }

    /// <summary>Adds preformatted text (e.g. <c>SplitRecommendation.Explain()</c>).</summary>
    public HtmlReport Preformatted(string text)
    {
        _parts.Add($"<pre>{Encode(text)}</pre>");
        return this;
    }

    /// <summary>Adds a figure: a div and the script that draws it into the div.</summary>
    public HtmlReport Add(Figure figure)
    {
        ArgumentNullException.ThrowIfNull(figure);
        string id = figure.Id;
        for (int k = 2; !_ids.Add(id); k++) id = $"{figure.Id}-{k}";
        _figures.Add(figure);
        _figureIds.Add(id);
        _parts.Add(FigureHtml(figure, "fig-" + id));
        return this;
    }

    /// <summary>Adds a table with a caption; cells are plain text.</summary>
    public HtmlReport Table(string caption, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(rows);
        var table = new HtmlTable("", caption, header);
        foreach (var row in rows) table.Row(row);
        _parts.Add(table.ToString());
        return this;
    }

    /// <summary>Adds a shared result table (<see cref="ResultTables"/>).</summary>
    public HtmlReport Table(ResultTable table)
    {
        _parts.Add(HtmlTable.Render(table));
        return this;
    }

    /// <summary>Adds a provenance list (key → value) under a caption, keys sorted.</summary>
    public HtmlReport Provenance(string caption, IReadOnlyDictionary<string, string> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var sb = new StringBuilder();
        sb.Append("<details open><summary>").Append(Encode(caption)).Append("</summary>\n<dl>\n");
        foreach (var (key, value) in entries.OrderBy(e => e.Key, StringComparer.Ordinal))
            sb.Append("<dt>").Append(Encode(key)).Append("</dt><dd>").Append(Encode(value)).Append("</dd>\n");
        sb.Append("</dl></details>");
        _parts.Add(sb.ToString());
        return this;
    }

    /// <summary>The whole page.</summary>
    public string ToHtml() => Page(Title, $"<h1>{Encode(Title)}</h1>\n" + string.Join("\n", _parts));

    /// <summary>Writes the page atomically (temporary file + rename): a failed write leaves any earlier file as it was.</summary>
    public void Save(string path) => AtomicFile.WriteText(path, w => w.Write(ToHtml()));

    /// <summary>
    /// Writes each figure into <paramref name="folder"/> (created if needed) as <c>ID.html</c> (a page of its own) when
    /// <paramref name="html"/>, and as <c>ID.png</c> when <paramref name="png"/> (see <see cref="PngExport"/>); returns the files.
    /// </summary>
    public IReadOnlyList<string> SaveFigures(string folder, bool html, bool png, string? chromium = null)
    {
        string dir = Directory.CreateDirectory(folder).FullName;
        if (png) chromium = PngExport.FindChromium(chromium);
        var written = new List<string>();
        for (int i = 0; i < _figures.Count; i++)
        {
            string stem = Path.Combine(dir, _figureIds[i]);
            if (html) { SaveStandalone(_figures[i], stem + ".html"); written.Add(stem + ".html"); }
            if (png) { PngExport.Save(_figures[i], stem + ".png", chromium); written.Add(stem + ".png"); }
        }
        return written;
    }

    /// <summary>One figure as a page of its own, plotly.js embedded.</summary>
    public static string Standalone(Figure figure)
    {
        ArgumentNullException.ThrowIfNull(figure);
        return Page(figure.Title, FigureHtml(figure, "fig-" + figure.Id));
    }

    /// <summary>Writes <see cref="Standalone"/> atomically.</summary>
    public static void SaveStandalone(Figure figure, string path) => AtomicFile.WriteText(path, w => w.Write(Standalone(figure)));

    /// <summary>HTML-encodes text for element content and attribute values: the five markup characters only, so that the
    /// UTF-8 page keeps "±" and "×" readable (WebUtility.HtmlEncode would turn them into numeric entities).</summary>
    public static string Encode(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        if (text.AsSpan().IndexOfAny("&<>\"'") < 0) return text;
        var sb = new StringBuilder(text.Length + 16);
        foreach (char c in text)
            sb.Append(c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ => c.ToString(),
            });
        return sb.ToString();
    }

    private static string FigureHtml(Figure figure, string elementId)
    {
        // Inside <script>, "</script" (or "<!--") from a label in a result file would end or confuse the element; in JSON a "<" can
        // only sit inside a string, where the escape \u003c means the same.
        string json = figure.ToFigureJson().Replace("<", "\\u003c", StringComparison.Ordinal);
        return $"<figure class=\"plot\"><div id=\"{Encode(elementId)}\" class=\"plotly-figure\" data-title=\"{Encode(figure.Title)}\"></div>\n"
            + $"<script>(function () {{ var f = {json}; Plotly.newPlot('{elementId}', f.data, f.layout, {{responsive: true, displaylogo: false}}); }})();</script></figure>";
    }

    private static string Page(string title, string body) =>
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        + $"<title>{Encode(title)}</title>\n<style>{Css}</style>\n"
        + $"<script>{PlotlyJs.Source.Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase)}</script>\n"
        + "</head>\n<body>\n" + body + "\n</body>\n</html>\n";

    private const string Css =
        "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:2em auto;max-width:1000px;color:#222;padding:0 1em}"
        + "h1{font-size:1.6em}h2{font-size:1.3em;margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}"
        + "figure.plot{margin:1em 0}table{border-collapse:collapse;margin:1em 0;font-size:.9em}"
        + "caption{text-align:left;font-weight:600;padding:.3em 0}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}"
        + "th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}"
        + "dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em;font-size:.85em}dt{font-weight:600}dd{margin:0;word-break:break-word}"
        + "pre{background:#f7f7f7;padding:.8em;white-space:pre-wrap;font-size:.85em}details{margin:.8em 0}summary{cursor:pointer;font-weight:600}";
}
