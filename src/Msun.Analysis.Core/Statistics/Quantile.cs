namespace Msun.Analysis.Core.Statistics;

/// <summary>Sample quantiles.</summary>
public static class Quantile
{
    /// <summary>
    /// The p-quantile of <paramref name="values"/> by linear interpolation between order statistics:
    /// definition 7 of Hyndman and Fan (1996), the default of NumPy's <c>quantile</c> and R's
    /// <c>quantile</c>, so numbers agree with the Python tools: h = (m − 1)p, Q = x₍⌊h⌋₎ + (h − ⌊h⌋)(x₍⌊h⌋+1₎ − x₍⌊h⌋₎).
    /// </summary>
    /// <exception cref="ArgumentException">No values, a non-finite value, or p outside [0, 1].</exception>
    public static double Linear(IReadOnlyList<double> values, double p)
    {
        ArgumentNullException.ThrowIfNull(values);
        double[] sorted = [.. values];
        foreach (double v in sorted)
            if (!double.IsFinite(v))
                throw new ArgumentException($"quantiles are computed over finite values; got {v}.", nameof(values));
        Array.Sort(sorted);
        return OfSorted(sorted, p);
    }

    /// <summary>As <see cref="Linear"/>, for finite values already sorted ascending.</summary>
    internal static double OfSorted(double[] sorted, double p)
    {
        if (sorted.Length == 0)
            throw new ArgumentException("a quantile needs at least one value; got none.");
        if (!(p >= 0 && p <= 1))
            throw new ArgumentOutOfRangeException(nameof(p), p, "a quantile's probability must lie in [0, 1].");
        double h = (sorted.Length - 1) * p;
        int lo = (int)Math.Floor(h);
        if (lo >= sorted.Length - 1) return sorted[^1];
        return sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]);
    }
}
