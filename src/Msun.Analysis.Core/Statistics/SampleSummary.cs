using System.Globalization;

namespace Msun.Analysis.Core.Statistics;

/// <summary>What a summary does with values that are NaN (or infinite), e.g. a CKA left undefined on one subset.</summary>
public enum NonFinitePolicy
{
    /// <summary>
    /// The default: any non-finite value makes the summary NaN, and its reason says how many there were.
    /// A mean over the repeats that happened to be defined would silently describe a different experiment.
    /// </summary>
    Propagate,
    /// <summary>Summarise the finite values only; how many were left out is recorded (<see cref="SampleSummary.NonFiniteCount"/>, <see cref="SampleSummary.Note"/>).</summary>
    Exclude,
}

/// <summary>
/// Mean and sample standard deviation (n − 1 denominator) of repeated measurements, e.g. CKA over k
/// random subsets, with the count of non-finite values always recorded, never silently dropped.
/// </summary>
/// <param name="Count">Values given, finite or not.</param>
/// <param name="NonFiniteCount">How many of them were NaN or infinite.</param>
/// <param name="Mean">Mean of the values used, or NaN (see <paramref name="UndefinedReason"/>).</param>
/// <param name="StandardDeviation">Sample standard deviation, √(Σ(x − mean)² / (m − 1)) over the m values used; NaN when m &lt; 2.</param>
/// <param name="Policy">How non-finite values were treated.</param>
/// <param name="UndefinedReason">Why <paramref name="Mean"/> is NaN; null when it is a number.</param>
public sealed record SampleSummary(
    int Count, int NonFiniteCount, double Mean, double StandardDeviation, NonFinitePolicy Policy, string? UndefinedReason)
{
    /// <summary>Values the mean and std were computed from.</summary>
    public int UsedCount => Policy == NonFinitePolicy.Exclude ? Count - NonFiniteCount : (NonFiniteCount == 0 ? Count : 0);

    /// <summary>Standard error of the mean, std / √m: the spread of the mean rather than of one repeat.</summary>
    public double StandardError => UsedCount > 1 ? StandardDeviation / Math.Sqrt(UsedCount) : double.NaN;

    /// <summary>A note for readers when values were excluded; null otherwise.</summary>
    public string? Note => Policy == NonFinitePolicy.Exclude && NonFiniteCount > 0
        ? $"{NonFiniteCount} of {Count} values were not finite and are excluded"
        : null;

    /// <summary>
    /// Summarises <paramref name="values"/>. The std uses two passes (mean first, then squared deviations),
    /// which avoids the cancellation of the one-pass Σx² − n·mean² form (Chan, Golub and LeVeque 1983). Kept rather than
    /// MathNet.Numerics' <c>ArrayStatistics.MeanVariance</c>: its one-pass update is stable but a few ulps less exact on
    /// the handful of repeats summarised here (for {0.5, 0.65}: 0.10606601717798222 against 0.10606601717798214 here and
    /// 0.106066017177982128… exactly), and saved result files were written with these numbers.
    /// With a single usable value the mean is defined and the std is NaN (n − 1 = 0), not 0.
    /// </summary>
    /// <exception cref="ArgumentException">No values at all.</exception>
    public static SampleSummary Of(IReadOnlyList<double> values, NonFinitePolicy policy = NonFinitePolicy.Propagate)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
            throw new ArgumentException("a summary needs at least one value; got none.", nameof(values));
        int bad = 0;
        foreach (double v in values) if (!double.IsFinite(v)) bad++;
        if (bad > 0 && policy == NonFinitePolicy.Propagate)
            return new SampleSummary(values.Count, bad, double.NaN, double.NaN, policy,
                $"{bad} of {values.Count} values are not finite (NaN or infinite); exclude them explicitly with {nameof(NonFinitePolicy)}.{nameof(NonFinitePolicy.Exclude)} to summarise the rest");
        int m = values.Count - bad;
        if (m == 0)
            return new SampleSummary(values.Count, bad, double.NaN, double.NaN, policy, $"all {values.Count} values are not finite");
        double sum = 0;
        foreach (double v in values) if (double.IsFinite(v)) sum += v;
        double mean = sum / m;
        double squares = 0;
        foreach (double v in values)
            if (double.IsFinite(v)) squares += (v - mean) * (v - mean);
        double std = m > 1 ? Math.Sqrt(squares / (m - 1)) : double.NaN;
        return new SampleSummary(values.Count, bad, mean, std, policy, null);
    }

    /// <summary>"mean ± std (m values)", invariant culture, for explanations.</summary>
    public override string ToString() => UndefinedReason is not null
        ? $"undefined: {UndefinedReason}"
        : string.Create(CultureInfo.InvariantCulture, $"{Mean:0.####} ± {StandardDeviation:0.####} ({UsedCount} values{(Note is null ? "" : "; " + Note)})");
}
