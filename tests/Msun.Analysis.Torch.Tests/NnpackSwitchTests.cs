using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Tests;

[Collection("Torch")]
public class NnpackSwitchTests
{
    [Fact]
    public void TurnsLibtorchsSwitchOffAndConvolutionsGiveTheSameValues()
    {
        torch.random.manual_seed(3);
        using var input = torch.randn(1, 4, 9, 9);
        using var weight = torch.randn(6, 4, 1, 1);
        using var before = nn.functional.conv2d(input, weight);

        Assert.True(NnpackSwitch.TurnOff());
        Assert.False(NnpackSwitch.IsOn); // read back through libtorch's own getter

        // A 1×1 convolution is a matrix product per pixel: the same value from a plain product, with the switch off.
        using var after = nn.functional.conv2d(input, weight);
        using var byHand = torch.einsum("oc,bchw->bohw", weight.reshape(6, 4), input);
        Assert.True(after.allclose(byHand, rtol: 1e-5, atol: 1e-5));
        Assert.True(after.allclose(before, rtol: 0, atol: 0)); // bit for bit
    }
}
