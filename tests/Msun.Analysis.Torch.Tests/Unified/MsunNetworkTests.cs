using Msun.Analysis.Torch.Backbones;
using Msun.Analysis.Torch.Data;
using Msun.Analysis.Torch.Evaluation;
using Msun.Analysis.Torch.Training;
using Msun.Analysis.Torch.Unified;
using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Tests.Unified;

[Collection("Torch")]
public class MsunNetworkTests
{
    public static TheoryData<string, int> SmallBackbonesAndSplits()
    {
        var data = new TheoryData<string, int>();
        foreach (var spec in BackboneRegistry.Specs.Where(s => s.NativeInputSize == 28))
        {
            data.Add(spec.Name, 1);
            data.Add(spec.Name, 2);
            data.Add(spec.Name, 3);
        }

        return data;
    }

    // ResNet-50 parameters from its layer shapes, by hand: conv k×k c_in→c_out has k²·c_in·c_out weights, BN 2·c.
    private static long Conv(long k, long cin, long cout) => k * k * cin * cout;

    private static long Bn(long c) => 2 * c;

    private static long Bottleneck(long cin, long planes, bool downsample) =>
        Conv(1, cin, planes) + Bn(planes) + Conv(3, planes, planes) + Bn(planes) + Conv(1, planes, 4 * planes) + Bn(4 * planes)
        + (downsample ? Conv(1, cin, 4 * planes) + Bn(4 * planes) : 0);

    private static long Layer(long cin, long planes, int blocks) =>
        Bottleneck(cin, planes, true) + (blocks - 1) * Bottleneck(4 * planes, planes, false);

    [Fact]
    public void ResNet50PaperMsunHasTheHandCountedParameters()
    {
        long stem(long k) => Conv(k, 3, 64) + Bn(64);
        var layer1 = Layer(64, 64, 3);
        var deep = Layer(256, 128, 4) + Layer(512, 256, 6) + Layer(1024, 512, 3) + 2048 * 1000 + 1000;
        var resnet50 = stem(7) + layer1 + deep;
        var msun = stem(3) + stem(5) + stem(7) + 3 * layer1 + deep;
        Assert.Equal(25_557_032, resnet50); // torchvision's published count: the hand formula is right

        var config = MsunConfig.Paper("resnet50");
        Assert.Equal(2, config.Split);
        Assert.Equal(56, config.UnifiedSize);
        Assert.Equal(0.01, config.TruncationThreshold);
        torch.manual_seed(0);
        using var net = new MsunNetwork(config);
        Assert.Equal(msun, net.parameters().Sum(p => p.numel()));
        Assert.InRange(msun / 1e6, 25.95, 26.05); // the paper's "≈ 26.0 M vs 25.6 M"
        Assert.Equal(stem(3) + layer1 + deep, net.BranchParameters(0));
        Assert.Equal(resnet50, net.BranchParameters(2));
    }

    [Fact]
    public void PaperConfigurationsDeclareTheAdaptedSubnetSizes()
    {
        // VGG-16-BN, split after the 3rd max-pool: small has those pools 2×2 stride 1 (−1 px each), mid only the 3rd.
        var vgg = MsunConfig.Paper("vgg16-bn");
        var spec = BackboneRegistry.Get("vgg16-bn");
        Assert.Equal(28, vgg.UnifiedSize);
        Assert.Equal(29, spec.Adapt(ScaleAdaptation.Small, 3).Stages[2].OutputSize(32));
        Assert.Equal(31, spec.Adapt(ScaleAdaptation.Mid, 3).Stages[2].OutputSize(128));
        Assert.Equal(14, spec.Adapt(ScaleAdaptation.Small, 3).Stages[3].OutputSize(32)); // the 4th pool (shared) keeps stride 2: floor(29 / 2)
        // MobileNetV2: small = 1×1 stride-1 first conv and stride 1 in the strided rows 1, 2 (blocks 2 and 4); mid = stride-1 first conv.
        var mobile = BackboneRegistry.Get("mobilenetv2");
        Assert.Equal(28, MsunConfig.Paper("mobilenetv2").UnifiedSize);
        Assert.Equal(32, mobile.Adapt(ScaleAdaptation.Small, 3).Stages[2].OutputSize(32));
        Assert.Equal(32, mobile.Adapt(ScaleAdaptation.Mid, 3).Stages[2].OutputSize(128));
        // DenseNet-121 and ResNet-50: small stem 3×3/1/2 grows 32 to 34; mid 5×5/1/2 + max-pool halves 128.
        Assert.Equal(56, MsunConfig.Paper("densenet121").UnifiedSize);
        Assert.Equal(34, BackboneRegistry.Get("densenet121").Adapt(ScaleAdaptation.Small, 2).Stages[1].OutputSize(32));
        Assert.Equal(64, BackboneRegistry.Get("resnet50").Adapt(ScaleAdaptation.Mid, 2).Stages[1].OutputSize(128));
    }

