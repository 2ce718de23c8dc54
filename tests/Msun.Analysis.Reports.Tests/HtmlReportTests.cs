using System.Text.RegularExpressions;

namespace Msun.Analysis.Reports.Tests;

public class HtmlReportTests
{
    private static int Count(string haystack, string needle) => Regex.Matches(haystack, Regex.Escape(needle)).Count;

    [Fact]
    public void PageEmbedsPlotlyJsOnceAndReferencesNothingExternal()
    {
        var report = new HtmlReport("Test report")
            .Add(Figures.CkaProfile(SampleResults.Profile("vanilla resnet18-small")))
            .Add(Figures.AccuracyBySize(SampleResults.Accuracies()))
            .Add(Figures.MacsBySize(SampleResults.Macs()));
        string html = report.ToHtml();
        string signature = PlotlyJs.Source[..200];
        Assert.Equal(1, Count(html, signature));
        Assert.True(PlotlyJs.Source.Length > 1_000_000, "the full plotly.js bundle is several MB");
        Assert.DoesNotMatch(new Regex("<script[^>]*\\ssrc\\s*=", RegexOptions.IgnoreCase), html);
        Assert.DoesNotMatch(new Regex("<link[^>]*\\shref\\s*=", RegexOptions.IgnoreCase), html);
        Assert.Equal(3, Count(html, "Plotly.newPlot(") - Count(PlotlyJs.Source, "Plotly.newPlot("));
        Assert.Contains("id=\"fig-cka-profile\"", html);
        Assert.Contains("id=\"fig-accuracy-by-size\"", html);
    }

    [Fact]
    public void EveryTextFromResultsIsEncodedAndCannotCloseTheScript()
    {
        const string evil = "<script>alert(1)</script>&\"x\"";
        var profile = SampleResults.Profile(evil);
        string html = new HtmlReport("r")
            .Add(Figures.CkaProfile(profile))
            .Table(evil, ["a", evil], [["1", evil]])
            .Provenance("prov", profile.Provenance)
            .Paragraph(evil)
            .ToHtml();
        // The only <script> tags are ours: plotly.js and one per figure.
        Assert.Equal(2, Count(html, "<script>") - Count(PlotlyJs.Source, "<script>"));
        Assert.Equal(2, Count(html, "</script>"));
        Assert.DoesNotContain("alert(1)</", html);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;x&quot;", html);
    }

    [Fact]
    public void DuplicateFigureIdsGetSuffixes()
    {
        var fig = Figures.CkaProfile(SampleResults.Profile("m"));
        string html = new HtmlReport("r").Add(fig).Add(fig).ToHtml();
        Assert.Contains("id=\"fig-cka-profile\"", html);
        Assert.Contains("id=\"fig-cka-profile-2\"", html);
    }

    [Fact]
    public void TableRowsMustMatchTheHeader() =>
        Assert.Contains("2 cells; the header has 3",
            Assert.Throws<ArgumentException>(() => new HtmlReport("r").Table("t", ["a", "b", "c"], [["1", "2"]])).Message);

    [Fact]
    public void StandaloneFigureIsSelfContainedAndSavedAtomically()
    {
        using var tmp = new TempFolder();
        var fig = Figures.AccuracyBySize(SampleResults.Accuracies());
        string path = Path.Combine(tmp.Path, "a.html");
        HtmlReport.SaveStandalone(fig, path);
        string html = File.ReadAllText(path);
        Assert.Contains(PlotlyJs.Source[..200], html);
        Assert.Contains("<title>Top-1 accuracy vs test size</title>", html);
        Assert.Single(Directory.GetFiles(tmp.Path));
    }
}
