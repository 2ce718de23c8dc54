using Msun.Analysis.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Tests.Training;

/// <summary>
/// After the check, a model's input gradients are right (against float64, which oneDNN does not run), including for the
/// 3×3 convolution with 12 output channels that libtorch 2.10's oneDNN gets wrong on some CPUs.
/// </summary>
[Collection("Torch")]
public class ConvolutionGradientCheckTests
{
    [Fact]
    public void AfterTheCheckTheInputGradientsMatchFloat64()
    {
        torch.random.manual_seed(12);
        using var model = nn.Sequential(("wide", nn.Conv2d(48, 48, 1, bias: false)), ("growth", nn.Conv2d(48, 12, 3, padding: 1, bias: false)));
        string? notice = ConvolutionGradientCheck.Ensure(model);
        if (notice is not null)
        {
            Assert.False(LibTorchSwitches.OneDnnIsOn);
            Assert.Contains("convolution 'growth'", notice); // the 1×1 layer passes: it is checked first and not named
        }

        for (int round = 0; round < 5; round++)
        {
            using var x = torch.randn(4, 48, 6, 6).requires_grad_(true);
            using var g = torch.randn(4, 12, 6, 6);
            (model.call(x) * g).sum().backward();
            using var x64 = x.detach().to(ScalarType.Float64).requires_grad_(true);
            using var model64 = nn.Sequential(("wide", nn.Conv2d(48, 48, 1, bias: false)), ("growth", nn.Conv2d(48, 12, 3, padding: 1, bias: false)));
            model64.load_state_dict(model.state_dict());
            model64.to(ScalarType.Float64);
            (model64.call(x64) * g.to(ScalarType.Float64)).sum().backward();
            double error = ((x.grad!.to(ScalarType.Float64) - x64.grad!).abs().max() / x64.grad!.abs().max()).item<double>();
            Assert.True(error < 1e-4, $"round {round}: input gradient off by {error:G3} (relative) after the check ({notice ?? "oneDNN kept"})");
        }
    }

    [Fact]
    public void TheCheckIsSkippedOnceOneDnnIsOff()
    {
        bool original = LibTorchSwitches.OneDnnIsOn;
        try
        {
            LibTorchSwitches.OneDnnIsOn = false;
            using var model = nn.Sequential(("growth", nn.Conv2d(48, 12, 3, padding: 1, bias: false)));
            Assert.Null(ConvolutionGradientCheck.Ensure(model));
            Assert.False(LibTorchSwitches.OneDnnIsOn);
        }
        finally
        {
            LibTorchSwitches.OneDnnIsOn = original;
        }
    }
}
