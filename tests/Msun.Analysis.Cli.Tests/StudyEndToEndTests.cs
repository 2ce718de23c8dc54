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
    public void SmokeStudyRunsEveryStepAndARerunReusesThem()
    {
        string dir = Path.Combine(folder, "out");
        var run = MsunProcess.Run("study", "--dataset", "fashion-mnist", "--profile", "smoke", "--out", dir);
        Assert.True(run.ExitCode == 0, run.Stderr);
        for (int step = 1; step <= 5; step++)
            Assert.Contains($"step {step}/5", run.Stderr);

        // The study of the baseline: 5 blocks × the default probes 7, 14, 21 at reference 28.
        var profile = CkaProfile.FromJson(File.ReadAllText(Path.Combine(dir, "study", "profile.json")));
        Assert.Equal(["relu", "layer1", "layer2", "layer3", "layer4"], profile.Blocks.Select(b => b.Name));
        Assert.Equal([7, 14, 21], profile.Probes);
        Assert.True(File.Exists(Path.Combine(dir, "study", "grid.json")));

        // The recommendation is saved, and MSUN is trained with it (at least 1: MSUN needs one per-scale block).
        var split = SplitRecommendationJson.FromJson(File.ReadAllText(Path.Combine(dir, "study", SplitRecommendationFiles.Json)));
        var recomputed = SplitSelector.Recommend(profile, new SplitRuleOptions());
        Assert.Equal((recomputed.Split, recomputed.SplitAtMeans), (split.Split, split.SplitAtMeans));
        int trained = Math.Max(1, split.Split);
        Assert.Contains($"split: recommended {split.Split}, trained {trained}", run.Stdout);
        var comparison = MethodComparison.ReadJsonFile(Path.Combine(dir, "comparison.json"));
        Assert.Contains($"split {trained},", comparison.Provenance["msun"]);
        Assert.Equal(["vanilla", "mst", "msun"], comparison.Rows.Select(r => r.Method).Distinct());

        var report = File.ReadAllText(Path.Combine(dir, "report.html"));
        Assert.Contains("Layer-wise CKA across input scales", report);
        Assert.Contains("Split recommendation", report);
        Assert.DoesNotContain("<script src=", report);

        // Same command again: the training, the study and the evaluations are reused, the results unchanged.
        var profileBytes = File.ReadAllBytes(Path.Combine(dir, "study", "profile.json"));
        var again = MsunProcess.Run("study", "--dataset", "fashion-mnist", "--profile", "smoke", "--out", dir);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Contains("msun study: reusing", again.Stderr);
        foreach (var method in new[] { "vanilla", "mst", "msun" })
            Assert.Contains($"train {method}: reusing the finished checkpoint", again.Stderr);
        Assert.Equal(profileBytes, File.ReadAllBytes(Path.Combine(dir, "study", "profile.json")));
        Assert.Equal(comparison.Rows, MethodComparison.ReadJsonFile(Path.Combine(dir, "comparison.json")).Rows);
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
