using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Msun.Analysis.Torch.Backbones;

/// <summary>Everything that distinguishes one DenseNet-BC from another.</summary>
/// <param name="GrowthRate">Channels each dense layer adds.</param>
/// <param name="BlockConfig">Dense layers per block (four blocks: four stages after the stem).</param>
/// <param name="NumInitFeatures">Channels of the stem convolution.</param>
/// <param name="BnSize">Bottleneck factor: the 1×1 convolution outputs <c>BnSize × GrowthRate</c> channels.</param>
/// <param name="Stem">First convolution and whether a max-pool (<c>pool0</c>) follows.</param>
public sealed record DenseNetConfig(int GrowthRate, IReadOnlyList<int> BlockConfig, int NumInitFeatures, int BnSize, ConvStem Stem)
{
    /// <summary>torchvision's <c>densenet121</c> (growth 32, blocks 6/12/24/16, 64 initial features).</summary>
    public static DenseNetConfig DenseNet121 { get; } = new(32, [6, 12, 24, 16], 64, 4, ConvStem.ImageNet);

    /// <summary>A DenseNet-BC for 28–32 px inputs: CIFAR stem, growth 12, four blocks of 6 layers, 24 initial features.</summary>
    public static DenseNetConfig Small(int growthRate = 12) => new(growthRate, [6, 6, 6, 6], 2 * growthRate, 4, ConvStem.Cifar);

    /// <summary>Output channels of the stem and of each dense block (transitions halve, rounding down).</summary>
    internal IReadOnlyList<int> StageChannels()
    {
        var result = new List<int> { NumInitFeatures };
        var c = NumInitFeatures;
        for (var i = 0; i < BlockConfig.Count; i++)
        {
            c += BlockConfig[i] * GrowthRate;
            result.Add(c);
            if (i != BlockConfig.Count - 1)
            {
                c /= 2;
            }
        }

        return result;
    }

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(BlockConfig);
        ArgumentNullException.ThrowIfNull(Stem);
        if (BlockConfig.Count == 0 || BlockConfig.Any(n => n < 1) || GrowthRate < 1 || NumInitFeatures < 1 || BnSize < 1)
        {
            throw new ArgumentException("DenseNet sizes must be positive and there must be at least one block.");
        }

        Stem.Validate();
    }
}

/// <summary>
/// DenseNet-BC (Huang et al. 2017), torchvision-equivalent: <c>features.conv0</c>,
/// <c>features.denseblock1.denselayer1.norm1</c>, <c>features.transition1.conv</c>,
/// <c>features.norm5</c>, <c>classifier</c>; same initialisation. Stages: after <c>pool0</c> (or
/// <c>relu0</c> without one), then each <c>denseblockN</c> (before its transition).
/// </summary>
public sealed class DenseNet : Backbone
{
    private readonly Sequential features;
    private readonly Module<Tensor, Tensor> relu;
    private readonly Module<Tensor, Tensor> avgpool;
    private readonly Module<Tensor, Tensor> flatten;
    private readonly Module<Tensor, Tensor> classifier;
    // Lives inside 'features' (key features.norm5); kept in an array so RegisterComponents does not register it a second time.
    private readonly Module<Tensor, Tensor>[] featuresTail;

    /// <summary>Builds a freshly initialised DenseNet.</summary>
    public DenseNet(DenseNetConfig config, int inChannels, int numClasses) : base(nameof(DenseNet), inChannels, numClasses)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();

        var stem = config.Stem;
        var stemRun = new List<(string, Module<Tensor, Tensor>)>
        {
            ("conv0", Conv2d(inChannels, config.NumInitFeatures, stem.Kernel, stride: stem.Stride, padding: stem.Padding, bias: false)),
            ("norm0", BatchNorm2d(config.NumInitFeatures)),
            ("relu0", ReLU()),
        };
        if (stem.MaxPool)
        {
            stemRun.Add(("pool0", MaxPool2d(3, 2, 1)));
        }

        var named = new List<(string, Module<Tensor, Tensor>)>(stemRun);
        var runs = new List<List<(string, Module<Tensor, Tensor>)>> { stemRun };
        var pending = new List<(string, Module<Tensor, Tensor>)>();
        long c = config.NumInitFeatures;
        for (var i = 0; i < config.BlockConfig.Count; i++)
        {
            var block = new DenseBlock(config.BlockConfig[i], c, config.BnSize, config.GrowthRate);
            c += config.BlockConfig[i] * config.GrowthRate;
            named.Add(($"denseblock{i + 1}", block));
            pending.Add(($"denseblock{i + 1}", block));
            runs.Add(pending);
            pending = [];
            if (i != config.BlockConfig.Count - 1)
            {
                var transition = Transition(c, c / 2);
                named.Add(($"transition{i + 1}", transition));
                pending.Add(($"transition{i + 1}", transition));
                c /= 2;
            }
        }

