using Msun.Analysis.Torch.Backbones;
using Msun.Analysis.Torch.Unified;
using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Tests.Unified;

[Collection("Torch")]
public class StudyGeometryTests
{
    [Fact]
    public void PaperGeometryIsThePapersSizesScaledByRover224()
    {
        var g56 = StudyGeometry.Paper(56);
        Assert.Equal("resnet18-imagenet-w32", g56.Backbone);
        Assert.Equal([8, 32], g56.Scales); // the paper's 32 and 128 of 224, ÷ 4
        Assert.Equal([8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56], g56.TestSizes); // 32…224 step 16, ÷ 4
        Assert.Equal(8, g56.Probes[0]); // the paper's probe 32 → 224
        var g112 = StudyGeometry.Paper(112);
        Assert.Equal("resnet18-imagenet-w16", g112.Backbone);
        Assert.Equal([16, 64], g112.Scales);
        Assert.Equal(Enumerable.Range(0, 13).Select(k => 16 + 8 * k), g112.TestSizes);
        Assert.Equal([8, 12, 16, 20, 24, 28], StudyGeometry.Cifar().TestSizes);
        Assert.Equal("resnet18-small", StudyGeometry.Get("cifar").Backbone);
        Assert.Equal(56, StudyGeometry.Get("paper").ReferenceSize);
    }

    [Fact]
    public void UnknownGeometryOrReferenceSizeIsNamed()
    {
        Assert.Contains("--reference-size 64", Assert.Throws<ArgumentException>(() => StudyGeometry.Get("paper", 64)).Message);
        Assert.Contains("--reference-size 56: the cifar geometry runs at the dataset's 28 px only", Assert.Throws<ArgumentException>(() => StudyGeometry.Get("cifar", 56)).Message);
        Assert.Contains("--geometry 'imagenet': unknown; geometries: paper, cifar", Assert.Throws<ArgumentException>(() => StudyGeometry.Get("imagenet")).Message);
    }

    // At layer1 (split 2, "after B2"): small 3×3/1 pad 2 without max-pool grows s by 2; mid 5×5/1 pad 2 + max-pool halves it;
    // large 7×7/2 + max-pool quarters it. By hand: (s + 2·2 − 3)/1 + 1 = s + 2; ⌈s/2⌉; s/4.
    [Theory]
    [InlineData(56, 10, 16, 14)]
    [InlineData(112, 18, 32, 28)]
    public void SubnetStemsGiveThePapersMapSizesAtLayer1(int reference, int small, int mid, int large)
    {
        var g = StudyGeometry.Paper(reference);
        var config = new MsunConfig(g.Backbone, 2, [.. g.Scales, reference]);
        Assert.Equal(["small", "mid", "large"], config.Scales.Select(s => s.Name));
        Assert.Equal(large, config.UnifiedSize);
        var spec = g.Spec;
        var expected = new[] { small, mid, large };
        for (int i = 0; i < 3; i++)
        {
            var adapted = spec.Adapt(config.Scales[i].Adaptation, 2);
            Assert.Equal(expected[i], adapted.Stages[1].OutputSize(config.Scales[i].Size));
        }

        // The real modules agree with the declared sizes, and each subnet is unified to the large subnet's map.
        torch.manual_seed(0);
        using var net = new MsunNetwork(config);
        net.eval();
        using var noGrad = torch.no_grad();
        for (int i = 0; i < 3; i++)
        {
            using var x = torch.rand(2, 1, config.Scales[i].Size, config.Scales[i].Size);
            var (logits, unified) = net.ForwardWithUnified(i, x);
            Assert.Equal([2L, 10L], logits.shape);
            long layer1Width = reference == 56 ? 32 : 16;
            Assert.Equal([2L, layer1Width, large, large], unified.shape);
            logits.Dispose();
            unified.Dispose();
        }

        // The ImageNet stem crushes the smallest test size before layer1, which is what the small subnet undoes.
        Assert.Equal(reference / 28, spec.Stages[1].OutputSize(reference / 7));
    }

    [Theory]
    [InlineData(56, 8, 0)]
    [InlineData(56, 9, 1)]
    [InlineData(56, 32, 1)]
    [InlineData(56, 36, 2)]
    [InlineData(56, 56, 2)]
    [InlineData(112, 16, 0)]
    [InlineData(112, 64, 1)]
    [InlineData(112, 72, 2)]
    public void RoutingSendsEachTestSizeToTheSmallestSubnetThatHoldsIt(int reference, int size, int branch)
    {
        var g = StudyGeometry.Paper(reference);
        torch.manual_seed(0);
        using var net = new MsunNetwork(new MsunConfig(g.Backbone, 2, [.. g.Scales, reference]));
        Assert.Equal(branch, net.Route(size));
    }

    [Fact]
    public void PaperBackbonesCostAboutWhatTheSmallResNetCostsAt28()
    {
        static long Macs(string name, int size)
        {
            torch.manual_seed(0);
            using var model = BackboneRegistry.Get(name).Create();
            return Msun.Analysis.Torch.Evaluation.MacCounter.Count(model, 1, 1, size, size).TotalMacs;
        }

        double small = Macs("resnet18-small", 28);
        Assert.InRange(Macs("resnet18-imagenet-w32", 56) / small, 0.9, 1.2);
        Assert.InRange(Macs("resnet18-imagenet-w16", 112) / small, 0.9, 1.2);
    }
}
