namespace Msun.Analysis.Core.Statistics;

/// <summary>Runs a statistic over seeded index arrays: the engine shared by the bootstrap and the permutation null.</summary>
internal static class Resampling
{
    /// <summary>
    /// Evaluates <paramref name="statistic"/> on <paramref name="count"/> index arrays; array b comes from
    /// <see cref="SeededRandom.ForStream"/>(seed, b), so the values are the same whatever the parallelism.
    /// </summary>
    public static double[] Run(int count, ulong seed, int maxDegreeOfParallelism,
        Func<SeededRandom, int[]> draw, Func<int[], double> statistic, string what)
    {
        var values = new double[count];
        void One(int b)
        {
            int[] indices = draw(SeededRandom.ForStream(seed, (ulong)b));
            try
            {
                values[b] = statistic(indices);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new InvalidOperationException($"the statistic failed on {what} {b + 1} of {count} (seed {seed}): {e.Message}", e);
            }
        }
        if (maxDegreeOfParallelism == 1)
            for (int b = 0; b < count; b++) One(b);
        else
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism }, One);
        return values;
    }

    /// <summary>Validation shared by the option records.</summary>
    public static void CheckParallelism(int maxDegreeOfParallelism)
    {
        if (maxDegreeOfParallelism != -1 && maxDegreeOfParallelism < 1)
            throw new ArgumentOutOfRangeException(nameof(maxDegreeOfParallelism), maxDegreeOfParallelism,
                "MaxDegreeOfParallelism is 1 (sequential), a positive thread count, or -1 (no limit).");
    }

    /// <summary>The finite values sorted, and how many were not finite.</summary>
    public static (double[] Sorted, int NonFinite) SortedFinite(double[] values)
    {
        double[] finite = values.Where(double.IsFinite).ToArray();
        Array.Sort(finite);
        return (finite, values.Length - finite.Length);
    }
}
