using Msun.Analysis.Core.Results;
using Msun.Analysis.Reports.Tests;

namespace Msun.Analysis.Cli.Tests;

/// <summary>
/// Results and checkpoints already where a new run would write (black box): refused with one line saying how to
/// proceed (--resume, --force, another --out), and the folder byte-identical afterwards.
/// </summary>
public sealed class ExistingOutputTests(TinyCheckpoint checkpoint) : IClassFixture<TinyCheckpoint>
{
    private string Copy(string name)
    {
        string run = Directory.CreateDirectory(Path.Combine(checkpoint.Folder, "existing-" + name)).FullName;
        foreach (string file in Directory.GetFiles(checkpoint.Run))
            File.Copy(file, Path.Combine(run, Path.GetFileName(file)), overwrite: true);
        return run;
    }

    [Fact]
    public void TrainRefusesAnExistingCheckpointWithoutResume()
    {
        string run = Copy("train");
        var before = FolderState.Snapshot(run);
        var outcome = MsunProcess.Run("train", "--model", "resnet18-small", "--method", "vanilla", "--epochs", "1", "--batch-size", "16",
            "--train-subset", "32", "--test-subset", "32", "--out", run);
        MsunProcess.AssertOneLineError(outcome, "train", "already exists; pass --resume");
        FolderState.AssertUnchanged(before, run);
    }

    [Fact]
    public void EvaluateRefusesEarlierResultsUnlessForced()
    {
        string outDir = Directory.CreateDirectory(checkpoint.NewOut()).FullName;
        File.WriteAllText(Path.Combine(outDir, "accuracy.json"), "earlier accuracy");
        File.WriteAllText(Path.Combine(outDir, "macs.csv"), "earlier macs");
        var before = FolderState.Snapshot(outDir);
        var refused = MsunProcess.Run("evaluate", "--checkpoint", checkpoint.Run, "--images", "16", "--sizes", "14,28", "--out", outDir);
        MsunProcess.AssertOneLineError(refused, "evaluate", $"--out {outDir} already holds accuracy.json, macs.csv; pass --force to replace them");
        FolderState.AssertUnchanged(before, outDir);

        var forced = MsunProcess.Run("evaluate", "--checkpoint", checkpoint.Run, "--images", "16", "--sizes", "14,28", "--out", outDir, "--force");
        Assert.True(forced.ExitCode == 0, forced.Stderr);
        Assert.Equal([14, 28], Assert.Single(MultiScaleResultFiles.ReadJsonFile(Path.Combine(outDir, "accuracy.json"))).TestSizes);
    }

    [Fact]
    public void StudyScalesRefusesAnEarlierStudyUnlessForced()
    {
        string outDir = Directory.CreateDirectory(checkpoint.NewOut()).FullName;
        File.WriteAllText(Path.Combine(outDir, "profile.json"), SampleResults.Profile("earlier").ToJson());
        var before = FolderState.Snapshot(outDir);
        var refused = MsunProcess.Run("study-scales", "--checkpoint", checkpoint.Run, "--images", "32", "--batch-size", "16", "--repeats", "1",
            "--probes", "7,14", "--out", outDir);
        MsunProcess.AssertOneLineError(refused, "study-scales", "already holds profile.json");
        FolderState.AssertUnchanged(before, outDir);
    }

    [Fact]
    public void RecommendSplitRefusesAnEarlierSplitUnlessForced()
    {
        string study = Directory.CreateDirectory(checkpoint.NewOut()).FullName;
        File.WriteAllText(Path.Combine(study, "profile.json"), SampleResults.Profile("vanilla resnet18-small").ToJson());
        var first = MsunProcess.Run("recommend-split", study);
        Assert.True(first.ExitCode == 0, first.Stderr);
        var before = FolderState.Snapshot(study);
        var refused = MsunProcess.Run("recommend-split", study, "--uncertainty", "none");
        MsunProcess.AssertOneLineError(refused, "recommend-split", $"{Path.Combine(study, "split.json")} already exists; pass --force to replace it");
        FolderState.AssertUnchanged(before, study);

        var forced = MsunProcess.Run("recommend-split", study, "--uncertainty", "none", "--force");
        Assert.True(forced.ExitCode == 0, forced.Stderr);
        Assert.Contains("replaced", forced.Stderr);
        using var split = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(study, "split.json")));
        Assert.Equal("none", split.RootElement.GetProperty("options").GetProperty("uncertainty").GetString());
    }

    [Fact]
    public void ReproduceAndStudyRefuseACheckpointOfOtherOptions()
    {
        string outDir = Directory.CreateDirectory(checkpoint.NewOut()).FullName;
        var vanilla = Copy("reproduce");
        Directory.CreateDirectory(Path.Combine(outDir, "vanilla"));
        Directory.Move(vanilla, Path.Combine(outDir, "vanilla", "seed-0")); // Reproduction.RunDirectory of seed 0
        var before = FolderState.Snapshot(outDir);
        foreach (var command in new[] { "reproduce", "study" })
        {
            var refused = MsunProcess.Run(command, "--profile", "smoke", "--out", outDir);
            MsunProcess.AssertOneLineError(refused, command, $"{Path.Combine(outDir, "vanilla", "seed-0", "checkpoint.zip")} belongs to a run with other options");
            FolderState.AssertUnchanged(before, outDir);
        }
    }
}
