using Msun.Analysis.Core.Results;
using Msun.Analysis.Core.SplitSelection;
using Msun.Analysis.Core.Statistics;
using Msun.Analysis.Core.Tables;

namespace Msun.Analysis.Core.Tests.Tables;

/// <summary>The shared table content: cells formatted from hand-computed values, and the plain-text layout.</summary>
public class ResultTablesTests
{
    [Fact]
    public void TextAlignsLabelsLeftAndNumbersRightUnderTheCaption()
    {
        var table = new ResultTable("Caption", [TableColumn.Label("name"), TableColumn.Number("n")], [["a", "1"], ["longer", "1,234"]]);
        Assert.Equal("Caption\nname        n\na           1\nlonger  1,234\n", table.ToText());
    }

    [Fact]
    public void ARowOfTheWrongWidthIsRefusedNamingTheTable()
    {
        var e = Assert.Throws<ArgumentException>(() => new ResultTable("t", [TableColumn.Label("a"), TableColumn.Number("b")], [["1"]]));
        Assert.Contains("table 't': a row has 1 cells; the header has 2", e.Message);
    }

    [Fact]
    public void ProfileCellsAreMeanAndSampleStdOverSubsetsWithTheIntervalWhenComputed()
    {
        var interval = new IntervalSummary(0.25, 0.375, 0.95, 100, 0, 1, "percentile");
        var profile = new CkaProfile([new("stem", 1), new("layer1", 2)], [7, 14],
            [
                // {0.25, 0.75}: mean 0.5, sample std 0.25·√2 = 0.35355…
                new("stem", 7, [0.25, 0.75], interval: interval), new("stem", 14, [0.5]),
                new("layer1", 7, [0.5, double.NaN]), new("layer1", 14, [0.125, 0.375]),
            ],
            new Dictionary<string, string> { ["model"] = "net", ["estimator"] = "minibatch", ["reference_size"] = "28" });

        var table = ResultTables.Profile(profile);

        Assert.Equal(["#", "block", "probe 7 px", "probe 14 px"], table.Header);
        Assert.Equal(["1", "stem", "0.500 ± 0.354 [0.250, 0.375]", "0.500"], table.Rows[0]); // one value: no std to show
        Assert.Equal(["2", "layer1", "undefined", "0.250 ± 0.177"], table.Rows[1]); // a NaN repeat is never averaged away
        Assert.Equal("CKA per block and probe: net, minibatch CKA, reference 28 px, mean ± std over 2 subsets, [95 % bootstrap interval]", table.Caption);
        Assert.Equal("CKA per block and probe: vanilla, minibatch CKA, reference 28 px, mean ± std over 2 subsets, [95 % bootstrap interval]",
            ResultTables.Profile(profile, "vanilla").Caption);
        Assert.Null(ResultTables.ProfileNull(profile));
    }

    [Fact]
    public void ProfileNullShowsThePermutationMeansWhereComputed()
    {
        var nullSummary = new NullSummary(0.0624, 0.0312, [], 20, 0, 3);
        var profile = new CkaProfile([new("stem", 1)], [7, 14],
            [new("stem", 7, [0.5], nullDistribution: nullSummary), new("stem", 14, [0.5])], new Dictionary<string, string>());

        var table = ResultTables.ProfileNull(profile)!;

        Assert.Equal(["1", "stem", "0.062 ± 0.031", ""], table.Rows[0]);
        Assert.Contains("20 permutations", table.Caption);
    }

    [Fact]
    public void AccuracyHasARowPerMethodInPercentWithTheMeanAndADashForAnUntestedSize()
    {
        // 4 images: 1 and 3 correct -> 25 % and 75 %, mean 50 %.
        SizeAccuracy Size(int size, long correct) => new(size, MacTableRow.SingleNetworkBranch, [correct], [4]);
        var vanilla = new MultiScaleAccuracy("vanilla", MultiScaleScoring.Routed, 28, [Size(14, 1), Size(28, 3)]);
        var msun = new MultiScaleAccuracy("msun", MultiScaleScoring.BestOfBranches, 28, [Size(28, 4)]);

        var table = ResultTables.Accuracy([vanilla, msun]);

        Assert.Equal(["model", "scoring", "14 px", "28 px", "mean", "images"], table.Header);
        Assert.Equal(["vanilla", "routed", "25.00", "75.00", "50.00", "4"], table.Rows[0]);
        Assert.Equal(["msun", "best-of-branches", "–", "100.00", "100.00", "4"], table.Rows[1]);
    }

