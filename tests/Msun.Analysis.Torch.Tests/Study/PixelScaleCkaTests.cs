using Msun.Analysis.Torch.Data;
using Msun.Analysis.Torch.Study;

namespace Msun.Analysis.Torch.Tests.Study;

[Collection("Torch")]
public class PixelScaleCkaTests
{
    private static ImageDataset Noise(int count, int side)
    {
        var random = new Random(3);
        var pixels = new byte[count * side * side];
        random.NextBytes(pixels);
        return new ImageDataset(pixels, new long[count], 1, side, side, ["only"], new DatasetProvenance("noise", "test", null, "made in memory"));
    }

    [Fact]
    public void TheWholeSetInAnyOrderGivesTheSameCka()
    {
        // Drawing every image, the seed only permutes them, and CKA does not depend on the order of the examples.
        var data = Noise(12, 16);
        var a = PixelScaleCka.Compute(data, 12, seed: 0, [4, 8], batchSize: 12);
        var b = PixelScaleCka.Compute(data, 12, seed: 5, [4, 8], batchSize: 12);
        Assert.Equal([4, 8], a.Select(r => r.Probe));
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].Linear.Value, b[i].Linear.Value, 9);
            Assert.Equal(a[i].Debiased.Value, b[i].Debiased.Value, 9);
            // One batch of all 12 images: minibatch linear CKA is the debiased CKA of the whole set.
            Assert.Equal(a[i].Debiased.Value, a[i].Minibatch.Value, 9);
        }

        // Noise keeps less of itself at 4 px than at 8 px.
        Assert.True(a[0].Linear.Value < a[1].Linear.Value, $"{a[0].Linear.Value} vs {a[1].Linear.Value}");
    }

    [Fact]
    public void BadCountsAndSizesAreRejected()
    {
        var data = Noise(12, 16);
        Assert.Throws<ArgumentOutOfRangeException>(() => PixelScaleCka.Compute(data, 3, 0, [8], 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => PixelScaleCka.Compute(data, 13, 0, [8], 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => PixelScaleCka.Compute(data, 12, 0, [16], 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => PixelScaleCka.Compute(data, 8, 0, [8], 9));
    }
}
