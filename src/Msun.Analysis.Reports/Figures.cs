using System.Globalization;
using Microsoft.FSharp.Core;
using Msun.Analysis.Core.Results;
using Msun.Analysis.Core.SplitSelection;
using Plotly.NET;
using Plotly.NET.LayoutObjects;
using CSharpChart = Plotly.NET.CSharp.Chart;
using Plotly.NET.CSharp;

namespace Msun.Analysis.Reports;

/// <summary>
/// The figures of the MSUN study, each from saved result records (no TorchSharp): the layer-wise CKA profile with ±1 std
/// bands, block × block CKA heatmaps, accuracy against test size, per-method bars, MACs per test size and the split
/// recommendation drawn on its profile. Every figure is titled, has labelled axes with units and a legend, and takes its
/// colours from <see cref="MethodStyle"/>.
/// </summary>
public static class Figures
{
    /// <summary>Width of every figure in pixels (also the PNG size).</summary>
    public const int Width = 900;

    /// <summary>Height of every figure in pixels.</summary>
    public const int Height = 520;

    /// <summary>CKA per block for every probe size of one profile, mean ± 1 std over the repeats (the paper's figure).</summary>
    /// <param name="profile">The study's profile.</param>
    /// <param name="label">What the profile is of (default: the <c>model</c> provenance entry, else "profile").</param>
    public static Figure CkaProfile(CkaProfile profile, string? label = null) =>
        CkaProfiles([(label ?? LabelOf(profile), profile)]);

    /// <summary>
    /// Several profiles over the same blocks in one chart (e.g. a baseline and an MSUN model): colour by method
    /// (<see cref="MethodStyle.MethodOf"/> of the label) when there is more than one profile, by probe otherwise; one
    /// dash per probe.
    /// </summary>
    public static Figure CkaProfiles(IReadOnlyList<(string Label, CkaProfile Profile)> profiles)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        if (profiles.Count == 0) throw new ArgumentException("no profiles to draw.", nameof(profiles));
        var charts = new List<GenericChart>();
        string[] dashes = ["solid", "dash", "dot", "dashdot", "longdash"];
        var blocks = profiles[0].Profile.Blocks;
        for (int p = 0; p < profiles.Count; p++)
        {
            var (label, profile) = profiles[p];
            for (int q = 0; q < profile.Probes.Count; q++)
            {
                int probe = profile.Probes[q];
                string color = profiles.Count == 1 ? MethodStyle.Series(q) : MethodStyle.For(label).Color;
                if (profiles.Count > 1 && MethodStyle.MethodOf(label) == "other") color = MethodStyle.Series(p);
                string dash = profiles.Count == 1 ? "solid" : dashes[q % dashes.Length];
                string name = profiles.Count == 1 ? $"probe {probe} px" : $"{label}, probe {probe} px";
                var cells = profile.Blocks.Select(b => (Block: b, Cell: profile.Cell(b.Name, probe)))
                    .Where(c => double.IsFinite(c.Cell.Summary.Mean)).ToArray();
                charts.AddRange(Band(name, color, cells.Select(c => (double)c.Block.Index).ToArray(),
                    cells.Select(c => c.Cell.Summary.Mean).ToArray(), cells.Select(c => c.Cell.Summary.StandardDeviation).ToArray()));
                charts.Add(Line(name, color, dash, cells.Select(c => (double)c.Block.Index),
                    cells.Select(c => c.Cell.Summary.Mean),
                    cells.Select(c => Inv($"{c.Block.Name}: {c.Cell.Summary.Mean:0.000} ± {c.Cell.Summary.StandardDeviation:0.000} ({c.Cell.Summary.Count} repeats)")))
                    .WithTraceInfo(LegendGroup: name));
            }
        }

