using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Msun.Analysis.Torch.Backbones;

/// <summary>One Inception (v1) module: the four branches' widths (torchvision's <c>Inception</c> arguments after <c>in_channels</c>).</summary>
/// <param name="Ch1x1">1×1 branch.</param>
/// <param name="Ch3x3Reduce">1×1 before the 3×3 branch.</param>
/// <param name="Ch3x3">3×3 branch.</param>
/// <param name="Ch5x5Reduce">1×1 before the "5×5" branch.</param>
/// <param name="Ch5x5">The "5×5" branch: a 3×3 convolution in torchvision (kept for its weights), so here too.</param>
/// <param name="PoolProj">1×1 after the 3×3 max-pool branch.</param>
public sealed record InceptionV1Module(int Ch1x1, int Ch3x3Reduce, int Ch3x3, int Ch5x5Reduce, int Ch5x5, int PoolProj)
{
    /// <summary>Output channels (the four branches concatenated).</summary>
    public int OutChannels => Ch1x1 + Ch3x3 + Ch5x5 + PoolProj;
}

/// <summary>What distinguishes one GoogLeNet from another: its stem (first convolution, and whether <c>maxpool1</c> follows).</summary>
/// <param name="Stem">The first convolution (<c>conv1</c>) and whether the 3×3/2 ceil-mode <c>maxpool1</c> follows.</param>
public sealed record GoogLeNetConfig(ConvStem Stem)
{
    /// <summary>torchvision's <c>googlenet</c>: 7×7/2/3 then max-pool, the same geometry as ResNet's ImageNet stem.</summary>
    public static GoogLeNetConfig ImageNet { get; } = new(ConvStem.ImageNet);

    /// <summary>The Inception modules in order: 3a, 3b, 4a–4e, 5a, 5b (Szegedy et al. 2015, table 1).</summary>
    internal static IReadOnlyList<(string Name, InceptionV1Module Module)> Modules { get; } =
    [
        ("inception3a", new(64, 96, 128, 16, 32, 32)),
        ("inception3b", new(128, 128, 192, 32, 96, 64)),
        ("inception4a", new(192, 96, 208, 16, 48, 64)),
        ("inception4b", new(160, 112, 224, 24, 64, 64)),
        ("inception4c", new(128, 128, 256, 24, 64, 64)),
        ("inception4d", new(112, 144, 288, 32, 64, 64)),
        ("inception4e", new(256, 160, 320, 32, 128, 128)),
        ("inception5a", new(256, 160, 320, 32, 128, 128)),
        ("inception5b", new(384, 192, 384, 48, 128, 128)),
    ];

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Stem);
        Stem.Validate();
    }
}

/// <summary>
/// GoogLeNet / Inception v1 (Szegedy et al. 2015), torchvision-equivalent without the auxiliary classifiers (as
/// torchvision's <c>googlenet()</c> and its published 6,624,904 parameters): <c>conv1.conv</c>, <c>conv1.bn</c>,
/// <c>inception3a.branch2.1.conv</c>, <c>inception4e.branch4.1.bn</c>, <c>fc</c>; ceil-mode max-pools; BatchNorm ε
/// 0.001; torchvision's truncated-normal initialisation. torchvision's <c>transform_input</c> (set with its
/// pretrained weights) is not part of the module: normalise inputs as those weights expect.
/// Stages: <c>maxpool1</c> (the stem, reduction 4), <c>maxpool2</c> (after conv2/conv3, 8), <c>inception3b</c>,
/// <c>inception4e</c> (16) and <c>inception5b</c> (32): stem, then the end of each resolution level.
/// </summary>
public sealed class GoogLeNet : Backbone
{
    private readonly Module<Tensor, Tensor> conv1;
    private readonly Module<Tensor, Tensor>? maxpool1;
    private readonly Module<Tensor, Tensor> conv2;
    private readonly Module<Tensor, Tensor> conv3;
    private readonly Module<Tensor, Tensor> maxpool2;
    private readonly Module<Tensor, Tensor> inception3a;
    private readonly Module<Tensor, Tensor> inception3b;
    private readonly Module<Tensor, Tensor> maxpool3;
    private readonly Module<Tensor, Tensor> inception4a;
    private readonly Module<Tensor, Tensor> inception4b;
    private readonly Module<Tensor, Tensor> inception4c;
    private readonly Module<Tensor, Tensor> inception4d;
    private readonly Module<Tensor, Tensor> inception4e;
    private readonly Module<Tensor, Tensor> maxpool4;
    private readonly Module<Tensor, Tensor> inception5a;
    private readonly Module<Tensor, Tensor> inception5b;
    private readonly Module<Tensor, Tensor> avgpool;
    private readonly Module<Tensor, Tensor> flatten;
    private readonly Module<Tensor, Tensor> dropout;
    private readonly Module<Tensor, Tensor> fc;

    /// <summary>Builds a freshly initialised GoogLeNet.</summary>
    public GoogLeNet(GoogLeNetConfig config, int inChannels, int numClasses) : base(nameof(GoogLeNet), inChannels, numClasses)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var stem = config.Stem;
        conv1 = new BasicConv2d(inChannels, 64, stem.Kernel, stem.Stride, stem.Padding);
        maxpool1 = stem.MaxPool ? MaxPool2d(3, 2, ceil_mode: true) : null;
        conv2 = new BasicConv2d(64, 64, 1);
        conv3 = new BasicConv2d(64, 192, 3, padding: 1);
        maxpool2 = MaxPool2d(3, 2, ceil_mode: true);

