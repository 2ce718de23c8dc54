using Msun.Analysis.Core.Results;
using Msun.Analysis.Core.SplitSelection;

namespace Msun.Analysis.Cli.Tests;

/// <summary><c>msun study</c> (the README's main job) on the smoke profile: every step's files, reuse on a rerun, bad input.</summary>
public sealed class StudyEndToEndTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "msun-study-cli-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void PaperGeometrySmokeStudyWithTwoSeedsRunsEveryStepAndARerunReusesThem()
    {
        string dir = Path.Combine(folder, "out");
        string[] command = ["study", "--dataset", "fashion-mnist", "--geometry", "paper", "--reference-size", "56", "--profile", "smoke", "--seeds", "2", "--out", dir];
        var run = MsunProcess.Run(command);
        Assert.True(run.ExitCode == 0, run.Stderr);
        for (int step = 1; step <= 5; step++)
            Assert.Contains($"step {step}/5", run.Stderr);

        // The study of the seed-0 baseline on held-out training images: 5 blocks of the ImageNet-stem ResNet × probes 8, 16, 32 at 56.
        var profile = CkaProfile.FromJson(File.ReadAllText(Path.Combine(dir, "study", "profile.json")));
        Assert.Equal(["maxpool", "layer1", "layer2", "layer3", "layer4"], profile.Blocks.Select(b => b.Name));
        Assert.Equal([8, 16, 32], profile.Probes);
        Assert.Contains("held out for the CKA study", profile.Provenance["dataset"]);
        Assert.True(File.Exists(Path.Combine(dir, "study", "grid.json")));

        // The recommendation is saved, and MSUN is trained with it (at least 1), saying so.
        var split = SplitRecommendationJson.FromJson(File.ReadAllText(Path.Combine(dir, "study", SplitRecommendationFiles.Json)));
        var recomputed = SplitSelector.Recommend(profile, new SplitRuleOptions());
        Assert.Equal((recomputed.Split, recomputed.SplitAtMeans), (split.Split, split.SplitAtMeans));
        int trained = Math.Max(1, split.Split);
        Assert.Contains($"split: recommended {split.Split}, trained {trained}", run.Stdout);
        var comparison = MethodComparison.ReadJsonFile(Path.Combine(dir, "comparison.json"));
        Assert.Contains($"split {trained},", comparison.Provenance["msun"]);
        Assert.Contains("small:8:small,mid:32:mid,large:56:standard", comparison.Provenance["msun"]);
        Assert.Equal(["vanilla", "mst", "msun"], comparison.Rows.Select(r => r.Method).Distinct());
        if (split.Split == 0)
        {
            Assert.Contains("recommended split 0", comparison.Verdict);
            Assert.Contains("recommended split 0", File.ReadAllText(Path.Combine(dir, "verdict.md")));
        }

        // Two seeds of every method, each scored on the same 500 test images at the 13 sizes 8…56.
        int[] sizes = [8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56];
        foreach (var method in new[] { "vanilla", "mst", "msun" })
            foreach (var seed in new[] { 0, 1 })
            {
                var runDir = Path.Combine(dir, method, $"seed-{seed}");
                Assert.True(File.Exists(Path.Combine(runDir, "checkpoint.zip")), runDir);
                var correct = Msun.Analysis.Core.Numpy.Npy.Read(Path.Combine(runDir, "routed-correct.npy"));
                Assert.Equal([13, 500], correct.Shape);
                var routed = MultiScaleResultFiles.ReadJsonFile(Path.Combine(runDir, "accuracy.json")).Single(a => a.Scoring == MultiScaleScoring.Routed);
                Assert.Equal(sizes, routed.TestSizes);
                // The per-image file and the counts agree.
                var bytes = (byte[])correct.Data;
                for (int i = 0; i < sizes.Length; i++)
                    Assert.Equal(routed.Sizes[i].Correct, bytes.Skip(i * 500).Take(500).Sum(b => (long)b));
            }

        var seeds = SeedAccuracyTable.ReadJsonFile(Path.Combine(dir, "seeds.json"));
        var vanillaAt8 = seeds.Row("vanilla", MultiScaleScoring.Routed, 8);
        Assert.Equal([0, 1], vanillaAt8.Seeds);
        var pooled = MultiScaleResultFiles.ReadJsonFile(Path.Combine(dir, "accuracy.json"));
        Assert.Equal(vanillaAt8.Mean, pooled.Single(a => a.Model == "vanilla" && a.Scoring == MultiScaleScoring.Routed).AccuracyAt(8), 12);

        // Paired differences with intervals (per size and on average, against both baselines) and the three claims.
        Assert.Equal(2 * (sizes.Length + 1), comparison.Differences.Count);
        Assert.All(comparison.Differences, d =>
        {
            Assert.Equal((2, 2, 500), (d.Interval.MinuendSeeds, d.Interval.SubtrahendSeeds, d.Interval.Images));
            Assert.True(d.Interval.Low <= d.Interval.Mean && d.Interval.Mean <= d.Interval.High);
        });
        Assert.Equal(["average", "smallest", "reference"], comparison.Claims.Select(c => c.Id));
        var verdict = File.ReadAllText(Path.Combine(dir, "verdict.md"));
        Assert.Contains("## The paper's claims", verdict);
        Assert.Contains("mean ± std over seeds", verdict);
        Assert.Contains("whole model", verdict);
        Assert.True(comparison.Row("msun", MultiScaleScoring.Routed).Parameters > comparison.Row("vanilla", MultiScaleScoring.Routed).Parameters);

        var report = File.ReadAllText(Path.Combine(dir, "report.html"));
        Assert.Contains("Layer-wise CKA across input scales", report);
        Assert.Contains("Paired differences (percentage points, 95 % interval)", report);
        Assert.DoesNotContain("<script src=", report);

        // Same command again: the training, the study and the evaluations are reused, the results unchanged.
        var profileBytes = File.ReadAllBytes(Path.Combine(dir, "study", "profile.json"));
        var again = MsunProcess.Run(command);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Contains("msun study: reusing", again.Stderr);
        foreach (var method in new[] { "vanilla", "mst", "msun" })
            Assert.Contains($"train {method} seed 1: reusing the finished checkpoint", again.Stderr);
        Assert.Equal(profileBytes, File.ReadAllBytes(Path.Combine(dir, "study", "profile.json")));
        Assert.Equal(comparison.Rows, MethodComparison.ReadJsonFile(Path.Combine(dir, "comparison.json")).Rows);
        Assert.Equal(comparison.Differences, MethodComparison.ReadJsonFile(Path.Combine(dir, "comparison.json")).Differences);
    }

    [Fact]
    public void KilledStudyContinuesWithTheSameCommandAndWritesTheSameFiles()
    {
        string[] Study(string dir) => ["study", "--dataset", "fashion-mnist", "--budget", "smoke", "--seeds", "1", "--threads", "1", "--out", dir];
        string whole = Path.Combine(folder, "whole"), killed = Path.Combine(folder, "killed");
        var uninterrupted = MsunProcess.Run(Study(whole));
        Assert.True(uninterrupted.ExitCode == 0, uninterrupted.Stderr);

        // Killed once the CKA study is on disk, i.e. while the baselines and MSUN train or are evaluated.
        using (var running = MsunProcess.Start(Study(killed)))
        {
            // The step's record is written after its outputs: once it exists the study step is finished.
            Assert.True(MsunProcess.WaitUntil(running, () => File.Exists(Path.Combine(killed, ResultFiles.StudyFolder, ResultFiles.StudyStepRecord)), TimeSpan.FromMinutes(6)),
                "the CKA study never finished");
            running.Signal(9);
            Assert.Equal(128 + 9, running.Wait(TimeSpan.FromMinutes(1)).ExitCode);
        }

        Assert.False(File.Exists(Path.Combine(killed, "comparison.json")));
        // What a kill in the middle of an atomic write leaves: the writer's temporary file (no process has id 2^31 - 1).
        string leftover = Path.Combine(killed, ResultFiles.StudyFolder, ResultFiles.ProfileJson + Msun.Analysis.Core.IO.AtomicFile.TempMarker + "2147483647-0f");
        File.WriteAllText(leftover, "{\"blocks\": [");
        var again = MsunProcess.Run(Study(killed));
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Contains("msun study: reusing", again.Stderr); // the finished study step is not run again
        foreach (string file in new[] { "accuracy.csv", "seeds.csv", "comparison.csv", "macs.csv", Path.Combine("study", "profile.csv"), Path.Combine("study", "split.csv") })
            Assert.True(File.ReadAllBytes(Path.Combine(whole, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(killed, file))), file + " differs");
        // The rerun removes every temporary file whose writer is gone, and says so: the planted one, and any the kill itself
        // left (a smoke run writes a checkpoint every few seconds, so the kill can land in the middle of one).
        Assert.Matches(@"removed [1-9][0-9]* temporary file\(s\) of an interrupted write", again.Stderr);
        Assert.Empty(Directory.EnumerateFiles(killed, "*" + Msun.Analysis.Core.IO.AtomicFile.TempMarker + "*", SearchOption.AllDirectories));
    }

    [Fact]
    public void GeometryOptionsAreChecked()
    {
        MsunProcess.AssertOneLineError(MsunProcess.Run("study", "--profile", "smoke", "--reference-size", "64", "--out", Path.Combine(folder, "never")),
            "study", "--reference-size 64: the paper geometry is defined at 56 and 112");
        MsunProcess.AssertOneLineError(MsunProcess.Run("study", "--profile", "smoke", "--geometry", "cifar", "--reference-size", "56", "--out", Path.Combine(folder, "never")),
            "study", "--reference-size 56: the cifar geometry runs at the dataset's 28 px only");
        MsunProcess.AssertOneLineError(MsunProcess.Run("study", "--profile", "smoke", "--seeds", "0", "--out", Path.Combine(folder, "never")),
            "study", "--seeds 0: train every method at least once");
        Assert.False(Directory.Exists(Path.Combine(folder, "never")));
    }

    [Fact]
    public void MissingDatasetSaysHowToInstallItAndWritesNothing()
    {
        string empty = Directory.CreateDirectory(Path.Combine(folder, "empty")).FullName;
        string dir = Path.Combine(folder, "never");
        var run = MsunProcess.Run("study", "--profile", "smoke", "--root", empty, "--out", dir);
        MsunProcess.AssertOneLineError(run, "study", "sudo apt-get install dataset-fashion-mnist");
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void UnknownBackboneListsTheKnownOnes()
    {
        var run = MsunProcess.Run("study", "--profile", "smoke", "--model", "resnet19", "--out", Path.Combine(folder, "never"));
        MsunProcess.AssertOneLineError(run, "study", "unknown backbone 'resnet19'; known backbones: resnet18");
    }
}
