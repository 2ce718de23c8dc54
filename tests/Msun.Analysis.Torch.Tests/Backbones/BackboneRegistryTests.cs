using Msun.Analysis.Torch.Backbones;

namespace Msun.Analysis.Torch.Tests.Backbones;

/// <summary>Spec arithmetic only: no module is built, so these need no libtorch.</summary>
public class BackboneRegistryTests
{
    [Fact]
    public void RegistersThePapersBackbonesAndSmallVariants()
    {
        Assert.Equal(
            ["resnet18", "resnet50", "vgg16-bn", "densenet121", "mobilenetv2",
             "resnext50-32x4d", "googlenet", "inception-v3", "alexnet",
             "resnet18-small", "vgg16-bn-small", "densenet-small", "resnet18-imagenet-w32", "resnet18-imagenet-w16", "mobilenetv2-small"],
            BackboneRegistry.Names);
        Assert.All(BackboneRegistry.Specs, s => Assert.Equal(5, s.Stages.Count));
    }

    [Fact]
    public void UnknownNameListsTheKnownOnes()
    {
        var ex = Assert.Throws<ArgumentException>(() => BackboneRegistry.Get("resnet99"));
        Assert.Contains("resnet99", ex.Message);
        Assert.All(BackboneRegistry.Names, n => Assert.Contains(n, ex.Message));
        Assert.False(BackboneRegistry.TryGet("resnet99", out _));
    }

    [Fact]
    public void LookupIgnoresCase()
    {
        Assert.Same(BackboneRegistry.Get("resnet50"), BackboneRegistry.Get("ResNet50"));
    }

    [Fact]
    public void ResNet50DeclaresTheTextbookShapesAt224()
    {
        var spec = BackboneRegistry.Get("resnet50");
        Assert.Equal(["maxpool", "layer1", "layer2", "layer3", "layer4"], spec.StageNames);
        Assert.Equal(
            [new FeatureShape(64, 56, 56), new(256, 56, 56), new(512, 28, 28), new(1024, 14, 14), new(2048, 7, 7)],
            spec.StageOutputShapes(224));
        Assert.Equal([4, 4, 8, 16, 32], spec.Stages.Select(s => s.Stride));
    }

    [Fact]
    public void RoundingFollowsEachLayerType()
    {
        // 97 px: a strided 3×3/7×7 convolution or 3×3/2/1 pool gives ceil(97/2) = 49; a 2×2/2 pool gives floor = 48.
        Assert.Equal([25, 25, 13, 7, 4], BackboneRegistry.Get("resnet18").StageOutputShapes(97).Select(s => s.Height));
        Assert.Equal([48, 24, 12, 6, 3], BackboneRegistry.Get("vgg16-bn").StageOutputShapes(97).Select(s => s.Height));
        Assert.Equal([25, 25, 12, 6, 3], BackboneRegistry.Get("densenet121").StageOutputShapes(97).Select(s => s.Height));
        Assert.Equal([49, 25, 13, 7, 4], BackboneRegistry.Get("mobilenetv2").StageOutputShapes(97).Select(s => s.Height));
        Assert.Equal([28, 14, 7, 3, 1], BackboneRegistry.Get("vgg16-bn-small").StageOutputShapes(28).Select(s => s.Height));
    }

    [Fact]
    public void NonSquareInputsUseEachAxisSeparately()
    {
        var shapes = BackboneRegistry.Get("resnet18-small").StageOutputShapes(28, 32);
        Assert.Equal(new FeatureShape(128, 4, 4), shapes[^1]);
        Assert.Equal(new FeatureShape(16, 28, 32), shapes[0]);
    }

    [Fact]
    public void TooSmallInputsAreRejectedWithTheStageName()
    {
        var spec = BackboneRegistry.Get("vgg16-bn");
        Assert.Equal(32, spec.MinimumInputSize);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => spec.StageOutputShapes(31));
        Assert.Contains("features.43", ex.Message);
        Assert.Equal(1, BackboneRegistry.Get("resnet18-small").MinimumInputSize);
    }

    [Fact]
    public void UnknownStageNameListsTheStages()
    {
        var spec = BackboneRegistry.Get("densenet121");
        Assert.Equal(2, spec.StageIndex("features.denseblock2"));
        var ex = Assert.Throws<ArgumentException>(() => spec.StageIndex("features.denseblock9"));
        Assert.All(spec.StageNames, n => Assert.Contains(n, ex.Message));
    }
}
