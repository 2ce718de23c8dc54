using Msun.Analysis.Core.Results;
using Msun.Analysis.Core.SplitSelection;
using Msun.Analysis.Core.Statistics;

namespace Msun.Analysis.Core.Tests.SplitSelection;

public class SplitSelectorTests
{
    private static readonly string[] ResNet50Blocks = ["stem", "layer1", "layer2", "layer3", "layer4"];

    /// <summary>Baseline ResNet-50, probe 32 vs reference 224, as published (docs/METHOD.md §1); no stds were given.</summary>
    private static readonly double[] Published = [0.52, 0.86, 0.84, 0.77, 0.39];

    private static readonly SplitRuleOptions MeansOnly = new(uncertainty: UncertaintyRule.None);

    private static SplitRecommendation FromMeans(double[] means, SplitRuleOptions? options = null) =>
        SplitSelector.Recommend([.. means.Select((_, i) => $"b{i + 1}")], means, null, 32, options ?? MeansOnly);

    [Fact]
    public void PublishedResNet50ProfileGivesTheStemAlone()
    {
        var r = SplitSelector.Recommend(ResNet50Blocks, Published, null, 32, MeansOnly);
        Assert.Equal(1, r.Split);
        Assert.Equal(1, r.SplitAtMeans);
        var p = Assert.Single(r.Probes);
        Assert.Equal(0.69, p.Threshold, 12); // (0.52 + 0.86) / 2; layer4 is the head
        Assert.Equal(0.34, p.Contrast, 12);
        Assert.Equal(1, p.LargestRiseAfter);
        Assert.Equal([BlockStatus.Sensitive, BlockStatus.Recovered, BlockStatus.Recovered, BlockStatus.Recovered, BlockStatus.Head],
            p.Blocks.Select(b => b.Status));
        Assert.Empty(r.Warnings);
        string text = r.Explain();
        Assert.Contains("Recommended split: 1 — blocks 1..1 (stem) get a per-scale subnet; blocks 2..5 are shared.", text);
        Assert.Contains("Largest rise: block 1 → 2 (+0.34), where the means cross τ too.", text);
        Assert.Contains("as MSUN's ResNet-50 split does) would give 2", text);
    }

    [Fact]
    public void CountingTheFirstRecoveredBlockReproducesTheAuthorsSplit()
    {
        var r = SplitSelector.Recommend(ResNet50Blocks, Published, null, 32,
            new SplitRuleOptions(uncertainty: UncertaintyRule.None, boundary: SplitBoundary.ThroughFirstRecovered));
        Assert.Equal(2, r.Split);
        Assert.Equal(1, r.Probes[0].SensitivePrefix);
        Assert.Contains("blocks 1..2 (stem, layer1) get a per-scale subnet", r.Explain());
    }

    [Fact]
    public void AFixedThresholdOf08AlsoGivesOneAndFlagsTheDipAtLayer3()
    {
        var r = SplitSelector.Recommend(ResNet50Blocks, Published, null, 32,
            new SplitRuleOptions(threshold: ThresholdRule.Fixed, fixedThreshold: 0.8, uncertainty: UncertaintyRule.None));
        Assert.Equal(1, r.Split);
        Assert.Equal(0.8, r.Probes[0].Threshold);
        Assert.Contains(r.Warnings, w => w.Contains("layer3 (0.77) fall(s) below τ = 0.8 again"));
    }

    [Fact]
    public void WithoutTheHeadExclusionTheLastBlockSetsTheThreshold()
    {
        // min 0.39 (layer4), max 0.86: τ = 0.625; the stem is still the only leading low block.
        var r = SplitSelector.Recommend(ResNet50Blocks, Published, null, 32, new SplitRuleOptions(uncertainty: UncertaintyRule.None, headBlocks: 0));
        Assert.Equal(0.625, r.Probes[0].Threshold, 12);
        Assert.Equal(1, r.Split);
        Assert.Contains(r.Warnings, w => w.Contains("b5") || w.Contains("layer4"));
    }

    [Theory]
    [InlineData(new[] { 0.2, 0.3, 0.4, 0.8, 0.9, 0.95, 0.5 }, 3)]   // τ = 0.575
    [InlineData(new[] { 0.2, 0.9, 0.92, 0.95, 0.3 }, 1)]
    [InlineData(new[] { 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.2 }, 3)] // τ = 0.4; 0.4 ≥ τ counts as recovered
    [InlineData(new[] { 0.9, 0.8, 0.5, 0.3, 0.2 }, 0)]              // low layers already scale-invariant
    public void MonotoneProfilesSplitWhereTheyCrossTheMidpoint(double[] means, int expected)
    {
        Assert.Equal(expected, FromMeans(means).Split);
    }

    [Fact]
    public void ADecreasingProfileRecommendsNoSplitAndSaysWhichBlocksDip()
    {
        var r = FromMeans([0.9, 0.8, 0.5, 0.3, 0.2]);
        Assert.Equal(0, r.Split);
        Assert.Contains(r.Warnings, w => w.Contains("b3 (0.5), b4 (0.3) fall(s) below"));
        Assert.Contains("Recommended split: 0 (no per-scale subnet).", r.Explain());
    }

