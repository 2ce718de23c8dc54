using System.Globalization;
using System.Text.RegularExpressions;
using Msun.Analysis.Core;
using Msun.Analysis.Core.Numpy;
using Msun.Analysis.Torch.Data;
using Msun.Analysis.Torch.Training;
using Msun.Analysis.Torch.Weights;

namespace Msun.Analysis.Cli.Commands;

/// <summary>
/// Turns what can go wrong in a command into an exit code and one line on stderr. Bad input (an option, file or field
/// the user gave, or an output that cannot be written) exits with 2 and names the input. Anything else is an internal
/// failure: exit 1, a one-line summary, and the full trace in a log file whose path the line gives.
/// </summary>
/// <remarks>
/// A command checks its options at the boundary (options records, command binding) and then runs its work inside
/// <see cref="Work{T}"/>: an <see cref="ArgumentException"/> escaping from there is a broken precondition of our own
/// code, not bad input, unless it is a <see cref="BadInputException"/>. The typed file exceptions (dataset, manifest,
/// checkpoint, weights, .npy) are bad input wherever they are thrown: they always name a file the user pointed at.
/// </remarks>
internal static partial class CliErrors
{
    /// <summary>Exit code for bad input (a malformed command line included, see Program.cs).</summary>
    public const int BadInput = 2;

    /// <summary>Exit code when a Debian package the command needs is missing (the ./msun wrapper installs it and reruns).</summary>
    public const int MissingPackages = 3;

    /// <summary>Exit code of an internal failure (a bug): the trace is in the log file the error line names.</summary>
    public const int InternalFailure = 1;

    /// <summary>Exit code after Ctrl+C (128 + SIGINT, the shell convention).</summary>
    public const int Interrupted = 130;

    /// <summary>Exit code after SIGTERM (128 + 15).</summary>
    public const int Terminated = 143;

    /// <summary>Prefix of the internal-failure logs written to the temporary folder (<c>$TMPDIR</c>, else /tmp).</summary>
    public const string LogPrefix = "msun-internal-error-";

    /// <summary>Runs a command's action and maps its failures to exit codes and one line on <paramref name="errors"/> (default stderr).</summary>
    public static int Run(string command, Func<int> action, TextWriter? errors = null)
    {
        errors ??= Console.Error;
        try
        {
            return action();
        }
        catch (MissingDebianPackageException e)
        {
            return ReportMissing(command, e);
        }
        catch (DatasetVerificationException e) when (DebianPackages.FromDatasetFailure(e) is { } missing)
        {
            return ReportMissing(command, missing);
        }
        catch (Exception e) when (IsBadInput(e))
        {
            errors.WriteLine($"msun {command}: error: {OneLine(UserMessage(e))}");
            return BadInput;
        }
        catch (OperationCanceledException)
        {
            var signal = CliCancellation.LastSignal;
            errors.WriteLine($"msun {command}: stopped by {signal}; finished steps and the last checkpoint are kept (rerun with --resume, or the same command for reproduce and study).");
            return signal == CliCancellation.Sigterm ? Terminated : Interrupted;
        }
        catch (Exception e)
        {
            var failure = e is InternalFailureException wrapped ? wrapped.InnerException! : e;
            string? log = WriteLog(command, failure);
            errors.WriteLine($"msun {command}: internal error (a bug, not bad input): {failure.GetType().Name}: {OneLine(failure.Message)}; "
                             + (log is null ? "the trace follows." : $"full trace in {log}"));
            if (log is null) errors.WriteLine(failure.ToString());
            return InternalFailure;
        }
    }

    /// <summary>
    /// Runs the work of a command whose inputs are checked: an <see cref="ArgumentException"/> from inside (other than
    /// <see cref="BadInputException"/>) is reported as an internal failure, not as bad input.
    /// </summary>
    public static T Work<T>(Func<T> work)
    {
        try
        {
            return work();
        }
        catch (ArgumentException e) when (e is not BadInputException)
        {
            throw new InternalFailureException(e);
        }
    }

    /// <inheritdoc cref="Work{T}(Func{T})"/>
    public static void Work(Action work) => Work(() =>
    {
        work();
        return 0;
    });

    private static bool IsBadInput(Exception e) => e is ArgumentException or NpyFormatException or IOException or InvalidDataException
        or UnauthorizedAccessException or ManifestFormatException or DatasetVerificationException or CheckpointException
        or WeightFormatException or WeightLoadException or Reports.FigureExportException or TrainingDivergedException;

    /// <summary>Writes the trace of an internal failure to a new file in the temporary folder; null when even that fails.</summary>
    private static string? WriteLog(string command, Exception failure)
    {
        try
        {
            string path = Path.Combine(Path.GetTempPath(),
                $"{LogPrefix}{command}-{DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}-{Environment.ProcessId}.log");
            File.WriteAllText(path, string.Join('\n',
                $"msun {command}: internal error at {DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture)}",
                $"command line: {string.Join(' ', Environment.GetCommandLineArgs().Skip(1))}",
                $"runtime: {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}",
                "",
                failure.ToString(),
                ""));
            return path;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static int ReportMissing(string command, MissingDebianPackageException e)
    {
        DebianPackages.Report(command, e, Console.Error, Environment.GetEnvironmentVariable(DebianPackages.MissingFileVariable), Environment.IsPrivilegedProcess);
        return MissingPackages;
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");

    /// <summary>The message without .NET's " (Parameter 'x')" and "Actual value was y." tails: our messages name the input themselves.</summary>
    private static string UserMessage(Exception e)
    {
        if (e is not ArgumentException) return e.Message;
        string message = e.Message;
        int actual = message.IndexOf("\nActual value was", StringComparison.Ordinal);
        if (actual >= 0) message = message[..actual];
        return ParameterTail().Replace(message, "");
    }

    [GeneratedRegex(@" \(Parameter '[^']*'\)")]
    private static partial Regex ParameterTail();

    /// <summary>An exception from a command's checked work, carried to <see cref="Run"/> to be reported as internal.</summary>
    private sealed class InternalFailureException(Exception inner) : Exception(inner.Message, inner);
}
