using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Msun.Analysis.Torch.Backbones;

/// <summary>One row of MobileNetV2's table: <paramref name="Repeats"/> inverted-residual blocks with expansion <paramref name="Expansion"/>, output <paramref name="Channels"/> (before the width multiplier); the first block has stride <paramref name="Stride"/>.</summary>
/// <param name="Expansion">Expansion factor t.</param>
/// <param name="Channels">Output channels c (scaled by the width multiplier, rounded to a multiple of 8).</param>
/// <param name="Repeats">Number of blocks n.</param>
/// <param name="Stride">Stride s of the first block (its depthwise 3×3).</param>
public sealed record InvertedResidualSetting(int Expansion, int Channels, int Repeats, int Stride);

/// <summary>Everything that distinguishes one MobileNetV2 from another.</summary>
/// <param name="WidthMultiplier">Scales every width (the last 1280 is never scaled down).</param>
/// <param name="FirstStride">Stride of the first 3×3 convolution (<c>features.0</c>).</param>
/// <param name="Settings">The seven rows of the table; stages end after rows 0, 1, 2 and 4 and at the final 1×1 convolution.</param>
/// <param name="Dropout">Dropout before the classifier.</param>
/// <param name="FirstKernel">Kernel of the first convolution (3; MSUN's small-scale subnet uses 1), padding (k−1)/2.</param>
public sealed record MobileNetV2Config(double WidthMultiplier, int FirstStride, IReadOnlyList<InvertedResidualSetting> Settings, double Dropout = 0.2, int FirstKernel = 3)
{
    /// <summary>torchvision's <c>mobilenet_v2</c> (width 1.0).</summary>
    public static MobileNetV2Config ImageNet { get; } = new(1.0, 2,
        [new(1, 16, 1, 1), new(6, 24, 2, 2), new(6, 32, 3, 2), new(6, 64, 4, 2), new(6, 96, 3, 1), new(6, 160, 3, 2), new(6, 320, 1, 1)]);

    /// <summary>
    /// CIFAR-style MobileNetV2 for 28–32 px inputs: stride-1 first convolution and stride 1 in the
    /// 24-channel row, so the total reduction is 8 (28 px → 4×4 at the end).
    /// </summary>
    /// <param name="widthMultiplier">Width multiplier (0.5 halves the inverted-residual widths).</param>
    public static MobileNetV2Config Small(double widthMultiplier = 0.5) => new(widthMultiplier, 1,
        [new(1, 16, 1, 1), new(6, 24, 2, 1), new(6, 32, 3, 2), new(6, 64, 4, 2), new(6, 96, 3, 1), new(6, 160, 3, 2), new(6, 320, 1, 1)]);

    /// <summary>Row indices after which a stage ends (the ends of ImageNet's 1/2, 1/4, 1/8 and 1/16 resolution levels).</summary>
    internal static IReadOnlyList<int> StageEndRows { get; } = [0, 1, 2, 4];

    /// <summary>Channels of the first convolution.</summary>
    internal int InputChannels => MakeDivisible(32 * WidthMultiplier);

    /// <summary>Channels of the final 1×1 convolution.</summary>
    internal int LastChannels => MakeDivisible(1280 * Math.Max(1.0, WidthMultiplier));

    /// <summary>Output channels of a table row after the width multiplier.</summary>
    internal int RowChannels(int row) => MakeDivisible(Settings[row].Channels * WidthMultiplier);

    /// <summary>torchvision's <c>_make_divisible</c>: nearest multiple of 8, at least 8, never more than 10 % below <paramref name="v"/>.</summary>
    internal static int MakeDivisible(double v, int divisor = 8)
    {
        var rounded = Math.Max(divisor, (int)(v + divisor / 2.0) / divisor * divisor);
        return rounded < 0.9 * v ? rounded + divisor : rounded;
    }

    /// <summary>
    /// MSUN's per-scale MobileNetV2 subnet (stages <c>[0, split)</c>): mid gets a stride-1 first convolution; small a
    /// 1×1 stride-1 first convolution and stride 1 in every table row that ends inside the subnet (at the paper's
    /// split these are the depthwise convolutions of blocks 2 and 4).
    /// </summary>
    public MobileNetV2Config Adapt(ScaleAdaptation adaptation, int split) => adaptation switch
    {
        ScaleAdaptation.Standard => this,
        ScaleAdaptation.Mid => this with { FirstStride = 1 },
        ScaleAdaptation.Small => this with
        {
            FirstStride = 1,
            FirstKernel = 1,
            // Stage j (j < 4) ends after row StageEndRows[j]; the subnet holds stages 0..split−1.
            Settings = Settings.Select((s, row) =>
                row <= StageEndRows[Math.Min(split - 1, StageEndRows.Count - 1)] ? s with { Stride = 1 } : s).ToArray(),
        },
        _ => throw new ArgumentOutOfRangeException(nameof(adaptation), adaptation, "unknown scale adaptation."),
    };

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Settings);
        if (Settings.Count != 7)
        {
            throw new ArgumentException($"MobileNetV2 has 7 table rows (stage ends are defined on them); got {Settings.Count}.");
        }

        if (WidthMultiplier <= 0 || FirstStride < 1 || FirstKernel < 1 || FirstKernel % 2 == 0 || Settings.Any(s => s.Expansion < 1 || s.Channels < 1 || s.Repeats < 1 || s.Stride < 1))
        {
            throw new ArgumentException("MobileNetV2 widths, strides, repeats and expansions must be positive.");
        }
    }
}