    [Theory]
    [InlineData(new[] { 0.90, 0.91, 0.92, 0.90, 0.40 })]
    [InlineData(new[] { 0.30, 0.31, 0.33, 0.32, 0.10 })]
    public void AFlatProfileRecommendsZeroWithAWarning(double[] means)
    {
        foreach (var options in new[] { MeansOnly, new SplitRuleOptions(threshold: ThresholdRule.Fixed, uncertainty: UncertaintyRule.None) })
        {
            var r = FromMeans(means, options);
            Assert.Equal(0, r.Split);
            Assert.Equal(0, r.SplitAtMeans);
            Assert.Contains(r.Warnings, w => w.Contains("flat profile") && w.Contains("no evidence for a split (0)"));
        }
        // Without the contrast guard the midpoint splits on noise.
        Assert.True(FromMeans(means, new SplitRuleOptions(uncertainty: UncertaintyRule.None, minimumContrast: 0)).Split > 0);
    }

    /// <summary>Two repeats m ± δ have mean m and sample std δ√2.</summary>
    private static CkaProfile Profile(params (double Mean, double Delta)[] blocks) => Profile(blocks, null);

    private static CkaProfile Profile((double Mean, double Delta)[] blocks, double[]? ciLows)
    {
        var names = blocks.Select((_, i) => new ProfileBlock($"b{i + 1}", i + 1)).ToArray();
        var cells = blocks.Select((b, i) => new CkaProfileCell($"b{i + 1}", 32, [b.Mean - b.Delta, b.Mean + b.Delta],
            interval: ciLows is null ? null : new IntervalSummary(ciLows[i], b.Mean + 0.05, 0.95, 1000, 0, 1, "percentile bootstrap"))).ToArray();
        return new CkaProfile(names, [32], cells, new Dictionary<string, string>());
    }

    [Fact]
    public void AWideBandOnTheRecoveringBlockExtendsTheSplit()
    {
        // τ = (0.5 + 0.9)/2 = 0.7. b2's mean 0.75 clears it, but mean − std = 0.75 − 0.1 does not.
        double delta = 0.1 / Math.Sqrt(2);
        var profile = Profile((0.5, 0.01), (0.75, delta), (0.9, 0.01), (0.9, 0.01), (0.4, 0.01));
        var r = SplitSelector.Recommend(profile);
        Assert.Equal(2, r.Split);
        Assert.Equal(1, r.SplitAtMeans);
        Assert.Equal(BlockStatus.Ambiguous, r.Probes[0].Blocks[1].Status);
        Assert.Equal(0.65, r.Probes[0].Blocks[1].Lower, 12);
        Assert.Contains(r.Warnings, w => w.Contains("uncertainty changed the answer: b2 straddles τ; on the means alone the split would be 1"));
        Assert.Contains("Uncertainty decided: on the means alone the rule gives 1.", r.Explain());

        // A narrower band (z = 0.4: 0.75 − 0.04) clears τ: the answer is back to 1.
        Assert.Equal(1, SplitSelector.Recommend(profile, new SplitRuleOptions(z: 0.4)).Split);
        // The standard error of two repeats is std/√2 = 0.0707: at z = 0.6 the std band (0.75 − 0.06) still
        // straddles τ while the standard-error band (0.75 − 0.042) clears it.
        Assert.Equal(2, SplitSelector.Recommend(profile, new SplitRuleOptions(z: 0.6)).Split);
        Assert.Equal(1, SplitSelector.Recommend(profile, new SplitRuleOptions(uncertainty: UncertaintyRule.StandardErrorBand, z: 0.6)).Split);
        Assert.Equal(1, SplitSelector.Recommend(profile, MeansOnly).Split);
    }

    [Fact]
    public void ConfidenceIntervalsCanDecideToo()
    {
        var blocks = new[] { (0.5, 0.0), (0.75, 0.0), (0.9, 0.0), (0.9, 0.0), (0.4, 0.0) };
        var options = new SplitRuleOptions(uncertainty: UncertaintyRule.ConfidenceInterval);
        Assert.Equal(2, SplitSelector.Recommend(Profile(blocks, [0.45, 0.68, 0.85, 0.85, 0.35]), options).Split);
        Assert.Equal(1, SplitSelector.Recommend(Profile(blocks, [0.45, 0.71, 0.85, 0.85, 0.35]), options).Split);
        Assert.Contains("b1 at probe 32 has no (finite) confidence interval",
            Assert.Throws<ArgumentException>(() => SplitSelector.Recommend(Profile(blocks), options)).Message);
    }

    [Fact]
    public void WhenNoBandClearsTheThresholdEveryConsideredBlockIsSplitWithAWarning()
    {
        var profile = Profile((0.5, 0.2), (0.75, 0.2), (0.9, 0.2), (0.4, 0.01));
        var r = SplitSelector.Recommend(profile);
        Assert.Equal(3, r.Split);
        Assert.Contains(r.Warnings, w => w.Contains("no considered block clearly recovers"));
    }

