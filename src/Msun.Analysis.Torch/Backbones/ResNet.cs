using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Msun.Analysis.Torch.Backbones;

/// <summary>Residual block type: two 3×3 convolutions (ResNet-18/34) or 1×1–3×3–1×1 with expansion 4 (ResNet-50+).</summary>
public enum ResNetBlockKind
{
    /// <summary>torchvision's <c>BasicBlock</c> (expansion 1).</summary>
    Basic,

    /// <summary>torchvision's <c>Bottleneck</c>, stride on the 3×3 convolution ("ResNet v1.5"), expansion 4.</summary>
    Bottleneck,
}

/// <summary>Everything that distinguishes one ResNet from another; the module and its spec are both built from it.</summary>
/// <param name="Block">Block type.</param>
/// <param name="Layers">Blocks in layer1..layer4 (exactly four entries).</param>
/// <param name="Widths">Planes of layer1..layer4 (exactly four); the stem outputs <c>Widths[0]</c> channels, layer i outputs <c>Widths[i] × expansion</c>.</param>
/// <param name="Stem">First convolution and whether a max-pool follows.</param>
/// <param name="Groups">Groups of a bottleneck's 3×3 convolution (ResNeXt's cardinality; 1 for ResNet).</param>
/// <param name="WidthPerGroup">Channels per group at <c>Widths[0]</c> = 64 (torchvision's <c>width_per_group</c>): a bottleneck's inner width is <c>planes × WidthPerGroup / 64 × Groups</c>.</param>
public sealed record ResNetConfig(ResNetBlockKind Block, IReadOnlyList<int> Layers, IReadOnlyList<int> Widths, ConvStem Stem,
    int Groups = 1, int WidthPerGroup = 64)
{
    /// <summary>torchvision's <c>resnet18</c>.</summary>
    public static ResNetConfig ResNet18 { get; } = new(ResNetBlockKind.Basic, [2, 2, 2, 2], [64, 128, 256, 512], ConvStem.ImageNet);

    /// <summary>torchvision's <c>resnet50</c>.</summary>
    public static ResNetConfig ResNet50 { get; } = new(ResNetBlockKind.Bottleneck, [3, 4, 6, 3], [64, 128, 256, 512], ConvStem.ImageNet);

    /// <summary>torchvision's <c>resnext50_32x4d</c>: ResNet-50 with 32 groups of 4 channels in the first bottleneck 3×3 (inner widths 128/256/512/1024).</summary>
    public static ResNetConfig ResNeXt50 { get; } = ResNet50 with { Groups = 32, WidthPerGroup = 4 };

    /// <summary>ResNet-18 layout for 28–32 px inputs: CIFAR stem (3×3 stride 1, no max-pool) and reduced widths.</summary>
    /// <param name="baseWidth">Planes of layer1; later layers double it (16 gives 16/32/64/128).</param>
    public static ResNetConfig Small(int baseWidth = 16) =>
        new(ResNetBlockKind.Basic, [2, 2, 2, 2], [baseWidth, 2 * baseWidth, 4 * baseWidth, 8 * baseWidth], ConvStem.Cifar);

    /// <summary>ResNet-18 layout with torchvision's ImageNet stem (7×7 stride 2 + max-pool) and reduced widths: the paper's geometry on a CPU.</summary>
    /// <param name="baseWidth">Planes of layer1; later layers double it (32 gives 32/64/128/256).</param>
    public static ResNetConfig ImageNetStem(int baseWidth) =>
        new(ResNetBlockKind.Basic, [2, 2, 2, 2], [baseWidth, 2 * baseWidth, 4 * baseWidth, 8 * baseWidth], ConvStem.ImageNet);

    /// <summary>Channel multiplier of the last convolution of a block.</summary>
    public int Expansion => Block == ResNetBlockKind.Bottleneck ? 4 : 1;

    /// <summary>Inner (3×3) width of a bottleneck with <paramref name="planes"/> planes; torchvision's <c>int(planes * (base_width / 64.)) * groups</c>.</summary>
    internal long BottleneckWidth(long planes) => planes * WidthPerGroup / 64 * Groups;

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Layers);
        ArgumentNullException.ThrowIfNull(Widths);
        ArgumentNullException.ThrowIfNull(Stem);
        if (Layers.Count != 4 || Widths.Count != 4)
        {
            throw new ArgumentException($"A ResNet has 4 layers; got {Layers.Count} block counts and {Widths.Count} widths.");
        }

        if (Layers.Any(n => n < 1) || Widths.Any(w => w < 1) || Groups < 1 || WidthPerGroup < 1)
        {
            throw new ArgumentException("Block counts, widths, groups and width per group must be positive.");
        }

        if (Block == ResNetBlockKind.Basic && (Groups != 1 || WidthPerGroup != 64))
        {
            throw new ArgumentException("A basic-block ResNet has no groups (torchvision: BasicBlock only supports groups=1 and base_width=64).");
        }

        Stem.Validate();
    }
}

