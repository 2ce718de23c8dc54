using Msun.Analysis.Torch.Training;
using Msun.Analysis.Torch.Backbones;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Tests.Backbones;

/// <summary>Every registered backbone against its own spec: declared stage shapes = real ones, finite logits.</summary>
[Collection("Torch")]
public class BackboneContractTests(BackboneCache cache, ITestOutputHelper output) : IClassFixture<BackboneCache>
{
    private static string KeysFolder => Path.Combine(AppContext.BaseDirectory, "Backbones", "TorchvisionKeys");

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
    public void DeclaredStageShapesMatchTheRealOnes(string name) =>
        AssertStagesMatchTheSpec(BackboneRegistry.Get(name), cache.Get(name), output);

    /// <summary>
    /// The contract every backbone keeps, registered or not: stage i of the module is stage i of the spec, under that
    /// <c>named_modules()</c> path; at the native and the minimum size each stage output runs once with the declared
    /// shape, and the logits are finite.
    /// </summary>
    internal static void AssertStagesMatchTheSpec(BackboneSpec spec, Backbone model, ITestOutputHelper output)
    {
        // The native size and the smallest accepted one; ImageNet nets with one image, to keep the CPU time small.
        int[] sizes = [spec.NativeInputSize, spec.MinimumInputSize];
        var batch = spec.NativeInputSize >= 224 ? 1 : 2;

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
                Assert.True(logits.isfinite().all().item<bool>(), $"{spec.Name} at {size}: non-finite logits");
                output.WriteLine($"{spec.Name} @ {size}: {string.Join(" | ", declared)}");
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
    [InlineData("resnext50-32x4d", 25_028_904)]
    [InlineData("googlenet", 6_624_904)]     // torchvision's count: without the auxiliary heads
    [InlineData("inception-v3", 27_161_264)] // torchvision's count: with AuxLogits
    [InlineData("alexnet", 61_100_840)]
    public void ParameterCountsMatchTorchvision(string name, long expected)
    {
        Assert.Equal(expected, cache.Get(name).parameters().Sum(p => p.numel()));
    }

    public static TheoryData<string> TorchvisionEquivalents() => new(ReferenceKeyLists());

    private static IEnumerable<string> ReferenceKeyLists() =>
        Directory.GetFiles(KeysFolder, "*.txt").Order(StringComparer.Ordinal).Select(f => Path.GetFileNameWithoutExtension(f)!);

    /// <summary>torchvision's state_dict keys and shapes, written by TorchvisionKeys/generate.py from torchvision itself.</summary>
    [Theory]
    [MemberData(nameof(TorchvisionEquivalents))]
    public void StateDictKeysAndShapesAreTorchvisions(string name)
    {
        var expected = File.ReadAllLines(Path.Combine(KeysFolder, name + ".txt"))
            .Select(line => line.Split(' '))
            .ToDictionary(p => p[0], p => p[1] == "scalar" ? [] : p[1].Split('x').Select(long.Parse).ToArray());
        var actual = cache.Get(name).state_dict().ToDictionary(p => p.Key, p => p.Value.shape);

        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        Assert.All(expected, p => Assert.Equal(p.Value, actual[p.Key]));
    }

    [Theory]
    [InlineData("googlenet", "conv1.conv.weight", 0.01)]              // torchvision: every conv and linear N(0, 0.01) truncated
    [InlineData("googlenet", "inception4e.branch2.1.conv.weight", 0.01)]
    [InlineData("inception-v3", "Mixed_6e.branch7x7dbl_5.conv.weight", 0.1)] // torchvision: 0.1 unless the layer says otherwise
    [InlineData("inception-v3", "AuxLogits.fc.weight", 0.001)]
    public void InceptionFamilyWeightsAreDrawnWithTorchvisionsSpread(string name, string key, double std)
    {
        var weight = cache.Get(name).state_dict()[key];
        // Thousands of draws: the sample std is within a few per cent of the target (truncation at ±2 is far out at these stds).
        Assert.InRange(weight.std().item<float>(), 0.95 * std, 1.05 * std);
        Assert.InRange(weight.mean().item<float>(), -0.05 * std, 0.05 * std);
    }

    [Fact]
    public void EveryImageNetBackboneHasAReferenceKeyList()
    {
        var withKeys = ReferenceKeyLists().ToHashSet();
        Assert.All(BackboneRegistry.Specs.Where(s => s.NumClasses == 1000), s => Assert.Contains(s.Name, withKeys));
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
        ConvolutionGradientCheck.Ensure(model); // as the Trainer does: growth 12 meets a oneDNN gradient bug on some CPUs
        using var x = torch.randn(2, 1, 28, 28);
        using var y = torch.tensor(new long[] { 1, 3 });
        using var loss = nn.functional.cross_entropy(model.call(x), y);
        loss.backward();
        var grad = model.named_parameters().First(p => p.name == "features.conv0.weight").parameter.grad;
        Assert.NotNull(grad);
        Assert.True(grad.abs().sum().item<float>() > 0);
    }
}
