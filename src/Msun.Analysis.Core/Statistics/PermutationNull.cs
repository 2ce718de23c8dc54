using System.Globalization;

namespace Msun.Analysis.Core.Statistics;

/// <summary>Options of a permutation null; validated at construction, recorded with the result.</summary>
public sealed record PermutationOptions
{
    private static readonly double[] DefaultProbabilities = [0.05, 0.5, 0.95, 0.99];

    /// <summary>Creates the options.</summary>
    /// <param name="permutations">P, the number of random permutations (≥ 2).</param>
    /// <param name="seed">Seed; permutation p uses stream p of it.</param>
    /// <param name="probabilities">Quantiles of the null to report, each in [0, 1]; default 0.05, 0.5, 0.95, 0.99.</param>
    /// <param name="nonFinite">What to do when the statistic is NaN on some permutations.</param>
    /// <param name="maxDegreeOfParallelism">1 = sequential (the default); -1 = no limit.</param>
    public PermutationOptions(int permutations = 1000, ulong seed = 0, IReadOnlyList<double>? probabilities = null,
        NonFinitePolicy nonFinite = NonFinitePolicy.Propagate, int maxDegreeOfParallelism = 1)
    {
        if (permutations < 2)
            throw new ArgumentOutOfRangeException(nameof(permutations), permutations, "a permutation null needs at least 2 permutations.");
        double[] ps = [.. probabilities ?? DefaultProbabilities];
        foreach (double p in ps)
            if (!(p >= 0 && p <= 1))
                throw new ArgumentOutOfRangeException(nameof(probabilities), p, "every quantile probability must lie in [0, 1].");
        Resampling.CheckParallelism(maxDegreeOfParallelism);
        Permutations = permutations;
        Seed = seed;
        Probabilities = ps;
        NonFinite = nonFinite;
        MaxDegreeOfParallelism = maxDegreeOfParallelism;
    }

    /// <summary>Number of permutations P.</summary>
    public int Permutations { get; }

    /// <summary>Seed of the permutations.</summary>
    public ulong Seed { get; }

    /// <summary>Quantile probabilities reported.</summary>
    public IReadOnlyList<double> Probabilities { get; }

    /// <summary>Treatment of permutations where the statistic is NaN.</summary>
    public NonFinitePolicy NonFinite { get; }

    /// <summary>Threads evaluating the statistic; results do not depend on it.</summary>
    public int MaxDegreeOfParallelism { get; }
}

/// <summary>The distribution of a statistic under "no pairing": what "no similarity" looks like at this n.</summary>
/// <param name="Summary">Mean and sample std of the null values.</param>
/// <param name="Quantiles">(probability, value) for each requested probability; values NaN when the summary is undefined.</param>
/// <param name="Values">The statistic on each permutation, in permutation order.</param>
/// <param name="Options">How it was computed.</param>
public sealed record PermutationNullResult(
    SampleSummary Summary, IReadOnlyList<(double Probability, double Value)> Quantiles, IReadOnlyList<double> Values, PermutationOptions Options)
{
    /// <summary>Mean of the null values (NaN when undefined; see <see cref="SampleSummary.UndefinedReason"/>).</summary>
    public double Mean => Summary.Mean;

    /// <summary>Sample standard deviation of the null values.</summary>
    public double StandardDeviation => Summary.StandardDeviation;

    /// <summary>
    /// One-sided permutation p-value of an observed value, (1 + #{null ≥ observed}) / (1 + P) over the
    /// finite null values: never 0, exact for random permutations (Phipson and Smyth 2010).
    /// </summary>
    /// <exception cref="ArgumentException">The observed value is not finite.</exception>
    public double PValue(double observed)
    {
        if (!double.IsFinite(observed))
            throw new ArgumentException($"the observed value must be finite; got {observed}.", nameof(observed));
        int atLeast = 0, used = 0;
        foreach (double v in Values)
        {
            if (!double.IsFinite(v)) continue;
            used++;
            if (v >= observed) atLeast++;
        }
        return (1.0 + atLeast) / (1.0 + used);
    }

    /// <summary>The compact form stored in a profile (no per-permutation values).</summary>
    public NullSummary ToSummary() => new(Summary.Mean, Summary.StandardDeviation,
        Quantiles.Select(q => new QuantileValue(q.Probability, q.Value)).ToArray(),
        Options.Permutations, Summary.NonFiniteCount, Options.Seed);

    /// <inheritdoc />
    public override string ToString() => Summary.UndefinedReason is not null
        ? $"undefined: {Summary.UndefinedReason}"
        : string.Create(CultureInfo.InvariantCulture, $"null {Mean:0.####} ± {StandardDeviation:0.####} over {Options.Permutations} permutations");
}

