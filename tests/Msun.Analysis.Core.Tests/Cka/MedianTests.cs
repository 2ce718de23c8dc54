using Msun.Analysis.Core.Cka;

namespace Msun.Analysis.Core.Tests.Cka;

public class MedianTests
{
    /// <summary>NumPy's median of a full symmetric matrix, by sorting every entry.</summary>
    private static double SortedMedian(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        int m = sorted.Length;
        return m % 2 == 1 ? sorted[m / 2] : (sorted[m / 2 - 1] + sorted[m / 2]) / 2;
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(40)]
    public void AllPairsMedianMatchesSortingEveryEntry(int n)
    {
        var random = new Random(n);
        var d = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
            {
                // a few tiny negatives, as rounding produces, and repeated values
                double v = random.Next(10) == 0 ? -1e-12 * random.NextDouble() : Math.Round(random.NextDouble() * 5, 1);
                d[i * n + j] = d[j * n + i] = v;
            }
        Assert.Equal(SortedMedian(d), Median.OfSquaredDistances(d, n, includeDiagonal: true), 15);
        var offDiagonalNonZero = Enumerable.Range(0, n * n).Where(k => k / n != k % n && d[k] != 0).Select(k => d[k]);
        if (offDiagonalNonZero.Any())
            Assert.Equal(SortedMedian(offDiagonalNonZero), Median.OfSquaredDistances(d, n, includeDiagonal: false), 15);
    }

    [Fact]
    public void SelectFindsEveryOrderStatistic()
    {
        double[] values = [5, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5];
        var sorted = values.OrderBy(v => v).ToArray();
        for (int k = 0; k < values.Length; k++)
            Assert.Equal(sorted[k], Median.Select((double[])values.Clone(), k));
    }
}
