using Msun.Analysis.Torch.Data;

namespace Msun.Analysis.Torch.Tests.Data;

public class ManifestTests
{
    [Fact]
    public void AllBuiltInManifestsLoadAndValidate()
    {
        Assert.Equal(["cifar-10", "cifar-100", "fashion-mnist", "image-folder"], DatasetManifestLoader.BuiltInNames);
        foreach (var name in DatasetManifestLoader.BuiltInNames)
        {
            var m = DatasetManifestLoader.LoadBuiltIn(name);
            Assert.Equal(name, m.Name);
            Assert.Empty(m.Validate());
        }
    }

    [Fact]
    public void FashionMnistManifestStatesTheDebianPackage()
    {
        var m = DatasetManifestLoader.LoadBuiltIn("fashion-mnist");
        Assert.Equal(DatasetFormat.Idx, m.Format);
        Assert.Equal(28, m.ImageSize!.Height);
        Assert.Equal(1, m.Channels);
        Assert.Equal(10, m.Classes!.Value.Length);
        Assert.Equal("sudo apt-get install dataset-fashion-mnist", m.Source.InstallCommand);
        Assert.Equal("/usr/share/datasets/fashion-mnist", m.Source.DefaultRoot);
        Assert.All(m.Files, f => Assert.NotNull(f.Sha256));
        Assert.Equal(60000, m.GetSplit("train").Examples);
    }

    [Fact]
    public void CifarManifestsRecordTheOfficialMemberSizes()
    {
        var c10 = DatasetManifestLoader.LoadBuiltIn("cifar-10");
        Assert.Equal(
            ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"],
            c10.FilesOf("train").Select(f => f.Path));
        Assert.All(c10.Files, f => Assert.Equal(30_730_000, f.Size));
        Assert.Equal("cifar-10-batches-bin", c10.Source.ArchiveFolder);

        var c100 = DatasetManifestLoader.LoadBuiltIn("cifar-100");
        Assert.Equal(153_700_000, c100.FilesOf("train").Single().Size);
        Assert.Equal(30_740_000, c100.FilesOf("test").Single().Size);
        Assert.Equal(100, c100.Classes!.Value.Length);
        Assert.Equal(20, c100.CoarseClasses!.Value.Length);
    }

    [Fact]
    public void RepoManifestFilesMatchTheEmbeddedCopies()
    {
        // The library embeds data-manifests/*.json at build time; serialising both ways must agree.
        var m = DatasetManifestLoader.LoadBuiltIn("cifar-100");
        var again = DatasetManifestLoader.Parse(DatasetManifestLoader.ToJson(m), "round-trip");
        Assert.Equal(DatasetManifestLoader.ToJson(m), DatasetManifestLoader.ToJson(again));
    }

    [Fact]
    public void UnknownFieldIsAnError()
    {
        var json = ValidJson().Replace("\"channels\": 1", "\"channels\": 1, \"chanels\": 3");
        var e = Assert.Throws<ManifestFormatException>(() => DatasetManifestLoader.Parse(json, "typo.json"));
        Assert.Contains("typo.json", e.Message);
        Assert.Contains("chanels", e.Message);
    }

    [Fact]
    public void MissingRequiredFieldIsAnError()
    {
        var json = ValidJson().Replace("\"name\": \"tiny\",", "");
        var e = Assert.Throws<ManifestFormatException>(() => DatasetManifestLoader.Parse(json, "noname.json"));
        Assert.Contains("name", e.Message);
    }

    [Fact]
    public void ContentProblemsAreAllListed()
    {
        var json = ValidJson()
            .Replace("\"channels\": 1", "\"channels\": 2")
            .Replace("\"sha256\": null", "\"sha256\": \"ABC\"")
            .Replace("\"split\": \"test\"", "\"split\": \"tset\"");
        var e = Assert.Throws<ManifestFormatException>(() => DatasetManifestLoader.Parse(json, "bad.json"));
        Assert.Contains("channels is 2; only 1 (grey) and 3 (RGB) are supported.", e.Problems);
        Assert.Contains("file 'a-images.gz': sha256 'ABC' must be 64 lower-case hex digits (or null when unknown).", e.Problems);
        Assert.Contains("file 'b-labels.gz': split 'tset' is not among the splits.", e.Problems);
        Assert.StartsWith("Manifest 'bad.json' is invalid:", e.Message);
    }

    [Fact]
    public void PathEscapingTheRootIsRejected()
    {
        var json = ValidJson().Replace("\"a-images.gz\"", "\"../a-images.gz\"");
        var e = Assert.Throws<ManifestFormatException>(() => DatasetManifestLoader.Parse(json));
        Assert.Contains("file '../a-images.gz': path must be relative, with '/' separators and no '..'.", e.Problems);
    }

    [Fact]
    public void UnknownSplitNamesTheExistingOnes()
    {
        var m = DatasetManifestLoader.LoadBuiltIn("fashion-mnist");
        var e = Assert.Throws<ArgumentException>(() => m.GetSplit("val"));
        Assert.StartsWith("Dataset 'fashion-mnist' has no split 'val'; its splits are: train, test.", e.Message);
    }

    /// <summary>A small valid IDX manifest with one split per file pair.</summary>
    internal static string ValidJson(long imagesSize = 100, string? imagesSha = null) => $$"""
        {
          "schemaVersion": 1,
          "name": "tiny",
          "format": "idx",
          "imageSize": { "height": 2, "width": 2 },
          "channels": 1,
          "classes": ["zero", "one"],
          "source": {
            "kind": "debian-package",
            "package": "dataset-tiny",
            "installCommand": "sudo apt-get install dataset-tiny",
            "defaultRoot": "/usr/share/datasets/tiny"
          },
          "splits": [ { "name": "train", "examples": 3 }, { "name": "test", "examples": 1 } ],
          "files": [
            { "path": "a-images.gz", "split": "train", "role": "images", "size": {{imagesSize}}, "sha256": {{(imagesSha is null ? "null" : $"\"{imagesSha}\"")}} },
            { "path": "a-labels.gz", "split": "train", "role": "labels", "size": 10, "sha256": null },
            { "path": "b-images.gz", "split": "test", "role": "images", "size": 10 },
            { "path": "b-labels.gz", "split": "test", "role": "labels", "size": 10 }
          ]
        }
        """;
}
