using System.Text.RegularExpressions;
using Msun.Analysis.Core.Results;
using Msun.Analysis.Reports.Tests;

namespace Msun.Analysis.Cli.Tests;

/// <summary>
/// Result folders holding malformed, empty or NaN-carrying JSON, as <c>recommend-split</c> and <c>report</c> meet them
/// (black box): one line naming the file, nothing written, an earlier report or split kept byte-identical.
/// (No command reads the CSV twins; their readers are tested in tests/*/Results.)
/// </summary>
public sealed class ResultFaultTests : IDisposable
{
    private readonly string folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "msun-result-faults-" + Guid.NewGuid().ToString("N"))).FullName;

    public void Dispose()
    {
        try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
    }

    private static string ProfileJson() => SampleResults.Profile("vanilla resnet18-small").ToJson();

    /// <summary>Damages the first repeat value of the first cell into a NaN: a profile whose stem cell has an undefined mean.</summary>
    private static string WithNanRepeat(string json) =>
        new Regex("(\"repeats\": \\[\\s*)([-0-9.eE]+)").Replace(json, "$1\"NaN\"", 1);

    public static TheoryData<string, string> ProfileFaults() => new()
    {
        { "empty", "The input does not contain any JSON tokens" },
        { "truncated", "invalid CKA profile JSON" },
        { "nan-repeat", "has mean CKA NaN" },
    };

    [Theory]
    [MemberData(nameof(ProfileFaults))]
    public void RecommendSplitNamesTheProfileAndWritesNothing(string fault, string expected)
    {
        string study = Directory.CreateDirectory(Path.Combine(folder, fault)).FullName;
        string json = ProfileJson();
        string damaged = fault switch
        {
            "empty" => "",
            "truncated" => json[..(json.Length / 2)],
            _ => WithNanRepeat(json),
        };
        Assert.NotEqual(json, damaged);
        string profile = Path.Combine(study, "profile.json");
        File.WriteAllText(profile, damaged);
        var before = FolderState.Snapshot(study);
        var run = MsunProcess.Run("recommend-split", study);
        MsunProcess.AssertOneLineError(run, "recommend-split", profile + ": ");
        Assert.Contains(expected, run.Stderr);
        FolderState.AssertUnchanged(before, study);
    }

    public static TheoryData<string, string> AccuracyFaults() => new()
    {
        { "empty", "accuracy.json" },
        { "truncated", "accuracy.json" },
        { "nan-accuracy", "accuracy.json" },
    };

    [Theory]
    [MemberData(nameof(AccuracyFaults))]
    public void ReportNamesTheResultFileAndKeepsTheEarlierReport(string fault, string expected)
    {
        string results = Directory.CreateDirectory(Path.Combine(folder, "report-" + fault)).FullName;
        string accuracy = Path.Combine(results, "accuracy.json");
        MultiScaleResultFiles.WriteJsonFile(accuracy, SampleResults.Accuracies());
        string json = File.ReadAllText(accuracy);
        File.WriteAllText(accuracy, fault switch
        {
            "empty" => "",
            "truncated" => json[..(json.Length / 2)],
            _ => new Regex("(\"accuracy\":\\s*)([0-9.eE-]+)").Replace(json, "$1\"NaN\"", 1),
        });
        Assert.NotEqual(json, File.ReadAllText(accuracy));
        File.WriteAllText(Path.Combine(results, "report.html"), "earlier report");
        var before = FolderState.Snapshot(results);
        var run = MsunProcess.Run("report", results);
        MsunProcess.AssertOneLineError(run, "report", accuracy);
        Assert.Contains(expected, run.Stderr);
        FolderState.AssertUnchanged(before, results);
    }
}