/// <summary>
/// MobileNetV2 (Sandler et al. 2018), torchvision-equivalent: <c>features.0.0</c>,
/// <c>features.1.conv.0.0</c>, <c>features.18.1</c>, <c>classifier.1</c>; same initialisation.
/// Stages: <c>features.1</c>, <c>features.3</c>, <c>features.6</c>, <c>features.13</c> (ends of the
/// 16-, 24-, 32- and 96-channel rows) and <c>features.18</c> (the final 1×1 to 1280 channels, what
/// the head pools).
/// </summary>
public sealed class MobileNetV2 : Backbone
{
    private readonly Sequential features;
    private readonly Module<Tensor, Tensor> avgpool;
    private readonly Module<Tensor, Tensor> flatten;
    private readonly Module<Tensor, Tensor> classifier;

    /// <summary>Builds a freshly initialised MobileNetV2.</summary>
    public MobileNetV2(MobileNetV2Config config, int inChannels, int numClasses) : base(nameof(MobileNetV2), inChannels, numClasses)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();

        var runs = new List<List<(string, Module<Tensor, Tensor>)>>();
        var run = new List<(string, Module<Tensor, Tensor>)>();
        features = Sequential();
        void Add(Module<Tensor, Tensor> m)
        {
            run.Add(($"features.{features.Count}", m));
            features.append(m);
        }

        long channels = config.InputChannels;
        Add(ConvBnReLU6(inChannels, channels, config.FirstKernel, config.FirstStride, groups: 1));
        for (var row = 0; row < config.Settings.Count; row++)
        {
            var setting = config.Settings[row];
            long output = config.RowChannels(row);
            for (var i = 0; i < setting.Repeats; i++)
            {
                Add(new InvertedResidual(channels, output, i == 0 ? setting.Stride : 1, setting.Expansion));
                channels = output;
            }

            if (MobileNetV2Config.StageEndRows.Contains(row))
            {
                runs.Add(run);
                run = [];
            }
        }

        Add(ConvBnReLU6(channels, config.LastChannels, 1, 1, groups: 1));
        runs.Add(run);

        avgpool = AdaptiveAvgPool2d(1);
        flatten = Flatten(1);
        classifier = Sequential(Dropout(config.Dropout), Linear(config.LastChannels, numClasses));

        RegisterComponents();
        Init.Apply(this, init.FanInOut.FanOut, linearStd: 0.01, zeroLinearBias: true);
        SetStages(runs.Select(r => new BackboneStage(r)).ToArray());
    }


    /// <summary>Describes a MobileNetV2 as data, from the same config the module uses.</summary>
    public static BackboneSpec Spec(string name, string description, MobileNetV2Config config, int inChannels, int numClasses, int nativeInputSize)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var ops = new List<SpatialOp>();
        if (config.FirstStride != 1)
        {
            ops.Add(SpatialOp.Conv(config.FirstKernel, config.FirstStride, (config.FirstKernel - 1) / 2));
        }

        var stages = new List<StageSpec>();
        var index = 0;
        for (var row = 0; row < config.Settings.Count; row++)
        {
            var setting = config.Settings[row];
            if (setting.Stride != 1)
            {
                ops.Add(SpatialOp.Conv(3, setting.Stride, 1)); // the first block's depthwise 3×3
            }

            index += setting.Repeats;
            if (MobileNetV2Config.StageEndRows.Contains(row))
            {
                stages.Add(new StageSpec($"features.{index}", config.RowChannels(row), ops.ToArray()));
            }
        }

        stages.Add(new StageSpec($"features.{index + 1}", config.LastChannels, ops.ToArray()));
        return new BackboneSpec(name, description, inChannels, numClasses, nativeInputSize, stages,
            (c, k) => new MobileNetV2(config, c, k),
            (a, split) => Spec($"{name}@{a.ToName()}", $"{description} Early strides adapted for MSUN's {a.ToName()} scale.",
                config.Adapt(a, split), inChannels, numClasses, nativeInputSize));
    }

    /// <inheritdoc />
    public override Tensor ForwardHead(Tensor features)
    {
        using var scope = torch.NewDisposeScope();
        return classifier.call(flatten.call(avgpool.call(features))).MoveToOuterDisposeScope();
    }

    /// <summary>Convolution (padding (k−1)/2, no bias), BN, ReLU6 — torchvision's <c>Conv2dNormActivation</c>, children <c>0, 1, 2</c>.</summary>
    private static Sequential ConvBnReLU6(long inChannels, long outChannels, long kernel, long stride, long groups) => Sequential(
        Conv2d(inChannels, outChannels, kernel, stride: stride, padding: (kernel - 1) / 2, groups: groups, bias: false),
        BatchNorm2d(outChannels),
        ReLU6());

    /// <summary>Expand 1×1 (unless t = 1), depthwise 3×3 (strided), linear project 1×1 + BN; residual when shapes agree.</summary>
    private sealed class InvertedResidual : Module<Tensor, Tensor>
    {
        private readonly Sequential conv;
        private readonly bool useResidual;

        public InvertedResidual(long inChannels, long outChannels, long stride, int expansion) : base(nameof(InvertedResidual))
        {
            var hidden = inChannels * expansion;
            useResidual = stride == 1 && inChannels == outChannels;
            conv = Sequential();
            if (expansion != 1)
            {
                conv.append(ConvBnReLU6(inChannels, hidden, 1, 1, groups: 1));
            }

            conv.append(ConvBnReLU6(hidden, hidden, 3, stride, groups: hidden));
            conv.append(Conv2d(hidden, outChannels, 1, bias: false));
            conv.append(BatchNorm2d(outChannels));
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            if (!useResidual)
            {
                return conv.call(input);
            }

            using var scope = torch.NewDisposeScope();
            return (input + conv.call(input)).MoveToOuterDisposeScope();
        }
    }
}
