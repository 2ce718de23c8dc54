using System.Collections.Immutable;
using Msun.Analysis.Torch.Data;

namespace Msun.Analysis.Torch.Tests.Data;

[Collection("Torch")]
public class VerificationTests
{
    /// <summary>Writes the tiny IDX dataset of <see cref="ManifestTests.ValidJson"/> and a manifest with its real sizes and digests.</summary>
    private static DatasetManifest WriteTinyDataset(TempFolder tmp, bool withChecksums = true)
    {
        var files = new Dictionary<string, byte[]>
        {
            ["a-images.gz"] = SyntheticFiles.Gzip(SyntheticFiles.Idx(0x08, [3, 2, 2], SyntheticFiles.ImagePayload(3, 2, 2))),
            ["a-labels.gz"] = SyntheticFiles.Gzip(SyntheticFiles.Idx(0x08, [3], [0, 1, 1])),
            ["b-images.gz"] = SyntheticFiles.Gzip(SyntheticFiles.Idx(0x08, [1, 2, 2], [0, 85, 170, 255])),
            ["b-labels.gz"] = SyntheticFiles.Gzip(SyntheticFiles.Idx(0x08, [1], [1])),
        };
        foreach (var (name, bytes) in files)
            File.WriteAllBytes(tmp.File(name), bytes);

        var m = DatasetManifestLoader.Parse(ManifestTests.ValidJson(), "tiny");
        return m with
        {
            Files = m.Files.Select(f => f with
            {
                Size = files[f.Path].Length,
                Sha256 = withChecksums ? DatasetVerifier.Sha256Of(tmp.File(f.Path)) : null,
            }).ToImmutableArray(),
        };
    }

    [Fact]
    public void GoodFolderVerifiesAndLoads()
    {
        using var tmp = new TempFolder();
        var m = WriteTinyDataset(tmp);

        var report = DatasetVerifier.Verify(m, tmp.Path);
        var train = DatasetLoader.Load(m, "train", tmp.Path);
        var test = DatasetLoader.Load(m, "test", tmp.Path);

        Assert.True(report.AllChecksumsVerified);
        Assert.Equal("4 files: size and sha256 verified", report.Describe());
        Assert.Equal(3, train.Count);
        Assert.Equal(new long[] { 0, 1, 1 }, train.Labels.ToArray());
        Assert.Equal(SyntheticFiles.ImagePayload(3, 2, 2), train.Pixels.ToArray());
        Assert.Equal("2 files: size and sha256 verified", test.Provenance.Verification);
        Assert.Equal($"tiny/test from {tmp.Path} (2 files: size and sha256 verified)", test.Provenance.Describe());
    }

    [Fact]
    public void WithoutChecksumsOnlySizesAreVerifiedAndTheReportSaysSo()
    {
        using var tmp = new TempFolder();
        var m = WriteTinyDataset(tmp, withChecksums: false);

        var report = DatasetVerifier.Verify(m, tmp.Path);

        Assert.False(report.AllChecksumsVerified);
        Assert.Equal("4 files: sizes only verified (the manifest records no sha256)", report.Describe());
    }

    [Fact]
    public void MissingFileNamesItAndTheInstallCommand()
    {
        using var tmp = new TempFolder();
        var m = WriteTinyDataset(tmp);
        File.Delete(tmp.File("a-labels.gz"));

        var e = Assert.Throws<DatasetVerificationException>(() => DatasetVerifier.Verify(m, tmp.Path));

        var problem = Assert.Single(e.Problems);
        Assert.Equal(
            $"missing file 'a-labels.gz' (expected at {tmp.File("a-labels.gz")}); install it with: sudo apt-get install dataset-tiny.",
            problem);
        Assert.Contains("sudo apt-get install dataset-tiny", e.Message);
    }

    [Fact]
    public void MissingFileOfADownloadNamesThePageAndArchive()
    {
        using var tmp = new TempFolder();
        var m = DatasetManifestLoader.LoadBuiltIn("cifar-10");

        var e = Assert.Throws<DatasetVerificationException>(() => DatasetLoader.Load(m, "test", tmp.Path));

        Assert.Equal(
            $"missing file 'test_batch.bin' (expected at {tmp.File("test_batch.bin")}); download it from https://www.cs.toronto.edu/~kriz/cifar.html "
            + "(archive cifar-10-binary.tar.gz, unpack it and pass its folder cifar-10-batches-bin as the root).",
            Assert.Single(e.Problems));
    }

