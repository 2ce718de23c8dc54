using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Msun.Analysis.Torch.Backbones;

/// <summary>What distinguishes one AlexNet from another: the strides of its stem (<c>features.0</c> and <c>features.2</c>).</summary>
/// <param name="FirstStride">Stride of the 11×11 first convolution (4; MSUN's mid subnet 2, small 1).</param>
/// <param name="StemPoolStride">Stride of the first 3×3 max-pool (2; MSUN's small subnet 1, the module kept so indices and keys stay).</param>
public sealed record AlexNetConfig(int FirstStride = 4, int StemPoolStride = 2)
{
    /// <summary>torchvision's <c>alexnet</c> (the "one weird trick" variant: 64/192/384/256/256 channels).</summary>
    public static AlexNetConfig ImageNet { get; } = new();

    /// <summary>
    /// MSUN's per-scale subnet: mid undoes one factor 2 of the stem's reduction (first convolution at stride 2), small
    /// all of it (first convolution and first max-pool at stride 1); kernels are kept. Only the stem changes, as
    /// ResNet's rule.
    /// </summary>
    public AlexNetConfig Adapt(ScaleAdaptation adaptation) => adaptation switch
    {
        ScaleAdaptation.Standard => this,
        ScaleAdaptation.Mid => this with { FirstStride = FirstStride / 2 },
        ScaleAdaptation.Small => this with { FirstStride = 1, StemPoolStride = 1 },
        _ => throw new ArgumentOutOfRangeException(nameof(adaptation), adaptation, "unknown scale adaptation."),
    };

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(FirstStride, 1, nameof(FirstStride));
        ArgumentOutOfRangeException.ThrowIfLessThan(StemPoolStride, 1, nameof(StemPoolStride));
    }
}

/// <summary>
/// AlexNet (Krizhevsky 2014, "one weird trick"), torchvision-equivalent: <c>features.0/3/6/8/10</c>,
/// <c>classifier.1/4/6</c>; PyTorch's default initialisation, as torchvision's. Stages, one per convolution (the
/// network has five): <c>features.2</c> (conv1 + max-pool: the stem), <c>features.5</c> (conv2 + max-pool),
/// <c>features.7</c>, <c>features.9</c> (the ReLUs of conv3 and conv4) and <c>features.12</c> (conv5 + max-pool).
/// </summary>
public sealed class AlexNet : Backbone
{
    private readonly Sequential features;
    private readonly Module<Tensor, Tensor> avgpool;
    private readonly Module<Tensor, Tensor> flatten;
    private readonly Module<Tensor, Tensor> classifier;

    /// <summary>Builds a freshly initialised AlexNet.</summary>
    public AlexNet(AlexNetConfig config, int inChannels, int numClasses) : base(nameof(AlexNet), inChannels, numClasses)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        features = Sequential(
            Conv2d(inChannels, 64, 11, stride: config.FirstStride, padding: 2), ReLU(), MaxPool2d(3, config.StemPoolStride),
            Conv2d(64, 192, 5, padding: 2), ReLU(), MaxPool2d(3, 2),
            Conv2d(192, 384, 3, padding: 1), ReLU(),
            Conv2d(384, 256, 3, padding: 1), ReLU(),
            Conv2d(256, 256, 3, padding: 1), ReLU(), MaxPool2d(3, 2));
        avgpool = AdaptiveAvgPool2d((6, 6));
        flatten = Flatten(1);
        classifier = Sequential(
            Dropout(0.5), Linear(256 * 6 * 6, 4096), ReLU(),
            Dropout(0.5), Linear(4096, 4096), ReLU(),
            Linear(4096, numClasses));
        RegisterComponents();

        var layers = features.named_children().Select(p => ($"features.{p.name}", (Module<Tensor, Tensor>)p.module)).ToArray();
        SetStages(StageEnds.Select((end, i) => new BackboneStage(layers[(i == 0 ? 0 : StageEnds[i - 1] + 1)..(end + 1)])).ToArray());
    }

    /// <summary>Index in <c>features</c> of each stage's last module.</summary>
    private static int[] StageEnds { get; } = [2, 5, 7, 9, 12];

    /// <summary>Describes an AlexNet as data, from the same config the module uses.</summary>
    public static BackboneSpec Spec(string name, string description, AlexNetConfig config, int inChannels, int numClasses, int nativeInputSize)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        SpatialOp[] stem = [SpatialOp.Conv(11, config.FirstStride, 2), SpatialOp.MaxPool(3, config.StemPoolStride)];
        SpatialOp[] second = [.. stem, SpatialOp.MaxPool(3, 2)];
        int[] channels = [64, 192, 384, 256, 256];
        SpatialOp[][] reductions = [stem, second, second, second, [.. second, SpatialOp.MaxPool(3, 2)]];
        var stages = StageEnds.Select((end, i) => new StageSpec($"features.{end}", channels[i], reductions[i])).ToArray();
        return new BackboneSpec(name, description, inChannels, numClasses, nativeInputSize, stages,
            (c, k) => new AlexNet(config, c, k),
            (a, _) => Spec($"{name}@{a.ToName()}", $"{description} Stem strides adapted for MSUN's {a.ToName()} scale.",
                config.Adapt(a), inChannels, numClasses, nativeInputSize));
    }

    /// <inheritdoc />
    public override Tensor ForwardHead(Tensor features)
    {
        using var scope = torch.NewDisposeScope();
        return classifier.call(flatten.call(avgpool.call(features))).MoveToOuterDisposeScope();
    }
}
