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

    /// <summary>A CLI process started in the background (for tests that kill or signal it mid-run).</summary>
    public sealed class Running : IDisposable
    {
        private readonly Process process;
        private readonly Task<string> stdout;
        private readonly Task<string> stderr;

        internal Running(Process process)
        {
            this.process = process;
            stdout = process.StandardOutput.ReadToEndAsync();
            stderr = process.StandardError.ReadToEndAsync();
        }

        public int Id => process.Id;

        public bool HasExited => process.HasExited;

        /// <summary>Sends a POSIX signal (SIGKILL = 9, SIGINT = 2, SIGTERM = 15).</summary>
        public void Signal(int signal)
        {
            if (kill(process.Id, signal) != 0) throw new InvalidOperationException($"kill({process.Id}, {signal}) failed.");
        }

        /// <summary>Waits for the exit (at most <paramref name="timeout"/>) and returns what the process printed.</summary>
        public Outcome Wait(TimeSpan timeout)
        {
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"msun did not exit within {timeout}.");
            }

            process.WaitForExit();
            return new Outcome(process.ExitCode, stdout.Result, stderr.Result);
        }

        public void Dispose()
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.Dispose();
        }

        [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
        private static extern int kill(int pid, int sig);
    }

    /// <summary>Starts the CLI in the background.</summary>
    public static Running Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "msun.dll"));
        foreach (string a in args) info.ArgumentList.Add(a);
        return new Running(Process.Start(info)!);
    }

    /// <summary>Polls until <paramref name="condition"/> holds or the process exits; false when it exited first or the time ran out.</summary>
    public static bool WaitUntil(Running running, Func<bool> condition, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (condition()) return true;
            if (running.HasExited) return condition();
            Thread.Sleep(50);
        }

        return false;
    }

    /// <summary>
    /// A failure found after work had started (a full disk when results are written): exit 2, nothing on stdout, and one
    /// error line naming the input, after nothing but the progress lines of the work done before it.
    /// </summary>
    public static void AssertErrorAfterProgress(Outcome outcome, string command, string expected)
    {
        Assert.Equal(2, outcome.ExitCode);
        Assert.Equal("", outcome.Stdout);
        var lines = outcome.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith($"msun {command}: error: ", lines[^1]);
        Assert.Contains(expected, lines[^1]);
        Assert.All(lines[..^1], l => Assert.DoesNotContain("error", l));
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
