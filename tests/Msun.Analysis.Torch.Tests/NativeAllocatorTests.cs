using TorchSharp;

namespace Msun.Analysis.Torch.Tests;

[Collection("Torch")]
public class NativeAllocatorTests
{
    [Fact]
    public void GlibcAcceptsTheSettingsAndTensorsStillWork()
    {
        // CI and the development machines run Debian (glibc): mallopt must accept both values there.
        Assert.True(NativeAllocator.KeepFreedMemory());
        using var big = torch.ones(3 * 1024 * 1024, dtype: torch.float64); // 24 MB: now below the mmap threshold
        Assert.Equal(3 * 1024 * 1024, big.sum().item<double>());
    }
}
