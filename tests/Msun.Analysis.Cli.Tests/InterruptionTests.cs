using System.IO.Compression;
using System.Text.Json;

namespace Msun.Analysis.Cli.Tests;

/// <summary>
/// Runs stopped in the middle (black box): <c>kill -9</c> during training and evaluation, then the same command again;
/// SIGINT and SIGTERM during training. Training resumes from its last finished epoch and reaches the weights of an
/// uninterrupted run; evaluation leaves no partial file and then writes the same files; a signal stops at a batch
/// boundary with the checkpoint intact.
/// </summary>
public sealed class InterruptionTests : IDisposable
{
    private const int SigInt = 2, SigKill = 9, SigTerm = 15;
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);
    private readonly string folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "msun-interrupt-" + Guid.NewGuid().ToString("N"))).FullName;

    public void Dispose()
    {
        try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
    }

    private static string[] Train(string outDir, int epochs, params string[] extra) =>
    [
        "train", "--model", "resnet18-small", "--method", "vanilla", "--epochs", epochs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--batch-size", "8", "--train-subset", "64", "--test-subset", "16", "--seed", "5", "--threads", "1", "--out", outDir, .. extra,
    ];

    private static int LoggedEpochs(string run)
    {
        string log = Path.Combine(run, "train-log.jsonl");
        try
        {
            return File.Exists(log) ? File.ReadAllLines(log).Count(l => l.Length > 0) : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static byte[] Member(string run, string name)
    {
        using var zip = ZipFile.OpenRead(Path.Combine(run, "checkpoint.zip"));
        using var stream = zip.GetEntry(name)!.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static int EpochsInCheckpoint(string run)
    {
        using var state = JsonDocument.Parse(Member(run, "state.json"));
        return state.RootElement.GetProperty("epochs_completed").GetInt32();
    }

    /// <summary>Whether process <paramref name="pid"/> ignores <paramref name="signal"/> (the SigIgn mask in /proc/PID/status).</summary>
    private static bool Ignores(int pid, int signal)
    {
        var line = File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        ulong mask = Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16);
        return (mask >> (signal - 1) & 1) == 1;
    }

    private static void AssertNoTemporaryFiles(string dir) =>
        Assert.DoesNotContain(Directory.GetFiles(dir, "*", SearchOption.AllDirectories), f => f.Contains(".tmp-", StringComparison.Ordinal));

    [Fact]
    public void KilledTrainingResumesFromItsLastEpochAndReachesTheUninterruptedWeights()
    {
        const int epochs = 3;
        string whole = Path.Combine(folder, "whole"), killed = Path.Combine(folder, "killed");
        var uninterrupted = MsunProcess.Run(Train(whole, epochs));
        Assert.True(uninterrupted.ExitCode == 0, uninterrupted.Stderr);

        int finishedAtKill;
        using (var running = MsunProcess.Start(Train(killed, epochs)))
        {
            Assert.True(MsunProcess.WaitUntil(running, () => LoggedEpochs(killed) >= 1, Patience), "the first epoch never finished");
            running.Signal(SigKill);
            var outcome = running.Wait(Patience);
            Assert.Equal(128 + SigKill, outcome.ExitCode);
            finishedAtKill = LoggedEpochs(killed);
        }

        Assert.InRange(finishedAtKill, 1, epochs - 1);
        Assert.Equal(finishedAtKill, EpochsInCheckpoint(killed)); // at most the running epoch is lost

        var resumed = MsunProcess.Run(Train(killed, epochs, "--resume"));
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Contains($"resuming after epoch {finishedAtKill} of {epochs}", resumed.Stderr);
        Assert.Equal(epochs, LoggedEpochs(killed));
        Assert.Equal(Member(whole, "model.bin"), Member(killed, "model.bin"));
        Assert.Equal(Member(whole, "optimizer.bin"), Member(killed, "optimizer.bin"));
        AssertNoTemporaryFiles(killed);
    }

    [Theory]
    [InlineData(SigInt, 130, "Ctrl+C (SIGINT)")]
    [InlineData(SigTerm, 143, "SIGTERM")]
    public void ASignalStopsAtABatchBoundaryWithTheCheckpointIntact(int signal, int exitCode, string name)
    {
        const int epochs = 40;
        string run = Path.Combine(folder, "signal-" + signal);
        MsunProcess.Outcome outcome;
        using (var running = MsunProcess.Start(Train(run, epochs)))
        {
            Assert.True(MsunProcess.WaitUntil(running, () => LoggedEpochs(run) >= 1, Patience), "the first epoch never finished");
            Thread.Sleep(200); // into the next epoch's batches
            // Two ways this test could fail for a reason that is not msun's: the run already finished, or it was started
            // with the signal ignored (a shell without job control starts background commands so, and children inherit
            // it); msun then rightly keeps running. Say which instead of failing on the exit code.
            Assert.False(running.HasExited, $"all {epochs} epochs finished before the signal could be sent");
            Assert.False(Ignores(running.Id, signal), $"msun was started with signal {signal} ignored (inherited from the test process: " +
                "run the tests in the foreground, or from a shell with `set -m`)");
            running.Signal(signal);
            outcome = running.Wait(Patience);
        }

        Assert.Equal(exitCode, outcome.ExitCode);
        Assert.Contains($"msun train: {name}; stopping at the next batch", outcome.Stderr);
        Assert.Contains($"msun train: stopped by {name}; finished steps and the last checkpoint are kept", outcome.Stderr);
        int logged = LoggedEpochs(run);
        Assert.InRange(logged, 1, epochs - 1);
        Assert.Equal(logged, EpochsInCheckpoint(run));
        Assert.NotEmpty(Member(run, "model.bin"));
        AssertNoTemporaryFiles(run);
        Assert.False(File.Exists(Path.Combine(run, ".train.lock")));
    }

    [Fact]
    public void KilledEvaluationLeavesNoPartialFileAndTheSameCommandWritesTheSameFiles()
    {
        string run = Path.Combine(folder, "model");
        var trained = MsunProcess.Run(Train(run, 1));
        Assert.True(trained.ExitCode == 0, trained.Stderr);
        string[] Evaluate(string outDir) => ["evaluate", "--checkpoint", run, "--images", "1000", "--sizes", "14,28", "--out", outDir];

        string whole = Path.Combine(folder, "eval-whole"), killed = Path.Combine(folder, "eval-killed");
        var uninterrupted = MsunProcess.Run(Evaluate(whole));
        Assert.True(uninterrupted.ExitCode == 0, uninterrupted.Stderr);

        using (var running = MsunProcess.Start(Evaluate(killed)))
        {
            // The output folder is created just before the first image is evaluated.
            Assert.True(MsunProcess.WaitUntil(running, () => Directory.Exists(killed), Patience), "evaluation never started");
            Thread.Sleep(300);
            running.Signal(SigKill);
            Assert.Equal(128 + SigKill, running.Wait(Patience).ExitCode);
        }

        Assert.Empty(Directory.GetFiles(killed)); // nothing half-written: every result file is written whole or not at all

        var again = MsunProcess.Run(Evaluate(killed));
        Assert.True(again.ExitCode == 0, again.Stderr);
        foreach (string file in new[] { "accuracy.csv", "macs.csv" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(whole, file)), File.ReadAllBytes(Path.Combine(killed, file)));
        Assert.Equal(
            Msun.Analysis.Core.Results.MultiScaleResultFiles.ReadJsonFile(Path.Combine(whole, "accuracy.json")).Select(a => a.Sizes.ToArray()),
            Msun.Analysis.Core.Results.MultiScaleResultFiles.ReadJsonFile(Path.Combine(killed, "accuracy.json")).Select(a => a.Sizes.ToArray()));
    }
}
