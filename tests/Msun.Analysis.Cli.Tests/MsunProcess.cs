using System.Diagnostics;

namespace Msun.Analysis.Cli.Tests;

/// <summary>Runs the built CLI (msun.dll beside the tests) as a separate process.</summary>
internal static class MsunProcess
{
    public sealed record Outcome(int ExitCode, string Stdout, string Stderr);

    public static Outcome Run(params string[] args) => RunWithEnvironment([], args);

    /// <summary>Runs the CLI with extra environment variables.</summary>
    public static Outcome RunWithEnvironment(Dictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (key, value) in environment) info.Environment[key] = value;
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "msun.dll"));
        foreach (string a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return new Outcome(process.ExitCode, stdout.Result, stderr);
    }

    /// <summary>The bad-input contract of every command: exit code 2, nothing on stdout, one stderr line naming the problem.</summary>
    public static void AssertOneLineError(Outcome outcome, string command, string expected)
    {
        Assert.Equal(2, outcome.ExitCode);
        Assert.Equal("", outcome.Stdout);
        string line = Assert.Single(outcome.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"msun {command}: error: ", line);
        Assert.Contains(expected, line);
    }
}