/// <summary>
/// ResNet (He et al. 2016), torchvision-equivalent: same layers, same state_dict keys
/// (<c>conv1, bn1, layer1.0.conv1, layer2.0.downsample.0, fc</c>, ...), same initialisation.
/// Stages: stem output (after <c>maxpool</c>, or <c>relu</c> without one), then <c>layer1..layer4</c>.
/// </summary>
public sealed class ResNet : Backbone
{
    private readonly Module<Tensor, Tensor> conv1;
    private readonly Module<Tensor, Tensor> bn1;
    private readonly Module<Tensor, Tensor> relu;
    private readonly Module<Tensor, Tensor>? maxpool;
    private readonly Module<Tensor, Tensor> layer1;
    private readonly Module<Tensor, Tensor> layer2;
    private readonly Module<Tensor, Tensor> layer3;
    private readonly Module<Tensor, Tensor> layer4;
    private readonly Module<Tensor, Tensor> avgpool;
    private readonly Module<Tensor, Tensor> flatten;
    private readonly Module<Tensor, Tensor> fc;

    /// <summary>Builds a freshly initialised ResNet.</summary>
    public ResNet(ResNetConfig config, int inChannels, int numClasses) : base(nameof(ResNet), inChannels, numClasses)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();

        var stem = config.Stem;
        var w = config.Widths;
        conv1 = Conv2d(inChannels, w[0], stem.Kernel, stride: stem.Stride, padding: stem.Padding, bias: false);
        bn1 = BatchNorm2d(w[0]);
        relu = ReLU();
        maxpool = stem.MaxPool ? new ChannelsLastMaxPool2d(3, 2, 1) : null;

        var inPlanes = (long)w[0];
        layer1 = MakeLayer(config, ref inPlanes, w[0], config.Layers[0], stride: 1);
        layer2 = MakeLayer(config, ref inPlanes, w[1], config.Layers[1], stride: 2);
        layer3 = MakeLayer(config, ref inPlanes, w[2], config.Layers[2], stride: 2);
        layer4 = MakeLayer(config, ref inPlanes, w[3], config.Layers[3], stride: 2);
        avgpool = AdaptiveAvgPool2d(1);
        flatten = Flatten(1);
        fc = Linear(inPlanes, numClasses);

        RegisterComponents();
        Init.Apply(this, init.FanInOut.FanOut, linearStd: null, zeroLinearBias: false);

        var stemModules = new List<(string, Module<Tensor, Tensor>)> { ("conv1", conv1), ("bn1", bn1), ("relu", relu) };
        if (maxpool is not null)
        {
            stemModules.Add(("maxpool", maxpool));
        }