    [Fact]
    public void MacsAreExactAndInMillions()
    {
        var table = ResultTables.Macs(new MacTable([MacTableRow.ForBackbone("resnet18", 224, 11_689_512, 1_814_073_344, 2_000)]));
        Assert.Equal(["resnet18", "224", "network", "224", "11,689,512", "1,814,073,344", "1,814.07", "2,000"], table.Rows[0]);
    }

    [Fact]
    public void SplitMarksThePerScaleBlocksOnTheDecidingProbeOnly()
    {
        var split = SplitSelector.Recommend(["stem", "layer1", "layer2", "layer3"], [0.2, 0.3, 0.9, 0.5], null, 7,
            new SplitRuleOptions(uncertainty: UncertaintyRule.None));

        var table = Assert.Single(ResultTables.Split(split, "vanilla"));

        Assert.Equal(2, split.Split); // stem and layer1 below τ, layer2 recovered, layer3 the head
        Assert.StartsWith("vanilla, probe 7 px: τ = ", table.Caption);
        Assert.Equal(["1", "stem", "0.200", "", "sensitive (per-scale subnet)"], table.Rows[0]);
        Assert.Equal(["3", "layer2", "0.900", "", "recovered"], table.Rows[2]);
        Assert.Equal(["4", "layer3", "0.500", "", "head"], table.Rows[3]);
    }

    [Fact]
    public void MarkdownRightAlignsNumbersAndEscapesPipes()
    {
        var table = new ResultTable("Caption", [TableColumn.Label("name"), TableColumn.Number("n")], [["a|b", "1"]]);
        Assert.Equal("Caption\n\n| name | n |\n|---|---:|\n| a\\|b | 1 |\n", table.ToMarkdown());
    }

    [Fact]
    public void SeedAccuracyIsMeanAndSampleStdOverSeedsInPercent()
    {
        // Seeds at 0.5 and 0.7: mean 60 %, sample std 0.1·√2 = 14.14 pp; one seed shows its value alone.
        var table = ResultTables.SeedAccuracy(new SeedAccuracyTable(
        [
            new("vanilla", MultiScaleScoring.Routed, 8, [0, 1], [0.5, 0.7]),
            new("vanilla", MultiScaleScoring.Routed, null, [0, 1], [0.5, 0.7]),
            new("msun", MultiScaleScoring.Routed, 8, [0], [0.25]),
            new("msun", MultiScaleScoring.Routed, null, [0], [0.25]),
        ]));

        Assert.Equal(["model", "scoring", "8 px", "mean"], table.Header);
        Assert.Equal(["vanilla", "routed", "60.00 ± 14.14", "60.00 ± 14.14"], table.Rows[0]);
        Assert.Equal(["msun", "routed", "25.00", "25.00"], table.Rows[1]);
        Assert.Contains("over 2 seed(s)", table.Caption);
    }

    [Fact]
    public void DifferencesHaveARowPerPairAndAColumnPerSizeInPercentagePoints()
    {
        var at8 = new DifferenceInterval(0.1, 0.02, 0.18, 0.95, 1e-3, 2e-3, 7.5, 3, 3, 100);
        var mean = new DifferenceInterval(-0.05, -0.125, 0.025, 0.95, 1e-3, 2e-3, 7.5, 3, 3, 100);
        var rows = MethodComparison.BuildRows(
        [
            ("vanilla", Accuracy("vanilla", 1), 100, [1000]),
            ("msun", Accuracy("msun", 2), 140, [600]),
        ]);
        var comparison = new MethodComparison(rows, "v", null, [], [new("msun", "vanilla", 8, at8), new("msun", "vanilla", null, mean)]);

        var differences = ResultTables.Differences(comparison);
        Assert.Equal(["difference", "8 px", "mean over sizes", "seeds"], differences.Header);
        Assert.Equal(["msun − vanilla", "+10.00 [+2.00, +18.00]", "-5.00 [-12.50, +2.50]", "3 vs 3"], Assert.Single(differences.Rows));

        // MSUN's 600 MACs against Vanilla's 1,000: a ratio of 0.6.
        var costs = ResultTables.MethodCosts(comparison);
        Assert.Equal(["msun", "routed", "140", "600", "0.600"], costs.Rows[1]);
        Assert.Contains("whole model", costs.Caption);
    }

    // 4 images at 8 px, the given number right.
    private static MultiScaleAccuracy Accuracy(string model, long correct) =>
        new(model, MultiScaleScoring.Routed, 8, [new SizeAccuracy(8, MacTableRow.SingleNetworkBranch, [correct], [4])]);
}
