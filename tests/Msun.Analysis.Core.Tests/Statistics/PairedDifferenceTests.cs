using Msun.Analysis.Core.Statistics;

namespace Msun.Analysis.Core.Tests.Statistics;

public class PairedDifferenceTests
{
    private static IReadOnlyList<IReadOnlyList<double>> Rows(params double[][] rows) => rows;

    [Fact]
    public void HandComputedCaseWithTwoSeedsPerMethod()
    {
        // A: seed accuracies 0.75, 0.50; B: 0.50, 0.25 → D = 0.625 − 0.375 = 0.25.
        // Per-image seed means: A [1, .5, 0, 1], B [0, 1, 0, .5] → d = [1, −.5, 0, .5]; Σ(d − D)² = 1.25 → V_img = 1.25 / 16.
        // s²_A = s²_B = 0.03125 → V_seed = 0.03125/2 + 0.03125/2 = 0.03125.
        var d = PairedDifference.Compute(
            Rows([1, 1, 0, 1], [1, 0, 0, 1]),
            Rows([0, 1, 0, 1], [0, 1, 0, 0]));
        Assert.Equal(0.25, d.Mean, 15);
        Assert.Equal(0.078125, d.ImageVariance, 15);
        Assert.Equal(0.03125, d.SeedVariance, 15);
        const double v = 0.078125 + 0.03125;
        const double df = v * v / (0.078125 * 0.078125 / 3 + 0.015625 * 0.015625 + 0.015625 * 0.015625); // ≈ 4.742
        Assert.Equal(df, d.DegreesOfFreedom, 12);
        Assert.True(d.IncludesSeedVariation);
        Assert.Equal((2, 2, 4), (d.MinuendSeeds, d.SubtrahendSeeds, d.Images));
        Assert.Equal(d.Mean - d.Low, d.High - d.Mean, 12);
        // t(0.975, 4.742) lies between the table values for 5 (2.5706) and 4 (2.7764) degrees of freedom.
        var t = (d.High - d.Mean) / Math.Sqrt(v);
        Assert.InRange(t, 2.5706, 2.7764);
    }

    [Fact]
    public void SeedVariationAloneUsesTheTableQuantiles()
    {
        // Every image has the same seed-mean difference, so V_img = 0 and only the seeds vary.
        // One seed-varying method: V = s²_A/2 = 0.25, ν = 1 → t = 12.706204736174704 (table).
        var one = PairedDifference.Compute(Rows([1, 1], [0, 0]), Rows([0, 0], [0, 0]));
        Assert.Equal(0.5, one.Mean, 15);
        Assert.Equal(0, one.ImageVariance, 15);
        Assert.Equal(1, one.DegreesOfFreedom, 12);
        Assert.Equal(0.5 - 12.706204736174704 * 0.5, one.Low, 9);
        Assert.Equal(0.5 + 12.706204736174704 * 0.5, one.High, 9);

        // Both vary equally: V = 0.5, ν = 0.25 / (0.0625 + 0.0625) = 2 → t = 4.302652729749464.
        var two = PairedDifference.Compute(Rows([1, 1], [0, 0]), Rows([0, 0], [1, 1]));
        Assert.Equal(0, two.Mean, 15);
        Assert.Equal(2, two.DegreesOfFreedom, 12);
        Assert.Equal(4.302652729749464 * Math.Sqrt(0.5), two.High, 9);
    }

    [Fact]
    public void OneSeedCoversTheTestImagesOnlyAndSaysSo()
    {
        // d = [1, 0, 0, 0], D = 0.25, V_img = (0.75² + 3·0.25²) / 16 = 0.046875, ν = n − 1 = 3 → t = 3.182446305284263.
        var d = PairedDifference.Compute(Rows([1, 1, 0, 1]), Rows([0, 1, 0, 1]));
        Assert.False(d.IncludesSeedVariation);
        Assert.True(double.IsNaN(d.SeedVariance));
        Assert.Equal(3, d.DegreesOfFreedom, 12);
        Assert.Equal(0.25 + 3.182446305284263 * Math.Sqrt(0.046875), d.High, 9);
    }

    [Fact]
    public void ImageVarianceIsThePairedBootstrapVariance()
    {
        // Monte Carlo paired bootstrap: resample images (the same for all seeds and both methods), recompute D.
        var rng = new Random(7);
        const int n = 150;
        double[] Row(double p) => Enumerable.Range(0, n).Select(_ => rng.NextDouble() < p ? 1.0 : 0.0).ToArray();
        var a = new[] { Row(0.7), Row(0.72), Row(0.69) };
        var b = new[] { Row(0.6), Row(0.65) };
        var exact = PairedDifference.Compute(a, b);
        const int resamples = 20000;
        var values = new double[resamples];
        var idx = new int[n];
        for (int r = 0; r < resamples; r++)
        {
            for (int i = 0; i < n; i++) idx[i] = rng.Next(n);
            double sa = a.Average(row => idx.Average(i => row[i])), sb = b.Average(row => idx.Average(i => row[i]));
            values[r] = sa - sb;
        }

        double mean = values.Average();
        double variance = values.Sum(v => (v - mean) * (v - mean)) / (resamples - 1);
        Assert.Equal(exact.ImageVariance, variance, exact.ImageVariance * 0.05);
        Assert.Equal(exact.Mean, mean, 0.003);
    }

    [Fact]
    public void MeanOverSizesAveragesEachImage()
    {
        Assert.Equal([0.5, 1.0, 0.0], PairedDifference.MeanOverSizes(Rows([1, 1, 0], [0, 1, 0])));
    }

    [Fact]
    public void BadInputIsNamed()
    {
        Assert.Contains("subtrahend row 0 has 2 images; expected 3", Assert.Throws<ArgumentException>(
            () => PairedDifference.Compute(Rows([1, 0, 1]), Rows([1, 0]))).Message);
        Assert.Contains("no rows", Assert.Throws<ArgumentException>(() => PairedDifference.Compute(Rows(), Rows([1, 0]))).Message);
        Assert.Contains("image 1 is NaN", Assert.Throws<ArgumentException>(() => PairedDifference.Compute(Rows([1, double.NaN]), Rows([1, 0]))).Message);
        Assert.Contains("at least 2", Assert.Throws<ArgumentException>(() => PairedDifference.Compute(Rows([1]), Rows([1]))).Message);
    }
}
