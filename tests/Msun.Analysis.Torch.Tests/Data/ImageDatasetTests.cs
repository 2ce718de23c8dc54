using Msun.Analysis.Torch.Data;
using TorchSharp;

namespace Msun.Analysis.Torch.Tests.Data;

[Collection("Torch")]
public class ImageDatasetTests
{
    private static readonly DatasetProvenance Prov = new("synthetic", "train", null, "made in memory");

    private static ImageDataset Make() =>
        new(new byte[] { 0, 255, 51, 102, /* image 1 */ 10, 20, 30, 40, /* image 2 */ 1, 2, 3, 4 },
            new long[] { 1, 0, 1 }, 1, 2, 2, ["a", "b"], Prov);

    [Fact]
    public void BatchScalesBytesToUnitRangeInIndexOrder()
    {
        using var scope = torch.NewDisposeScope();
        var (x, y) = Make().GetBatch([2, 0], torch.CPU);

        Assert.Equal(new long[] { 2, 1, 2, 2 }, x.shape);
        Assert.Equal(torch.CPU.type, x.device.type);
        Assert.Equal(new long[] { 1, 1 }, y.data<long>().ToArray());
        var v = x.data<float>().ToArray();
        var expected = new[] { 1 / 255.0, 2 / 255.0, 3 / 255.0, 4 / 255.0, 0, 1, 0.2, 0.4 };
        for (var k = 0; k < expected.Length; k++)
            Assert.Equal(expected[k], v[k], 6);
    }

    [Fact]
    public void InconsistentInputsAreRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new ImageDataset(new byte[7], new long[2], 1, 2, 2, ["a"], Prov));
        Assert.StartsWith("pixels has 7 bytes; 2 labels × 1×2×2 need 8.", e.Message);
        var l = Assert.Throws<ArgumentException>(() => new ImageDataset(new byte[4], new long[] { 2 }, 1, 2, 2, ["a", "b"], Prov));
        Assert.StartsWith("labels[0] is 2; there are 2 classes (0..1).", l.Message);
    }

    [Fact]
    public void BadIndexNamesItsPosition()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Make().GetBatch([0, 3], torch.CPU));
        Assert.Contains("indices[1] is 3; the dataset has 3 examples.", e.Message);
    }

    [Fact]
    public void SubsetCopiesAndRecordsProvenance()
    {
        var s = Make().Subset([2, 1], "CKA subset 0, seed 0");
        Assert.Equal(new long[] { 1, 0 }, s.Labels.ToArray());
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, s.GetImage(0).ToArray());
        Assert.Equal("synthetic/train (made in memory); subset of 2: CKA subset 0, seed 0", s.Provenance.Describe());
        Assert.Equal(new[] { 1, 1 }, s.LabelHistogram());
    }

    [Fact]
    public void ProvenanceRecordsTransformDescriptions()
    {
        var p = Prov.WithStep(new MultiScaleResizeOptions(28, 14).Describe());
        Assert.Equal(
            "synthetic/train (made in memory); bilinear, align_corners=false, antialias=false, down to 14 then up to 28",
            p.Describe());
        Assert.Equal(p, Prov.WithStep("bilinear, align_corners=false, antialias=false, down to 14 then up to 28"));
    }
}