        SetStages(
            new BackboneStage(stemModules),
            new BackboneStage([("layer1", layer1)]),
            new BackboneStage([("layer2", layer2)]),
            new BackboneStage([("layer3", layer3)]),
            new BackboneStage([("layer4", layer4)]));
    }


    /// <summary>Describes a ResNet as data: stages, channels and size-changing layers, from the same config the module uses.</summary>
    public static BackboneSpec Spec(string name, string description, ResNetConfig config, int inChannels, int numClasses, int nativeInputSize)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var ops = new List<SpatialOp>(config.Stem.Reductions());
        var stages = new List<StageSpec> { new(config.Stem.MaxPool ? "maxpool" : "relu", config.Widths[0], ops.ToArray()) };
        for (var i = 0; i < 4; i++)
        {
            if (i > 0)
            {
                ops.Add(SpatialOp.Conv(3, 2, 1)); // first block's strided 3×3 (conv1 in BasicBlock, conv2 in Bottleneck)
            }

            stages.Add(new StageSpec($"layer{i + 1}", config.Widths[i] * config.Expansion, ops.ToArray()));
        }

        return new BackboneSpec(name, description, inChannels, numClasses, nativeInputSize, stages,
            (c, k) => new ResNet(config, c, k),
            (a, _) => Spec($"{name}@{a.ToName()}", $"{description} Stem adapted for MSUN's {a.ToName()} scale.",
                config with { Stem = config.Stem.Adapt(a) }, inChannels, numClasses, nativeInputSize));
    }

    /// <inheritdoc />
    public override Tensor ForwardHead(Tensor features)
    {
        using var scope = torch.NewDisposeScope();
        var x = fc.call(flatten.call(avgpool.call(features)));
        return x.MoveToOuterDisposeScope();
    }

    private static Sequential MakeLayer(ResNetConfig config, ref long inPlanes, int planes, int blocks, int stride)
    {
        var outPlanes = (long)planes * config.Expansion;
        var layer = Sequential();
        for (var b = 0; b < blocks; b++)
        {
            var s = b == 0 ? stride : 1;
            Module<Tensor, Tensor>? downsample = null;
            if (s != 1 || inPlanes != outPlanes)
            {
                downsample = Sequential(Conv2d(inPlanes, outPlanes, 1, stride: s, bias: false), BatchNorm2d(outPlanes));
            }

            layer.append(config.Block == ResNetBlockKind.Bottleneck
                ? new Bottleneck(inPlanes, planes, config.BottleneckWidth(planes), config.Groups, s, downsample)
                : new BasicBlock(inPlanes, planes, s, downsample));
            inPlanes = outPlanes;
        }

        return layer;
    }

    /// <summary>Two 3×3 convolutions with a residual connection (torchvision's <c>BasicBlock</c>).</summary>
    private sealed class BasicBlock : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> conv1;
        private readonly Module<Tensor, Tensor> bn1;
        private readonly Module<Tensor, Tensor> relu;
        private readonly Module<Tensor, Tensor> conv2;
        private readonly Module<Tensor, Tensor> bn2;
        private readonly Module<Tensor, Tensor>? downsample;

        public BasicBlock(long inPlanes, long planes, long stride, Module<Tensor, Tensor>? downsample) : base(nameof(BasicBlock))
        {
            conv1 = Conv2d(inPlanes, planes, 3, stride: stride, padding: 1, bias: false);
            bn1 = BatchNorm2d(planes);
            relu = ReLU();
            conv2 = Conv2d(planes, planes, 3, padding: 1, bias: false);
            bn2 = BatchNorm2d(planes);
            this.downsample = downsample;
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = torch.NewDisposeScope();
            var x = relu.call(bn1.call(conv1.call(input)));
            x = bn2.call(conv2.call(x));
            var identity = downsample is null ? input : downsample.call(input);
            return relu.call(x + identity).MoveToOuterDisposeScope();
        }
    }

    /// <summary>1×1 reduce, 3×3 (strided, grouped for ResNeXt), 1×1 expand to planes ×4, with a residual connection (torchvision's <c>Bottleneck</c>).</summary>
    private sealed class Bottleneck : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> conv1;
        private readonly Module<Tensor, Tensor> bn1;
        private readonly Module<Tensor, Tensor> conv2;
        private readonly Module<Tensor, Tensor> bn2;
        private readonly Module<Tensor, Tensor> conv3;
        private readonly Module<Tensor, Tensor> bn3;
        private readonly Module<Tensor, Tensor> relu;
        private readonly Module<Tensor, Tensor>? downsample;

        public Bottleneck(long inPlanes, long planes, long width, long groups, long stride, Module<Tensor, Tensor>? downsample) : base(nameof(Bottleneck))
        {
            conv1 = Conv2d(inPlanes, width, 1, bias: false);
            bn1 = BatchNorm2d(width);
            conv2 = Conv2d(width, width, 3, stride: stride, padding: 1, groups: groups, bias: false);
            bn2 = BatchNorm2d(width);
            conv3 = Conv2d(width, planes * 4, 1, bias: false);
            bn3 = BatchNorm2d(planes * 4);
            relu = ReLU();
            this.downsample = downsample;
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = torch.NewDisposeScope();
            var x = relu.call(bn1.call(conv1.call(input)));
            x = relu.call(bn2.call(conv2.call(x)));
            x = bn3.call(conv3.call(x));
            var identity = downsample is null ? input : downsample.call(input);
            return relu.call(x + identity).MoveToOuterDisposeScope();
        }
    }
}
