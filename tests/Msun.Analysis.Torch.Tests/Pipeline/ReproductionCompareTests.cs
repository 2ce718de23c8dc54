using Msun.Analysis.Core.Results;
using Msun.Analysis.Torch.Pipeline;

namespace Msun.Analysis.Torch.Tests.Pipeline;

/// <summary>The comparison over seeds (pooling, seed table, paired differences, claims) on hand-made evaluations.</summary>
public class ReproductionCompareTests
{
    private static readonly int[] Sizes = [8, 28];

    // One class, 4 images; hits per size given; accuracy counts derived from them.
    private static Reproduction.MethodEvaluation Eval(string model, long parameters, byte[] at8, byte[] at28)
    {
        var hits = new[] { at8, at28 };
        var routed = new MultiScaleAccuracy(model, MultiScaleScoring.Routed, 28,
            Sizes.Select((s, i) => new SizeAccuracy(s, "network", [hits[i].Sum(h => (long)h)], [4])).ToArray());
        var macs = Sizes.Select(s => new MacTableRow(model, s, "network", 28, parameters, model == "msun" ? 50 + s : 100, 0)).ToArray();
        return new Reproduction.MethodEvaluation([routed], macs, [], parameters, hits);
    }

    [Fact]
    public void SeedsArePooledSummarisedAndComparedPairedOnTheSameImages()
    {
        // MSUN vs Vanilla at 8 px is the hand-computed case of PairedDifferenceTests: D = 0.25, V_img = 0.078125, V_seed = 0.03125.
        var evaluations = new (string, int, Reproduction.MethodEvaluation)[]
        {
            ("vanilla", 0, Eval("vanilla", 100, [0, 1, 0, 1], [1, 1, 1, 1])),
            ("vanilla", 1, Eval("vanilla", 100, [0, 1, 0, 0], [1, 1, 1, 0])),
            ("mst", 0, Eval("mst", 100, [1, 1, 0, 0], [1, 1, 0, 1])),
            ("mst", 1, Eval("mst", 100, [1, 0, 0, 1], [1, 1, 1, 0])),
            ("msun", 0, Eval("msun", 140, [1, 1, 0, 1], [1, 1, 1, 1])),
            ("msun", 1, Eval("msun", 140, [1, 0, 0, 1], [1, 1, 0, 1])),
        };
        var outcome = Reproduction.Compare(evaluations, new Dictionary<string, string> { ["seeds"] = "0,1" }, ["a note for the verdict"]);

        var vanilla = outcome.Pooled.Single(a => a.Model == "vanilla");
        Assert.Equal(8, vanilla.Images); // 2 seeds × 4 images
        Assert.Equal((0.5 + 0.25) / 2, vanilla.AccuracyAt(8), 12);
        Assert.Equal([0.5, 0.25], outcome.Seeds.Row("vanilla", MultiScaleScoring.Routed, 8).Values);
        Assert.Equal([0.75, 0.5], outcome.Seeds.Row("vanilla", MultiScaleScoring.Routed, null).Values); // (0.5 + 1) / 2, (0.25 + 0.75) / 2

        var at8 = outcome.Comparison.Differences.Single(d => d.Subtrahend == "vanilla" && d.Size == 8).Interval;
        Assert.Equal(0.25, at8.Mean, 15);
        Assert.Equal(0.078125, at8.ImageVariance, 15);
        Assert.Equal(0.03125, at8.SeedVariance, 15);
        // Mean over sizes: per image, the mean of its two sizes' hits, then the same formula.
        var mean = outcome.Comparison.Differences.Single(d => d.Subtrahend == "mst" && d.Size is null).Interval;
        Assert.Equal((0.875 + 0.625) / 2 - (0.625 + 0.625) / 2, mean.Mean, 15);
        Assert.Equal(6, outcome.Comparison.Differences.Count); // 2 baselines × (2 sizes + mean)
        Assert.Equal(["average", "smallest", "reference"], outcome.Comparison.Claims.Select(c => c.Id));
        Assert.EndsWith("Note: a note for the verdict", outcome.Comparison.Verdict);
        Assert.Equal(140, outcome.Comparison.Row("msun", MultiScaleScoring.Routed).Parameters);
        Assert.Equal((58 + 78) / 2.0 / 100, outcome.Comparison.Row("msun", MultiScaleScoring.Routed).MacsRatioToVanilla, 12);
    }
}
