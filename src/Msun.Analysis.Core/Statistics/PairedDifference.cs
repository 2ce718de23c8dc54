using MathNet.Numerics.Distributions;

namespace Msun.Analysis.Core.Statistics;

/// <summary>
/// The difference of two methods' accuracies (<c>Minuend − Subtrahend</c>) on the same test images, averaged over
/// each method's training seeds, with a confidence interval that accounts for both the test-image sample and the
/// seed-to-seed variation. Produced by <see cref="PairedDifference.Compute"/>.
/// </summary>
/// <param name="Mean">Mean over seeds of the minuend's accuracy minus the same for the subtrahend.</param>
/// <param name="Low">Lower end of the interval.</param>
/// <param name="High">Upper end of the interval.</param>
/// <param name="Level">Coverage of the interval (0.95).</param>
/// <param name="ImageVariance">Variance of <see cref="Mean"/> under resampling the test images (paired: the same images for both methods and all seeds).</param>
/// <param name="SeedVariance">Variance of <see cref="Mean"/> from the seeds: s²_A/K_A + s²_B/K_B; NaN when a method has one seed (not estimable).</param>
/// <param name="DegreesOfFreedom">Welch–Satterthwaite degrees of freedom of the combined variance.</param>
/// <param name="MinuendSeeds">Seeds of the minuend.</param>
/// <param name="SubtrahendSeeds">Seeds of the subtrahend.</param>
/// <param name="Images">Test images.</param>
public sealed record DifferenceInterval(
    double Mean, double Low, double High, double Level, double ImageVariance, double SeedVariance, double DegreesOfFreedom,
    int MinuendSeeds, int SubtrahendSeeds, int Images)
{
    /// <summary>Whether the seed-to-seed variation is part of the interval (both methods have at least two seeds).</summary>
    public bool IncludesSeedVariation => !double.IsNaN(SeedVariance);

    /// <summary>The interval entirely above zero.</summary>
    public bool AboveZero => Low > 0;

    /// <summary>The interval entirely below zero.</summary>
    public bool BelowZero => High < 0;
}

/// <summary>
/// Confidence interval for a paired difference of accuracies over training seeds and test images (see
/// docs in the method document, "Seeds and intervals").
/// </summary>
/// <remarks>
/// <para>Input: per method, one row of per-image scores per seed (1/0 for correct/wrong at one test size, or the mean
/// over test sizes of those, for the average accuracy), all rows over the same images in the same order.</para>
/// <para>With a_k the accuracy of seed k, Ā its mean over the K seeds, and d_i = mean_k A[k,i] − mean_k B[k,i] the
/// per-image difference of seed means, the estimate is D = Ā − B̄ = mean_i d_i. Two sources of variation:</para>
/// <list type="bullet">
/// <item>Test images: the paired bootstrap over images (resample n images with replacement, the same images for both
/// methods and all seeds) has, with infinitely many resamples, the variance V_img = (1/n²) Σ_i (d_i − D)² exactly; it is
/// computed in that closed form, so no resampling noise enters.</item>
/// <item>Seeds: V_seed = s²_A/K_A + s²_B/K_B, with s² the sample variance of the per-seed accuracies (the methods'
/// seeds are independent draws; a seed number shared by two methods is not a pairing).</item>
/// </list>
/// <para>The interval is D ± t(1−α/2, ν)·√(V_img + V_seed) with Welch–Satterthwaite ν = V² / (V_img²/(n−1) +
/// (s²_A/K_A)²/(K_A−1) + (s²_B/K_B)²/(K_B−1)). Both terms carry the seed × image interaction, so the interval is
/// slightly conservative. With one seed for a method, V_seed is not estimable: the interval covers the test images only
/// (ν = n − 1) and <see cref="DifferenceInterval.IncludesSeedVariation"/> is false — callers must say so.</para>
/// </remarks>
public static class PairedDifference
{
    /// <summary>The difference <paramref name="minuend"/> − <paramref name="subtrahend"/> with its interval.</summary>
    /// <param name="minuend">Per seed, per image scores of the first method (each row the same length n ≥ 2).</param>
    /// <param name="subtrahend">The same for the second method, over the same images.</param>
    /// <param name="level">Interval coverage in (0, 1).</param>
    /// <exception cref="ArgumentException">No seeds, rows of different lengths, fewer than 2 images, or a non-finite score.</exception>
    public static DifferenceInterval Compute(IReadOnlyList<IReadOnlyList<double>> minuend, IReadOnlyList<IReadOnlyList<double>> subtrahend,
        double level = 0.95)
    {
        ArgumentNullException.ThrowIfNull(minuend);
        ArgumentNullException.ThrowIfNull(subtrahend);
        if (!(level > 0 && level < 1)) throw new ArgumentOutOfRangeException(nameof(level), level, "level must lie in (0, 1).");
        int n = CheckRows(minuend, nameof(minuend), -1);
        CheckRows(subtrahend, nameof(subtrahend), n);
        if (n < 2) throw new ArgumentException($"minuend has {n} image(s) per seed; an interval needs at least 2.", nameof(minuend));

        var meanA = SeedMeans(minuend, n);
        var meanB = SeedMeans(subtrahend, n);
        var perImage = new double[n];
        for (int i = 0; i < n; i++) perImage[i] = meanA.PerImage[i] - meanB.PerImage[i];
        double d = perImage.Average();
        double squares = 0;
        foreach (var x in perImage) squares += (x - d) * (x - d);
        double imageVariance = squares / ((double)n * n);

        double seedA = SeedTerm(meanA.PerSeed), seedB = SeedTerm(meanB.PerSeed);
        bool seeds = !double.IsNaN(seedA) && !double.IsNaN(seedB);
        double seedVariance = seeds ? seedA + seedB : double.NaN;
        double variance = imageVariance + (seeds ? seedVariance : 0);
        double denominator = imageVariance * imageVariance / (n - 1)
                             + (seeds ? seedA * seedA / (minuend.Count - 1) + seedB * seedB / (subtrahend.Count - 1) : 0);
        // Zero variance (identical predictions everywhere): the interval is the point; ν is then undefined and reported as NaN.
        double df = denominator > 0 ? variance * variance / denominator : double.NaN;
        double half = variance > 0 ? StudentT.InvCDF(0, 1, df, 1 - (1 - level) / 2) * Math.Sqrt(variance) : 0;
        return new DifferenceInterval(d, d - half, d + half, level, imageVariance, seedVariance, df, minuend.Count, subtrahend.Count, n);
    }