/// <summary>One quantile of a distribution.</summary>
/// <param name="Probability">p in [0, 1].</param>
/// <param name="Value">The p-quantile.</param>
public sealed record QuantileValue(double Probability, double Value);

/// <summary>A permutation null as stored in a result.</summary>
/// <param name="Mean">Mean of the null values.</param>
/// <param name="StandardDeviation">Their sample std.</param>
/// <param name="Quantiles">Selected quantiles.</param>
/// <param name="Permutations">Permutations behind it.</param>
/// <param name="NonFiniteCount">Permutations on which the statistic was undefined.</param>
/// <param name="Seed">Seed of the permutations.</param>
public sealed record NullSummary(double Mean, double StandardDeviation, IReadOnlyList<QuantileValue> Quantiles,
    int Permutations, int NonFiniteCount, ulong Seed)
{
    /// <inheritdoc />
    public bool Equals(NullSummary? other) =>
        other is not null && Mean.Equals(other.Mean) && StandardDeviation.Equals(other.StandardDeviation)
        && Quantiles.SequenceEqual(other.Quantiles) && Permutations == other.Permutations
        && NonFiniteCount == other.NonFiniteCount && Seed == other.Seed;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Mean, StandardDeviation, Quantiles.Count, Permutations, NonFiniteCount, Seed);
}

/// <summary>
/// Permutation null of a paired statistic: shuffle which example of one side is paired with which
/// example of the other, recompute, repeat. Biased CKA between unrelated inputs is clearly above 0 at small
/// n (and grows with d/n), so a CKA value means little until it is set against this null.
/// </summary>
public static class PermutationTest
{
    /// <summary>
    /// The statistic under P random permutations. <paramref name="statistic"/> receives a permutation π of
    /// 0 .. n − 1 and returns the statistic with the rows of one side reordered by it, e.g.
    /// <c>p =&gt; Cka.Compute(x, y.SelectRows(p)).Value</c>. Permutations are uniform (Fisher–Yates) and
    /// independent, so the identity may occur; that is what makes <see cref="PermutationNullResult.PValue"/> exact.
    /// </summary>
    /// <exception cref="ArgumentException">n &lt; 2 or a null statistic.</exception>
    /// <exception cref="InvalidOperationException">The statistic threw on some permutation (wrapped with its number).</exception>
    public static PermutationNullResult Null(int n, Func<int[], double> statistic, PermutationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(statistic);
        if (n < 2)
            throw new ArgumentOutOfRangeException(nameof(n), n, "a permutation null needs at least 2 examples.");
        options ??= new PermutationOptions();
        double[] values = Resampling.Run(options.Permutations, options.Seed, options.MaxDegreeOfParallelism,
            r => r.Permutation(n), statistic, "permutation");
        var summary = SampleSummary.Of(values, options.NonFinite);
        var (sorted, _) = Resampling.SortedFinite(values);
        bool defined = summary.UndefinedReason is null;
        var quantiles = options.Probabilities
            .Select(p => (p, defined ? Quantile.OfSorted(sorted, p) : double.NaN))
            .ToArray();
        return new PermutationNullResult(summary, quantiles, values, options);
    }
}
