using Msun.Analysis.Torch.Backbones;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Tests.Backbones;

/// <summary>Every registered backbone against its own spec: declared stage shapes = real ones, finite logits.</summary>
[Collection("Torch")]
public class BackboneContractTests(BackboneCache cache, ITestOutputHelper output) : IClassFixture<BackboneCache>
{
    public static TheoryData<string> AllBackbones()
    {
        var data = new TheoryData<string>();
        foreach (var name in BackboneRegistry.Names)
        {
            data.Add(name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllBackbones))]
    public void DeclaredStageShapesMatchTheRealOnes(string name)
    {
        var spec = BackboneRegistry.Get(name);
        var model = cache.Get(name);
        var imageNet = spec.NativeInputSize == 224;
        int[] sizes = imageNet ? [224, 97] : [28, 32];
        var batch = imageNet ? 1 : 2;

        Assert.Equal(spec.StageNames, model.Stages.Select(s => s.Name));
        var named = model.named_modules().ToDictionary(p => p.name, p => p.module);
        foreach (var stage in model.Stages)
        {
            Assert.Same(stage.Module, named[stage.Name]);
        }

        model.eval();
        foreach (var size in sizes)
        {
            var captured = model.Stages.Select(_ => new List<long[]>()).ToArray();
            var removers = model.Stages.Select((stage, i) => stage.Module.register_forward_hook((m, input, result) =>
            {
                captured[i].Add(result.shape);
                return null!;
            })).ToList();
            try
            {
                torch.manual_seed(7);
                using var noGrad = torch.no_grad();
                using var x = torch.randn(batch, spec.InChannels, size, size);
                using var logits = model.call(x);

                var declared = spec.StageOutputShapes(size);
                for (var i = 0; i < declared.Count; i++)
                {
                    var only = Assert.Single(captured[i]); // each stage output module runs exactly once
                    Assert.Equal(declared[i].WithBatch(batch), only);
                }

                Assert.Equal([batch, spec.NumClasses], logits.shape);
                Assert.True(logits.isfinite().all().item<bool>(), $"{name} at {size}: non-finite logits");
                output.WriteLine($"{name} @ {size}: {string.Join(" | ", declared)}");
            }
            finally
            {
                removers.ForEach(r => r.remove());
            }
        }
    }

    [Theory]
    [InlineData("resnet18", 11_689_512)]
    [InlineData("resnet50", 25_557_032)]
    [InlineData("vgg16-bn", 138_365_992)]
    [InlineData("densenet121", 7_978_856)]
    [InlineData("mobilenetv2", 3_504_872)]
    public void ParameterCountsMatchTorchvision(string name, long expected)
    {
        Assert.Equal(expected, cache.Get(name).parameters().Sum(p => p.numel()));
    }

    [Theory]
    [InlineData("resnet18", "conv1.weight", "bn1.running_mean", "layer2.0.downsample.0.weight", "layer2.0.downsample.1.bias", "fc.bias")]
    [InlineData("resnet50", "layer1.0.conv3.weight", "layer4.2.bn3.running_var", "fc.weight")]
    [InlineData("vgg16-bn", "features.0.weight", "features.41.running_mean", "classifier.0.weight", "classifier.6.weight")]
    [InlineData("densenet121", "features.conv0.weight", "features.denseblock4.denselayer16.conv2.weight", "features.transition3.norm.bias", "features.norm5.weight", "classifier.bias")]
    [InlineData("mobilenetv2", "features.0.0.weight", "features.1.conv.1.weight", "features.17.conv.3.bias", "features.18.1.weight", "classifier.1.weight")]
    public void StateDictKeysFollowTorchvision(string name, params string[] keys)
    {
        var stateDict = cache.Get(name).state_dict();
        Assert.All(keys, k => Assert.Contains(k, stateDict.Keys));
        // Every key belongs to a torchvision submodule: no helper module leaks a second copy of a weight.
        string[] roots = ["conv1", "bn1", "layer1", "layer2", "layer3", "layer4", "fc", "features", "classifier"];
        Assert.All(stateDict.Keys, k => Assert.Contains(k.Split('.')[0], roots));
    }

    [Theory]
    [InlineData("resnet18-small")]
    [InlineData("vgg16-bn-small")]
    [InlineData("densenet-small")]
    [InlineData("mobilenetv2-small")]
    public void ChannelsAndClassesAreConfigurable(string name)
    {
        torch.manual_seed(3);
        using var model = BackboneRegistry.Get(name).Create(inChannels: 3, numClasses: 7);
        using var noGrad = torch.no_grad();
        using var x = torch.randn(2, 3, 32, 32);
        using var logits = model.call(x);
        Assert.Equal([2L, 7L], logits.shape);
        Assert.Equal(7, model.NumClasses);
    }

    [Fact]
    public void StagesComposeIntoTheFullForward()
    {
        // What a MSUN builder does: shallow stages [0, k), deep stages [k, n), head.
        var model = cache.Get("resnet18-small");
        model.eval();
        torch.manual_seed(11);
        using var noGrad = torch.no_grad();
        using var x = torch.randn(2, 1, 28, 28);
        using var full = model.call(x);
        using var shallow = model.ForwardStages(x, 0, 2);
        using var deep = model.ForwardStages(shallow, 2, model.Stages.Count);
        using var logits = model.ForwardHead(deep);
        Assert.True(full.allclose(logits));
        Assert.Throws<ArgumentException>(() => model.Stage("layer9"));
    }

    [Fact]
    public void SmallVariantsTrainOneStep()
    {
        // Gradients reach the stem through every stage: the per-stage forward keeps the autograd graph.
        torch.manual_seed(5);
        using var model = BackboneRegistry.Get("densenet-small").Create();
        model.train();
        using var x = torch.randn(2, 1, 28, 28);
        using var y = torch.tensor(new long[] { 1, 3 });
        using var loss = nn.functional.cross_entropy(model.call(x), y);
        loss.backward();
        var grad = model.named_parameters().First(p => p.name == "features.conv0.weight").parameter.grad;
        Assert.NotNull(grad);
        Assert.True(grad.abs().sum().item<float>() > 0);
    }
}
