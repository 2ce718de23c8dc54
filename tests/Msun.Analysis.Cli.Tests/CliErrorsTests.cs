using Msun.Analysis.Cli.Commands;
using Msun.Analysis.Core;

namespace Msun.Analysis.Cli.Tests;

/// <summary>
/// Bad input versus internal failure (in-process: a bug cannot be provoked through the command line). The process tests
/// of every command cover the bad-input side as users see it.
/// </summary>
public sealed class CliErrorsTests
{
    private static (int Code, string[] Lines) Run(Func<int> action)
    {
        using var errors = new StringWriter();
        int code = CliErrors.Run("probe", action, errors);
        return (code, errors.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void ArgumentExceptionAtTheBoundaryIsBadInputWithOneLine()
    {
        var (code, lines) = Run(() => throw new ArgumentException("--epochs 0: must be a positive number."));
        Assert.Equal(2, code);
        Assert.Equal("msun probe: error: --epochs 0: must be a positive number.", Assert.Single(lines));
    }

    [Fact]
    public void ArgumentExceptionInsideTheWorkIsAnInternalFailureWithItsTraceInALog()
    {
        var (code, lines) = Run(() => CliErrors.Work(() => DeepInsideTheWork(7)));
        Assert.Equal(1, code);
        string line = Assert.Single(lines);
        Assert.StartsWith("msun probe: internal error (a bug, not bad input): ArgumentOutOfRangeException: ", line);
        Assert.Contains("tensor index 7", line);
        string log = line[(line.IndexOf("full trace in ", StringComparison.Ordinal) + "full trace in ".Length)..];
        Assert.StartsWith(Path.GetTempPath(), log);
        Assert.Contains(CliErrors.LogPrefix + "probe-", log);
        try
        {
            string trace = File.ReadAllText(log);
            Assert.Contains("System.ArgumentOutOfRangeException", trace);
            Assert.Contains(nameof(DeepInsideTheWork), trace); // the stack frames, not just the message
        }
        finally
        {
            File.Delete(log);
        }
    }

    [Fact]
    public void BadInputFoundDuringTheWorkStaysBadInput()
    {
        var (code, lines) = Run(() => CliErrors.Work<int>(() => throw new BadInputException("profile.json: cell 3 has 0 repeats.")));
        Assert.Equal(2, code);
        Assert.Equal("msun probe: error: profile.json: cell 3 has 0 repeats.", Assert.Single(lines));
    }

    [Fact]
    public void AnyOtherExceptionIsInternalEvenAtTheBoundary()
    {
        var (code, lines) = Run(() => throw new InvalidOperationException("collection was modified"));
        Assert.Equal(1, code);
        string line = Assert.Single(lines);
        Assert.Contains("internal error (a bug, not bad input): InvalidOperationException: collection was modified; full trace in ", line);
        File.Delete(line[(line.IndexOf("full trace in ", StringComparison.Ordinal) + "full trace in ".Length)..]);
    }

    [Fact]
    public void AnOutputThatCannotBeWrittenIsOneLineNamingTheFile()
    {
        var (code, lines) = Run(() => throw new IOException("No space left on device : '/data/run/checkpoint.zip.tmp-1'"));
        Assert.Equal(2, code);
        Assert.Contains("/data/run/checkpoint.zip.tmp-1", Assert.Single(lines));
    }

    private static int DeepInsideTheWork(int index) =>
        throw new ArgumentOutOfRangeException(nameof(index), $"tensor index {index} is out of range.");
}
