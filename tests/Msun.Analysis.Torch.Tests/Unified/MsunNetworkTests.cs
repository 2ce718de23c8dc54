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

    // BasicConv2d of GoogLeNet / Inception-v3: k×k convolution without bias, then BN.
    private static long BasicConv(long k, long cin, long cout) => Conv(k, cin, cout) + Bn(cout);

    /// <summary>
    /// The four CKA-only backbones of the paper in an MSUN at split 2 and scales 32/128/224: parameters by hand (torchvision's
    /// count, plus one more copy of the leading stages per extra scale, with each family's adapted stem kernels, minus
    /// Inception-v3's never-run auxiliary head), the adapted subnet sizes by hand, and the small branch's forward.
    /// </summary>
    [Theory]
    [InlineData("resnext50-32x4d", 56, 34, 64)]
    [InlineData("googlenet", 28, 17, 32)]
    [InlineData("inception-v3", 25, 12, 29)]
    [InlineData("alexnet", 13, 11, 14)]
    public void PaperCkaBackbonesBuildAnMsun(string backbone, int unified, int smallAt32, int midAt128)
    {
        long stem(long k) => Conv(k, 3, 64) + Bn(64);
        long resnextBlock(long cin, bool downsample) => Conv(1, cin, 128) + Bn(128) + 9 * 128 * 4 + Bn(128) + Conv(1, 128, 256) + Bn(256)
            + (downsample ? Conv(1, cin, 256) + Bn(256) : 0);
        long googlenetLeading(long k) => BasicConv(k, 3, 64) + BasicConv(1, 64, 64) + BasicConv(3, 64, 192);
        var inceptionLeading = BasicConv(3, 3, 32) + BasicConv(3, 32, 32) + BasicConv(3, 32, 64) + BasicConv(1, 64, 80) + BasicConv(3, 80, 192);
        var inceptionAux = BasicConv(1, 768, 128) + BasicConv(5, 128, 768) + 768 * 1000 + 1000;
        var alexnetLeading = Conv(11, 3, 64) + 64 + Conv(5, 64, 192) + 192;
        var expected = backbone switch
        {
            // Small and mid subnets: the paper's 3×3 and 5×5 stems plus their own layer1.
            "resnext50-32x4d" => 25_028_904 + stem(3) + stem(5) + 2 * (resnextBlock(64, true) + 2 * resnextBlock(256, false)),
            "googlenet" => 6_624_904 + googlenetLeading(3) + googlenetLeading(5),
            "inception-v3" => 27_161_264 - inceptionAux + 2 * inceptionLeading, // kernels kept, strides changed
            "alexnet" => 61_100_840 + 2 * alexnetLeading,
            _ => throw new ArgumentOutOfRangeException(nameof(backbone)),
        };

        var config = new MsunConfig(backbone, 2, [32, 128, 224]);
        var spec = BackboneRegistry.Get(backbone);
        Assert.Equal(unified, config.UnifiedSize);
        Assert.Equal(smallAt32, spec.Adapt(ScaleAdaptation.Small, 2).Stages[1].OutputSize(32));
        Assert.Equal(midAt128, spec.Adapt(ScaleAdaptation.Mid, 2).Stages[1].OutputSize(128));

        torch.manual_seed(4);
        using var net = new MsunNetwork(config);
        Assert.Equal(expected, net.parameters().Sum(p => p.numel()));
        Assert.DoesNotContain(net.named_modules(), p => p.name.Contains("AuxLogits", StringComparison.Ordinal));

        net.eval();
        using var noGrad = torch.no_grad();
        using var scope = NewDisposeScope();
        var (logits, z) = net.ForwardWithUnified(0, torch.rand(1, 3, 32, 32));
        Assert.Equal(new long[] { 1, spec.Stages[1].OutChannels, unified, unified }, z.shape);
        Assert.Equal(new long[] { 1, 1000 }, logits.shape);
        Assert.True(logits.isfinite().all().item<bool>());
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
