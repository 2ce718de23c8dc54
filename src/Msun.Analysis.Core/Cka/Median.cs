namespace Msun.Analysis.Core.Cka;

/// <summary>
/// Medians of a symmetric squared-distance matrix without copying all n² entries. Not MathNet.Numerics'
/// <c>ArrayStatistics.MedianInplace</c>: it needs the n² values in one array (twice the memory at n = 10,000, where the
/// Gram matrix alone is 800 MB), while the symmetry below lets one triangle stand for both.
/// </summary>
internal static class Median
{
    /// <summary>
    /// includeDiagonal: NumPy's median of all n² entries (mean of the two middle values for an even
    /// count). The multiset is n diagonal zeros plus every upper-triangle value twice, so an order
    /// statistic of it maps to one of the upper triangle alone: O(n²/2) memory, linear-time selection.
    /// Otherwise: the median of the non-zero off-diagonal values (each pair once; doubling changes no median).
    /// </summary>
    public static double OfSquaredDistances(double[] distances, int n, bool includeDiagonal)
    {
        var upper = new List<double>(n * (n - 1) / 2);
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
            {
                double v = distances[(long)i * n + j];
                if (includeDiagonal || v != 0) upper.Add(v);
            }
        double[] values = [.. upper];
        if (!includeDiagonal)
        {
            if (values.Length == 0) return 0;
            int m = values.Length;
            return m % 2 == 1 ? Select(values, m / 2) : (Select(values, m / 2 - 1) + Select(values, m / 2)) / 2;
        }
        long count = (long)n * n;
        int negatives = 0;
        foreach (double v in values) if (v < 0) negatives++;
        double At(long k) =>
            k < 2L * negatives ? Select(values, (int)(k / 2))
            : k < 2L * negatives + n ? 0.0
            : Select(values, (int)((k - n) / 2));
        return count % 2 == 1 ? At(count / 2) : (At(count / 2 - 1) + At(count / 2)) / 2;
    }

    /// <summary>The k-th smallest value (0-based); reorders the array (Hoare partition, median-of-three pivot).</summary>
    public static double Select(double[] a, int k)
    {
        int lo = 0, hi = a.Length - 1;
        while (hi > lo)
        {
            int mid = lo + (hi - lo) / 2;
            double pivot = MedianOfThree(a[lo], a[mid], a[hi]);
            int i = lo, j = hi;
            while (i <= j)
            {
                while (a[i] < pivot) i++;
                while (a[j] > pivot) j--;
                if (i <= j)
                {
                    (a[i], a[j]) = (a[j], a[i]);
                    i++;
                    j--;
                }
            }
            if (k <= j) hi = j;
            else if (k >= i) lo = i;
            else return a[k];
        }
        return a[k];
    }

    private static double MedianOfThree(double a, double b, double c) =>
        Math.Max(Math.Min(a, b), Math.Min(Math.Max(a, b), c));
}
