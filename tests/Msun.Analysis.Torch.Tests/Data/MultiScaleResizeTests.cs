using Msun.Analysis.Torch.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Tests.Data;

[Collection("Torch")]
public class MultiScaleResizeTests
{
    [Fact]
    public void TwoByTwoToFourByFourMatchesHandComputedBilinear()
    {
        // align_corners=false: output pixel i samples source coordinate (i + 0.5)·(2/4) − 0.5, clamped at 0:
        // 0 → −0.25 → 0; 1 → 0.25; 2 → 0.75; 3 → 1.25, whose right neighbour is clamped to the edge (1).
        // So along each axis the sample positions are r = [0, 0.25, 0.75, 1]. The input [[0,1],[2,3]] is
        // f(row, col) = 2·row + col, linear, so bilinear interpolation is exact: out[i,j] = 2·r[i] + r[j].
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 0, 1, 2, 3 }, [1, 1, 2, 2], device: CPU);

        var y = MultiScaleResize.Bilinear(x, 4, 4);

        float[] expected =
        [
            0.0f, 0.25f, 0.75f, 1.0f,
            0.5f, 0.75f, 1.25f, 1.5f,
            1.5f, 1.75f, 2.25f, 2.5f,
            2.0f, 2.25f, 2.75f, 3.0f,
        ];
        Assert.Equal(new long[] { 1, 1, 4, 4 }, y.shape);
        var actual = y.data<float>().ToArray();
        for (var k = 0; k < 16; k++)
            Assert.Equal(expected[k], actual[k], 6);
    }

    // Bilinear's product form against libtorch's own interpolate (the independent expectation): shrinking, enlarging,
    // one axis only, non-square, odd ratios, in both precisions; float32 within a few ulps of values in [0, 1).
    [Theory]
    [InlineData(56, 56, 8, 8)]
    [InlineData(8, 8, 56, 56)]
    [InlineData(28, 28, 56, 56)]
    [InlineData(56, 56, 32, 32)]
    [InlineData(224, 224, 32, 32)]
    [InlineData(20, 13, 7, 31)]
    [InlineData(5, 9, 5, 4)]
    [InlineData(1, 6, 3, 6)]
    public void BilinearMatchesLibtorchInterpolate(int inHeight, int inWidth, int height, int width)
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        foreach (var (dtype, tolerance) in new[] { (ScalarType.Float32, 1e-6), (ScalarType.Float64, 1e-14) })
        {
            var x = rand([3, 2, inHeight, inWidth], dtype: dtype);
            var expected = nn.functional.interpolate(x, [height, width], mode: InterpolationMode.Bilinear, align_corners: false);

            var y = MultiScaleResize.Bilinear(x, height, width);

            Assert.Equal(expected.shape, y.shape);
            Assert.Equal(dtype, y.dtype);
            var worst = (y - expected).abs().max().to_type(ScalarType.Float64).item<double>();
            Assert.True(worst <= tolerance, $"{dtype}: max |Δ| {worst}");
        }
    }

    [Fact]
    public void BilinearGradientMatchesLibtorchInterpolate()
    {
        // MSUN resizes inside its forward pass during training: the input gradient must be interpolate's.
        using var scope = NewDisposeScope();
        manual_seed(5);
        var upstream = randn([2, 3, 8, 12], dtype: ScalarType.Float64);
        var x1 = rand([2, 3, 28, 20], dtype: ScalarType.Float64).requires_grad_();
        var x2 = x1.detach().clone().requires_grad_();

        (MultiScaleResize.Bilinear(x1, 8, 12) * upstream).sum().backward();
        (nn.functional.interpolate(x2, [8, 12], mode: InterpolationMode.Bilinear, align_corners: false) * upstream).sum().backward();

        Assert.True((x1.grad! - x2.grad!).abs().max().item<double>() < 1e-13);
    }

    [Fact]
    public void BilinearToTheSameSizeReturnsAnIndependentCopy()
    {
        using var scope = NewDisposeScope();
        var x = rand([1, 1, 6, 6]);
        var y = MultiScaleResize.Bilinear(x, 6, 6);
        Assert.Equal(0f, (y - x).abs().max().item<float>());
        y.add_(1f);
        Assert.True((y - x).min().item<float>() > 0.99f);
    }

    [Fact]
    public void BilinearWeightsOfAShrinkByFourAreHandComputed()
    {
        // 8 → 2: source = (o + 0.5)·4 − 0.5 = 1.5 and 5.5: pixels 1,2 and 5,6 at ½ each.
        var taps = MultiScaleResize.BilinearWeights<double>(8, 2);
        Assert.Equal([(1, 2, 0.5, 0.5), (5, 6, 0.5, 0.5)], taps);
        // 2 → 4 (enlarging, the hand-computed case above): sources 0 (clamped), 0.25, 0.75, 1.25 → the last stays on pixel 1.
        var up = MultiScaleResize.BilinearWeights<double>(2, 4);
        Assert.Equal([(0, 1, 1.0, 0.0), (0, 1, 0.75, 0.25), (0, 1, 0.25, 0.75), (1, 1, 0.75, 0.25)], up);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DownUpOfAConstantImageStaysConstant(bool antialias)
    {
        using var scope = NewDisposeScope();
        var x = full([2, 3, 28, 28], 0.37f, device: CPU);
        var t = new MultiScaleResize(new MultiScaleResizeOptions(28, 9, ScaleMode.DownUp, antialias));

        var y = t.Apply(x);

        Assert.Equal(new long[] { 2, 3, 28, 28 }, y.shape);
        Assert.True((y - 0.37f).abs().max().item<float>() < 1e-6f);
    }

    [Theory]
    [InlineData(28, 14, ScaleMode.DownUp, 28)]
    [InlineData(28, 14, ScaleMode.Down, 14)]
    [InlineData(56, 9, ScaleMode.Down, 9)]
    [InlineData(224, 32, ScaleMode.DownUp, 224)]
    [InlineData(28, 28, ScaleMode.Down, 28)]
    public void OutputSizesFollowTheMode(int reference, int probe, ScaleMode mode, int expected)
    {
        using var scope = NewDisposeScope();
        var options = new MultiScaleResizeOptions(reference, probe, mode);
        var y = new MultiScaleResize(options).Apply(rand([2, 1, reference, reference], device: CPU));
        Assert.Equal(new long[] { 2, 1, expected, expected }, y.shape);
        Assert.Equal(expected, options.OutputSize);
    }

    [Fact]
    public void DownUpIsDownThenUp()
    {
        using var scope = NewDisposeScope();
        var x = rand([1, 1, 28, 28], generator: new Generator(5), device: CPU);
        var y = new MultiScaleResize(new MultiScaleResizeOptions(28, 10)).Apply(x);
        var manual = MultiScaleResize.Bilinear(MultiScaleResize.Bilinear(x, 10, 10), 28, 28);
        Assert.Equal(0f, (y - manual).abs().max().item<float>());
        var libtorch = nn.functional.interpolate(
            nn.functional.interpolate(x, [10, 10], mode: InterpolationMode.Bilinear, align_corners: false, antialias: false),
            [28, 28], mode: InterpolationMode.Bilinear, align_corners: false, antialias: false);
        Assert.True((y - libtorch).abs().max().item<float>() < 1e-6f);
        Assert.True((y - x).abs().max().item<float>() > 0.01f);
    }

    [Fact]
    public void AntialiasChangesTheResultOfAHighFrequencyPattern()
    {
        // Columns 1,0,0,0 repeating. Shrinking 16 → 4 without antialias samples between columns 4i+1 and
        // 4i+2, which are both 0: the pattern vanishes (aliasing). With antialias the filter spans the
        // whole period and keeps the mean, 0.25.
        using var scope = NewDisposeScope();
        var row = tensor(Enumerable.Range(0, 16).Select(c => c % 4 == 0 ? 1f : 0f).ToArray(), device: CPU);
        var x = row.expand(16, 16).reshape(1, 1, 16, 16).contiguous();

        var plain = new MultiScaleResize(new MultiScaleResizeOptions(16, 4, ScaleMode.Down)).Apply(x);
        var smooth = new MultiScaleResize(new MultiScaleResizeOptions(16, 4, ScaleMode.Down, antialias: true)).Apply(x);

        Assert.Equal(0f, plain.abs().max().item<float>());
        Assert.InRange(smooth.mean().item<float>(), 0.22f, 0.28f);
        Assert.False(plain.allclose(smooth));
    }

    [Fact]
    public void InputNotAtTheReferenceSizeIsRejected()
    {
        using var scope = NewDisposeScope();
        var t = new MultiScaleResize(new MultiScaleResizeOptions(56, 28));
        var e = Assert.Throws<ArgumentException>(() => t.Apply(zeros([1, 1, 28, 28], device: CPU)));
        Assert.StartsWith("images has shape [1,1,28,28]; expected [B,C,56,56] at the reference size 56.", e.Message);
    }

    [Fact]
    public void OptionsAreValidatedAtConstruction()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new MultiScaleResizeOptions(28, 29));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MultiScaleResizeOptions(0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MultiScaleResizeOptions(28, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MultiScaleResizeOptions(28, 14, (ScaleMode)7));
    }

    [Fact]
    public void DescribeNamesEverySetting()
    {
        Assert.Equal("bilinear, align_corners=false, antialias=false, down to 14 then up to 28",
            new MultiScaleResizeOptions(28, 14).Describe());
        Assert.Equal("bilinear, align_corners=false, antialias=true, down to 32 from 224",
            new MultiScaleResizeOptions(224, 32, ScaleMode.Down, antialias: true).Describe());
    }

    [Fact]
    public void TestSizesOfThePaper()
    {
        var sizes = MultiScaleResize.TestSizes(32, 224, 16);
        Assert.Equal(13, sizes.Count);
        Assert.Equal(32, sizes[0]);
        Assert.Equal(224, sizes[^1]);
        Assert.Throws<ArgumentException>(() => MultiScaleResize.TestSizes(32, 220, 16));
    }
}
