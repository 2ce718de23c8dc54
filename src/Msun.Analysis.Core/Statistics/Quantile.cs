using MathNet.Numerics.Statistics;

namespace Msun.Analysis.Core.Statistics;

/// <summary>Sample quantiles by named definition (MathNet.Numerics' <see cref="QuantileDefinition"/>), with the input checks of this toolkit.</summary>
public static class Quantile
{
    /// <summary>
    /// The p-quantile of <paramref name="values"/> by linear interpolation between order statistics:
    /// definition 7 of Hyndman and Fan (1996, <see cref="QuantileDefinition.R7"/>), the default of NumPy's <c>quantile</c>
    /// and R's <c>quantile</c>, so numbers agree with the Python tools: h = (m − 1)p, Q = x₍⌊h⌋₎ + (h − ⌊h⌋)(x₍⌊h⌋+1₎ − x₍⌊h⌋₎).
    /// </summary>
    /// <exception cref="ArgumentException">No values, a non-finite value, or p outside [0, 1].</exception>
    public static double Linear(IReadOnlyList<double> values, double p) => Of(values, p, QuantileDefinition.R7);

    /// <summary>The p-quantile of <paramref name="values"/> by the Hyndman–Fan definition <paramref name="definition"/>.</summary>
    /// <exception cref="ArgumentException">No values, a non-finite value, or p outside [0, 1].</exception>
    public static double Of(IReadOnlyList<double> values, double p, QuantileDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(values);
        double[] sorted = [.. values];
        foreach (double v in sorted)
            if (!double.IsFinite(v))
                throw new ArgumentException($"quantiles are computed over finite values; got {v}.", nameof(values));
        Array.Sort(sorted);
        return OfSorted(sorted, p, definition);
    }

    /// <summary>As <see cref="Of"/>, for finite values already sorted ascending.</summary>
    internal static double OfSorted(double[] sorted, double p, QuantileDefinition definition = QuantileDefinition.R7)
    {
        if (sorted.Length == 0)
            throw new ArgumentException("a quantile needs at least one value; got none.");
        if (!(p >= 0 && p <= 1))
            throw new ArgumentOutOfRangeException(nameof(p), p, "a quantile's probability must lie in [0, 1].");
        return SortedArrayStatistics.QuantileCustom(sorted, p, definition);
    }
}
