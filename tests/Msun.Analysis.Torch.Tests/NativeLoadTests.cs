using TorchSharp;

namespace Msun.Analysis.Torch.Tests;

[Collection("Torch")]
public class NativeLoadTests
{
    [Fact]
    public void LibTorchLoadsAndComputes()
    {
        using var t = torch.arange(6, dtype: torch.float64).reshape(2, 3);
        Assert.Equal(15.0, t.sum().item<double>());
    }
}
