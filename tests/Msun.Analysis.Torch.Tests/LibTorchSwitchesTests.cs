using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Tests;

[Collection("Torch")]
public class LibTorchSwitchesTests
{
    [Fact]
    public void NnpackTurnsOffAndConvolutionsGiveTheSameValues()
    {
        torch.random.manual_seed(3);
        using var input = torch.randn(1, 4, 9, 9);
        using var weight = torch.randn(6, 4, 1, 1);
        using var before = nn.functional.conv2d(input, weight);

        Assert.True(LibTorchSwitches.TurnOffNnpack());
        Assert.False(LibTorchSwitches.NnpackIsOn); // read back through libtorch's own getter

        // A 1×1 convolution is a matrix product per pixel: the same value from a plain product, with the switch off.
        using var after = nn.functional.conv2d(input, weight);
        using var byHand = torch.einsum("oc,bchw->bohw", weight.reshape(6, 4), input);
        Assert.True(after.allclose(byHand, rtol: 1e-5, atol: 1e-5));
        Assert.True(after.allclose(before, rtol: 0, atol: 0)); // bit for bit
    }

    [Fact]
    public void OneDnnSwitchReadsBackAndBothKernelsComputeTheConvolution()
    {
        bool original = LibTorchSwitches.OneDnnIsOn;
        try
        {
            torch.random.manual_seed(4);
            using var x = torch.randn(8, 32, 10, 10);
            using var w = torch.randn(32, 32, 3, 3);
            using var reference = nn.functional.conv2d(x.to(ScalarType.Float64), w.to(ScalarType.Float64), padding: [1, 1]);
            foreach (bool on in new[] { true, false })
            {
                LibTorchSwitches.OneDnnIsOn = on;
                Assert.Equal(on, LibTorchSwitches.OneDnnIsOn);
                using var y = nn.functional.conv2d(x, w, padding: [1, 1]);
                Assert.True(y.to(ScalarType.Float64).allclose(reference, rtol: 1e-4, atol: 1e-4), $"oneDNN {on}");
            }
        }
        finally
        {
            LibTorchSwitches.OneDnnIsOn = original;
        }
    }
}