    [Theory]
    [MemberData(nameof(SmallBackbonesAndSplits))]
    public void EveryScaleUnifiesToTheUnifiedShapeAndEntryPointsMatchTheFullForward(string backbone, int split)
    {
        var config = new MsunConfig(backbone, split, [14, 21, 28]);
        torch.manual_seed(1);
        using var net = new MsunNetwork(config, 1, 10);
        net.eval();
        using var scope = NewDisposeScope();
        var images = torch.rand(2, 1, 28, 28);
        var (logits, unified) = net.ForwardAllScales(images);
        var channels = BackboneRegistry.Get(backbone).Stages[split - 1].OutChannels;
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(new long[] { 2, channels, config.UnifiedSize, config.UnifiedSize }, unified[i].shape);
            Assert.Equal(new long[] { 2, 10 }, logits[i].shape);
            Assert.True(logits[i].isfinite().all().item<bool>());
            var size = config.Scales[i].Size;
            var native = size == 28 ? images : MultiScaleResize.Bilinear(images, size, size);
            var single = net.ForwardScale(i, native);
            Assert.True(single.allclose(logits[i], rtol: 1e-5, atol: 1e-6), $"scale {i}: single entry point differs from the full forward");
            Assert.True(net.call(native).allclose(logits[i], rtol: 1e-5, atol: 1e-6), $"scale {i}: routed forward differs");
        }
    }

    [Fact]
    public void ModuleNamesAreReadableAndOnlyTheRunningModulesAreRegistered()
    {
        torch.manual_seed(2);
        var config = new MsunConfig("resnet18-small", 2, [14, 21, 28]);
        using var net = new MsunNetwork(config, 1, 10);
        var names = net.named_modules().Select(p => p.name).ToHashSet();
        Assert.Contains("subnets.small.conv1", names);
        Assert.Contains("subnets.mid.layer1.1.conv2", names);
        Assert.Contains("unify.large", names);
        Assert.Contains("shared.layer2", names);
        Assert.Contains("shared.fc", names);
        Assert.DoesNotContain("shared.layer1", names);
        Assert.DoesNotContain("shared.conv1", names);
        Assert.DoesNotContain("subnets.small.layer2", names);

        using var plain = BackboneRegistry.Get("resnet18-small").Create(1, 10);
        var plainCount = plain.parameters().Sum(p => p.numel());
        var leadingCount = plain.named_parameters().Where(p => p.name.StartsWith("conv1") || p.name.StartsWith("bn1") || p.name.StartsWith("layer1"))
            .Sum(p => p.parameter.numel());
        Assert.Equal(plainCount + 2 * leadingCount, net.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void RoutingSendsASizeToTheSmallestNominalSizeAtLeastAsLarge()
    {
        using var net = new MsunNetwork(new MsunConfig("resnet18-small", 2, [12, 20, 28]), 1, 10);
        Assert.Equal([0, 0, 1, 1, 2, 2], new[] { 8, 12, 13, 20, 21, 28 }.Select(net.Route));
        Assert.Throws<ArgumentOutOfRangeException>(() => net.Route(29));
        var classifier = net.AsClassifier("msun");
        Assert.Equal("small", classifier.Route(12));
        Assert.Equal("mid", classifier.Route(16));
        Assert.Equal("large", classifier.Route(24));
    }

    [Theory]
    [InlineData(0, new[] { 14, 21, 28 }, "split 0 is outside 1..4")]
    [InlineData(5, new[] { 14, 21, 28 }, "split 5 is outside 1..4")]
    [InlineData(2, new[] { 21, 14, 28 }, "out of order")]
    [InlineData(2, new[] { 14, 14, 28 }, "14 is duplicated")]
    [InlineData(2, new[] { 28 }, "at least 2")]
    public void BadConfigurationsFailNamingTheField(int split, int[] scales, string expected)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => new MsunConfig("resnet18-small", split, scales));
        Assert.Contains(expected, e.Message);
    }
}
