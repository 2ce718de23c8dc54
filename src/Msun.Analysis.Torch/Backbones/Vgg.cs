using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Msun.Analysis.Torch.Backbones;

/// <summary>One VGG block: <paramref name="Convs"/> × (3×3 conv, BN, ReLU) at <paramref name="Width"/> channels, then optionally a 2×2/2 max-pool. Each block is one stage.</summary>
/// <param name="Convs">Number of 3×3 convolutions.</param>
/// <param name="Width">Their output channels.</param>
/// <param name="Pool">Whether a 2×2 max-pool ends the block (then the stage output is the pool's).</param>
/// <param name="PoolStride">Stride of that max-pool: 2 normally, 1 in MSUN's small-scale subnets (kernel 2 stride 1: one pixel less).</param>
public sealed record VggBlock(int Convs, int Width, bool Pool = true, int PoolStride = 2);

/// <summary>Classifier head of a VGG.</summary>
public enum VggHead
{
    /// <summary>torchvision's: adaptive average pool to 7×7, Linear(512·49, 4096), ReLU, Dropout, Linear(4096, 4096), ReLU, Dropout, Linear(4096, classes).</summary>
    ImageNet,

    /// <summary>For small inputs: global average pool, then one Linear(width, classes).</summary>
    GlobalPool,
}

/// <summary>Everything that distinguishes one VGG (with batch norm) from another.</summary>
/// <param name="Blocks">The convolution blocks (one stage each).</param>
/// <param name="Head">Classifier head.</param>
public sealed record VggConfig(IReadOnlyList<VggBlock> Blocks, VggHead Head)
{
    /// <summary>torchvision's <c>vgg16_bn</c> (configuration "D" with batch norm).</summary>
    public static VggConfig Vgg16Bn { get; } = new(
        [new(2, 64), new(2, 128), new(3, 256), new(3, 512), new(3, 512)], VggHead.ImageNet);

    /// <summary>
    /// VGG-16-BN layout for 28–32 px inputs: widths divided by 4 (16/32/64/128/128), no pool after the
    /// first block (so 5 stages still fit a 28 px image: 28, 14, 7, 3, 1), global-pool head.
    /// </summary>
    /// <param name="baseWidth">Width of the first block; later blocks double it up to 8×.</param>
    public static VggConfig Small(int baseWidth = 16) => new(
        [new(2, baseWidth, Pool: false), new(2, 2 * baseWidth), new(3, 4 * baseWidth), new(3, 8 * baseWidth), new(3, 8 * baseWidth)],
        VggHead.GlobalPool);

    /// <summary>
    /// MSUN's per-scale VGG subnet (blocks <c>[0, split)</c>): small puts every max-pool inside the subnet at stride
    /// 1, mid only the last one; blocks after the split are untouched (they belong to the shared network).
    /// </summary>
    public VggConfig Adapt(ScaleAdaptation adaptation, int split)
    {
        var pooled = Enumerable.Range(0, Math.Min(split, Blocks.Count)).Where(i => Blocks[i].Pool).ToArray();
        var toStrideOne = adaptation switch
        {
            ScaleAdaptation.Standard => [],
            ScaleAdaptation.Mid => pooled.Length == 0 ? [] : new[] { pooled[^1] },
            ScaleAdaptation.Small => pooled,
            _ => throw new ArgumentOutOfRangeException(nameof(adaptation), adaptation, "unknown scale adaptation."),
        };
        return this with { Blocks = Blocks.Select((b, i) => toStrideOne.Contains(i) ? b with { PoolStride = 1 } : b).ToArray() };
    }

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Blocks);
        if (Blocks.Count == 0 || Blocks.Any(b => b.Convs < 1 || b.Width < 1 || b.PoolStride < 1))
        {
            throw new ArgumentException("A VGG needs at least one block, each with at least one convolution of positive width.");
        }
    }
}

/// <summary>
/// VGG with batch norm (Simonyan &amp; Zisserman 2015), torchvision-equivalent: <c>features.i</c>
/// indices, <c>classifier.0/3/6</c>, same initialisation. Stages: the end of each block (the
/// max-pool, as in the paper's "after each max-pool", or the last ReLU of a block without one).
/// </summary>
public sealed class Vgg : Backbone
{
    private readonly Sequential features;
    private readonly Module<Tensor, Tensor> avgpool;
    private readonly Module<Tensor, Tensor> flatten;
    private readonly Module<Tensor, Tensor> classifier;

    /// <summary>Builds a freshly initialised VGG.</summary>
    public Vgg(VggConfig config, int inChannels, int numClasses) : base(nameof(Vgg), inChannels, numClasses)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();

        features = Sequential();
        var stageModules = new List<List<(string, Module<Tensor, Tensor>)>>();
        var index = 0;
        long channels = inChannels;
        foreach (var block in config.Blocks)
        {
            var run = new List<(string, Module<Tensor, Tensor>)>();
            void Add(Module<Tensor, Tensor> m)
            {
                features.append(m);
                run.Add(($"features.{index++}", m));
            }

            for (var i = 0; i < block.Convs; i++)
            {
                Add(Conv2d(channels, block.Width, 3, padding: 1));
                Add(BatchNorm2d(block.Width));
                Add(ReLU());
                channels = block.Width;
            }

            if (block.Pool)
            {
                Add(MaxPool2d(2, block.PoolStride));
            }

            stageModules.Add(run);
        }

        if (config.Head == VggHead.ImageNet)
        {
            avgpool = AdaptiveAvgPool2d((7, 7));
            flatten = Flatten(1);
            classifier = Sequential(
                Linear(channels * 7 * 7, 4096), ReLU(), Dropout(0.5),
                Linear(4096, 4096), ReLU(), Dropout(0.5),
                Linear(4096, numClasses));
        }
        else
        {
            avgpool = AdaptiveAvgPool2d(1);
            flatten = Flatten(1);
            classifier = Linear(channels, numClasses);
        }

        RegisterComponents();
        Init.Apply(this, init.FanInOut.FanOut, linearStd: 0.01, zeroLinearBias: true);
        SetStages(stageModules.Select(r => new BackboneStage(r)).ToArray());
    }


    /// <summary>Describes a VGG as data, from the same config the module uses.</summary>
    public static BackboneSpec Spec(string name, string description, VggConfig config, int inChannels, int numClasses, int nativeInputSize)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var ops = new List<SpatialOp>();
        var stages = new List<StageSpec>();
        var index = 0;
        foreach (var block in config.Blocks)
        {
            index += 3 * block.Convs;
            if (block.Pool)
            {
                ops.Add(SpatialOp.MaxPool(2, block.PoolStride));
                index++;
            }

            stages.Add(new StageSpec($"features.{index - 1}", block.Width, ops.ToArray()));
        }

        return new BackboneSpec(name, description, inChannels, numClasses, nativeInputSize, stages,
            (c, k) => new Vgg(config, c, k),
            (a, split) => Spec($"{name}@{a.ToName()}", $"{description} Max-pools inside the first {split} blocks adapted for MSUN's {a.ToName()} scale.",
                config.Adapt(a, split), inChannels, numClasses, nativeInputSize));
    }

    /// <inheritdoc />
    public override Tensor ForwardHead(Tensor features)
    {
        using var scope = torch.NewDisposeScope();
        return classifier.call(flatten.call(avgpool.call(features))).MoveToOuterDisposeScope();
    }
}
