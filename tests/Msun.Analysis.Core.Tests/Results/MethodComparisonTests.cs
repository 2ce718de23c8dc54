using System.Text;
using Msun.Analysis.Core.Results;
using Msun.Analysis.Core.Statistics;

namespace Msun.Analysis.Core.Tests.Results;

public class MethodComparisonTests
{
    // 10 examples of one class per size; correct counts per size given.
    private static MultiScaleAccuracy Acc(string model, string scoring, params long[] correct) => new(
        model, scoring, 28, correct.Select((c, i) => new SizeAccuracy(new[] { 8, 16, 28 }[i], "network", [c], [10])).ToArray());

    private static IReadOnlyList<MethodComparisonRow> Rows() => MethodComparison.BuildRows(
    [
        ("vanilla", Acc("vanilla", MultiScaleScoring.Routed, 2, 6, 9), 100, [1000, 1000, 1000]),
        ("mst", Acc("mst", MultiScaleScoring.Routed, 5, 7, 8), 100, [1000, 1000, 1000]),
        ("msun", Acc("msun", MultiScaleScoring.Routed, 7, 8, 9), 140, [600, 800, 1000]),
        ("msun", Acc("msun", MultiScaleScoring.BestOfBranches, 8, 8, 9), 140, [2400, 2400, 2400]),
    ]);

    [Fact]
    public void RowsSummariseAccuracyAndMacsAgainstVanilla()
    {
        var rows = Rows();
        var msun = rows[2];
        Assert.Equal((0.7 + 0.8 + 0.9) / 3, msun.MeanAccuracy, 12);
        Assert.Equal((8, 0.7, 28, 0.9), (msun.SmallestSize, msun.AccuracyAtSmallest, msun.ReferenceSize, msun.AccuracyAtReference));
        Assert.Equal(800, msun.MeanMacs, 12);
        Assert.Equal(0.8, msun.MacsRatioToVanilla, 12);
        Assert.Equal(2.4, rows[3].MacsRatioToVanilla, 12);
        Assert.Equal(1.0, rows[0].MacsRatioToVanilla, 12);
    }

    [Fact]
    public void VerdictGivesPointEstimatesWithoutJudgingAndEachClaimWithItsInterval()
    {
        var noClaims = MethodComparison.ComposeVerdict(Rows(), []);
        Assert.Contains("MSUN routed 80.00 % vs MST 66.67 % vs Vanilla 56.67 %", noClaims);
        Assert.Contains("at 8 px 70.00 % vs 50.00 % vs 20.00 %", noClaims);
        Assert.Contains("No claim is judged: there are no intervals.", noClaims);
        foreach (var word in new[] { "beats both", "does NOT hold", "as claimed", "HOLDS", "FAILS" })
            Assert.DoesNotContain(word, noClaims);
        Assert.Contains("20.00 % fewer", noClaims);
        Assert.Contains("more than the abstract's 7.01-16.13 %", noClaims);

        var interval = new DifferenceInterval(0.1, -0.01, 0.21, 0.95, 1e-3, 1e-3, 5, 3, 3, 100);
        var claims = PaperClaims.Judge(new("msun", "mst", null, interval), new("msun", "vanilla", null, interval),
            new("msun", "vanilla", 8, interval), new("msun", "vanilla", 28, interval));
        var verdict = MethodComparison.ComposeVerdict(Rows(), claims);
        Assert.Contains("UNDECIDED at 95 % (both intervals include 0: msun − mst, mean over sizes: +10.00 pp [-1.00 pp, +21.00 pp]", verdict);
        Assert.Equal(3, verdict.Split("UNDECIDED").Length - 1);

        var worse = MethodComparison.BuildRows(
        [
            ("vanilla", Acc("vanilla", MultiScaleScoring.Routed, 2, 6, 9), 100, [1000, 1000, 1000]),
            ("mst", Acc("mst", MultiScaleScoring.Routed, 5, 7, 8), 100, [1000, 1000, 1000]),
            ("msun", Acc("msun", MultiScaleScoring.Routed, 1, 6, 7), 140, [850, 850, 900]),
        ]);
        Assert.Contains("inside the abstract's 7.01-16.13 % range", MethodComparison.ComposeVerdict(worse, [])); // mean 866.67 of 1000: 13.33 % fewer
    }

    [Fact]
    public void ClaimsAndDifferencesRoundTripThroughJson()
    {
        var withSeeds = new DifferenceInterval(0.1, 0.02, 0.18, 0.95, 1e-3, 2e-3, 7.5, 3, 3, 100);
        var oneSeed = new DifferenceInterval(0.1, 0.02, 0.18, 0.95, 1e-3, double.NaN, 99, 1, 1, 100);
        var differences = new NamedDifference[] { new("msun", "mst", null, withSeeds), new("msun", "vanilla", 8, oneSeed) };
        var claims = PaperClaims.Judge(differences[0], differences[0], differences[1], differences[1]);
        var comparison = new MethodComparison(Rows(), MethodComparison.ComposeVerdict(Rows(), claims), null, claims, differences);
        var json = comparison.ToJson();
        Assert.Contains("\"seed_variance\": null", json);
        Assert.Equal(comparison, MethodComparison.ReadJson(new MemoryStream(Encoding.UTF8.GetBytes(json))));
        Assert.Equal("holds", MethodComparison.ReadJson(new MemoryStream(Encoding.UTF8.GetBytes(json))).Claims[0].OutcomeName);
    }

    [Fact]
    public void JsonAndCsvRoundTrip()
    {
        var comparison = new MethodComparison(Rows(), "a verdict, with \"quotes\"", new Dictionary<string, string> { ["profile"] = "quick", ["seed"] = "0" });
        using var json = new MemoryStream(Encoding.UTF8.GetBytes(comparison.ToJson()));
        Assert.Equal(comparison, MethodComparison.ReadJson(json));
        var text = new StringWriter();
        comparison.WriteCsv(text);
        Assert.Equal(comparison.Rows, MethodComparison.ReadCsv(new StringReader(text.ToString())).Rows);
    }

    [Fact]
    public void BadRowsAndFilesAreRejectedNamingTheProblem()
    {
        Assert.Contains("meanAccuracy", Assert.Throws<ArgumentOutOfRangeException>(
            () => new MethodComparisonRow("m", "routed", 1, 1.5, 8, 0.5, 28, 0.5, 1, 1)).Message);
        var csv = "method,scoring,parameters,mean_accuracy,smallest_size,accuracy_at_smallest,reference_size,accuracy_at_reference,mean_macs,macs_ratio_to_vanilla\n"
                  + "m,routed,1,abc,8,0.5,28,0.5,1,1\n";
        Assert.Contains("column mean_accuracy is 'abc', not a number", Assert.Throws<InvalidDataException>(() => MethodComparison.ReadCsv(new StringReader(csv))).Message);
        Assert.Contains("no routed result of 'vanilla'", Assert.Throws<ArgumentException>(() => MethodComparison.BuildRows(
            [("mst", Acc("mst", MultiScaleScoring.Routed, 5, 7, 8), 100, [1000, 1000, 1000])])).Message);
    }
}
