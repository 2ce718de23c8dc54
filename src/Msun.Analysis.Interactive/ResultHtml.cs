using System.Globalization;
using System.Text;
using Msun.Analysis.Core.Results;
using Msun.Analysis.Core.SplitSelection;
using Msun.Analysis.Core.Statistics;
using Msun.Analysis.Reports;

namespace Msun.Analysis.Interactive;

/// <summary>
/// The HTML a notebook shows for each result record: its chart (when a chart renderer is available) followed by the
/// table of the numbers behind it, so the figure can always be checked against the values.
/// </summary>
public static class ResultHtml
{
    /// <summary>A CKA profile: one row per block, one column per probe size, each cell mean ± std over the repeats.</summary>
    public static string Profile(CkaProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return Compose("msun-profile", ResultCharts.Html(ResultFigures.Profile(profile)), ProfileTable(profile));
    }

    /// <summary>Several CKA profiles (e.g. two backbones): one chart over all of them, then each profile's table.</summary>
    public static string Profiles(IEnumerable<CkaProfile> profiles)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        var list = profiles.ToList();
        return Compose("msun-profiles",
            list.Count > 0 ? ResultCharts.Html(ResultFigures.Profiles(list)) : null,
            string.Concat(list.Select(ProfileTable)));
    }

    /// <summary>A block × block CKA grid: mean over the repeats per entry, reference blocks as rows.</summary>
    public static string Grid(CkaGridSummary grid)
    {
        ArgumentNullException.ThrowIfNull(grid);
        var table = new HtmlTable("msun-grid", $"Block × block CKA at probe {grid.Probe} px (rows: reference, columns: probe; mean over {grid.Repeats.Count} repeats)",
            ["reference \\ probe", .. grid.ColumnBlocks]);
        for (int i = 0; i < grid.RowBlocks.Count; i++)
            table.Row([grid.RowBlocks[i], .. Enumerable.Range(0, grid.ColumnBlocks.Count).Select(j => HtmlTable.Number(grid.Mean[i, j], 3))]);
        return Compose("msun-grid", ResultCharts.Html(ResultFigures.Grid(grid)), table.ToString());
    }

    /// <summary>A split recommendation: the decision, then each probe's blocks with their band and status, then warnings.</summary>
    public static string Split(SplitRecommendation recommendation)
    {
        ArgumentNullException.ThrowIfNull(recommendation);
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append("<p class=\"msun-split-decision\"><b>").Append(HtmlTable.Encode(Headline(recommendation))).Append("</b></p>");
        foreach (var p in recommendation.Probes)
        {
            var table = new HtmlTable("msun-split",
                string.Create(ci, $"Probe {p.Probe} px: τ = {p.Threshold:0.###}, contrast {p.Contrast:0.###}, split {p.Split} ({p.SplitAtMeans} at the means)"),
                ["#", "block", "mean CKA", "band", "status"]);
            foreach (var b in p.Blocks)
                table.Row([
                    b.Index.ToString(ci), b.Block, HtmlTable.Number(b.Mean, 3),
                    b.Lower == b.Upper ? "" : $"[{HtmlTable.Number(b.Lower, 3)}, {HtmlTable.Number(b.Upper, 3)}]",
                    b.Status.ToString().ToLowerInvariant() + (b.Index <= recommendation.Split && p == recommendation.Probes[0] ? " (per-scale subnet)" : ""),
                ]);
            sb.Append(table);
        }
        if (recommendation.Warnings.Count > 0)
        {
            sb.Append("<ul class=\"msun-warnings\">");
            foreach (var w in recommendation.Warnings)
                sb.Append("<li>Warning: ").Append(HtmlTable.Encode(w)).Append("</li>");
            sb.Append("</ul>");
        }
        return Compose("msun-split", ResultCharts.Html(ResultFigures.Split(recommendation)), sb.ToString());
    }

    /// <summary>Multi-scale accuracies: one row per test size, one column per model (and scoring), then the mean.</summary>
    public static string Accuracy(IEnumerable<MultiScaleAccuracy> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var list = results.ToList();
        if (list.Count == 0)
            return Compose("msun-accuracy", null, "<p>No results.</p>");
        var sizes = list.SelectMany(r => r.TestSizes).Distinct().Order().ToList();
        var table = new HtmlTable("msun-accuracy",
            $"Top-1 accuracy per test size ({HtmlTable.Count(list[0].Images)} images, reference {list[0].ReferenceSize} px)",
            ["test size", .. list.Select(Label)]);
        foreach (int size in sizes)
            table.Row([size.ToString(CultureInfo.InvariantCulture), .. list.Select(r => r.TestSizes.Contains(size) ? HtmlTable.Percent(r.AccuracyAt(size)) : "")]);
        table.Row(["mean", .. list.Select(r => HtmlTable.Percent(r.MeanAccuracy))]);
        return Compose("msun-accuracy", ResultCharts.Html(ResultFigures.Accuracy(list)), table.ToString());
    }

    /// <summary>A MAC table: parameters and multiply–accumulates per image for each model, test size and branch.</summary>
    public static string Macs(MacTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var html = new HtmlTable("msun-macs", "Cost per image", ["model", "test size", "branch", "input size", "parameters", "MACs", "GMACs"]);
        foreach (var r in table.Rows)
            html.Row([r.Model, r.TestSize.ToString(CultureInfo.InvariantCulture), r.Branch, r.InputSize.ToString(CultureInfo.InvariantCulture),
                HtmlTable.Count(r.Parameters), HtmlTable.Count(r.Macs), HtmlTable.Number(r.GigaMacs, 4)]);
        return Compose("msun-macs", ResultCharts.Html(ResultFigures.Macs(table)), html.ToString());
    }

    /// <summary>The one-line decision, as <see cref="SplitRecommendation.Explain"/> words it.</summary>
    private static string Headline(SplitRecommendation r) => r.Explain().Split('\n')[0];

    private static string Label(MultiScaleAccuracy r) =>
        r.Scoring == MultiScaleScoring.Routed ? r.Model : $"{r.Model} ({r.Scoring})";

    private static string ProfileTable(CkaProfile profile)
    {
        var p = profile.Provenance;
        string caption = string.Join(", ", new[]
        {
            p.TryGetValue("model", out var model) ? model : null,
            p.TryGetValue("estimator", out var est) ? est + " CKA" : "CKA",
            p.TryGetValue("reference_size", out var reference) ? $"reference {reference} px" : null,
            p.TryGetValue("repeats", out var repeats) ? $"mean ± std over {repeats} subsets" : null,
            p.TryGetValue("examples_per_repeat", out var n) ? $"of {n} images" : null,
        }.Where(s => s is not null));
        var table = new HtmlTable("msun-profile", caption, ["#", "block", .. profile.Probes.Select(x => $"probe {x} px")]);
        foreach (var b in profile.Blocks)
            table.Row([b.Index.ToString(CultureInfo.InvariantCulture), b.Name, .. profile.Probes.Select(x => Cell(profile.Cell(b.Name, x).Summary))]);
        return table.ToString();
    }

    private static string Cell(SampleSummary s) =>
        s.UndefinedReason is not null ? "undefined"
        : double.IsNaN(s.StandardDeviation) ? HtmlTable.Number(s.Mean)
        : $"{HtmlTable.Number(s.Mean)} ± {HtmlTable.Number(s.StandardDeviation)}";

    // Scoped to our tables; front ends that style tables themselves mostly agree with it.
    private const string TableStyle =
        "<style>.msun-table{border-collapse:collapse;margin:.5em 0}.msun-table caption{text-align:left;font-weight:600}"
        + ".msun-table th,.msun-table td{border:1px solid #ccc;padding:.15em .5em;text-align:right}"
        + ".msun-table td:nth-child(-n+2),.msun-table th:nth-child(-n+2){text-align:left}</style>";

    private static string Compose(string cssClass, string? chart, string tables)
    {
        var sb = new StringBuilder(TableStyle).Append("<div class=\"msun-result ").Append(cssClass).Append("\">");
        if (chart is not null)
            sb.Append("<div class=\"msun-chart\">").Append(chart).Append("</div>");
        return sb.Append(tables).Append("</div>").ToString();
    }
}
