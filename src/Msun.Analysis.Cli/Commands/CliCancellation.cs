namespace Msun.Analysis.Cli.Commands;

/// <summary>
/// Ctrl+C as a cancellation token: the first press asks the running work to stop at its next batch boundary (the
/// trainer keeps its last good checkpoint); the process is not killed, so files are never left half-written.
/// </summary>
internal sealed class CliCancellation : IDisposable
{
    private readonly CancellationTokenSource source = new();
    private readonly ConsoleCancelEventHandler handler;

    private CliCancellation(string command)
    {
        handler = (_, e) =>
        {
            e.Cancel = true;
            if (!source.IsCancellationRequested)
                Console.Error.WriteLine($"\nmsun {command}: interrupted; stopping at the next batch (the last checkpoint is kept).");
            source.Cancel();
        };
        Console.CancelKeyPress += handler;
    }

    /// <summary>The token cancelled by Ctrl+C.</summary>
    public CancellationToken Token => source.Token;

    /// <summary>Starts listening for Ctrl+C until disposed.</summary>
    public static CliCancellation OnCtrlC(string command) => new(command);

    /// <inheritdoc />
    public void Dispose()
    {
        Console.CancelKeyPress -= handler;
        source.Dispose();
    }
}
