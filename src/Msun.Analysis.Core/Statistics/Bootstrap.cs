using System.Globalization;

namespace Msun.Analysis.Core.Statistics;

/// <summary>Options of a percentile bootstrap; validated at construction, recorded with the result.</summary>
public sealed record BootstrapOptions
{
    /// <summary>Creates the options.</summary>
    /// <param name="resamples">B, the number of resamples (≥ 2; 1000–10000 for a 95 % interval, Efron and Tibshirani 1993 §14).</param>
    /// <param name="seed">Seed of the resampling; resample b uses stream b of it.</param>
    /// <param name="level">Coverage of the two-sided interval, in (0, 1).</param>
    /// <param name="nonFinite">What to do when the statistic is NaN on some resamples.</param>
    /// <param name="maxDegreeOfParallelism">1 = sequential (the default: the statistic need not be thread-safe); -1 = no limit.</param>
    public BootstrapOptions(int resamples = 2000, ulong seed = 0, double level = 0.95,
        NonFinitePolicy nonFinite = NonFinitePolicy.Propagate, int maxDegreeOfParallelism = 1)
    {
        if (resamples < 2)
            throw new ArgumentOutOfRangeException(nameof(resamples), resamples, "a bootstrap needs at least 2 resamples.");
        if (!(level > 0 && level < 1))
            throw new ArgumentOutOfRangeException(nameof(level), level, "the confidence level must lie strictly between 0 and 1.");
        Resampling.CheckParallelism(maxDegreeOfParallelism);
        Resamples = resamples;
        Seed = seed;
        Level = level;
        NonFinite = nonFinite;
        MaxDegreeOfParallelism = maxDegreeOfParallelism;
    }

    /// <summary>Number of resamples B.</summary>
    public int Resamples { get; }

    /// <summary>Seed of the resampling.</summary>
    public ulong Seed { get; }

    /// <summary>Two-sided coverage, e.g. 0.95.</summary>
    public double Level { get; }

    /// <summary>Treatment of resamples where the statistic is NaN.</summary>
    public NonFinitePolicy NonFinite { get; }

    /// <summary>Threads evaluating the statistic; results do not depend on it.</summary>
    public int MaxDegreeOfParallelism { get; }
}

/// <summary>A percentile bootstrap interval with the resampled values it came from.</summary>
/// <param name="Low">The (1 − level)/2 quantile of the resampled values, or NaN (see <paramref name="UndefinedReason"/>).</param>
/// <param name="High">The (1 + level)/2 quantile.</param>
/// <param name="Values">The statistic on each resample, in resample order (NaN where it was undefined).</param>
/// <param name="NonFiniteCount">Resamples on which the statistic was NaN or infinite.</param>
/// <param name="Options">How it was computed.</param>
/// <param name="UndefinedReason">Why the interval is NaN; null when it is defined.</param>
public sealed record BootstrapInterval(
    double Low, double High, IReadOnlyList<double> Values, int NonFiniteCount, BootstrapOptions Options, string? UndefinedReason)
{
    /// <summary>The two-sided coverage.</summary>
    public double Level => Options.Level;

    /// <summary>Standard deviation of the resampled values: the bootstrap standard error of the statistic.</summary>
    public double StandardError => SampleSummary.Of(Values, Options.NonFinite).StandardDeviation;

    /// <summary>The compact form stored in a profile (no resampled values).</summary>
    public IntervalSummary ToSummary() => new(Low, High, Level, Options.Resamples, NonFiniteCount, Options.Seed, "percentile bootstrap");

    /// <inheritdoc />
    public override string ToString() => UndefinedReason is not null
        ? $"undefined: {UndefinedReason}"
        : string.Create(CultureInfo.InvariantCulture, $"[{Low:0.####}, {High:0.####}] ({Level:P0} percentile bootstrap, B = {Options.Resamples})");
}

/// <summary>An interval as stored in a result: bounds, coverage and how it was obtained.</summary>
/// <param name="Low">Lower bound (NaN when undefined).</param>
/// <param name="High">Upper bound.</param>
/// <param name="Level">Two-sided coverage.</param>
/// <param name="Resamples">Resamples behind it.</param>
/// <param name="NonFiniteCount">Resamples on which the statistic was undefined.</param>
/// <param name="Seed">Seed of the resampling.</param>
/// <param name="Method">E.g. "percentile bootstrap".</param>
public sealed record IntervalSummary(double Low, double High, double Level, int Resamples, int NonFiniteCount, ulong Seed, string Method);

/// <summary>
/// The nonparametric bootstrap over examples (Efron 1979): resample the n examples with replacement,
/// recompute the statistic, and read a confidence interval off the quantiles of the B values.
/// </summary>
public static class Bootstrap
{
    /// <summary>
    /// Percentile interval (Efron and Tibshirani 1993, §13.3): [Q((1 − level)/2), Q((1 + level)/2)] of the
    /// statistic over B resamples, quantiles by <see cref="Quantile.Linear"/>. <paramref name="statistic"/>
    /// receives n indices drawn with replacement from 0 .. n − 1 and returns the statistic on those rows,
    /// e.g. <c>i =&gt; Cka.Compute(x.SelectRows(i), y.SelectRows(i)).Value</c> (the same indices for both sides).
    /// </summary>
    /// <remarks>
    /// A resample repeats examples; debiased (unbiased-HSIC) CKA treats the copies as independent examples,
    /// which pulls its resampled values upward, so a bootstrap interval of debiased CKA is not centred on the
    /// full-sample value. The percentile method is first-order accurate only; for a skewed statistic near
    /// the ends of [0, 1] read the interval as a spread, not an exact coverage.
    /// </remarks>
    /// <exception cref="ArgumentException">n &lt; 2 or a null statistic.</exception>
    /// <exception cref="InvalidOperationException">The statistic threw on some resample (wrapped with its number).</exception>
    public static BootstrapInterval Percentile(int n, Func<int[], double> statistic, BootstrapOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(statistic);
        if (n < 2)
            throw new ArgumentOutOfRangeException(nameof(n), n, "a bootstrap over examples needs at least 2 examples.");
        options ??= new BootstrapOptions();
        double[] values = Resampling.Run(options.Resamples, options.Seed, options.MaxDegreeOfParallelism,
            r => r.Resample(n), statistic, "bootstrap resample");
        var (sorted, bad) = Resampling.SortedFinite(values);
        string? reason = null;
        if (bad > 0 && options.NonFinite == NonFinitePolicy.Propagate)
            reason = $"the statistic is not finite on {bad} of {values.Length} resamples; exclude them explicitly with {nameof(NonFinitePolicy)}.{nameof(NonFinitePolicy.Exclude)}";
        else if (sorted.Length < 2)
            reason = $"only {sorted.Length} of {values.Length} resamples gave a finite value";
        if (reason is not null)
            return new BootstrapInterval(double.NaN, double.NaN, values, bad, options, reason);
        double alpha = (1 - options.Level) / 2;
        return new BootstrapInterval(Quantile.OfSorted(sorted, alpha), Quantile.OfSorted(sorted, 1 - alpha), values, bad, options, null);
    }
}
