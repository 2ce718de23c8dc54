using Msun.Analysis.Torch.Backbones;
using Msun.Analysis.Torch.Evaluation;
using Msun.Analysis.Torch.Pipeline;
using Msun.Analysis.Torch.Study;
using Msun.Analysis.Torch.Tests.Study;
using Msun.Analysis.Torch.Tests.Backbones;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Tests.Pipeline;

[Collection("Torch")]
public sealed class SubnetDepthTests(StudyFixture fixture) : IClassFixture<StudyFixture>
{
    [Theory]
    [InlineData(0, 5, 1)] // nothing scale-sensitive: the stem only, so an MSUN exists
    [InlineData(2, 5, 2)]
    [InlineData(5, 5, 4)] // MSUN needs a shared stage
    public void BuildableSplitKeepsTheRecommendationInsideOneToStagesMinusOne(int recommended, int stages, int expected)
    {
        Assert.Equal(expected, SubnetDepth.BuildableSplit(recommended, stages));
    }

    [Fact]
    public void PicksTheDepthOfAnUnregisteredBackboneAndCountsItsMsun()
    {
        var spec = PlainNet.Spec("plainnet", new PlainNetConfig(Width: 8), 1, 10, 28);
        manual_seed(5);
        using var model = spec.Create();
        var options = new ScaleStudyOptions(28, [7, 14], 64, 2, batchSize: 32);

        var choice = SubnetDepth.Pick(spec, model, fixture.Data, options, [14, 21, 28]);

        Assert.Equal(spec.StageNames, choice.Study.Profile.Blocks.Select(b => b.Name));
        Assert.Equal(SubnetDepth.BuildableSplit(choice.Recommendation.Split, 5), choice.Split);
        Assert.Equal(choice.Split, choice.Msun.Split);
        Assert.Equal(model.parameters().Sum(p => p.numel()), choice.BackboneParameters);
        // PlainNet's mid and small subnets keep the kernels, so each adds one more copy of the leading stages.
        var leading = model.Stages.Take(choice.Split).SelectMany(s => s.Modules).Sum(m => m.Module.parameters().Sum(p => p.numel()));
        Assert.Equal(choice.BackboneParameters + 2 * leading, choice.MsunParameters);
        // The large branch at the reference size is the backbone itself (standard stem, unification a no-op).
        var large = choice.Branches[^1];
        Assert.Equal(("large", 28, choice.BackboneParameters), (large.Scale, large.Size, large.Parameters));
        Assert.Equal(MacCounter.Count(model, 1, 1, 28, 28).TotalMacs, large.Macs);
        Assert.Equal(large.Macs, large.BackboneMacs);
        Assert.Contains($"Recommended split: {choice.Recommendation.Split}", choice.Describe());
        Assert.True(model.training); // the caller's module is left as it was
    }
}
