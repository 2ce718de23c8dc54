using Msun.Analysis.Core.Statistics;

namespace Msun.Analysis.Core.Tests.Statistics;

public class SampleSummaryTests
{
    [Fact]
    public void MeanAndSampleStdUseNMinusOne()
    {
        var s = SampleSummary.Of([2, 4, 4, 4, 5, 5, 7, 9]);
        Assert.Equal(5, s.Mean, 12);
        Assert.Equal(Math.Sqrt(32.0 / 7), s.StandardDeviation, 12); // Σ(x − 5)² = 32
        Assert.Equal(8, s.UsedCount);
        Assert.Equal(Math.Sqrt(32.0 / 7) / Math.Sqrt(8), s.StandardError, 12);
        Assert.Null(s.UndefinedReason);
    }

    [Fact]
    public void LargeOffsetsDoNotCancel()
    {
        var s = SampleSummary.Of([1e9 + 1, 1e9 + 2, 1e9 + 3]);
        Assert.Equal(1.0, s.StandardDeviation, 9);
    }

    [Fact]
    public void NaNPropagatesByDefaultWithAReason()
    {
        var s = SampleSummary.Of([0.8, double.NaN, 0.7, double.NaN]);
        Assert.True(double.IsNaN(s.Mean));
        Assert.True(double.IsNaN(s.StandardDeviation));
        Assert.Equal(2, s.NonFiniteCount);
        Assert.Equal(0, s.UsedCount);
        Assert.Contains("2 of 4 values are not finite", s.UndefinedReason);
    }

    [Fact]
    public void ExcludingNaNIsExplicitAndCounted()
    {
        var s = SampleSummary.Of([0.8, double.NaN, 0.6, double.PositiveInfinity], NonFinitePolicy.Exclude);
        Assert.Equal(0.7, s.Mean, 12);
        Assert.Equal(Math.Sqrt(0.02), s.StandardDeviation, 12);
        Assert.Equal(2, s.NonFiniteCount);
        Assert.Equal(2, s.UsedCount);
        Assert.Equal("2 of 4 values were not finite and are excluded", s.Note);
        Assert.Contains("2 values; 2 of 4", s.ToString());
    }

    [Fact]
    public void OneValueHasAMeanButNoStd()
    {
        var s = SampleSummary.Of([0.5]);
        Assert.Equal(0.5, s.Mean);
        Assert.True(double.IsNaN(s.StandardDeviation));
    }

    [Fact]
    public void AllNaNOrNothingIsReported()
    {
        Assert.Contains("all 2 values", SampleSummary.Of([double.NaN, double.NaN], NonFinitePolicy.Exclude).UndefinedReason);
        Assert.Throws<ArgumentException>(() => SampleSummary.Of([]));
    }

    [Theory]
    [InlineData(0.0, 1.0)]
    [InlineData(0.25, 1.75)]
    [InlineData(0.5, 2.5)]
    [InlineData(0.9, 3.7)]
    [InlineData(1.0, 4.0)]
    public void QuantilesInterpolateLikeNumPy(double p, double expected)
    {
        // numpy.quantile([4, 1, 3, 2], p), the default ("linear") method.
        Assert.Equal(expected, Quantile.Linear([4.0, 1.0, 3.0, 2.0], p), 12);
    }

    [Fact]
    public void QuantilesRejectBadInput()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Quantile.Linear([1.0], 1.5));
        Assert.Throws<ArgumentException>(() => Quantile.Linear([1.0, double.NaN], 0.5));
        Assert.Throws<ArgumentException>(() => Quantile.Linear([], 0.5));
    }
}
