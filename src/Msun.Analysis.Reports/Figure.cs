using Plotly.NET;

namespace Msun.Analysis.Reports;

/// <summary>A titled chart with a stable id (used as the HTML element id and the PNG/HTML file name).</summary>
/// <param name="Id">File-name-safe id, e.g. <c>cka-profile</c>.</param>
/// <param name="Title">The chart title (also the section heading in the report).</param>
/// <param name="Chart">The Plotly.NET chart.</param>
public sealed record Figure(string Id, string Title, GenericChart Chart)
{
    /// <summary>The figure as plotly.js JSON (<c>{"data": [...], "layout": {...}}</c>), as Plotly.NET serialises it.</summary>
    public string ToFigureJson() => GenericChart.toFigureJson(Chart);
}