    [Fact]
    public void AllProbesTakesTheLargestSplitAndReportsDisagreement()
    {
        ProfileBlock[] blocks = [new("stem", 1), new("layer1", 2), new("layer2", 3), new("layer3", 4), new("layer4", 5)];
        double[] at32 = [0.3, 0.5, 0.9, 0.9, 0.3], at128 = [0.7, 0.95, 0.95, 0.96, 0.5];
        var cells = blocks.SelectMany((b, i) => new[]
        {
            new CkaProfileCell(b.Name, 32, [at32[i]]),
            new CkaProfileCell(b.Name, 128, [at128[i]]),
        }).ToArray();
        var profile = new CkaProfile(blocks, [128, 32], cells, new Dictionary<string, string>());
        var smallest = SplitSelector.Recommend(profile, MeansOnly);
        Assert.Equal(32, Assert.Single(smallest.Probes).Probe);
        Assert.Equal(2, smallest.Split); // τ = 0.6
        var all = SplitSelector.Recommend(profile, new SplitRuleOptions(uncertainty: UncertaintyRule.None, probes: ProbeChoice.All));
        Assert.Equal([32, 128], all.Probes.Select(p => p.Probe));
        Assert.Equal([2, 1], all.Probes.Select(p => p.Split)); // at 128 τ = 0.83
        Assert.Equal(2, all.Split);
        Assert.Contains(all.Warnings, w => w.Contains("probes disagree (32: 2, 128: 1)"));
    }

    [Fact]
    public void BadInputFailsWithAClearMessage()
    {
        Assert.Contains("has no blocks", Assert.Throws<ArgumentException>(() => SplitSelector.Recommend([], 32)).Message);
        Assert.Contains("5 block names but 4 means",
            Assert.Throws<ArgumentException>(() => SplitSelector.Recommend(ResNet50Blocks, [0.5, 0.8, 0.8, 0.7], null, 32)).Message);
        Assert.Contains("5 block names but 2 standard deviations",
            Assert.Throws<ArgumentException>(() => SplitSelector.Recommend(ResNet50Blocks, Published, [0.1, 0.1], 32)).Message);
        Assert.Contains("block layer1 at probe 32 has mean CKA NaN",
            Assert.Throws<ArgumentException>(() => SplitSelector.Recommend(ResNet50Blocks, [0.5, double.NaN, 0.8, 0.7, 0.4], null, 32, MeansOnly)).Message);
        Assert.Contains("with 1 excluded as the head, 1 remain",
            Assert.Throws<ArgumentException>(() => FromMeans([0.5, 0.4])).Message);
        Assert.Contains("block stem at probe 32 has no standard deviation",
            Assert.Throws<ArgumentException>(() => SplitSelector.Recommend(ResNet50Blocks, Published, null, 32)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SplitRuleOptions(fixedThreshold: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SplitRuleOptions(z: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SplitRuleOptions(headBlocks: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SplitRuleOptions(minimumContrast: double.NaN));
    }

    [Fact]
    public void ANaNRepeatInAProfileIsAnErrorWithItsReasonButOnlyAWarningInTheHead()
    {
        ProfileBlock[] blocks = [new("stem", 1), new("layer1", 2), new("layer2", 3)];
        CkaProfile Make(int nanAt) => new(blocks, [32],
            blocks.Select((b, i) => new CkaProfileCell(b.Name, 32, i == nanAt ? [0.5, double.NaN] : [0.4 + 0.2 * i, 0.42 + 0.2 * i])).ToArray(),
            new Dictionary<string, string>());
        var error = Assert.Throws<ArgumentException>(() => SplitSelector.Recommend(Make(0)));
        Assert.Contains("block stem at probe 32 has mean CKA NaN (1 of 2 values are not finite", error.Message);
        var r = SplitSelector.Recommend(Make(2));
        Assert.Contains(r.Warnings, w => w.Contains("head block layer2 has mean CKA NaN"));
    }

    [Fact]
    public void StatisticsPlugIntoTheRule()
    {
        // A profile whose repeats and intervals come from the library's own statistics.
        var rng = new SeededRandom(4);
        double[] centres = [0.45, 0.85, 0.83, 0.78, 0.4];
        var cells = centres.Select((c, i) =>
        {
            double[] repeats = [.. Enumerable.Range(0, 8).Select(_ => c + 0.02 * rng.NextGaussian())];
            var ci = Bootstrap.Percentile(repeats.Length, idx => idx.Average(j => repeats[j]), new BootstrapOptions(500, seed: (ulong)i));
            return new CkaProfileCell(ResNet50Blocks[i], 32, repeats, interval: ci.ToSummary());
        }).ToArray();
        var profile = new CkaProfile(ResNet50Blocks.Select((n, i) => new ProfileBlock(n, i + 1)).ToArray(), [32], cells,
            new Dictionary<string, string> { ["model"] = "synthetic" });
        foreach (var u in Enum.GetValues<UncertaintyRule>())
            Assert.Equal(1, SplitSelector.Recommend(profile, new SplitRuleOptions(uncertainty: u)).Split);
    }
}
