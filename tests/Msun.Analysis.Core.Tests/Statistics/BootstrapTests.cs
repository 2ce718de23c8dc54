using Msun.Analysis.Core.Cka;
using Msun.Analysis.Core.Statistics;

namespace Msun.Analysis.Core.Tests.Statistics;

public class BootstrapTests
{
    private static double[] Sample(int n, ulong seed, double mean, double sd)
    {
        var r = new SeededRandom(seed);
        return [.. Enumerable.Range(0, n).Select(_ => mean + sd * r.NextGaussian())];
    }

    private static Func<int[], double> MeanOf(double[] x) => idx => idx.Average(i => x[i]);

    [Fact]
    public void BootstrapOfTheMeanMatchesTheAnalyticStandardError()
    {
        const int n = 400;
        double[] x = Sample(n, 1, mean: 3, sd: 2);
        var interval = Bootstrap.Percentile(n, MeanOf(x), new BootstrapOptions(resamples: 4000, seed: 17));

        // The bootstrap distribution of the mean has sd = σ̂/√n with the plug-in σ̂ (denominator n).
        double mean = x.Average();
        double plugInSe = Math.Sqrt(x.Sum(v => (v - mean) * (v - mean)) / n) / Math.Sqrt(n);
        // Monte Carlo error of an sd from B = 4000 draws is ≈ 1/√(2B) ≈ 1.1 %; allow 5 %.
        Assert.Equal(plugInSe, interval.StandardError, plugInSe * 0.05);
        // At n = 400 the mean is ≈ normal: the 95 % percentile interval ≈ mean ± 1.96 SE. The Monte Carlo
        // error of a 2.5 % quantile from 4000 draws is ≈ 0.04 SE; allow 0.15 SE.
        Assert.Equal(mean - 1.959964 * plugInSe, interval.Low, 0.15 * plugInSe);
        Assert.Equal(mean + 1.959964 * plugInSe, interval.High, 0.15 * plugInSe);
        Assert.Equal(4000, interval.Values.Count);
        Assert.Null(interval.UndefinedReason);
    }

    [Fact]
    public void TheSameSeedGivesTheSameIntervalWhateverTheParallelism()
    {
        double[] x = Sample(50, 2, 0, 1);
        var a = Bootstrap.Percentile(50, MeanOf(x), new BootstrapOptions(resamples: 300, seed: 5));
        var b = Bootstrap.Percentile(50, MeanOf(x), new BootstrapOptions(resamples: 300, seed: 5, maxDegreeOfParallelism: 2));
        var c = Bootstrap.Percentile(50, MeanOf(x), new BootstrapOptions(resamples: 300, seed: 6));
        Assert.Equal(a.Values, b.Values);
        Assert.Equal((a.Low, a.High), (b.Low, b.High));
        Assert.NotEqual(a.Values, c.Values);
    }

    [Fact]
    public void TheStatisticReceivesNIndicesWithReplacement()
    {
        var seen = new List<int[]>();
        Bootstrap.Percentile(30, idx => { seen.Add(idx); return 0; }, new BootstrapOptions(resamples: 20, seed: 1));
        Assert.Equal(20, seen.Count);
        Assert.All(seen, idx => Assert.Equal(30, idx.Length));
        Assert.All(seen, idx => Assert.All(idx, i => Assert.InRange(i, 0, 29)));
        Assert.Contains(seen, idx => idx.Distinct().Count() < 30);
    }

    [Fact]
    public void NaNOnSomeResamplesIsReportedOrExplicitlyExcluded()
    {
        // NaN whenever the resample misses example 0: P = (1 − 1/10)^10 ≈ 0.35 of resamples.
        double Statistic(int[] idx) => idx.Contains(0) ? idx.Length : double.NaN;
        var propagated = Bootstrap.Percentile(10, Statistic, new BootstrapOptions(resamples: 200, seed: 3));
        Assert.True(double.IsNaN(propagated.Low) && double.IsNaN(propagated.High));
        Assert.InRange(propagated.NonFiniteCount, 40, 110);
        Assert.Contains($"not finite on {propagated.NonFiniteCount} of 200 resamples", propagated.UndefinedReason);

        var excluded = Bootstrap.Percentile(10, Statistic, new BootstrapOptions(resamples: 200, seed: 3, nonFinite: NonFinitePolicy.Exclude));
        Assert.Equal((10.0, 10.0), (excluded.Low, excluded.High));
        Assert.Equal(propagated.NonFiniteCount, excluded.NonFiniteCount);
        Assert.Equal(excluded.NonFiniteCount, excluded.ToSummary().NonFiniteCount);
    }

    [Fact]
    public void AStatisticThatThrowsIsNamedWithItsResample()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            Bootstrap.Percentile(10, _ => throw new ArgumentException("bad rows"), new BootstrapOptions(resamples: 5, seed: 4)));
        Assert.Contains("bootstrap resample 1 of 5 (seed 4): bad rows", error.Message);
    }

    [Fact]
    public void OptionsAreValidated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BootstrapOptions(resamples: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BootstrapOptions(level: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BootstrapOptions(level: double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BootstrapOptions(maxDegreeOfParallelism: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Bootstrap.Percentile(1, _ => 0));
    }

    [Fact]
    public void CkaPlugsInThroughSelectRows()
    {
        var x = RandomMatrices.Matrix("x", 60, 4, 1);
        var y = RandomMatrices.Dependent("y", x, 3, noise: 1.0, seed: 2);
        double full = global::Msun.Analysis.Core.Cka.Cka.Compute(x, y).Value;
        var interval = Bootstrap.Percentile(x.Rows,
            i => global::Msun.Analysis.Core.Cka.Cka.Compute(x.SelectRows(i), y.SelectRows(i)).Value,
            new BootstrapOptions(resamples: 400, seed: 8));
        Assert.InRange(full, interval.Low, interval.High);
        Assert.True(interval.High - interval.Low is > 0.01 and < 0.6, interval.ToString());
    }
}
