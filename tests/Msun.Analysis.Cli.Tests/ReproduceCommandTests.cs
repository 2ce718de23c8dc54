using Msun.Analysis.Core.Results;

namespace Msun.Analysis.Cli.Tests;

/// <summary><c>msun reproduce --profile smoke</c> end to end on Fashion-MNIST (the one training-heavy CLI test: about 2 minutes).</summary>
public sealed class ReproduceCommandTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "msun-reproduce-cli-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void SmokeProfileWritesEveryResultAndARerunReusesTheSteps()
    {
        string dir = Path.Combine(folder, "out");
        var run = MsunProcess.Run("reproduce", "--dataset", "fashion-mnist", "--profile", "smoke", "--out", dir);
        Assert.True(run.ExitCode == 0, run.Stderr);
        int[] sizes = [8, 12, 16, 20, 24, 28];

        foreach (var method in new[] { "vanilla", "mst", "msun" })
        {
            Assert.True(File.Exists(Path.Combine(dir, method, "seed-0", "checkpoint.zip")), method);
            Assert.True(File.Exists(Path.Combine(dir, method, "seed-0", "train-log.jsonl")), method);
            Assert.True(File.Exists(Path.Combine(dir, method, "seed-0", "accuracy.json")), method);
        }

        var accuracy = MultiScaleResultFiles.ReadJsonFile(Path.Combine(dir, "accuracy.json"));
        Assert.Equal(accuracy.Select(a => (a.Model, a.Scoring)), MultiScaleResultFiles.ReadCsvFile(Path.Combine(dir, "accuracy.csv")).Select(a => (a.Model, a.Scoring)));
        Assert.Equal(
            [("vanilla", "routed"), ("mst", "routed"), ("msun", "routed"), ("msun", "best-of-branches"),
             ("msun", "branch:small"), ("msun", "branch:mid"), ("msun", "branch:large")],
            accuracy.Select(a => (a.Model, a.Scoring)));
        Assert.All(accuracy, a =>
        {
            Assert.Equal(sizes, a.TestSizes);
            Assert.Equal(500, a.Images);
            Assert.All(a.Sizes, s => Assert.InRange(s.Accuracy, 0, 1));
        });

        var macs = MacTable.ReadJsonFile(Path.Combine(dir, "macs.json"));
        Assert.Equal(macs.Rows, MacTable.ReadCsvFile(Path.Combine(dir, "macs.csv")).Rows);
        long Macs(string model, int size) => macs.Rows.Single(r => r.Model == model && r.TestSize == size).Macs;
        Assert.Single(sizes.Select(s => Macs("vanilla", s)).Distinct()); // upsampled to 28 at every size
        Assert.Equal(sizes.Select(s => Macs("vanilla", s)), sizes.Select(s => Macs("mst", s)));
        Assert.True(Macs("msun", 8) < Macs("vanilla", 8));
        Assert.Equal(["small", "small", "mid", "mid", "large", "large"], sizes.Select(s => macs.Rows.Single(r => r.Model == "msun" && r.TestSize == s).Branch));

        var comparison = MethodComparison.ReadJsonFile(Path.Combine(dir, "comparison.json"));
        Assert.Equal(comparison.Rows, MethodComparison.ReadCsvFile(Path.Combine(dir, "comparison.csv")).Rows);
        Assert.Equal(1.0, comparison.Row("vanilla", "routed").MacsRatioToVanilla, 12);
        Assert.True(comparison.Row("msun", "routed").Parameters > comparison.Row("vanilla", "routed").Parameters);
        Assert.Contains("Average over test sizes", comparison.Verdict);
        Assert.Contains("smoke", comparison.Provenance["profile"]);
        Assert.Contains(comparison.Verdict, File.ReadAllText(Path.Combine(dir, "verdict.md")));

        // Same options again: every step is reused, the numbers are the same.
        var again = MsunProcess.Run("reproduce", "--dataset", "fashion-mnist", "--profile", "smoke", "--out", dir);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Contains("reused: train vanilla seed 0, train mst seed 0, train msun seed 0, evaluate vanilla seed 0, evaluate mst seed 0, evaluate msun seed 0", again.Stdout);
        Assert.Equal(accuracy, MultiScaleResultFiles.ReadJsonFile(Path.Combine(dir, "accuracy.json")));

        // Other options into the same folder: refused, nothing overwritten.
        var before = File.ReadAllBytes(Path.Combine(dir, "msun", "seed-0", "checkpoint.zip"));
        var other = MsunProcess.Run("reproduce", "--dataset", "fashion-mnist", "--profile", "smoke", "--split", "3", "--out", dir);
        MsunProcess.AssertOneLineError(other, "reproduce", "msun_split 2 (checkpoint) vs 3 (this run)");
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(dir, "msun", "seed-0", "checkpoint.zip")));
    }

    [Theory]
    [InlineData(new[] { "--split", "0" }, "split 0 is outside 1..4")]
    [InlineData(new[] { "--split", "9" }, "split 9 is outside 1..4")]
    [InlineData(new[] { "--scales", "21,14" }, "out of order")]
    [InlineData(new[] { "--scales", "14,36" }, "scale 36 must lie in 1..27")]
    [InlineData(new[] { "--model", "resnet19" }, "unknown backbone 'resnet19'")]
    public void BadInputFailsWithOneLineAndWritesNothing(string[] extra, string expected)
    {
        string dir = Path.Combine(folder, "bad-" + Guid.NewGuid().ToString("N"));
        var run = MsunProcess.Run(["reproduce", "--profile", "smoke", "--out", dir, .. extra]);
        MsunProcess.AssertOneLineError(run, "reproduce", expected);
        Assert.False(Directory.Exists(dir));
    }
}