        var norm5 = BatchNorm2d(c);
        featuresTail = [norm5];
        named.Add(("norm5", norm5));
        features = Sequential(named.ToArray());
        relu = ReLU();
        avgpool = AdaptiveAvgPool2d(1);
        flatten = Flatten(1);
        classifier = Linear(c, numClasses);

        RegisterComponents();
        Init.Apply(this, init.FanInOut.FanIn, linearStd: null, zeroLinearBias: true);
        SetStages(runs.Select(r => new BackboneStage(r.Select(p => ($"features.{p.Item1}", p.Item2)).ToArray())).ToArray());
    }


    /// <summary>Describes a DenseNet as data, from the same config the module uses.</summary>
    public static BackboneSpec Spec(string name, string description, DenseNetConfig config, int inChannels, int numClasses, int nativeInputSize)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var channels = config.StageChannels();
        var ops = new List<SpatialOp>(config.Stem.Reductions());
        var stages = new List<StageSpec> { new(config.Stem.MaxPool ? "features.pool0" : "features.relu0", channels[0], ops.ToArray()) };
        for (var i = 0; i < config.BlockConfig.Count; i++)
        {
            if (i > 0)
            {
                ops.Add(SpatialOp.AvgPool(2, 2)); // transition{i}.pool: floor(in / 2)
            }

            stages.Add(new StageSpec($"features.denseblock{i + 1}", channels[i + 1], ops.ToArray()));
        }

        return new BackboneSpec(name, description, inChannels, numClasses, nativeInputSize, stages,
            (ch, k) => new DenseNet(config, ch, k),
            (a, _) => Spec($"{name}@{a.ToName()}", $"{description} Stem adapted for MSUN's {a.ToName()} scale.",
                config with { Stem = config.Stem.Adapt(a) }, inChannels, numClasses, nativeInputSize));
    }

    /// <inheritdoc />
    public override Tensor ForwardHead(Tensor features)
    {
        using var scope = torch.NewDisposeScope();
        return classifier.call(flatten.call(avgpool.call(relu.call(featuresTail[0].call(features))))).MoveToOuterDisposeScope();
    }

    /// <summary>BN, ReLU, 1×1 convolution halving the channels, 2×2/2 average pool (torchvision's <c>_Transition</c>).</summary>
    private static Sequential Transition(long inChannels, long outChannels) => Sequential(
        ("norm", BatchNorm2d(inChannels)),
        ("relu", ReLU()),
        ("conv", Conv2d(inChannels, outChannels, 1, bias: false)),
        ("pool", AvgPool2d(2, 2)));

    /// <summary>Dense layers <c>denselayer1..n</c>, each fed the concatenation of the block input and all earlier layer outputs.</summary>
    private sealed class DenseBlock : Module<Tensor, Tensor>
    {
        private readonly DenseLayer[] layers;

        public DenseBlock(int numLayers, long inChannels, int bnSize, int growthRate) : base(nameof(DenseBlock))
        {
            layers = new DenseLayer[numLayers];
            for (var i = 0; i < numLayers; i++)
            {
                layers[i] = new DenseLayer(inChannels + (long)i * growthRate, bnSize, growthRate);
                register_module($"denselayer{i + 1}", layers[i]);
            }
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = torch.NewDisposeScope();
            var x = input;
            foreach (var layer in layers)
            {
                var next = torch.cat([x, layer.call(x)], 1);
                x = next;
            }

            return x.MoveToOuterDisposeScope();
        }
    }

    /// <summary>BN, ReLU, 1×1 conv to <c>bnSize × growth</c>, BN, ReLU, 3×3 conv to <c>growth</c> (torchvision's <c>_DenseLayer</c>).</summary>
    private sealed class DenseLayer : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> norm1;
        private readonly Module<Tensor, Tensor> relu1;
        private readonly Module<Tensor, Tensor> conv1;
        private readonly Module<Tensor, Tensor> norm2;
        private readonly Module<Tensor, Tensor> relu2;
        private readonly Module<Tensor, Tensor> conv2;

        public DenseLayer(long inChannels, int bnSize, int growthRate) : base(nameof(DenseLayer))
        {
            norm1 = BatchNorm2d(inChannels);
            relu1 = ReLU();
            conv1 = Conv2d(inChannels, (long)bnSize * growthRate, 1, bias: false);
            norm2 = BatchNorm2d((long)bnSize * growthRate);
            relu2 = ReLU();
            conv2 = Conv2d((long)bnSize * growthRate, growthRate, 3, padding: 1, bias: false);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = torch.NewDisposeScope();
            var x = conv1.call(relu1.call(norm1.call(input)));
            return conv2.call(relu2.call(norm2.call(x))).MoveToOuterDisposeScope();
        }
    }
}