        long channels = 192;
        var m = GoogLeNetConfig.Modules.Select(p =>
        {
            var module = new Inception(channels, p.Module);
            channels = p.Module.OutChannels;
            return (Module<Tensor, Tensor>)module;
        }).ToArray();
        (inception3a, inception3b) = (m[0], m[1]);
        maxpool3 = MaxPool2d(3, 2, ceil_mode: true);
        (inception4a, inception4b, inception4c, inception4d, inception4e) = (m[2], m[3], m[4], m[5], m[6]);
        maxpool4 = MaxPool2d(2, 2, ceil_mode: true);
        (inception5a, inception5b) = (m[7], m[8]);
        avgpool = AdaptiveAvgPool2d(1);
        flatten = Flatten(1);
        dropout = Dropout(0.2);
        fc = Linear(channels, numClasses);

        RegisterComponents();
        Init.ApplyTruncatedNormal(this, _ => 0.01);

        var stemModules = new List<(string, Module<Tensor, Tensor>)> { ("conv1", conv1) };
        if (maxpool1 is not null)
        {
            stemModules.Add(("maxpool1", maxpool1));
        }

        SetStages(
            new BackboneStage(stemModules),
            new BackboneStage([("conv2", conv2), ("conv3", conv3), ("maxpool2", maxpool2)]),
            new BackboneStage([("inception3a", inception3a), ("inception3b", inception3b)]),
            new BackboneStage([("maxpool3", maxpool3), ("inception4a", inception4a), ("inception4b", inception4b),
                ("inception4c", inception4c), ("inception4d", inception4d), ("inception4e", inception4e)]),
            new BackboneStage([("maxpool4", maxpool4), ("inception5a", inception5a), ("inception5b", inception5b)]));
    }

    /// <summary>Describes a GoogLeNet as data, from the same config the module uses.</summary>
    /// <remarks>MSUN adaptation: the stem has ResNet's geometry, so it follows ResNet's rule (<see cref="ConvStem.Adapt"/>).</remarks>
    public static BackboneSpec Spec(string name, string description, GoogLeNetConfig config, int inChannels, int numClasses, int nativeInputSize)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var stem = config.Stem;
        var ops = new List<SpatialOp>();
        if (stem.Stride != 1 || 2 * stem.Padding != stem.Kernel - 1)
        {
            ops.Add(SpatialOp.Conv(stem.Kernel, stem.Stride, stem.Padding));
        }

        if (stem.MaxPool)
        {
            ops.Add(SpatialOp.MaxPoolCeil(3, 2));
        }

        var stages = new List<StageSpec> { new(stem.MaxPool ? "maxpool1" : "conv1", 64, ops.ToArray()) };
        ops.Add(SpatialOp.MaxPoolCeil(3, 2));
        stages.Add(new StageSpec("maxpool2", 192, ops.ToArray()));
        var modules = GoogLeNetConfig.Modules;
        stages.Add(new StageSpec("inception3b", modules[1].Module.OutChannels, ops.ToArray()));
        ops.Add(SpatialOp.MaxPoolCeil(3, 2));
        stages.Add(new StageSpec("inception4e", modules[6].Module.OutChannels, ops.ToArray()));
        ops.Add(SpatialOp.MaxPoolCeil(2, 2));
        stages.Add(new StageSpec("inception5b", modules[8].Module.OutChannels, ops.ToArray()));

        return new BackboneSpec(name, description, inChannels, numClasses, nativeInputSize, stages,
            (c, k) => new GoogLeNet(config, c, k),
            (a, _) => Spec($"{name}@{a.ToName()}", $"{description} Stem adapted for MSUN's {a.ToName()} scale.",
                config with { Stem = config.Stem.Adapt(a) }, inChannels, numClasses, nativeInputSize));
    }

    /// <inheritdoc />
    public override Tensor ForwardHead(Tensor features)
    {
        using var scope = torch.NewDisposeScope();
        return fc.call(dropout.call(flatten.call(avgpool.call(features)))).MoveToOuterDisposeScope();
    }

    /// <summary>Four parallel branches concatenated on channels (torchvision's <c>Inception</c>: <c>branch1</c>..<c>branch4</c>).</summary>
    private sealed class Inception : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> branch1;
        private readonly Module<Tensor, Tensor> branch2;
        private readonly Module<Tensor, Tensor> branch3;
        private readonly Module<Tensor, Tensor> branch4;

        public Inception(long inChannels, InceptionV1Module c) : base(nameof(Inception))
        {
            branch1 = new BasicConv2d(inChannels, c.Ch1x1, 1);
            branch2 = Sequential(new BasicConv2d(inChannels, c.Ch3x3Reduce, 1), new BasicConv2d(c.Ch3x3Reduce, c.Ch3x3, 3, padding: 1));
            branch3 = Sequential(new BasicConv2d(inChannels, c.Ch5x5Reduce, 1), new BasicConv2d(c.Ch5x5Reduce, c.Ch5x5, 3, padding: 1));
            branch4 = Sequential(MaxPool2d(3, 1, 1, ceil_mode: true), new BasicConv2d(inChannels, c.PoolProj, 1));
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = torch.NewDisposeScope();
            return torch.cat([branch1.call(input), branch2.call(input), branch3.call(input), branch4.call(input)], 1).MoveToOuterDisposeScope();
        }
    }
}
