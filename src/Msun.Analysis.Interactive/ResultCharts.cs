using Msun.Analysis.Reports;
using GenericChart = Plotly.NET.GenericChart;

namespace Msun.Analysis.Interactive;

/// <summary>A Reports figure as a notebook output fragment.</summary>
internal static class ResultCharts
{
    private static int _plotlySent;

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
        // "</script" inside the bundle would end the element early.
        return $"<script>{PlotlyJs.Source.Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase)}</script>" + chart;
    }
}
