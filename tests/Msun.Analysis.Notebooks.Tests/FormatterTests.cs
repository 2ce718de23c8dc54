using System.Net;
using Microsoft.DotNet.Interactive.Formatting;
using Msun.Analysis.Core.Cka;
using Msun.Analysis.Core.Results;
using Msun.Analysis.Core.SplitSelection;
using Msun.Analysis.Interactive;

namespace Msun.Analysis.Notebooks.Tests;

/// <summary>What a notebook shows when a result record is the value of a cell: the registered HTML formatter's output.</summary>
public sealed class FormatterTests
{
    static FormatterTests() => ResultFormatters.Register();

    private static readonly ProfileBlock[] Blocks = [new("stem", 1), new("layer1", 2), new("layer2", 3), new("layer3", 4)];

    // Mean and sample std by hand, in the tables' 3 decimals (ResultTables): {0.2, 0.4} -> 0.300 ± 0.141 (0.1414…).
    private static CkaProfile Profile() => new(Blocks, [7, 14],
        [
            new("stem", 7, [0.2, 0.4]), new("stem", 14, [0.5, 0.5]),
            new("layer1", 7, [0.3, 0.35]), new("layer1", 14, [0.6, 0.7]),
            new("layer2", 7, [0.9, 0.92]), new("layer2", 14, [0.95, 0.97]),
            new("layer3", 7, [0.5, double.NaN]), new("layer3", 14, [0.6, 0.62]),
        ],
        new Dictionary<string, string> { ["model"] = "resnet18-small <vanilla>", ["estimator"] = "minibatch", ["reference_size"] = "28", ["repeats"] = "2" });

    private static string Html(object value) => WebUtility.HtmlDecode(value.ToDisplayString("text/html"));

    private static string Table(string html) => html[html.IndexOf("<table", StringComparison.Ordinal)..];

    [Fact]
    public void Profile_shows_a_chart_and_a_table_of_its_numbers()
    {
        string html = Html(Profile());

        Assert.Contains("<div class=\"msun-chart\">", html);
        Assert.Contains("Plotly.newPlot(", html);
        string table = Table(html);
        Assert.Contains("<td>stem</td><td>0.300 ± 0.141</td><td>0.500 ± 0.000</td>", table);
        Assert.Contains("<td>layer1</td><td>0.325 ± 0.035</td><td>0.650 ± 0.071</td>", table);
        Assert.Contains("<td>layer3</td><td>undefined</td><td>0.610 ± 0.014</td>", table); // a NaN repeat is never averaged away
        Assert.Contains("<th>probe 7 px</th><th>probe 14 px</th>", table);
    }

    [Fact]
    public void Text_from_a_result_file_is_escaped()
    {
        string raw = Profile().ToDisplayString("text/html");
        Assert.Contains("resnet18-small &lt;vanilla&gt;", raw);
        Assert.DoesNotContain("<vanilla>", raw[raw.IndexOf("<table", StringComparison.Ordinal)..]);
    }

    [Fact]
    public void Profiles_of_two_models_share_one_chart_and_keep_a_table_each()
    {
        string html = Html(new List<CkaProfile> { Profile(), Profile() });
        Assert.Equal(1, Count(html, "Plotly.newPlot("));
        Assert.Equal(2, Count(html, "<table class=\"msun-table msun-profile\">"));
    }

    [Fact]
    public void Split_recommendation_shows_the_decision_and_every_block()
    {
        var split = SplitSelector.Recommend(Blocks.Select(b => b.Name).ToArray(), [0.2, 0.3, 0.9, 0.5], null, 7,
            new SplitRuleOptions(uncertainty: UncertaintyRule.None));
        string html = Html(split);

        Assert.Contains("Plotly.newPlot(", html);
        Assert.Contains($"<b>{split.Explain().Split('\n')[0]}</b>", html);
        Assert.Equal(2, split.Split); // stem and layer1 below τ = 0.55, layer2 recovered, layer3 the head
        Assert.Contains("<td>1</td><td>stem</td><td>0.200</td><td></td><td>sensitive (per-scale subnet)</td>", html);
        Assert.Contains("<td>3</td><td>layer2</td><td>0.900</td><td></td><td>recovered</td>", html);
        Assert.Contains("<td>4</td><td>layer3</td><td>0.500</td><td></td><td>head</td>", html);
    }

    [Fact]
    public void Grid_shows_a_heatmap_and_the_mean_matrix()
    {
        string[] names = ["a", "b"];
        CkaGrid Repeat(double shift) => new(names, names, new[,] { { 0.9 + shift, 0.5 }, { 0.4, 0.8 - shift } }, new string?[2, 2], "linear", 128, 2, null);
        string html = Html(new CkaGridSummary(14, [Repeat(0.0), Repeat(0.02)], new Dictionary<string, string>()));

        Assert.Contains("\"type\":\"heatmap\"", html);
        Assert.Contains("<tr><td>a</td><td>0.910</td><td>0.500</td></tr><tr><td>b</td><td>0.400</td><td>0.790</td></tr>", Table(html));
    }

    [Fact]
    public void Accuracies_as_array_list_or_one_result_show_one_row_per_model()
    {
        var vanilla = Accuracy("vanilla", 0.5, 0.75);
        var mst = Accuracy("mst", 0.625, 0.875);

        foreach (object value in new object[] { new[] { vanilla, mst }, new List<MultiScaleAccuracy> { vanilla, mst } })
        {
            string table = Table(Html(value));
            // Per size in %, then the mean over the sizes and the images.
            Assert.Contains("<th>model</th><th>scoring</th><th>14 px</th><th>28 px</th><th>mean</th><th>images</th>", table);
            Assert.Contains("<tr><td>vanilla</td><td>routed</td><td>50.00</td><td>75.00</td><td>62.50</td><td>8</td></tr>", table);
            Assert.Contains("<tr><td>mst</td><td>routed</td><td>62.50</td><td>87.50</td><td>75.00</td><td>8</td></tr>", table);
        }
        string single = Html(vanilla);
        Assert.Contains("Plotly.newPlot(", single);
        Assert.Contains("<tr><td>vanilla</td><td>routed</td><td>50.00</td><td>75.00</td><td>62.50</td><td>8</td></tr>", Table(single));
    }

    [Fact]
    public void Mac_table_shows_a_chart_and_every_row()
    {
        var macs = new MacTable([MacTableRow.ForBackbone("resnet18-small", 28, 175_258, 12_345_678, 0), MacTableRow.ForBackbone("resnet18-small", 14, 175_258, 3_086_420, 0)]);
        string html = Html(macs);

        Assert.Contains("Plotly.newPlot(", html);
        Assert.Contains("<td>resnet18-small</td><td>28</td><td>network</td><td>28</td><td>175,258</td><td>12,345,678</td><td>12.35</td><td>0</td>", Table(html));
    }

    // 8 examples per size, 4 classes of 2; accuracy 0.5 at 14 px and the given value at 28 px.
    private static MultiScaleAccuracy Accuracy(string model, double at14, double at28)
    {
        SizeAccuracy Size(int size, double accuracy)
        {
            long correct = (long)(accuracy * 8);
            var perClass = Enumerable.Range(0, 4).Select(k => (long)Math.Min(2, Math.Max(0, correct - 2 * k))).ToArray();
            return new SizeAccuracy(size, MacTableRow.SingleNetworkBranch, perClass, [2, 2, 2, 2]);
        }
        return new MultiScaleAccuracy(model, MultiScaleScoring.Routed, 28, [Size(14, at14), Size(28, at28)]);
    }

    private static int Count(string text, string part) => (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;
}
