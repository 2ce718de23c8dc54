using System.Globalization;

namespace Msun.Analysis.Torch.Pipeline;

/// <summary>The toolkit's one estimate of the time left, and its one text form, used by every progress line.</summary>
public static class Eta
{
    /// <summary>
    /// The time the remaining <c>total − done</c> units take at the pace of the <paramref name="done"/> units that took
    /// <paramref name="elapsed"/>; null before the first unit (no pace yet).
    /// </summary>
    public static TimeSpan? Remaining(TimeSpan elapsed, int done, int total)
    {
        if (done < 1) return null;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(done, total);
        return TimeSpan.FromSeconds(elapsed.TotalSeconds / done * (total - done));
    }

    /// <summary>A duration as <c>1h02m</c>, <c>3m05s</c> or <c>12s</c>; <c>?</c> when unknown.</summary>
    public static string Format(TimeSpan? t) => t is not { } v
        ? "?"
        : v.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)v.TotalHours}h{v.Minutes:D2}m")
            : v.TotalMinutes >= 1
                ? string.Create(CultureInfo.InvariantCulture, $"{v.Minutes}m{v.Seconds:D2}s")
                : string.Create(CultureInfo.InvariantCulture, $"{v.Seconds}s");
}

/// <summary>
/// Reports progress on the caller's thread, in order: the toolkit's one <see cref="IProgress{T}"/> adapter.
/// <see cref="Progress{T}"/> would post each report to the thread pool, so lines could arrive late or out of order.
/// </summary>
public sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    /// <inheritdoc />
    public void Report(T value) => report(value);
}
