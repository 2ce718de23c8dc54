using Msun.Analysis.Reports;
using GenericChart = Plotly.NET.GenericChart;

namespace Msun.Analysis.Interactive;

/// <summary>A Reports figure as a notebook output fragment.</summary>
internal static class ResultCharts
{
    private static int _plotlySent;

    /// <summary>Environment variable that makes the first chart reference plotly.js on its CDN (value <c>cdn</c>) instead of inlining it.</summary>
    public const string CdnVariable = "MSUN_PLOTLY_JS";

    /// <summary>
    /// Plotly.NET's own embedding of the chart (a div and the script that draws it with the global <c>Plotly</c>). The first
    /// chart of a kernel session carries plotly.js itself, inline, so charts draw without a network; the notebook front end
    /// keeps it for the later outputs.
    /// </summary>
    public static string Html(Figure figure)
    {
        string chart = GenericChart.toChartHTML(figure.Chart);
        if (Interlocked.Exchange(ref _plotlySent, 1) == 1)
            return chart;
        // Notebooks committed with their outputs (MSUN_PLOTLY_JS=cdn) reference plotly.js instead of carrying 3.6 MB of it;
        // their PNG outputs show the figures offline.
        if (Environment.GetEnvironmentVariable(CdnVariable) == "cdn")
            return $"<script src=\"https://cdn.plot.ly/{PlotlyJs.ResourceName["Plotly.NET.".Length..]}\"></script>" + chart;
        // "</script" inside the bundle would end the element early.
        return $"<script>{PlotlyJs.Source.Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase)}</script>" + chart;
    }
}
