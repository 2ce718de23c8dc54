using System.Diagnostics;
using Msun.Analysis.Core.Results;
using Msun.Analysis.Reports.Tests;

namespace Msun.Analysis.Cli.Tests;

/// <summary>
/// Outputs that cannot be written — a full disk, a read-only folder, a path under /proc — as <c>train</c>,
/// <c>evaluate</c>, <c>study-scales</c> and <c>report</c> meet them (black box): one line naming the file, exit 2,
/// no partial or temporary file, and the previous checkpoint or result byte-identical.
/// </summary>
/// <remarks>
/// The tests make the condition themselves: as root (CI) a small tmpfs is mounted, full or read-only; where mounting
/// is not allowed (an ordinary user) the folder is made read-only with chmod instead, which stops that user as surely,
/// so the same assertions run either way.
/// </remarks>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // chmod and mount: the CLI's tests run on Linux
public sealed class UnwritableOutputTests(TinyCheckpoint checkpoint) : IClassFixture<TinyCheckpoint>
{
    private enum Limit
    {
        Small,
        Full,
        ReadOnly,
    }

    /// <summary>A folder that refuses writes, and how it does (the phrase .NET's error carries).</summary>
    private sealed class Unwritable : IDisposable
    {
        private readonly bool mounted;

        private Unwritable(string path, bool mounted, string reason)
        {
            Path = path;
            this.mounted = mounted;
            Reason = reason;
        }

        public string Path { get; }

        public string Reason { get; }

        /// <summary>Whether a tmpfs was mounted (as root); otherwise the folder was made read-only with chmod.</summary>
        public bool Mounted => mounted;

        /// <summary>
        /// A folder holding what <paramref name="prepare"/> puts there, on a tmpfs of <paramref name="sizeKb"/> KB that is
        /// left to fill up during the run (<see cref="Limit.Small"/>), filled to the last byte, or remounted read-only.
        /// </summary>
        public static Unwritable Create(string parent, int sizeKb, Limit limit, Action<string> prepare)
        {
            string path = Directory.CreateDirectory(System.IO.Path.Combine(parent, "unwritable-" + Guid.NewGuid().ToString("N"))).FullName;
            if (Run("mount", "-t", "tmpfs", "-o", $"size={sizeKb}k", "tmpfs", path))
            {
                prepare(path);
                if (limit == Limit.Small) return new Unwritable(path, true, "No space left on device");
                if (limit == Limit.Full)
                {
                    Fill(path);
                    return new Unwritable(path, true, "No space left on device");
                }

                if (!Run("mount", "-o", "remount,ro", path)) throw new InvalidOperationException($"cannot remount {path} read-only.");
                return new Unwritable(path, true, "Read-only file system");
            }

            prepare(path);
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
            return new Unwritable(path, false, "denied");
        }

        /// <summary>Writes a filler file until the file system reports no space, so the next write fails.</summary>
        private static void Fill(string path)
        {
            using var filler = new FileStream(System.IO.Path.Combine(path, "filler"), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1);
            var block = new byte[4096];
            try
            {
                while (true) filler.Write(block);
            }
            catch (IOException)
            {
            }

            try
            {
                while (true) filler.Write(block, 0, 1);
            }
            catch (IOException)
            {
            }
        }

        private static bool Run(string file, params string[] args)
        {
            var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in args) info.ArgumentList.Add(a);
            try
            {
                using var p = Process.Start(info)!;
                p.WaitForExit();
                return p.ExitCode == 0;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return false;
            }
        }

