using System.Globalization;
using System.Text.RegularExpressions;
using Msun.Analysis.Reports;
using Msun.Analysis.Reports.Tests;

namespace Msun.Analysis.Cli.Tests;

public class ReportCommandTests
{
    [Fact]
    public void WritesOneSelfContainedPageWithEveryFigureAndItsNumbers()
    {
        using var tmp = new TempFolder();
        SampleResults.WriteFolder(tmp.Path);
        var run = MsunProcess.Run("report", tmp.Path, "--figures");
        Assert.True(run.ExitCode == 0, run.Stderr);
        string path = Path.Combine(tmp.Path, "report.html");
        Assert.Equal(path, run.Stdout.Trim());
        string html = File.ReadAllText(path);

        foreach (string title in new[]
        {
            "Layer-wise CKA across input scales: msun resnet18-small vs vanilla resnet18-small (reference 28 px)",
            "Layer-wise CKA across input scales: vanilla resnet18-small (reference 28 px)",
            "Block × block CKA, vanilla resnet18-small: reference size vs probe 14 px",
            "Block × block CKA difference, msun resnet18-small − vanilla resnet18-small (probe 14 px)",
            "Split recommendation on the CKA profile, vanilla resnet18-small: split 1",
            "Top-1 accuracy vs test size", "Average top-1 accuracy over test sizes per method",
            "Parameters per method", "Mean MACs per image over test sizes per method", "MACs per image vs test size",
        })
            Assert.Contains($"data-title=\"{HtmlReport.Encode(title)}\"", html);

        // Numbers in the tables equal the inputs: CKA means, accuracies (%) and MACs.
        var profile = SampleResults.Profile("vanilla resnet18-small");
        var stem7 = profile.Cell("stem", 7).Summary;
        Assert.Contains($"<td>{stem7.Mean.ToString("0.000", CultureInfo.InvariantCulture)} ± {stem7.StandardDeviation.ToString("0.000", CultureInfo.InvariantCulture)}</td>", html);
        foreach (var r in SampleResults.Accuracies())
            Assert.Contains($"<td>{(100 * r.MeanAccuracy).ToString("0.00", CultureInfo.InvariantCulture)}</td>", html);
        Assert.Contains("<td>42.00</td>", html);
        Assert.Contains("<td>308,000</td>", html);
        Assert.Contains("Recommended split: 1", html);
        Assert.Contains("<dt>estimator</dt><dd>minibatch linear CKA</dd>", html);

        // Offline: plotly.js inline once, nothing loaded by URL.
        Assert.DoesNotMatch(new Regex("<script[^>]*\\ssrc\\s*=", RegexOptions.IgnoreCase), html);
        Assert.DoesNotMatch(new Regex("<link[^>]*\\shref\\s*=", RegexOptions.IgnoreCase), html);
        Assert.Single(Regex.Matches(html, Regex.Escape(PlotlyJs.Source[..200])));

        var figures = Directory.GetFiles(Path.Combine(tmp.Path, "report-figures")).Select(Path.GetFileName).Order().ToArray();
        Assert.Equal(12, figures.Length);
        Assert.Contains("accuracy-by-size.html", figures);
        Assert.Contains("cka-profile-2.html", figures);
        Assert.Contains("Top-1 accuracy vs test size", File.ReadAllText(Path.Combine(tmp.Path, "report-figures", "accuracy-by-size.html")));
    }

    [Fact]
    public void OutChoosesTheFileAndAReportOfOnlyAccuracyHasOnlyItsFigures()
    {
        using var tmp = new TempFolder();
        Msun.Analysis.Core.Results.MultiScaleResultFiles.WriteJsonFile(Path.Combine(tmp.Path, "accuracy.json"), SampleResults.Accuracies());
        string output = Path.Combine(tmp.Path, "out.html");
        File.WriteAllText(output, "old");
        var run = MsunProcess.Run("report", tmp.Path, "--out", output);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("replaced", run.Stderr);
        string html = File.ReadAllText(output);
        Assert.Contains("Top-1 accuracy vs test size", html);
        Assert.DoesNotContain("Layer-wise CKA", html);
        Assert.DoesNotContain("MACs per image vs test size", html);
        Assert.False(File.Exists(Path.Combine(tmp.Path, "report.html")));
    }

    [Fact]
    public void AnEmptyFolderNamesTheFolderAndTheFilesLookedFor()
    {
        using var tmp = new TempFolder();
        var run = MsunProcess.Run("report", tmp.Path);
        MsunProcess.AssertOneLineError(run, "report", $"{tmp.Path} holds no result files (looked for profile.json, grid.json, split.json, accuracy.json, macs.json");
        Assert.Empty(Directory.GetFileSystemEntries(tmp.Path));
    }

    [Fact]
    public void AMalformedFileIsNamedAndAnEarlierReportIsKept()
    {
        using var tmp = new TempFolder();
        SampleResults.WriteFolder(tmp.Path);
        string report = Path.Combine(tmp.Path, "report.html");
        File.WriteAllText(report, "earlier report");
        string bad = Path.Combine(tmp.Path, "evaluation", "macs.json");
        File.WriteAllText(bad, "{\"format\": \"msun.mac-table/1\", \"rows\": [{\"model\": \"x\"}]}");
        MsunProcess.AssertOneLineError(MsunProcess.Run("report", tmp.Path), "report", bad + ": ");
        Assert.Equal("earlier report", File.ReadAllText(report));
    }

    [Fact]
    public void AMissingFolderOrAnOutThatIsAFolderAreErrors()
    {
        using var tmp = new TempFolder();
        MsunProcess.AssertOneLineError(MsunProcess.Run("report", Path.Combine(tmp.Path, "nope")), "report", "no such folder");
        SampleResults.WriteFolder(tmp.Path);
        MsunProcess.AssertOneLineError(MsunProcess.Run("report", tmp.Path, "--out", tmp.Path), "report", "is a folder");
        MsunProcess.AssertOneLineError(MsunProcess.Run("report", tmp.Path, "--out", Path.Combine(tmp.Path, "no", "r.html")), "report", "does not exist");
    }

    [Fact]
    public void PngWritesOnePngPerFigureAndAMissingBrowserFailsBeforeAnythingIsWritten()
    {
        using var tmp = new TempFolder();
        Msun.Analysis.Core.Results.MultiScaleResultFiles.WriteJsonFile(Path.Combine(tmp.Path, "accuracy.json"), SampleResults.Accuracies());
        var run = MsunProcess.Run("report", tmp.Path, "--png");
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(["accuracy-by-size.png", "average-accuracy.png"],
            Directory.GetFiles(Path.Combine(tmp.Path, "report-figures")).Select(Path.GetFileName).Order());

        using var empty = new TempFolder();
        Msun.Analysis.Core.Results.MultiScaleResultFiles.WriteJsonFile(Path.Combine(empty.Path, "accuracy.json"), SampleResults.Accuracies());
        var missing = MsunProcess.RunWithEnvironment(new() { [PngExport.ChromiumVariable] = Path.Combine(empty.Path, "no-chromium") }, "report", empty.Path, "--png");
        MsunProcess.AssertOneLineError(missing, "report", "apt-get install chromium");
        Assert.Equal(["accuracy.json"], Directory.GetFileSystemEntries(empty.Path).Select(Path.GetFileName));
    }
}
