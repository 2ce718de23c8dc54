using Msun.Analysis.Core.Results;

namespace Msun.Analysis.Cli.Tests;

/// <summary><c>msun evaluate</c> on a tiny checkpoint, as users run it.</summary>
public sealed class EvaluateCommandTests(TinyCheckpoint checkpoint) : IClassFixture<TinyCheckpoint>
{
    [Fact]
    public void WritesAccuracyPerSizeAndMacsAndRefusesToOverwrite()
    {
        string dir = checkpoint.NewOut();
        var run = MsunProcess.Run("evaluate", "--checkpoint", checkpoint.Run, "--sizes", "7,14,28", "--images", "64", "--out", dir);
        Assert.True(run.ExitCode == 0, run.Stderr);
        var accuracy = Assert.Single(MultiScaleResultFiles.ReadJsonFile(Path.Combine(dir, "accuracy.json")));
        Assert.Equal([7, 14, 28], accuracy.TestSizes);
        Assert.Equal(64, accuracy.Images);
        Assert.Equal(accuracy.Sizes.Average(s => s.Accuracy), accuracy.MeanAccuracy, 12);
        Assert.Contains(checkpoint.Run, accuracy.Provenance["checkpoint"]);
        var csv = MultiScaleResultFiles.ReadCsvFile(Path.Combine(dir, "accuracy.csv"));
        Assert.Equal(accuracy.Sizes, Assert.Single(csv).Sizes);
        using (var macs = File.OpenRead(Path.Combine(dir, "macs.json")))
        {
            var table = MacTable.ReadJson(macs);
            Assert.Equal(3, table.Rows.Count);
            Assert.All(table.Rows, r => Assert.Equal(28, r.InputSize)); // the single network always sees 28 px
            Assert.Single(table.Rows.Select(r => r.Macs).Distinct());
        }

        var again = MsunProcess.Run("evaluate", "--checkpoint", checkpoint.Run, "--images", "64", "--out", dir);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("already holds accuracy.json", again.Stderr);
    }

    public static TheoryData<string[], string> BadInputs() => new()
    {
        { ["--sizes", "7,56"], "--sizes: 56 is larger than the reference size 28" },
        { ["--sizes", "0"], "--sizes: 0 is not a positive size" },
        { ["--images", "0"], "--images 0: must be a positive number" },
        { ["--device", "cuda"], "torch.cuda.is_available()" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void BadInputFailsWithOneLineAndWritesNothing(string[] extra, string expected)
    {
        string dir = checkpoint.NewOut();
        var run = MsunProcess.Run(["evaluate", "--checkpoint", checkpoint.Run, "--out", dir, .. extra]);
        MsunProcess.AssertOneLineError(run, "evaluate", expected);
        Assert.False(Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any());
    }

    [Fact]
    public void MissingCheckpointIsNamed()
    {
        var run = MsunProcess.Run("evaluate", "--checkpoint", "/nonexistent/run", "--out", checkpoint.NewOut());
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--checkpoint /nonexistent/run: no such folder", run.Stderr);
    }
}