        public void Dispose()
        {
            if (mounted) Run("umount", Path);
            else File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private static void CopyRun(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from))
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }

    [Fact]
    public void AFullDiskDuringTrainingKeepsTheLastCheckpoint()
    {
        // Room for one checkpoint (~5.6 MB) but not for the next one beside it: epoch 1 is saved, epoch 2's atomic write fails.
        using var disk = Unwritable.Create(checkpoint.Folder, 9 * 1024, Limit.Small, _ => { });
        string run = Path.Combine(disk.Path, "run");
        var outcome = MsunProcess.Run("train", "--model", "resnet18-small", "--method", "vanilla", "--epochs", "2", "--batch-size", "16",
            "--train-subset", "32", "--test-subset", "16", "--threads", "1", "--out", run);
        // Progress lines came first (epoch 1 ran); the failure is the last line, naming the file and the reason.
        Assert.Equal(2, outcome.ExitCode);
        string last = outcome.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        Assert.StartsWith("msun train: error: ", last);
        Assert.Contains(disk.Reason, last);
        Assert.Contains(disk.Mounted ? Path.Combine(run, "checkpoint.zip") : run, last);
        if (!disk.Mounted)
        {
            Assert.False(Directory.Exists(run));
            return;
        }

        // The checkpoint of epoch 1 is whole and the log agrees with it; the failed write left nothing behind.
        Assert.Equal(["checkpoint.zip", "train-log.jsonl"], Directory.GetFiles(run).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        using var zip = System.IO.Compression.ZipFile.OpenRead(Path.Combine(run, "checkpoint.zip"));
        using var state = System.Text.Json.JsonDocument.Parse(zip.GetEntry("state.json")!.Open());
        Assert.Equal(1, state.RootElement.GetProperty("epochs_completed").GetInt32());
        Assert.Single(File.ReadAllLines(Path.Combine(run, "train-log.jsonl")));
        Assert.Equal(["model.bin", "optimizer.bin", "state.json", "torch-rng.bin"], zip.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void AFullDiskDuringEvaluationLeavesNoPartialFile()
    {
        using var disk = Unwritable.Create(checkpoint.Folder, 64, Limit.Full, path => Directory.CreateDirectory(Path.Combine(path, "evaluation")));
        string outDir = Path.Combine(disk.Path, "evaluation");
        var before = FolderState.Snapshot(disk.Path);
        var outcome = MsunProcess.Run("evaluate", "--checkpoint", checkpoint.Run, "--images", "16", "--sizes", "14,28", "--out", outDir);
        MsunProcess.AssertErrorAfterProgress(outcome, "evaluate", disk.Reason); // the disk fills when the results are written, after the evaluation
        Assert.Contains(outDir, outcome.Stderr);
        FolderState.AssertUnchanged(before, disk.Path);
    }

    [Fact]
    public void AReadOnlyFolderKeepsTheEarlierResultsOfStudyScalesAndReport()
    {
        using var disk = Unwritable.Create(checkpoint.Folder, 256, Limit.ReadOnly, path =>
        {
            File.WriteAllText(Path.Combine(path, "report.html"), "earlier report");
            File.WriteAllText(Path.Combine(path, "accuracy.json"), MultiScaleResultFiles.ToJson(SampleResults.Accuracies()));
        });
        var before = FolderState.Snapshot(disk.Path);
        var report = MsunProcess.Run("report", disk.Path);
        MsunProcess.AssertOneLineError(report, "report", Path.Combine(disk.Path, "report.html"));
        var study = MsunProcess.Run("study-scales", "--checkpoint", checkpoint.Run, "--images", "32", "--batch-size", "16", "--repeats", "1",
            "--probes", "7,14", "--out", Path.Combine(disk.Path, "study"));
        MsunProcess.AssertOneLineError(study, "study-scales", Path.Combine(disk.Path, "study"));
        FolderState.AssertUnchanged(before, disk.Path);
    }

    private string Results()
    {
        string folder = Directory.CreateDirectory(Path.Combine(checkpoint.Folder, "results-" + Guid.NewGuid().ToString("N"))).FullName;
        File.WriteAllText(Path.Combine(folder, "accuracy.json"), MultiScaleResultFiles.ToJson(SampleResults.Accuracies()));
        return folder;
    }

    [Theory]
    [InlineData("train")]
    [InlineData("evaluate")]
    [InlineData("report")]
    public void APathUnderProcIsRefused(string command)
    {
        string target = "/proc/msun-" + Guid.NewGuid().ToString("N");
        string[] args = command switch
        {
            "train" => ["train", "--model", "resnet18-small", "--method", "vanilla", "--epochs", "1", "--train-subset", "32", "--test-subset", "32", "--out", target],
            "evaluate" => ["evaluate", "--checkpoint", checkpoint.Run, "--images", "16", "--out", target],
            _ => ["report", Results(), "--out", target + "/report.html"],
        };
        MsunProcess.AssertOneLineError(MsunProcess.Run(args), command, target);
        Assert.False(Directory.Exists(target));
    }
}