    [Fact]
    public void MissingRootFolderSaysHowToGetIt()
    {
        var m = DatasetManifestLoader.LoadBuiltIn("fashion-mnist");
        var e = Assert.Throws<DatasetVerificationException>(() => DatasetVerifier.Verify(m, "/nonexistent/fmnist"));
        Assert.Contains("folder '/nonexistent/fmnist' does not exist; install it with: sudo apt-get install dataset-fashion-mnist", e.Message);
    }

    [Fact]
    public void NoRootAndNoDefaultLocationIsAClearError()
    {
        var m = DatasetManifestLoader.LoadBuiltIn("cifar-100");
        var e = Assert.Throws<ArgumentException>(() => DatasetLoader.Load(m, "train"));
        Assert.StartsWith("Dataset 'cifar-100' has no default location: pass its root folder; download it from https://www.cs.toronto.edu/~kriz/cifar.html", e.Message);
    }

    [Fact]
    public void SizeMismatchNamesTheFileAndBothSizes()
    {
        using var tmp = new TempFolder();
        var m = WriteTinyDataset(tmp);
        var path = tmp.File("a-images.gz");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^3]);

        var e = Assert.Throws<DatasetVerificationException>(() => DatasetLoader.Load(m, "train", tmp.Path));

        Assert.Equal(
            $"file 'a-images.gz' has {bytes.Length - 3} bytes; the manifest expects {bytes.Length} bytes (truncated or wrong file).",
            Assert.Single(e.Problems));
    }

    [Fact]
    public void ChecksumMismatchNamesBothDigests()
    {
        using var tmp = new TempFolder();
        var m = WriteTinyDataset(tmp);
        var path = tmp.File("b-labels.gz");
        var expected = m.Files.Single(f => f.Path == "b-labels.gz").Sha256!;
        var bytes = File.ReadAllBytes(path);
        bytes[^1] ^= 0xFF; // same size, different content
        File.WriteAllBytes(path, bytes);
        var actual = DatasetVerifier.Sha256Of(path);

        var e = Assert.Throws<DatasetVerificationException>(() => DatasetVerifier.Verify(m, tmp.Path));

        Assert.NotEqual(expected, actual);
        Assert.Equal($"file 'b-labels.gz' has sha256 {actual}; the manifest expects {expected}.", Assert.Single(e.Problems));
        Assert.Contains(expected, e.Message);
        Assert.Contains(actual, e.Message);
    }

    [Fact]
    public void EveryProblemIsReportedAtOnce()
    {
        using var tmp = new TempFolder();
        var m = WriteTinyDataset(tmp);
        File.Delete(tmp.File("a-images.gz"));
        File.Delete(tmp.File("b-images.gz"));

        var e = Assert.Throws<DatasetVerificationException>(() => DatasetVerifier.Verify(m, tmp.Path));

        Assert.Equal(2, e.Problems.Count);
    }

    [Fact]
    public void OnlyTheRequestedSplitIsVerified()
    {
        using var tmp = new TempFolder();
        var m = WriteTinyDataset(tmp);
        File.Delete(tmp.File("b-images.gz"));

        var train = DatasetLoader.Load(m, "train", tmp.Path);

        Assert.Equal(3, train.Count);
    }

    [Fact]
    public void ExampleCountDifferentFromTheManifestIsAnError()
    {
        using var tmp = new TempFolder();
        var m = WriteTinyDataset(tmp);
        m = m with { Splits = [m.Splits[0] with { Examples = 4 }, m.Splits[1]] };

        var e = Assert.Throws<InvalidDataException>(() => DatasetLoader.Load(m, "train", tmp.Path));

        Assert.Equal("Dataset 'tiny' split 'train' has 3 examples; the manifest says 4.", e.Message);
    }

    [Fact]
    public void LoadingWritesNothingUnderTheRoot()
    {
        using var tmp = new TempFolder();
        var m = WriteTinyDataset(tmp);
        var before = Snapshot(tmp.Path);

        _ = DatasetLoader.Load(m, "train", tmp.Path);
        _ = DatasetLoader.Load(m, "test", tmp.Path);

        Assert.Equal(before, Snapshot(tmp.Path));
    }

    private static string Snapshot(string root) => string.Join("\n",
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(p => $"{p} {new FileInfo(p).Length} {File.GetLastWriteTimeUtc(p):O} {DatasetVerifier.Sha256Of(p)}"));
}
