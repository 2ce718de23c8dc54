using Msun.Analysis.Torch.Evaluation;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Tests.Evaluation;

[Collection("Torch")]
public class MacCounterTests(ITestOutputHelper output)
{
    [Fact]
    public void CountsATinyConvNetByHand()
    {
        torch.manual_seed(1);
        using var net = nn.Sequential(
            nn.Conv2d(3, 8, 3, stride: 2, padding: 1),   // 16×16 → 8×8
            nn.BatchNorm2d(8),
            nn.ReLU(),
            nn.MaxPool2d(2),                              // 8×8 → 4×4
            nn.Flatten(),
            nn.Linear(8 * 4 * 4, 10));

        var report = MacCounter.Count(net, 1, 3, 16, 16);

        long conv = 8 * 8 * 8 * (3 * 3 * 3);             // Cout·Hout·Wout · Cin/groups·k·k
        long linear = 10 * (8 * 4 * 4);                  // out · in
        Assert.Equal(conv + linear, report.TotalMacs);
        Assert.Equal(8 * 8 * 8 + 8 * 4 * 4 * (2 * 2), report.TotalOtherOps); // BN: one per element; pool: window per output
        Assert.Equal(["0", "1", "2", "3", "4", "5"], report.Layers.Select(l => l.Name));
        Assert.Equal("Conv2d", report.Layers[0].Type);
        Assert.Equal([1L, 8, 8, 8], report.Layers[0].OutputShape);
    }

    [Fact]
    public void CountsGroupedAndDepthwiseConvolutionsPerImage()
    {
        torch.manual_seed(2);
        using var net = nn.Sequential(
            nn.Conv2d(4, 8, 3, padding: 1, groups: 2),
            nn.Conv2d(8, 8, 3, padding: 1, groups: 8),    // depthwise
            nn.Conv2d(8, 16, 1),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(16, 5));

        var report = MacCounter.Count(net, 2, 4, 10, 12); // batch 2, non-square: counts are per image

        long grouped = 8 * 10 * 12 * (4 / 2 * 3 * 3);
        long depthwise = 8 * 10 * 12 * (8 / 8 * 3 * 3);
        long pointwise = 16 * 10 * 12 * 8;
        long linear = 5 * 16;
        Assert.Equal(grouped + depthwise + pointwise + linear, report.TotalMacs);
        Assert.Equal(16 * 10 * 12, report.TotalOtherOps); // global average pool adds every input once
    }

    [Fact]
    public void AdaptivePoolingCountsOverlappingWindowsExactly()
    {
        using var net = nn.Sequential(nn.AdaptiveAvgPool2d(2));
        // 3 → 2 windows per axis: [0, 2) and [1, 3), 4 elements per axis; 4·4 per channel.
        var report = MacCounter.Count(net, 1, 5, 3, 3);
        Assert.Equal(0, report.TotalMacs);
        Assert.Equal(5 * 4 * 4, report.TotalOtherOps);
    }

    [Theory]
    [InlineData("resnet50", 4.09e9)]
    [InlineData("resnet18", 1.82e9)]
    [InlineData("vgg16-bn", 15.47e9)]     // torchvision's published GFLOPS (which are MACs) for the three below
    [InlineData("densenet121", 2.83e9)]
    [InlineData("mobilenetv2", 0.30e9)]
    [InlineData("resnext50-32x4d", 4.23e9)] // torchvision's model pages (pytorch.org/vision/stable/models), at the native size
    [InlineData("googlenet", 1.50e9)]
    [InlineData("inception-v3", 5.71e9)]   // at 299 px
    [InlineData("alexnet", 0.71e9)]
    public void ImageNetBackbonesMatchThePublishedCounts(string name, double expected)
    {
        torch.manual_seed(3);
        var spec = Msun.Analysis.Torch.Backbones.BackboneRegistry.Get(name);
        using var model = spec.Create();
        var size = spec.NativeInputSize;
        var report = MacCounter.Count(model, 1, 3, size, size);
        output.WriteLine($"{name} @ {size}: {report.TotalMacs:N0} MACs, {report.TotalOtherOps:N0} other ops, {report.Layers.Count} layer calls");
        Assert.InRange(report.TotalMacs, expected * 0.97, expected * 1.03);
    }

    [Fact]
    public void HooksAndTrainingModeAreRestoredWhenTheForwardThrows()
    {
        var probe = new Probe();
        using var net = nn.Sequential(probe, nn.Linear(5, 3));
        net.train();
        Assert.ThrowsAny<Exception>(() => MacCounter.Count(net, 1, 4)); // Linear(5, 3) gets 4 features
        Assert.Equal(0, probe.HookCount);
        Assert.True(net.training);
        Assert.True(probe.training);

        var report = MacCounter.Count(net, 1, 5);       // counting twice does not double anything
        Assert.Equal(15, report.TotalMacs);
        Assert.Equal(15, MacCounter.Count(net, 1, 5).TotalMacs);
        Assert.Equal(0, probe.HookCount);
    }

    [Fact]
    public void UnknownLayersWithWeightsFailLoudly()
    {
        using var net = nn.Sequential(nn.Conv1d(2, 4, 3));
        var ex = Assert.Throws<NotSupportedException>(() => MacCounter.Count(net, 1, 2, 10));
        Assert.Contains("Conv1d", ex.Message);
    }

    [Fact]
    public void TableHasOneRowPerBackboneAndSize()
    {
        var rows = MacCounter.Table(["resnet18-small", "mobilenetv2-small"], [28, 32]);
        Assert.Equal(4, rows.Count);
        foreach (var r in rows)
        {
            output.WriteLine($"{r.Model} @ {r.InputSize}: {r.Macs:N0} MACs, {r.Parameters:N0} params");
        }

        Assert.True(rows[1].Macs > rows[0].Macs);
        Assert.Equal(rows[0].Parameters, rows[1].Parameters);
        Assert.Throws<ArgumentOutOfRangeException>(() => MacCounter.Table(["vgg16-bn"], [16]));
    }

    /// <summary>A parameterless leaf that exposes how many forward hooks it holds.</summary>
    private sealed class Probe() : nn.Module<Tensor, Tensor>(nameof(Probe))
    {
        public int HookCount => post_hooks.Count;

        public override Tensor forward(Tensor input) => input.alias();
    }
}
