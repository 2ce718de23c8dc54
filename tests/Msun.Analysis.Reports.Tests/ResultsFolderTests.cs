using Msun.Analysis.Core.Results;
using Msun.Analysis.Core.SplitSelection;

namespace Msun.Analysis.Reports.Tests;

public class ResultsFolderTests
{
    [Fact]
    public void FindsAndReadsEveryKnownFileRecursively()
    {
        using var tmp = new TempFolder();
        SampleResults.WriteFolder(tmp.Path);
        File.WriteAllText(Path.Combine(tmp.Path, "notes.json"), "not a result file, ignored");
        var folder = ResultsFolder.Load(tmp.Path);
        Assert.Equal(7, folder.Count);
        Assert.Equal(["msun resnet18-small", "vanilla resnet18-small"], folder.Profiles.Select(p => p.Label));
        Assert.Equal(SampleResults.Profile("vanilla resnet18-small"), folder.Profiles[1].Value);
        Assert.Equal(SampleResults.Grid("vanilla resnet18-small"), folder.Grids.Single(g => g.Label.StartsWith("vanilla")).Value);
        Assert.Equal("vanilla resnet18-small", Assert.Single(folder.Splits).Label);
        Assert.Equal(SampleResults.Accuracies(), folder.AllAccuracy());
        Assert.Equal(SampleResults.Macs(), folder.AllMacs());
        Assert.Equal(Path.Combine("study-vanilla", "profile.json"), folder.Profiles[1].RelativePath);
    }

    [Fact]
    public void TwoStudiesOfOneModelAreToldApartByFolder()
    {
        using var tmp = new TempFolder();
        foreach (var d in new[] { "a", "b" })
            File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(tmp.Path, d)).FullName, "profile.json"), SampleResults.Profile("m").ToJson());
        Assert.Equal(["m (a)", "m (b)"], ResultsFolder.Load(tmp.Path).Profiles.Select(p => p.Label));
    }

    [Fact]
    public void AnEmptyOrMissingFolderIsAClearError()
    {
        using var tmp = new TempFolder();
        var e = Assert.Throws<FileNotFoundException>(() => ResultsFolder.Load(tmp.Path));
        Assert.Contains(tmp.Path, e.Message);
        foreach (var name in ResultsFolder.KnownFiles) Assert.Contains(name, e.Message);
        Assert.Contains("no such folder", Assert.Throws<DirectoryNotFoundException>(() => ResultsFolder.Load(Path.Combine(tmp.Path, "nope"))).Message);
    }

    [Theory]
    [InlineData("profile.json", "{\"format\": \"msun-cka-profile/1\", \"blocks\": []")]
    [InlineData("grid.json", "{\"format\": \"something-else\"}")]
    [InlineData("split.json", "[]")]
    [InlineData("accuracy.json", "{\"format\": \"msun.multiscale-accuracy/1\", \"results\": []}")]
    [InlineData("macs.json", "")]
    public void AMalformedFileIsNamedInTheError(string name, string content)
    {
        using var tmp = new TempFolder();
        SampleResults.WriteFolder(tmp.Path);
        string bad = Path.Combine(tmp.Path, "broken", name);
        Directory.CreateDirectory(Path.GetDirectoryName(bad)!);
        File.WriteAllText(bad, content);
        var e = Assert.Throws<InvalidDataException>(() => ResultsFolder.Load(tmp.Path));
        Assert.StartsWith(bad + ": ", e.Message);
        Assert.Single(e.Message.Split(bad)[1..]); // the path once, not repeated by nested readers
    }

    [Fact]
    public void GridJsonRoundTripsAndATamperedMeanIsCaught()
    {
        var grid = SampleResults.Grid("m", repeats: 4);
        var back = CkaGridSummary.FromJson(grid.ToJson());
        Assert.Equal(grid, back);
        Assert.Equal(grid.ToJson(), back.ToJson());
        string tampered = grid.ToJson().Replace("\"mean\": [\n    [\n      " + grid.Mean[0, 0].ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            "\"mean\": [\n    [\n      0.123", StringComparison.Ordinal);
        Assert.NotEqual(grid.ToJson(), tampered);
        Assert.Contains("disagrees with the mean of the repeats", Assert.Throws<InvalidDataException>(() => CkaGridSummary.FromJson(tampered, "g.json")).Message);
    }

    [Fact]
    public void SplitJsonRoundTrips()
    {
        var split = SampleResults.Split(SampleResults.Profile("vanilla r18"));
        string json = SplitRecommendationJson.ToJson(split, "/x/profile.json");
        var back = SplitRecommendationJson.FromJson(json);
        Assert.Equal(json, SplitRecommendationJson.ToJson(back, "/x/profile.json"));
        Assert.Equal(split.Explain(), back.Explain());
        Assert.Equal(split.Options, back.Options);
        Assert.Equal(split.Probes[0].Blocks, back.Probes[0].Blocks);
        Assert.Equal("/x/profile.json", SplitRecommendationJson.SourceOf(json));
        // A file written before sensitive_prefix_at_means existed reads the same.
        string old = System.Text.RegularExpressions.Regex.Replace(json, "\\s*\"sensitive_prefix_at_means\": \\d+,", "");
        Assert.NotEqual(json, old);
        Assert.Equal(json, SplitRecommendationJson.ToJson(SplitRecommendationJson.FromJson(old), "/x/profile.json"));
    }
}
