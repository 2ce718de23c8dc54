using Msun.Analysis.Torch.Backbones;
using Msun.Analysis.Torch.Evaluation;
using Msun.Analysis.Torch.Unified;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Tests.Backbones;

/// <summary>The README's one-file backbone, not registered: the contract, the MAC counter and the MSUN builder take it as it is.</summary>
[Collection("Torch")]
public class PlainNetTests(ITestOutputHelper output)
{
    private static readonly BackboneSpec Spec = PlainNet.Spec("plainnet", new PlainNetConfig(), 1, 10, 28);

    [Fact]
    public void KeepsTheBackboneContract()
    {
        Assert.Equal(1, Spec.MinimumInputSize); // four stride-2 convolutions with padding 1 never reach zero
        Assert.Equal([new FeatureShape(16, 14, 14), new(16, 14, 14), new(32, 7, 7), new(64, 4, 4), new(128, 2, 2)], Spec.StageOutputShapes(28));
        torch.manual_seed(1);
        using var model = Spec.Create();
        BackboneContractTests.AssertStagesMatchTheSpec(Spec, model, output);
        Assert.Contains("stage3.0.weight", model.state_dict().Keys);
        Assert.Contains("head.2.bias", model.state_dict().Keys);
    }

    [Fact]
    public void MacsAreTheHandCount()
    {
        // Conv MACs = output pixels × C_out × 9 × C_in at 28 px: 14, 14, 7, 4, 2 px per stage; then the linear head.
        long expected = 14 * 14 * 16 * 9 * 1 + 14 * 14 * 16 * 9 * 16 + 7 * 7 * 32 * 9 * 16 + 4 * 4 * 64 * 9 * 32 + 2 * 2 * 128 * 9 * 64 + 10 * 128;
        torch.manual_seed(2);
        using var model = Spec.Create();
        Assert.Equal(expected, MacCounter.Count(model, 1, 1, 28, 28).TotalMacs);
    }

    [Fact]
    public void BuildsAnMsunWithStrideOneStemsInTheSmallerSubnets()
    {
        var config = new MsunConfig(Spec, 2, [14, 21, 28]);
        Assert.Equal("plainnet", config.Backbone);
        Assert.Equal(14, config.UnifiedSize);                                   // the standard stem halves 28
        Assert.Equal(14, Spec.Adapt(ScaleAdaptation.Small, 2).Stages[1].OutputSize(14)); // stride-1 stem keeps 14

        torch.manual_seed(3);
        using var net = new MsunNetwork(config);
        long leading = 9 * 1 * 16 + 2 * 16 + 9 * 16 * 16 + 2 * 16; // stem and stage1: conv weights and BN
        using var plain = Spec.Create();
        Assert.Equal(plain.parameters().Sum(p => p.numel()) + 2 * leading, net.parameters().Sum(p => p.numel()));

        net.eval();
        using var scope = NewDisposeScope();
        var (logits, unified) = net.ForwardAllScales(torch.rand(2, 1, 28, 28));
        Assert.All(unified, z => Assert.Equal(new long[] { 2, 16, 14, 14 }, z.shape));
        Assert.All(logits, y => Assert.Equal(new long[] { 2, 10 }, y.shape));
    }
}
