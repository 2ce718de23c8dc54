using Msun.Analysis.Core.Results;

namespace Msun.Analysis.Cli.Tests;

/// <summary><c>msun train --method msun</c> and <c>msun evaluate</c> on an MSUN checkpoint, as users run them.</summary>
public sealed class MsunCommandTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "msun-msun-cli-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void TrainsAnMsunAndEvaluatesItRoutedBestOfAndPerBranch()
    {
        string run = Path.Combine(folder, "run");
        var train = MsunProcess.Run("train", "--model", "resnet18-small", "--method", "msun", "--split", "2", "--scales", "12,20,28",
            "--epochs", "1", "--batch-size", "16", "--train-subset", "32", "--test-subset", "32", "--out", run);
        Assert.True(train.ExitCode == 0, train.Stderr);
        Assert.Contains("\"method\":\"msun\"", train.Stdout);

        string dir = Path.Combine(folder, "eval");
        var evaluate = MsunProcess.Run("evaluate", "--checkpoint", run, "--sizes", "8,16,28", "--images", "48", "--out", dir);
        Assert.True(evaluate.ExitCode == 0, evaluate.Stderr);
        var results = MultiScaleResultFiles.ReadJsonFile(Path.Combine(dir, "accuracy.json"));
        Assert.Equal(["routed", "best-of-branches", "branch:small", "branch:mid", "branch:large"], results.Select(r => r.Scoring));
        Assert.Equal(["small", "mid", "large"], results[0].Sizes.Select(s => s.Branch));
        // The oracle is at least as good as routing at every size.
        Assert.All(results[0].TestSizes, s => Assert.True(results[1].AccuracyAt(s) >= results[0].AccuracyAt(s)));
        var table = MacTable.ReadJsonFile(Path.Combine(dir, "macs.json"));
        var macs = table.Rows.Where(r => !r.Model.Contains(" branch:", StringComparison.Ordinal)).ToArray(); // the routed rows; every branch's rows follow
        Assert.Equal([8, 16, 28], macs.Select(r => r.InputSize)); // each branch runs at the test size itself
        Assert.True(macs[0].Macs < macs[1].Macs && macs[1].Macs < macs[2].Macs);
        Assert.Equal(3 * 3, table.Rows.Count(r => r.Model.Contains(" branch:", StringComparison.Ordinal))); // 3 branches × 3 sizes
    }

    [Fact]
    public void MacsPrintsTheMsunParameterCountsAndRoutedBranchCosts()
    {
        var run = MsunProcess.Run("macs", "--model", "resnet50", "--msun-split", "2");
        Assert.True(run.ExitCode == 0, run.Stderr);
        // 25,995,432 = ResNet-50's 25,557,032 + two more stems (3×3, 5×5) and layer1 copies, counted by hand in MsunNetworkTests.
        Assert.Contains("parameters: MSUN 25,995,432 (26.00 M) vs resnet50 25,557,032 (25.56 M)", run.Stdout);
        Assert.Matches(@"msun resnet50 split 2\s+32\s+\S+\s+32\s", run.Stdout); // test size 32 runs natively at 32 on its branch
        Assert.Contains("4,089,184,256", run.Stdout); // the large branch at 224 is ResNet-50's textbook 4.1 GMACs
    }

    public static TheoryData<string[], string> BadInputs() => new()
    {
        { ["--split", "0"], "--split 0: must be at least 1" },
        { ["--split", "5"], "split 5 is outside 1..4" },
        { ["--scales", "20,12"], "--scales 20,12: the sizes are out of order" },
        { ["--scales", "12,12"], "--scales: 12 is listed twice" },
        { ["--scales", "12,32"], "--scales: 32 is larger than the reference size 28" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void BadMsunInputFailsWithOneLineAndWritesNothing(string[] extra, string expected)
    {
        string run = Path.Combine(folder, "bad-" + Guid.NewGuid().ToString("N"));
        var outcome = MsunProcess.Run(["train", "--model", "resnet18-small", "--method", "msun", "--epochs", "1", "--out", run, .. extra]);
        MsunProcess.AssertOneLineError(outcome, "train", expected);
        Assert.False(File.Exists(Path.Combine(run, "checkpoint.zip")));
    }
}
