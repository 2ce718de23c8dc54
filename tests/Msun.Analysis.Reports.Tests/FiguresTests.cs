using System.Text.Json;
using Msun.Analysis.Core.Results;

namespace Msun.Analysis.Reports.Tests;

public class FiguresTests
{
    private static JsonElement Parse(Figure f) => JsonDocument.Parse(f.ToFigureJson()).RootElement;

    private static JsonElement Trace(JsonElement figure, string name) =>
        figure.GetProperty("data").EnumerateArray().Single(t => t.TryGetProperty("name", out var n) && n.GetString() == name);

    private static double[] Numbers(JsonElement trace, string key) => trace.GetProperty(key).EnumerateArray().Select(e => e.GetDouble()).ToArray();

    private static string TitleOf(JsonElement figure) => figure.GetProperty("layout").GetProperty("title").GetProperty("text").GetString()!;

    private static string AxisTitle(JsonElement figure, string axis) =>
        figure.GetProperty("layout").GetProperty(axis).GetProperty("title").GetProperty("text").GetString()!;

    [Fact]
    public void ProfileFigureDrawsEachProbesMeansWithAStdBand()
    {
        var profile = SampleResults.Profile("vanilla resnet18-small");
        var fig = Figures.CkaProfile(profile);
        var json = Parse(fig);
        Assert.Contains("vanilla resnet18-small", TitleOf(json));
        Assert.Contains("CKA", AxisTitle(json, "yaxis"));
        Assert.Contains("Block", AxisTitle(json, "xaxis"));
        foreach (int probe in SampleResults.Probes)
        {
            var line = Trace(json, $"probe {probe} px");
            Assert.Equal([1, 2, 3, 4, 5], Numbers(line, "x"));
            // Independent expectation: the mean of the repeats the sample put in, block by block.
            var expected = SampleResults.Blocks.Select(b => profile.Cell(b, probe).Repeats.Average()).ToArray();
            Assert.Equal(expected, Numbers(line, "y"), (a, b) => Math.Abs(a - b) < 1e-12);
            var upper = Numbers(Trace(json, $"probe {probe} px +1 std"), "y");
            var lower = Trace(json, $"probe {probe} px ±1 std");
            Assert.Equal("tonexty", lower.GetProperty("fill").GetString());
            // Clicking the line's legend entry hides its band too.
            Assert.Equal(line.GetProperty("legendgroup").GetString(), lower.GetProperty("legendgroup").GetString());
            Assert.False(lower.GetProperty("showlegend").GetBoolean());
            for (int b = 0; b < 5; b++)
            {
                var r = profile.Cell(SampleResults.Blocks[b], probe).Repeats;
                double std = Math.Sqrt(r.Sum(x => (x - r.Average()) * (x - r.Average())) / (r.Count - 1));
                Assert.Equal(expected[b] + std, upper[b], 1e-12);
                Assert.Equal(expected[b] - std, Numbers(lower, "y")[b], 1e-12);
            }
        }

        // Block names label the x ticks.
        var ticks = json.GetProperty("layout").GetProperty("xaxis").GetProperty("ticktext").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Equal(["1 stem", "2 layer1", "3 layer2", "4 layer3", "5 layer4"], ticks);
    }

    [Fact]
    public void TwoProfilesAreColouredByMethod()
    {
        var fig = Figures.CkaProfiles([("vanilla resnet18-small", SampleResults.Profile("a")), ("msun resnet18-small", SampleResults.Profile("b", msun: true))]);
        var json = Parse(fig);
        Assert.Equal(MethodStyle.For("vanilla").Color, Trace(json, "vanilla resnet18-small, probe 7 px").GetProperty("line").GetProperty("color").GetString());
        Assert.Equal(MethodStyle.For("msun").Color, Trace(json, "msun resnet18-small, probe 7 px").GetProperty("line").GetProperty("color").GetString());
        Assert.Contains(" vs ", TitleOf(json));
    }

    [Fact]
    public void HeatmapHoldsTheGridMeansRowByRow()
    {
        var grid = SampleResults.Grid("vanilla resnet18-small", probe: 14);
        var json = Parse(Figures.CkaHeatmap(grid));
        var trace = json.GetProperty("data")[0];
        Assert.Equal("heatmap", trace.GetProperty("type").GetString());
        var z = trace.GetProperty("z").EnumerateArray().Select(r => r.EnumerateArray().Select(e => e.GetDouble()).ToArray()).ToArray();
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 5; j++)
                Assert.Equal(grid.Repeats.Average(g => g.Values[i, j]), z[i][j], 1e-12);
        Assert.Equal(SampleResults.Blocks, trace.GetProperty("x").EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal(0.0, trace.GetProperty("zmin").GetDouble());
        Assert.Equal(1.0, trace.GetProperty("zmax").GetDouble());
        Assert.Contains("probe 14 px", TitleOf(json));
    }

    [Fact]
    public void DifferenceHeatmapSubtractsTheSecondGridAndRejectsOtherBlocks()
    {
        var a = SampleResults.Grid("msun", repeats: 2);
        var b = SampleResults.Grid("vanilla", repeats: 3);
        var z = Parse(Figures.CkaHeatmapDifference(a, "msun", b, "vanilla")).GetProperty("data")[0].GetProperty("z");
        Assert.Equal(a.Mean[2, 3] - b.Mean[2, 3], z[2][3].GetDouble(), 1e-12);
        var other = new CkaGridSummary(14, [new Msun.Analysis.Core.Cka.CkaGrid(["x"], ["x"], new double[1, 1], new string?[1, 1], "linear", 1, 1, null)], new Dictionary<string, string>());
        Assert.Contains("different blocks", Assert.Throws<ArgumentException>(() => Figures.CkaHeatmapDifference(a, "msun", other, "x")).Message);
    }

