using System.Runtime.InteropServices;

namespace Msun.Analysis.Cli.Commands;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM as a cancellation token: the first signal asks the running work to stop at its next
/// batch boundary (the trainer keeps its last good checkpoint); the process is not killed, so files are never left
/// half-written.
/// </summary>
internal sealed class CliCancellation : IDisposable
{
    /// <summary>Name of SIGINT in messages.</summary>
    public const string Sigint = "Ctrl+C (SIGINT)";

    /// <summary>Name of SIGTERM in messages.</summary>
    public const string Sigterm = "SIGTERM";

    private readonly CancellationTokenSource source = new();
    private readonly PosixSignalRegistration interrupt;
    private readonly PosixSignalRegistration terminate;

    private CliCancellation(string command)
    {
        void Stop(PosixSignalContext context, string name)
        {
            context.Cancel = true; // keep the process alive until the work reaches a batch boundary
            if (source.IsCancellationRequested) return;
            LastSignal = name;
            source.Cancel(); // before the message: stderr may be a closed pipe, and the stop must not depend on it
            try
            {
                Console.Error.WriteLine($"\nmsun {command}: {name}; stopping at the next batch (the last checkpoint is kept).");
            }
            catch (IOException)
            {
            }
        }

        interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => Stop(c, Sigint));
        terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Stop(c, Sigterm));
    }

    /// <summary>The signal that cancelled the work (one command per process, so one value suffices).</summary>
    public static string LastSignal { get; private set; } = Sigint;

    /// <summary>The token cancelled by SIGINT or SIGTERM.</summary>
    public CancellationToken Token => source.Token;

    /// <summary>Starts listening for SIGINT and SIGTERM until disposed.</summary>
    public static CliCancellation OnCtrlC(string command) => new(command);

    /// <inheritdoc />
    public void Dispose()
    {
        interrupt.Dispose();
        terminate.Dispose();
        source.Dispose();
    }
}
