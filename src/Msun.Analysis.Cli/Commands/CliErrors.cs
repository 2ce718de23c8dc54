using Msun.Analysis.Core.Numpy;
using Msun.Analysis.Torch.Data;
using Msun.Analysis.Torch.Training;

namespace Msun.Analysis.Cli.Commands;

/// <summary>Turns the errors a user can cause into one line on stderr and a non-zero exit code.</summary>
internal static class CliErrors
{
    /// <summary>Exit code for bad input (parse errors of the command line itself exit with 1).</summary>
    public const int BadInput = 2;

    /// <summary>Exit code when a Debian package the command needs is missing (the ./msun wrapper installs it and reruns).</summary>
    public const int MissingPackages = 3;

    /// <summary>Exit code after Ctrl+C (128 + SIGINT, the shell convention).</summary>
    public const int Interrupted = 130;

    public static int Run(string command, Func<int> action)
    {
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
        catch (Exception e) when (e is ArgumentException or NpyFormatException or FileNotFoundException
                                      or DirectoryNotFoundException or UnauthorizedAccessException or InvalidDataException
                                      or ManifestFormatException or DatasetVerificationException or CheckpointException
                                      or Msun.Analysis.Reports.FigureExportException or TrainingDivergedException)
        {
            Console.Error.WriteLine($"msun {command}: error: {OneLine(e.Message)}");
            return BadInput;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"msun {command}: stopped by Ctrl+C; finished steps and the last checkpoint are kept (rerun with --resume, or the same command for reproduce).");
            return Interrupted;
        }
    }

    private static int ReportMissing(string command, MissingDebianPackageException e)
    {
        DebianPackages.Report(command, e, Console.Error, Environment.GetEnvironmentVariable(DebianPackages.MissingFileVariable), Environment.IsPrivilegedProcess);
        return MissingPackages;
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");
}
