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
        var listing = folder.Listing();
        Assert.Equal(folder.Count, listing.Count);
        Assert.Equal(["profile", "profile", "grid"], listing.Take(3).Select(l => l.Kind));
        Assert.Contains(new ResultListing("profile", Path.Combine("study-vanilla", "profile.json"), "vanilla resnet18-small"), listing);
        Assert.Equal(folder.Splits[0].RelativePath, Assert.Single(listing, l => l.Kind == "split").RelativePath);
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
    public void ResultsSummarisedAtTheTopOfAReproductionAreReadOnce()
    {
        using var tmp = new TempFolder();
        var all = SampleResults.Accuracies();
        var macs = SampleResults.Macs();
        // As msun reproduce lays it out: each method and seed in its folder, all of them pooled at the top. The seed-1 files
        // differ from the top (another seed), so only the rule "a summary above hides its inputs" keeps them out.
        foreach (var method in new[] { "vanilla", "mst", "msun" })
        {
            var dir = Directory.CreateDirectory(Path.Combine(tmp.Path, method, "seed-1")).FullName;
            Msun.Analysis.Core.Results.MultiScaleResultFiles.WriteJsonFile(Path.Combine(dir, "accuracy.json"),
                [.. all.Where(r => r.Model.StartsWith(method)).Select(r => r.WithProvenance(new Dictionary<string, string> { ["seed"] = "1" }))]);
            new Msun.Analysis.Core.Results.MacTable([.. macs.Rows.Where(r => r.Model.StartsWith(method))]).WriteJsonFile(Path.Combine(dir, "macs.json"));
        }

        Msun.Analysis.Core.Results.MultiScaleResultFiles.WriteJsonFile(Path.Combine(tmp.Path, "accuracy.json"), all);
        macs.WriteJsonFile(Path.Combine(tmp.Path, "macs.json"));
        var folder = ResultsFolder.Load(tmp.Path);
        Assert.Equal("accuracy.json", Assert.Single(folder.Accuracy).RelativePath);
        Assert.Equal(all.Count, folder.AllAccuracy().Count);
        Assert.Equal(all.Select(r => (r.Model, r.Scoring)).Order(), folder.AllAccuracy().Select(r => (r.Model, r.Scoring)).Order());
        Assert.Equal(macs.Rows.Count, folder.AllMacs()!.Rows.Count);
    }
}
