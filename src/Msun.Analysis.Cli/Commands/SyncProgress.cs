namespace Msun.Analysis.Cli.Commands;

/// <summary>
/// Reports progress on the caller's thread, in order. <see cref="Progress{T}"/> would post each report to the thread
/// pool, so lines could arrive late or out of order on the console.
/// </summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