    /// <summary>Per-image scores averaged over the test sizes: the scores behind the average accuracy over sizes.</summary>
    /// <param name="perSize">Per test size, per image scores (each row the same length).</param>
    public static double[] MeanOverSizes(IReadOnlyList<IReadOnlyList<double>> perSize)
    {
        ArgumentNullException.ThrowIfNull(perSize);
        int n = CheckRows(perSize, nameof(perSize), -1);
        var mean = new double[n];
        foreach (var row in perSize)
            for (int i = 0; i < n; i++) mean[i] += row[i];
        for (int i = 0; i < n; i++) mean[i] /= perSize.Count;
        return mean;
    }

    private static (double[] PerImage, double[] PerSeed) SeedMeans(IReadOnlyList<IReadOnlyList<double>> rows, int n)
    {
        var perImage = new double[n];
        var perSeed = new double[rows.Count];
        for (int k = 0; k < rows.Count; k++)
        {
            double sum = 0;
            for (int i = 0; i < n; i++)
            {
                perImage[i] += rows[k][i];
                sum += rows[k][i];
            }

            perSeed[k] = sum / n;
        }

        for (int i = 0; i < n; i++) perImage[i] /= rows.Count;
        return (perImage, perSeed);
    }

    /// <summary>s²/K of the per-seed accuracies; NaN for one seed.</summary>
    private static double SeedTerm(double[] perSeed)
    {
        if (perSeed.Length < 2) return double.NaN;
        double mean = perSeed.Average(), squares = 0;
        foreach (var a in perSeed) squares += (a - mean) * (a - mean);
        return squares / (perSeed.Length - 1) / perSeed.Length;
    }

    private static int CheckRows(IReadOnlyList<IReadOnlyList<double>> rows, string name, int expected)
    {
        if (rows.Count == 0) throw new ArgumentException($"{name} has no rows (seeds).", name);
        int n = expected >= 0 ? expected : rows[0].Count;
        for (int k = 0; k < rows.Count; k++)
        {
            if (rows[k].Count != n)
                throw new ArgumentException($"{name} row {k} has {rows[k].Count} images; expected {n} (the same images for every method and seed).", name);
            for (int i = 0; i < n; i++)
            {
                if (!double.IsFinite(rows[k][i]))
                    throw new ArgumentException($"{name} row {k}, image {i} is {rows[k][i]}; scores must be finite.", name);
            }
        }

        return n;
    }
}
