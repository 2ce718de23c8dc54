using Msun.Analysis.Torch.Backbones;
using Msun.Analysis.Torch.Evaluation;
using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Tests.Backbones;

/// <summary>The ResNet stem's max pool on a channels-last copy gives exactly what libtorch's MaxPool2d gives, values and gradients.</summary>
[Collection("Torch")]
public class ChannelsLastMaxPoolTests
{
    [Theory]
    [InlineData(3, 2, 1, 15)]
    [InlineData(3, 2, 1, 14)]
    [InlineData(2, 2, 0, 9)]
    public void ValuesAndGradientsEqualMaxPool2d(long kernel, long stride, long padding, long size)
    {
        torch.manual_seed(3);
        // Values on a coarse grid, half of them clipped to 0 as after a ReLU: most windows hold ties, where the
        // gradient's route depends on which maximum a kernel takes.
        var input = torch.randint(-4, 5, [3, 6, size, size]).to_type(ScalarType.Float32).clamp_min(0) / 4;
        var weights = torch.randn(3, 6, (size + 2 * padding - kernel) / stride + 1, (size + 2 * padding - kernel) / stride + 1);
        var (expected, expectedGrad) = Run(nn.MaxPool2d(kernel, stride, padding), input, weights);
        var (actual, actualGrad) = Run(new ChannelsLastMaxPool2d(kernel, stride, padding), input, weights);
        Assert.True(actual.is_contiguous());
        Assert.True(expected.equal(actual).all().item<bool>());
        Assert.True(expectedGrad.equal(actualGrad).all().item<bool>());
        Assert.True(expectedGrad.count_nonzero().item<long>() > 0);
    }

    [Fact]
    public void AChannelsLastInputGivesAChannelsLastOutputWithTheSameValuesAndGradients()
    {
        torch.manual_seed(5);
        var input = torch.randint(-4, 5, [2, 8, 11, 11]).to_type(ScalarType.Float32).clamp_min(0) / 4;
        var weights = torch.randn(2, 8, 6, 6);
        var (expected, expectedGrad) = Run(nn.MaxPool2d(3, 2, 1), input, weights);
        var (actual, actualGrad) = Run(new ChannelsLastMaxPool2d(3, 2, 1), ChannelsLastWeights.Copy(input), weights);
        Assert.True(ChannelsLastWeights.IsChannelsLast(actual)); // no copy back to the default order
        Assert.True(expected.equal(actual).all().item<bool>());
        Assert.True(expectedGrad.equal(actualGrad).all().item<bool>());
    }

    [Fact]
    public void TheMacCounterCountsItAsTheMaxPool2dItReplaces()
    {
        var net = nn.Sequential(("pool", new ChannelsLastMaxPool2d(3, 2, 1)));
        var expected = MacCounter.Count(nn.Sequential(("pool", nn.MaxPool2d(3, 2, 1))), 1, 4, 10, 10).Layers.Single();
        var actual = MacCounter.Count(net, 1, 4, 10, 10).Layers.Single();
        Assert.Equal(expected, actual with { OutputShape = expected.OutputShape });
        Assert.Equal(expected.OutputShape, actual.OutputShape);
        Assert.Equal(4 * 5 * 5 * 9, actual.OtherOps); // output elements × window
        Assert.Equal("MaxPool2d", actual.Type);
    }

    private static (Tensor Output, Tensor InputGradient) Run(nn.Module<Tensor, Tensor> pool, Tensor input, Tensor weights)
    {
        var x = input.detach().clone().requires_grad_(true);
        var y = pool.call(x);
        (y * weights).sum().backward();
        return (y.detach(), x.grad!.clone());
    }
}