    [Fact]
    public void AccuracyFigureHasOneLinePerModelAndScoringInPercent()
    {
        var results = SampleResults.Accuracies();
        var json = Parse(Figures.AccuracyBySize(results));
        foreach (var r in results)
        {
            var style = MethodStyle.For(r.Model, r.Scoring);
            var trace = Trace(json, style.Label);
            Assert.Equal(r.Sizes.Select(s => (double)s.Size), Numbers(trace, "x"));
            Assert.Equal(r.Sizes.Select(s => 100.0 * s.Correct / s.Total), Numbers(trace, "y"), (a, b) => Math.Abs(a - b) < 1e-9);
            Assert.Equal(style.Color, trace.GetProperty("line").GetProperty("color").GetString());
        }

        Assert.Equal("dash", Trace(json, "msun resnet18-small (best-of-branches)").GetProperty("line").GetProperty("dash").GetString());
        Assert.Contains("%", AxisTitle(json, "yaxis"));
        Assert.Contains("px", AxisTitle(json, "xaxis"));
    }

    [Fact]
    public void BarsShowAverageAccuracyParametersAndMeanMacs()
    {
        var results = SampleResults.Accuracies();
        var acc = Parse(Figures.AverageAccuracyBars(results)).GetProperty("data")[0];
        var labels = acc.GetProperty("x").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Contains("msun resnet18-small<br>(best-of-branches)", labels);
        var values = Numbers(acc, "y");
        var vanilla = results.Single(r => r.Model.StartsWith("vanilla"));
        Assert.Equal(100 * vanilla.Sizes.Average(s => (double)s.Correct / s.Total), values[Array.IndexOf(labels, "vanilla resnet18-small")], 1e-9);
        Assert.Equal("vanilla resnet18-small", labels[0]); // methods in a fixed order: vanilla, mst, msun

        var macs = SampleResults.Macs();
        var par = Parse(Figures.ParameterBars(macs)).GetProperty("data")[0];
        Assert.Equal([0.308, 0.308, 0.336], Numbers(par, "y"), (a, b) => Math.Abs(a - b) < 1e-12);
        var mean = Parse(Figures.MeanMacsBars(macs)).GetProperty("data")[0];
        double msunMean = SampleResults.TestSizes.Average(s => (42_000_000.0 * s * s / 784 + 3_000_000) ) / 1e6;
        Assert.Equal(42.0, Numbers(mean, "y")[0], 1e-9);
        Assert.Equal(msunMean, Numbers(mean, "y")[2], 1e-3);
    }

    [Fact]
    public void MacsBySizeDrawsEveryRow()
    {
        var macs = SampleResults.Macs();
        var json = Parse(Figures.MacsBySize(macs));
        var msun = Trace(json, "msun resnet18-small");
        Assert.Equal(macs.Rows.Where(r => r.Model.StartsWith("msun")).Select(r => r.Macs / 1e6), Numbers(msun, "y"));
        Assert.Contains("MACs", AxisTitle(json, "yaxis"));
    }

    [Fact]
    public void SplitFigureMarksTheSplitTauAndEveryBlockStatus()
    {
        var profile = SampleResults.Profile("vanilla resnet18-small");
        var split = SampleResults.Split(profile);
        var json = Parse(Figures.SplitOnProfile(split, "vanilla resnet18-small"));
        var p = split.Probes[0];
        var tau = Trace(json, $"τ = {p.Threshold.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)} (probe {p.Probe} px)");
        Assert.Equal([p.Threshold, p.Threshold], Numbers(tau, "y"));
        Assert.Equal(1, split.Split);
        var splitLine = Trace(json, "split = 1 (blocks 1..1 per scale, the rest shared)");
        Assert.Equal(split.Split + 0.5, Numbers(splitLine, "x")[0]);
        var head = Trace(json, "head (excluded)");
        Assert.Equal([5.0], Numbers(head, "x"));
        Assert.Contains($"split {split.Split}", TitleOf(json));
    }

    [Fact]
    public void MethodKeysComeFromTheModelNameWithANeutralFallback()
    {
        Assert.Equal("vanilla", MethodStyle.MethodOf("vanilla resnet18-small"));
        Assert.Equal("mst", MethodStyle.MethodOf("MST resnet50"));
        Assert.Equal("msun", MethodStyle.MethodOf("resnet18-small msun"));
        Assert.Equal("other", MethodStyle.MethodOf("resnet50"));
        Assert.Equal(MethodStyle.NeutralColor, MethodStyle.For("resnet50").Color);
        Assert.Equal(MethodStyle.For("msun a").Color, MethodStyle.For("msun b", MultiScaleScoring.BestOfBranches).Color);
        Assert.NotEqual(MethodStyle.For("vanilla a").Color, MethodStyle.For("mst a").Color);
        Assert.Equal(MethodStyle.For("msun", "branch:small"), MethodStyle.For("msun", "branch:small"));
        Assert.Equal(MethodStyle.For("msun r18", "branch:mid"), MethodStyle.ForMacModel("msun r18 branch:mid"));
        Assert.Equal(MethodStyle.For("msun r18"), MethodStyle.ForMacModel("msun r18"));
        Assert.Equal(MethodStyle.For("x branch:"), MethodStyle.ForMacModel("x branch:"));
        string[] branchColors = new[] { "small", "mid", "large" }.Select(b => MethodStyle.For("msun r18", MultiScaleScoring.Branch(b)).Color).ToArray();
        Assert.Equal(3, branchColors.Distinct().Count());
        Assert.DoesNotContain(MethodStyle.For("vanilla r18").Color, branchColors);
        Assert.DoesNotContain(MethodStyle.For("msun r18").Color, branchColors);
    }
}