        string reference = profiles[0].Profile.Provenance.TryGetValue("reference_size", out var r) ? $" (reference {r} px)" : "";
        string title = profiles.Count == 1
            ? $"Layer-wise CKA across input scales: {profiles[0].Label}{reference}"
            : $"Layer-wise CKA across input scales: {string.Join(" vs ", profiles.Select(x => x.Label))}{reference}";
        var chart = Style(CSharpChart.Combine(charts), title,
            "Block (network order, 1 = stem)", "CKA, reference vs probe (unitless, 0–1)");
        chart = BlockTicks(chart, blocks);
        return new Figure("cka-profile", title, chart);
    }

    /// <summary>The block × block CKA grid at one probe size: reference-size blocks (rows) against probe-size blocks (columns), mean over the repeats.</summary>
    /// <param name="grid">The grid summary.</param>
    /// <param name="label">What it is of (default: the <c>model</c> provenance entry).</param>
    public static Figure CkaHeatmap(CkaGridSummary grid, string? label = null)
    {
        ArgumentNullException.ThrowIfNull(grid);
        label ??= LabelOf(grid.Provenance);
        string title = $"Block × block CKA, {label}: reference size vs probe {grid.Probe} px";
        var chart = Heatmap(grid.Mean, grid.RowBlocks, grid.ColumnBlocks, "CKA", zMin: 0, zMax: 1, colorscale: "Viridis");
        chart = Style(chart, title, $"Block at probe size {grid.Probe} px", "Block at reference size");
        return new Figure(Id("cka-grid", label, grid.Probe), title, chart);
    }

    /// <summary>
    /// The difference of two grids over the same blocks (<paramref name="a"/> − <paramref name="b"/>), e.g. an MSUN model's grid
    /// minus its baseline's. This is not cross-model CKA (block i of one model against block j of another): a
    /// <see cref="CkaGridSummary"/> holds one model's reference-vs-probe grid only.
    /// </summary>
    public static Figure CkaHeatmapDifference(CkaGridSummary a, string labelA, CkaGridSummary b, string labelB)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (!a.RowBlocks.SequenceEqual(b.RowBlocks) || !a.ColumnBlocks.SequenceEqual(b.ColumnBlocks))
            throw new ArgumentException($"the grids of {labelA} and {labelB} cover different blocks; a difference needs the same blocks.");
        var diff = new double[a.RowBlocks.Count, a.ColumnBlocks.Count];
        for (int i = 0; i < a.RowBlocks.Count; i++)
            for (int j = 0; j < a.ColumnBlocks.Count; j++) diff[i, j] = a.Mean[i, j] - b.Mean[i, j];
        string probes = a.Probe == b.Probe ? $"probe {a.Probe} px" : $"probes {a.Probe} and {b.Probe} px";
        string title = $"Block × block CKA difference, {labelA} − {labelB} ({probes})";
        var chart = Heatmap(diff, a.RowBlocks, a.ColumnBlocks, "ΔCKA", zMin: -1, zMax: 1, colorscale: "RdBu");
        chart = Style(chart, title, "Block at probe size", "Block at reference size");
        return new Figure("cka-grid-difference", title, chart);
    }

    /// <summary>Top-1 accuracy against test size, one line per model and scoring (routed solid, best-of-branches dashed, single branches dotted).</summary>
    public static Figure AccuracyBySize(IReadOnlyList<MultiScaleAccuracy> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        if (results.Count == 0) throw new ArgumentException("no accuracy results to draw.", nameof(results));
        var charts = Ordered(results).Select(r =>
        {
            var style = MethodStyle.For(r.Model, r.Scoring);
            var sizes = r.Sizes.OrderBy(s => s.Size).ToArray();
            return Line(style.Label, style.Color, style.Dash, sizes.Select(s => (double)s.Size), sizes.Select(s => 100 * s.Accuracy),
                sizes.Select(s => Inv($"{style.Label} at {s.Size} px: {100 * s.Accuracy:0.00} % ({s.Correct}/{s.Total}, branch {s.Branch})")));
        }).ToList();
        string title = "Top-1 accuracy vs test size";
        var chart = Style(CSharpChart.Combine(charts), title, "Test size (px, side of the square input)", "Top-1 accuracy (%)");
        return new Figure("accuracy-by-size", title, chart);
    }

    /// <summary>Average accuracy over test sizes per model and scoring (the paper's "average accuracy").</summary>
    public static Figure AverageAccuracyBars(IReadOnlyList<MultiScaleAccuracy> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        if (results.Count == 0) throw new ArgumentException("no accuracy results to draw.", nameof(results));
        var bars = Ordered(results).Select(r => (Style: MethodStyle.For(r.Model, r.Scoring), Value: 100 * r.MeanAccuracy)).ToArray();
        return BarFigure("average-accuracy", "Average top-1 accuracy over test sizes per method", bars, "Average top-1 accuracy (%)", "0.00");
    }

    /// <summary>
    /// Parameters per model. From a comparison's routed rows when given: the whole model (for MSUN every subnet plus the
    /// shared part). Otherwise from the MAC table: the largest network that runs at any test size (for MSUN one branch).
    /// </summary>
    public static Figure ParameterBars(MacTable macs, IReadOnlyList<MethodComparisonRow>? wholeModels = null)
    {
        ArgumentNullException.ThrowIfNull(macs);
        if (wholeModels is { Count: > 0 })
            return BarFigure("parameters", "Parameters per method",
                wholeModels.Where(r => r.Scoring == MultiScaleScoring.Routed).Select(r => (Style: MethodStyle.For(r.Method, r.Scoring), Value: r.Parameters / 1e6)).ToArray(),
                "Parameters (millions)", "0.000");
        var bars = ByModel(macs).Select(g => (Style: MethodStyle.ForMacModel(g.Key), Value: g.Max(r => (double)r.Parameters) / 1e6)).ToArray();
        return BarFigure("parameters", "Parameters per method", bars, "Parameters (millions)", "0.000");
    }

    /// <summary>MACs per image averaged over the test sizes of each model.</summary>
    public static Figure MeanMacsBars(MacTable macs)
    {
        ArgumentNullException.ThrowIfNull(macs);
        var bars = ByModel(macs).Select(g => (Style: MethodStyle.ForMacModel(g.Key), Value: g.Average(r => (double)r.Macs) / 1e6)).ToArray();
        return BarFigure("mean-macs", "Mean MACs per image over test sizes per method", bars, "MACs per image (millions, mean over test sizes)", "0.00");
    }

    /// <summary>MACs per image at each test size, one line per model.</summary>
    public static Figure MacsBySize(MacTable macs)
    {
        ArgumentNullException.ThrowIfNull(macs);
        var groups = ByModel(macs).ToArray();
        if (groups.Length == 0) throw new ArgumentException("the MAC table has no rows.", nameof(macs));
        var charts = groups.Select(g =>
        {
            var style = MethodStyle.ForMacModel(g.Key);
            var rows = g.OrderBy(r => r.TestSize).ToArray();
            return Line(style.Label, style.Color, style.Dash, rows.Select(r => (double)r.TestSize), rows.Select(r => r.Macs / 1e6),
                rows.Select(r => Inv($"{style.Label} at {r.TestSize} px: {r.Macs / 1e6:0.00} M MACs (branch {r.Branch}, runs at {r.InputSize} px)")));
        }).ToList();
        string title = "MACs per image vs test size";
        var chart = Style(CSharpChart.Combine(charts), title, "Test size (px, side of the square input)", "MACs per image (millions)");
        return new Figure("macs-by-size", title, chart);
    }

    /// <summary>
    /// The split recommendation on its profile: for every probe the rule read, the block means with their bands, each block
    /// marked by its status (sensitive, ambiguous, recovered, head), τ as a horizontal line and the split as a vertical line
    /// after the last block that gets a per-scale subnet.
    /// </summary>
    public static Figure SplitOnProfile(SplitRecommendation split, string? label = null)
    {
        ArgumentNullException.ThrowIfNull(split);
        var charts = new List<GenericChart>();
        var statusColors = new (BlockStatus Status, string Name, string Color)[]
        {
            (BlockStatus.Sensitive, "sensitive (band below τ)", "#D55E00"),
            (BlockStatus.Ambiguous, "ambiguous (band straddles τ)", "#E69F00"),
            (BlockStatus.Recovered, "recovered (band above τ)", "#009E73"),
            (BlockStatus.Head, "head (excluded)", MethodStyle.NeutralColor),
        };
        var first = split.Probes[0];
        double xMin = first.Blocks.Min(b => b.Index) - 0.5, xMax = first.Blocks.Max(b => b.Index) + 0.5;
        for (int q = 0; q < split.Probes.Count; q++)
        {
            var p = split.Probes[q];
            string color = MethodStyle.Series(q);
            string name = $"probe {p.Probe} px";
            var blocks = p.Blocks.Where(b => double.IsFinite(b.Mean)).ToArray();
            charts.AddRange(Band(name, color, blocks.Select(b => (double)b.Index).ToArray(),
                blocks.Select(b => (b.Upper + b.Lower) / 2).ToArray(), blocks.Select(b => (b.Upper - b.Lower) / 2).ToArray()));
            charts.Add(Line(name + " mean", color, "solid", blocks.Select(b => (double)b.Index), blocks.Select(b => b.Mean),
                blocks.Select(b => Inv($"{b.Block}: {b.Mean:0.000} [{b.Lower:0.000}, {b.Upper:0.000}], {b.Status.ToString().ToLowerInvariant()}")))
                .WithTraceInfo(LegendGroup: name));
            charts.Add(Line(Inv($"τ = {p.Threshold:0.###} (probe {p.Probe} px)"), color, "dot", [xMin, xMax], [p.Threshold, p.Threshold], null));
        }

        foreach (var (status, name, color) in statusColors)
        {
            var marked = split.Probes.SelectMany(p => p.Blocks).Where(b => b.Status == status && double.IsFinite(b.Mean)).ToArray();
            if (marked.Length == 0) continue;
            charts.Add(CSharpChart.Point<double, double, string>(
                x: marked.Select(b => (double)b.Index), y: marked.Select(b => b.Mean), Name: name,
                MarkerColor: Color.fromString(color), MarkerSymbol: StyleParam.MarkerSymbol.Diamond,
                MultiText: marked.Select(b => $"{b.Block}: {status.ToString().ToLowerInvariant()}").ToArray()));
        }

        // The split line spans the data (not 0..1) so that a flat profile near 1 is not squashed against the top.
        var shown = split.Probes.SelectMany(p => p.Blocks).SelectMany(b => new[] { b.Lower, b.Upper, b.Mean }).Concat(split.Probes.Select(p => p.Threshold))
            .Where(double.IsFinite).DefaultIfEmpty(0.5).ToArray();
        double yLow = shown.Min() - 0.02, yHigh = shown.Max() + 0.02;
        double xSplit = split.Split == 0 ? xMin : first.Blocks[Math.Min(split.Split, first.Blocks.Count) - 1].Index + 0.5;
        string splitName = split.Split == 0
            ? "split = 0 (no per-scale subnet)"
            : $"split = {split.Split} (blocks 1..{split.Split} per scale, the rest shared)";
        charts.Add(Line(splitName, "#000000", "dash", [xSplit, xSplit], [yLow, yHigh], null));
        label ??= "profile";
        string title = $"Split recommendation on the CKA profile, {label}: split {split.Split}";
        var chart = Style(CSharpChart.Combine(charts), title, "Block (network order, 1 = stem)", "CKA, reference vs probe (unitless, 0–1)");
        chart = BlockTicks(chart, first.Blocks.Select(b => new ProfileBlock(b.Block, b.Index)).ToArray());
        return new Figure("split", title, chart);
    }

    /// <summary>The label of a result from its provenance: <c>model</c>, else <c>model.training_method</c> + <c>model.backbone</c>, else <c>method</c> + <c>backbone</c>, else "profile".</summary>
    public static string LabelOf(IReadOnlyDictionary<string, string> provenance)
    {
        ArgumentNullException.ThrowIfNull(provenance);
        if (provenance.TryGetValue("model", out var m) && !string.IsNullOrWhiteSpace(m)) return m;
        // A study of a checkpoint records the model as model.training_method + model.backbone.
        if (provenance.TryGetValue("model.training_method", out var trained) && provenance.TryGetValue("model.backbone", out var trainedBackbone))
            return $"{trained} {trainedBackbone}";
        if (provenance.TryGetValue("method", out var method) && provenance.TryGetValue("backbone", out var backbone)) return $"{method} {backbone}";
        return "profile";
    }

    private static string LabelOf(CkaProfile profile) => LabelOf(profile.Provenance);

    private static IEnumerable<MultiScaleAccuracy> Ordered(IEnumerable<MultiScaleAccuracy> results) =>
        results.OrderBy(r => MethodRank(MethodStyle.MethodOf(r.Model))).ThenBy(r => ScoringRank(r.Scoring)).ThenBy(r => r.Scoring, StringComparer.Ordinal);

    private static IEnumerable<IGrouping<string, MacTableRow>> ByModel(MacTable macs) =>
        macs.Rows.GroupBy(r => r.Model).OrderBy(g => MethodRank(MethodStyle.MethodOf(g.Key)));

    private static int MethodRank(string method)
    {
        int i = MethodStyle.Methods.ToList().IndexOf(method);
        return i < 0 ? int.MaxValue : i;
    }

    private static int ScoringRank(string scoring) => scoring switch
    {
        MultiScaleScoring.Routed => 0,
        MultiScaleScoring.BestOfBranches => 1,
        _ => 2,
    };

    private static Figure BarFigure(string id, string title, IReadOnlyList<(MethodStyle Style, double Value)> bars, string yTitle, string format)
    {
        if (bars.Count == 0) throw new ArgumentException($"{title}: nothing to draw.");
        // Long labels ("msun resnet18-small (best-of-branches)") break before the scoring instead of being rotated and clipped.
        var chart = CSharpChart.Column<double, string, string>(
            values: bars.Select(b => b.Value), Keys: bars.Select(b => b.Style.Label.Replace(" (", "<br>(", StringComparison.Ordinal)).ToArray(), Name: yTitle,
            MultiText: bars.Select(b => b.Value.ToString(format, CultureInfo.InvariantCulture)).ToArray(),
            MarkerColor: Color.fromColors(bars.Select(b => Color.fromString(b.Style.Color))),
            TextPosition: StyleParam.TextPosition.Outside);
        chart = Style(chart, title, "Method (model and scoring)", yTitle);
        chart = GenericChart.mapLayout(FuncConvert.FromFunc<Layout, Layout>(layout =>
        {
            var axis = layout.TryGetTypedPropertyValue<LinearAxis>("xaxis");
            DynamicObj.DynamicObj x = axis is null ? new DynamicObj.DynamicObj() : axis.Value;
            x.SetProperty("tickangle", 0);
            x.SetProperty("automargin", true);
            layout.SetProperty("xaxis", x);
            layout.SetProperty("showlegend", false);
            return layout;
        }), chart);
        return new Figure(id, title, chart);
    }

    private static GenericChart Line(string name, string color, string dash, IEnumerable<double> x, IEnumerable<double> y, IEnumerable<string>? text)
    {
        var c = Color.fromString(color);
        return text is null
            ? CSharpChart.Line<double, double, string>(x: x, y: y, Name: name, ShowMarkers: true, LineColor: c, LineWidth: 2.5, LineDash: DashOf(dash), MarkerColor: c)
            : CSharpChart.Line<double, double, string>(x: x, y: y, Name: name, ShowMarkers: true, LineColor: c, LineWidth: 2.5, LineDash: DashOf(dash), MarkerColor: c,
                MultiText: text.ToArray());
    }

    /// <summary>A ±std band: the upper edge then the lower edge filled to it; no legend entry of its own, in its line's legend group
    /// (named <paramref name="name"/>) so that clicking the line's legend entry hides the band too.</summary>
    private static IEnumerable<GenericChart> Band(string name, string color, double[] x, double[] mean, double[] std) =>
        BandEdges(name, color, x, mean, std).Select(c => c.WithTraceInfo(LegendGroup: name));

    private static IEnumerable<GenericChart> BandEdges(string name, string color, double[] x, double[] mean, double[] std)
    {
        var keep = Enumerable.Range(0, x.Length).Where(i => double.IsFinite(std[i])).ToArray();
        if (keep.Length < 2) yield break;
        var xs = keep.Select(i => x[i]).ToArray();
        var edge = Color.fromString(MethodStyle.Translucent(color, 0.0));
        yield return CSharpChart.Line<double, double, string>(x: xs, y: keep.Select(i => mean[i] + std[i]), Name: name + " +1 std",
            ShowLegend: false, LineColor: edge, LineWidth: 0.0, ShowMarkers: false);
        yield return CSharpChart.Line<double, double, string>(x: xs, y: keep.Select(i => mean[i] - std[i]), Name: name + " ±1 std",
            ShowLegend: false, LineColor: edge, LineWidth: 0.0, ShowMarkers: false, Fill: StyleParam.Fill.ToNext_y,
            FillColor: Color.fromString(MethodStyle.Translucent(color, 0.18)));
    }

    private static GenericChart Heatmap(double[,] z, IReadOnlyList<string> rows, IReadOnlyList<string> columns, string colorTitle,
        double zMin, double zMax, string colorscale)
    {
        int n = rows.Count, m = columns.Count;
        var data = Enumerable.Range(0, n).Select(i => Enumerable.Range(0, m).Select(j => z[i, j]).ToArray()).ToArray();
        var text = Enumerable.Range(0, n).Select(i => Enumerable.Range(0, m)
            .Select(j => double.IsFinite(z[i, j]) ? z[i, j].ToString("0.00", CultureInfo.InvariantCulture) : "undefined").ToArray()).ToArray();
        var chart = CSharpChart.Heatmap<double, string, string, string>(
            zData: data, X: columns.ToArray(), Y: rows.ToArray(), Name: colorTitle,
            ColorScale: colorscale == "RdBu" ? StyleParam.Colorscale.RdBu : StyleParam.Colorscale.Viridis, ReverseYAxis: true);
        return GenericChart.mapTrace(FuncConvert.FromFunc<Trace, Trace>(t =>
        {
            // Not in the typed API: fix the colour range (CKA lives in [0, 1]) and print each value in its cell.
            t.SetProperty("zmin", zMin);
            t.SetProperty("zmax", zMax);
            t.SetProperty("text", text);
            t.SetProperty("texttemplate", "%{text}");
            var title = new DynamicObj.DynamicObj();
            title.SetProperty("text", colorTitle);
            var bar = new DynamicObj.DynamicObj();
            bar.SetProperty("title", title);
            t.SetProperty("colorbar", bar);
            return t;
        }), chart);
    }

    private static GenericChart Style(GenericChart chart, string title, string xTitle, string yTitle)
    {
        chart = Plotly.NET.Chart.withTitle(title, FSharpOption<Font>.None).Invoke(chart);
        chart = chart.WithXAxisStyle<double, double, string>(TitleText: xTitle, ZeroLine: false);
        chart = chart.WithYAxisStyle<double, double, string>(TitleText: yTitle, ZeroLine: false);
        chart = chart.WithLegendStyle(Orientation: StyleParam.Orientation.Horizontal, Y: -0.2, YAnchor: StyleParam.YAnchorPosition.Top);
        return chart.WithSize(Width, Height);
    }

    private static GenericChart BlockTicks(GenericChart chart, IReadOnlyList<ProfileBlock> blocks) =>
        GenericChart.mapLayout(FuncConvert.FromFunc<Layout, Layout>(layout =>
        {
            var axis = layout.TryGetTypedPropertyValue<LinearAxis>("xaxis");
            DynamicObj.DynamicObj x = axis is null ? new DynamicObj.DynamicObj() : axis.Value;
            x.SetProperty("tickmode", "array");
            x.SetProperty("tickvals", blocks.Select(b => b.Index).ToArray());
            x.SetProperty("ticktext", blocks.Select(b => $"{b.Index} {b.Name}").ToArray());
            layout.SetProperty("xaxis", x);
            return layout;
        }), chart);

    private static StyleParam.DrawingStyle DashOf(string dash) => dash switch
    {
        "dash" => StyleParam.DrawingStyle.Dash,
        "dot" => StyleParam.DrawingStyle.Dot,
        "dashdot" => StyleParam.DrawingStyle.DashDot,
        "longdash" => StyleParam.DrawingStyle.LongDash,
        _ => StyleParam.DrawingStyle.Solid,
    };

    private static string Id(string prefix, string label, int probe) =>
        $"{prefix}-{new string(label.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray()).Trim('-')}-{probe}";

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
