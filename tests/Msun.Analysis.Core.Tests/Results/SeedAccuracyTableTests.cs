using Msun.Analysis.Core.Results;

namespace Msun.Analysis.Core.Tests.Results;

public class SeedAccuracyTableTests
{
    // 10 examples of one class per size; correct counts per size given.
    private static MultiScaleAccuracy Acc(string scoring, params long[] correct) => new(
        "m", scoring, 28, correct.Select((c, i) => new SizeAccuracy(new[] { 8, 28 }[i], "network", [c], [10])).ToArray());

    [Fact]
    public void MeanAndSampleStdOverSeedsPerSizeAndOverSizes()
    {
        var table = SeedAccuracyTable.Build(
        [
            ("vanilla", [(0, [Acc(MultiScaleScoring.Routed, 2, 8)]), (1, [Acc(MultiScaleScoring.Routed, 4, 9)]), (2, [Acc(MultiScaleScoring.Routed, 3, 7)])]),
        ]);
        var at8 = table.Row("vanilla", MultiScaleScoring.Routed, 8);
        Assert.Equal([0.2, 0.4, 0.3], at8.Values);
        Assert.Equal(0.3, at8.Mean, 12);
        Assert.Equal(0.1, at8.Std, 12); // deviations ±0.1, 0 → √(0.02 / 2)
        var mean = table.Row("vanilla", MultiScaleScoring.Routed, null);
        Assert.Equal([0.5, 0.65, 0.5], mean.Values.Select(v => Math.Round(v, 12)));
        Assert.Equal(3, table.Rows.Count);
        Assert.True(double.IsNaN(SeedAccuracyTable.Build([("x", [(0, [Acc(MultiScaleScoring.Routed, 1, 1)])])]).Rows[0].Std));
    }

    [Fact]
    public void JsonRoundTripsAndCsvHasTheSummary()
    {
        var table = SeedAccuracyTable.Build(
            [("msun", [(0, [Acc(MultiScaleScoring.Routed, 2, 8), Acc(MultiScaleScoring.BestOfBranches, 3, 8)]),
                       (1, [Acc(MultiScaleScoring.Routed, 4, 9), Acc(MultiScaleScoring.BestOfBranches, 4, 9)])])],
            new Dictionary<string, string> { ["seeds"] = "0,1" });
        var stream = new MemoryStream();
        table.WriteJson(stream);
        Assert.Equal(table, SeedAccuracyTable.ReadJson(new MemoryStream(stream.ToArray())));
        var csv = new StringWriter();
        table.WriteCsv(csv);
        var lines = csv.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("method,scoring,size,seeds,mean,std", lines[0]);
        Assert.Equal("msun,routed,,2,0.575,0.10606601717798214", lines[3]);
        Assert.Contains("has no 'best-of-branches' result", Assert.Throws<ArgumentException>(() => SeedAccuracyTable.Build(
            [("msun", [(0, [Acc(MultiScaleScoring.Routed, 2, 8), Acc(MultiScaleScoring.BestOfBranches, 3, 8)]), (1, [Acc(MultiScaleScoring.Routed, 4, 9)])])])).Message);
    }
}
