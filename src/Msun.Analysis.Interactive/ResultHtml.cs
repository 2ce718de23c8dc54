using System.Text;
using Msun.Analysis.Core.Results;
using Msun.Analysis.Core.SplitSelection;
using Msun.Analysis.Core.Tables;
using Msun.Analysis.Reports;

namespace Msun.Analysis.Interactive;

/// <summary>
/// The HTML a notebook shows for each result record: its chart (when a chart renderer is available) followed by the
/// table of the numbers behind it, so the figure can always be checked against the values.
/// </summary>
public static class ResultHtml
{
    /// <summary>A CKA profile: its chart, then its table (<see cref="ResultTables.Profile"/>) and permutation null when computed.</summary>
    public static string Profile(CkaProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return Compose("msun-profile", ResultCharts.Html(ResultFigures.Profile(profile)), ProfileTables(profile));
    }

    /// <summary>Several CKA profiles (e.g. two backbones): one chart over all of them, then each profile's table.</summary>
    public static string Profiles(IEnumerable<CkaProfile> profiles)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        var list = profiles.ToList();
        return Compose("msun-profiles",
            list.Count > 0 ? ResultCharts.Html(ResultFigures.Profiles(list)) : null,
            string.Concat(list.Select(ProfileTables)));
    }

    /// <summary>A block × block CKA grid: its heatmap and the mean matrix (<see cref="ResultTables.Grid"/>).</summary>
    public static string Grid(CkaGridSummary grid)
    {
        ArgumentNullException.ThrowIfNull(grid);
        return Compose("msun-grid", ResultCharts.Html(ResultFigures.Grid(grid)), HtmlTable.Render(ResultTables.Grid(grid), "msun-grid"));
    }

    /// <summary>A split recommendation: the decision, then each probe's blocks with their band and status (<see cref="ResultTables.Split"/>), then warnings.</summary>
    public static string Split(SplitRecommendation recommendation)
    {
        ArgumentNullException.ThrowIfNull(recommendation);
        var sb = new StringBuilder();
        sb.Append("<p class=\"msun-split-decision\"><b>").Append(HtmlTable.Encode(Headline(recommendation))).Append("</b></p>");
        foreach (var table in ResultTables.Split(recommendation))
            sb.Append(HtmlTable.Render(table, "msun-split"));
        if (recommendation.Warnings.Count > 0)
        {
            sb.Append("<ul class=\"msun-warnings\">");
            foreach (var w in recommendation.Warnings)
                sb.Append("<li>Warning: ").Append(HtmlTable.Encode(w)).Append("</li>");
            sb.Append("</ul>");
        }
        return Compose("msun-split", ResultCharts.Html(ResultFigures.Split(recommendation)), sb.ToString());
    }

    /// <summary>Multi-scale accuracies: the accuracy chart, then one row per model and scoring (<see cref="ResultTables.Accuracy"/>).</summary>
    public static string Accuracy(IEnumerable<MultiScaleAccuracy> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var list = results.ToList();
        if (list.Count == 0)
            return Compose("msun-accuracy", null, "<p>No results.</p>");
        return Compose("msun-accuracy", ResultCharts.Html(ResultFigures.Accuracy(list)), HtmlTable.Render(ResultTables.Accuracy(list), "msun-accuracy"));
    }

    /// <summary>A MAC table: its chart and every row (<see cref="ResultTables.Macs"/>).</summary>
    public static string Macs(MacTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        return Compose("msun-macs", ResultCharts.Html(ResultFigures.Macs(table)), HtmlTable.Render(ResultTables.Macs(table), "msun-macs"));
    }

    /// <summary>The one-line decision, as <see cref="SplitRecommendation.Explain"/> words it.</summary>
    private static string Headline(SplitRecommendation r) => r.Explain().Split('\n')[0];

    private static string ProfileTables(CkaProfile profile) =>
        HtmlTable.Render(ResultTables.Profile(profile), "msun-profile")
        + (ResultTables.ProfileNull(profile) is { } nullTable ? HtmlTable.Render(nullTable, "msun-profile-null") : "");

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
