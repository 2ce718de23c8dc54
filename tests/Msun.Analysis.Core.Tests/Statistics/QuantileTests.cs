using MathNet.Numerics.Statistics;
using Msun.Analysis.Core.Statistics;

namespace Msun.Analysis.Core.Tests.Statistics;

/// <summary>Quantile definitions by name, against the Hyndman–Fan formulas worked by hand.</summary>
public sealed class QuantileTests
{
    private static readonly double[] Values = [4, 1, 3, 2]; // sorted: 1 2 3 4, m = 4

    [Theory]
    // R7 (NumPy, R): h = (m − 1)p; p = 0.3 → h = 0.9 → 1 + 0.9·(2 − 1).
    [InlineData(QuantileDefinition.R7, 0.3, 1.9)]
    // R6 (Weibull, Minitab): h = (m + 1)p = 1.5 (1-based) → 1 + 0.5·(2 − 1).
    [InlineData(QuantileDefinition.R6, 0.3, 1.5)]
    // R1 (inverse of the empirical CDF): the smallest x with F(x) ≥ p; F(1) = 0.25, F(2) = 0.5.
    [InlineData(QuantileDefinition.R1, 0.3, 2.0)]
    // R5 (piecewise linear, midpoints): h = mp + ½ = 1.7 → 1 + 0.7·(2 − 1).
    [InlineData(QuantileDefinition.R5, 0.3, 1.7)]
    [InlineData(QuantileDefinition.R7, 0.0, 1.0)]
    [InlineData(QuantileDefinition.R7, 1.0, 4.0)]
    public void Definitions_follow_their_formulas(QuantileDefinition definition, double p, double expected) =>
        Assert.Equal(expected, Quantile.Of(Values, p, definition), 12);

    [Fact]
    public void Linear_is_numpys_default_on_an_odd_count()
    {
        // numpy.quantile([3, 1, 2, 10, 7], [0.1, 0.5, 0.95]) = [1.4, 3.0, 9.4]
        double[] values = [3, 1, 2, 10, 7];
        Assert.Equal(1.4, Quantile.Linear(values, 0.1), 12);
        Assert.Equal(3.0, Quantile.Linear(values, 0.5), 12);
        Assert.Equal(9.4, Quantile.Linear(values, 0.95), 12);
    }

    [Fact]
    public void Bad_input_is_refused_with_a_reason()
    {
        Assert.Contains("finite", Assert.Throws<ArgumentException>(() => Quantile.Linear([1, double.NaN], 0.5)).Message);
        Assert.Contains("at least one", Assert.Throws<ArgumentException>(() => Quantile.Linear([], 0.5)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Quantile.Linear([1, 2], 1.5));
    }
}
