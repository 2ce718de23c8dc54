using Msun.Analysis.Torch.Data;
using TorchSharp;

namespace Msun.Analysis.Torch.Tests.Data;

/// <summary>Loads the real Fashion-MNIST once (Debian package dataset-fashion-mnist; CI installs it).</summary>
public sealed class FashionMnistFixture
{
    public FashionMnistFixture()
    {
        Manifest = DatasetManifestLoader.LoadBuiltIn("fashion-mnist");
        Report = DatasetVerifier.Verify(Manifest, DatasetLoader.ResolveRoot(Manifest, null));
        Train = DatasetLoader.Load(Manifest, "train");
        Test = DatasetLoader.Load(Manifest, "test");
    }

    public DatasetManifest Manifest { get; }
    public VerificationReport Report { get; }
    public ImageDataset Train { get; }
    public ImageDataset Test { get; }
}

[Collection("Torch")]
public class FashionMnistTests(FashionMnistFixture fm) : IClassFixture<FashionMnistFixture>
{
    [Fact]
    public void InstalledFilesMatchTheManifestIncludingSha256()
    {
        Assert.Equal(4, fm.Report.Files.Length);
        Assert.True(fm.Report.AllChecksumsVerified);
    }

    [Fact]
    public void SplitsHaveTheDocumentedShape()
    {
        Assert.Equal(60_000, fm.Train.Count);
        Assert.Equal(10_000, fm.Test.Count);
        foreach (var ds in new[] { fm.Train, fm.Test })
        {
            Assert.Equal((1, 28, 28), (ds.Channels, ds.Height, ds.Width));
            Assert.Equal(10, ds.ClassNames.Count);
            Assert.Equal("T-shirt/top", ds.ClassNames[0]);
            Assert.Equal("Ankle boot", ds.ClassNames[9]);
        }
    }

    [Fact]
    public void ClassesAreBalanced()
    {
        Assert.All(fm.Train.LabelHistogram(), n => Assert.Equal(6_000, n));
        Assert.All(fm.Test.LabelHistogram(), n => Assert.Equal(1_000, n));
    }

    [Fact]
    public void FirstExamplesAreTheKnownOnes()
    {
        // Read independently with Python's gzip: train labels start 9 0 0 3 0, test labels 9 2 1 1 6;
        // the first training image sums to 76247 with maximum 255.
        Assert.Equal(new long[] { 9, 0, 0, 3, 0 }, fm.Train.Labels[..5].ToArray());
        Assert.Equal(new long[] { 9, 2, 1, 1, 6 }, fm.Test.Labels[..5].ToArray());
        var first = fm.Train.GetImage(0).ToArray();
        Assert.Equal(76247, first.Sum(b => b));
        Assert.Equal(255, first.Max());
    }

    [Fact]
    public void BatchIsFloatInUnitRangeWithMatchingLabels()
    {
        using var scope = torch.NewDisposeScope();
        var (x, y) = fm.Train.GetBatch([0, 5, 59_999], torch.CPU);

        Assert.Equal(new long[] { 3, 1, 28, 28 }, x.shape);
        Assert.Equal(torch.ScalarType.Float32, x.dtype);
        Assert.Equal(torch.ScalarType.Int64, y.dtype);
        Assert.Equal(new long[] { 9, 2, fm.Train.Labels.Span[59_999] }, y.data<long>().ToArray());
        Assert.Equal(1.0f, x.max().item<float>());
        Assert.True(x.min().item<float>() >= 0f);
        Assert.Equal(76247 / 255.0, x[0].sum().item<float>(), 2);
    }

    [Fact]
    public void ProvenanceSaysWhatWasVerified()
    {
        Assert.Equal(
            "fashion-mnist/train from /usr/share/datasets/fashion-mnist (2 files: size and sha256 verified)",
            fm.Train.Provenance.Describe());
    }
}
