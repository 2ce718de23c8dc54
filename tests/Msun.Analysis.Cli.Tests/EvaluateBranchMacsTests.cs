using Msun.Analysis.Core.Results;

namespace Msun.Analysis.Cli.Tests;

/// <summary><c>msun evaluate</c> on a tiny MSUN checkpoint writes the MACs of every branch, not only the routed ones.</summary>
public sealed class EvaluateBranchMacsTests : IDisposable
{
    private readonly string folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "msun-branch-macs-" + Guid.NewGuid().ToString("N"))).FullName;

    public void Dispose()
    {
        try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void EveryBranchsMacsAreWrittenAndTheRoutedRowsAreTheRoutedBranchs()
    {
        string run = Path.Combine(folder, "msun"), outDir = Path.Combine(folder, "evaluation");
        var trained = MsunProcess.Run("train", "--model", "resnet18-small", "--method", "msun", "--split", "2", "--epochs", "1", "--batch-size", "16",
            "--train-subset", "32", "--test-subset", "16", "--threads", "1", "--out", run);
        Assert.True(trained.ExitCode == 0, trained.Stderr);
        var evaluated = MsunProcess.Run("evaluate", "--checkpoint", run, "--images", "16", "--sizes", "14,21,28", "--out", outDir);
        Assert.True(evaluated.ExitCode == 0, evaluated.Stderr);

        var table = MacTable.ReadJsonFile(Path.Combine(outDir, "macs.json"));
        var routed = table.Rows.Where(r => !r.Model.Contains(" branch:", StringComparison.Ordinal)).ToArray();
        var perBranch = table.Rows.Except(routed).ToArray();
        Assert.Equal([14, 21, 28], routed.Select(r => r.TestSize));
        var branches = perBranch.Select(r => r.Model[(r.Model.IndexOf(" branch:", StringComparison.Ordinal) + 8)..]).Distinct().ToArray();
        Assert.Equal(3, branches.Length); // one subnet per scale (14, 21, 28)
        foreach (var row in routed)
        {
            // The routed cost at a size is the cost of the branch it is routed to, run at that size.
            var same = Assert.Single(perBranch, r => r.TestSize == row.TestSize && r.Model.EndsWith(" branch:" + row.Branch, StringComparison.Ordinal));
            Assert.Equal((row.InputSize, row.Macs), (same.InputSize, same.Macs));
            Assert.Equal(branches.Length, perBranch.Count(r => r.TestSize == row.TestSize));
        }
        Assert.Equal(table.Rows, MacTable.ReadCsvFile(Path.Combine(outDir, "macs.csv")).Rows);
    }
}
