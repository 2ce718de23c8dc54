using Msun.Analysis.Core.Numpy;
using Msun.Analysis.Torch.Data;
using Msun.Analysis.Torch.Training;

namespace Msun.Analysis.Cli.Commands;

/// <summary>Turns the errors a user can cause into one line on stderr and a non-zero exit code.</summary>
internal static class CliErrors
{
    /// <summary>Exit code for bad input (parse errors of the command line itself exit with 1).</summary>
    public const int BadInput = 2;

    public static int Run(string command, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is ArgumentException or NpyFormatException or FileNotFoundException
                                      or DirectoryNotFoundException or UnauthorizedAccessException or InvalidDataException
                                      or ManifestFormatException or DatasetVerificationException or CheckpointException
                                      or Msun.Analysis.Reports.FigureExportException)
        {
            Console.Error.WriteLine($"msun {command}: error: {OneLine(e.Message)}");
            return BadInput;
        }
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");
}
