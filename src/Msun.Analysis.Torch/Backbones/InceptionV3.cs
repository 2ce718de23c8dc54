using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Msun.Analysis.Torch.Backbones;

/// <summary>What distinguishes one Inception-v3 from another: its stem's strides and whether the auxiliary head exists.</summary>
/// <param name="FirstStride">Stride of <c>Conv2d_1a_3x3</c> (2; MSUN's mid and small subnets use 1).</param>
/// <param name="MaxPool1">Whether <c>maxpool1</c> (3×3/2) ends the stem (MSUN's small subnet drops it).</param>
/// <param name="AuxLogits">Whether the auxiliary classifier <c>AuxLogits</c> exists (torchvision's default and its published 27,161,264 parameters include it).</param>
public sealed record InceptionV3Config(int FirstStride = 2, bool MaxPool1 = true, bool AuxLogits = true)
{
    /// <summary>torchvision's <c>inception_v3</c> (with its auxiliary classifier).</summary>
    public static InceptionV3Config ImageNet { get; } = new();

    /// <summary>
    /// MSUN's per-scale subnet: mid undoes one factor 2 of the stem's reduction (<c>Conv2d_1a_3x3</c> at stride 1),
    /// small all of it (also no <c>maxpool1</c>); kernels are kept. Only the stem changes, as ResNet's rule.
    /// </summary>
    public InceptionV3Config Adapt(ScaleAdaptation adaptation) => adaptation switch
    {
        ScaleAdaptation.Standard => this,
        ScaleAdaptation.Mid => this with { FirstStride = 1 },
        ScaleAdaptation.Small => this with { FirstStride = 1, MaxPool1 = false },
        _ => throw new ArgumentOutOfRangeException(nameof(adaptation), adaptation, "unknown scale adaptation."),
    };

    internal void Validate() => ArgumentOutOfRangeException.ThrowIfLessThan(FirstStride, 1, nameof(FirstStride));
}

/// <summary>
/// Inception-v3 (Szegedy et al. 2016), torchvision-equivalent: <c>Conv2d_1a_3x3.conv</c>, <c>Mixed_5b.branch5x5_2.bn</c>,
/// <c>Mixed_6e.branch7x7dbl_5.conv</c>, <c>Mixed_7c.branch3x3dbl_3b.conv</c>, <c>AuxLogits.fc</c>, <c>fc</c>; BatchNorm ε
/// 0.001; torchvision's truncated-normal initialisation. Native size 299, minimum 75.
/// </summary>
/// <remarks>
/// <para>The auxiliary classifier <c>AuxLogits</c> holds weights (so torchvision's checkpoint loads strictly) but
/// never runs: <see cref="Backbone.forward"/> returns the main logits in training and eval mode alike, where
/// torchvision returns <c>(logits, aux_logits)</c> in training mode. It is listed in
/// <see cref="Backbone.AuxiliaryModules"/>, so an MSUN built on this backbone leaves it out. torchvision's
/// <c>transform_input</c> (set with its pretrained weights) is not part of the module.</para>
/// <para>Stages: <c>maxpool1</c> (the stem, 64 channels, reduction ≈ 4), <c>maxpool2</c> (192, ≈ 8),
/// <c>Mixed_5d</c> (288), <c>Mixed_6e</c> (768, ≈ 16) and <c>Mixed_7c</c> (2048, ≈ 32): stem, then the end of each
/// resolution level.</para>
/// </remarks>
public sealed class InceptionV3 : Backbone
{
    private readonly Module<Tensor, Tensor> Conv2d_1a_3x3;
    private readonly Module<Tensor, Tensor> Conv2d_2a_3x3;
    private readonly Module<Tensor, Tensor> Conv2d_2b_3x3;
    private readonly Module<Tensor, Tensor>? maxpool1;
    private readonly Module<Tensor, Tensor> Conv2d_3b_1x1;
    private readonly Module<Tensor, Tensor> Conv2d_4a_3x3;
    private readonly Module<Tensor, Tensor> maxpool2;
    private readonly Module<Tensor, Tensor> Mixed_5b;
    private readonly Module<Tensor, Tensor> Mixed_5c;
    private readonly Module<Tensor, Tensor> Mixed_5d;
    private readonly Module<Tensor, Tensor> Mixed_6a;
    private readonly Module<Tensor, Tensor> Mixed_6b;
    private readonly Module<Tensor, Tensor> Mixed_6c;
    private readonly Module<Tensor, Tensor> Mixed_6d;
    private readonly Module<Tensor, Tensor> Mixed_6e;
    private readonly Module<Tensor, Tensor>? AuxLogits;
    private readonly Module<Tensor, Tensor> Mixed_7a;
    private readonly Module<Tensor, Tensor> Mixed_7b;
    private readonly Module<Tensor, Tensor> Mixed_7c;
    private readonly Module<Tensor, Tensor> avgpool;
    private readonly Module<Tensor, Tensor> dropout;
    private readonly Module<Tensor, Tensor> flatten;
    private readonly Module<Tensor, Tensor> fc;

    /// <summary>Builds a freshly initialised Inception-v3.</summary>
    public InceptionV3(InceptionV3Config config, int inChannels, int numClasses) : base(nameof(InceptionV3), inChannels, numClasses)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Conv2d_1a_3x3 = new BasicConv2d(inChannels, 32, 3, stride: config.FirstStride);
        Conv2d_2a_3x3 = new BasicConv2d(32, 32, 3);
        Conv2d_2b_3x3 = new BasicConv2d(32, 64, 3, padding: 1);
        maxpool1 = config.MaxPool1 ? MaxPool2d(3, 2) : null;
        Conv2d_3b_1x1 = new BasicConv2d(64, 80, 1);
        Conv2d_4a_3x3 = new BasicConv2d(80, 192, 3);
        maxpool2 = MaxPool2d(3, 2);
        Mixed_5b = new InceptionA(192, poolFeatures: 32);
        Mixed_5c = new InceptionA(256, poolFeatures: 64);
        Mixed_5d = new InceptionA(288, poolFeatures: 64);
        Mixed_6a = new InceptionB(288);
        Mixed_6b = new InceptionC(768, channels7x7: 128);
        Mixed_6c = new InceptionC(768, channels7x7: 160);
        Mixed_6d = new InceptionC(768, channels7x7: 160);
        Mixed_6e = new InceptionC(768, channels7x7: 192);
        AuxLogits = config.AuxLogits ? new InceptionAux(768, numClasses) : null;
        Mixed_7a = new InceptionD(768);
        Mixed_7b = new InceptionE(1280);
        Mixed_7c = new InceptionE(2048);
        avgpool = AdaptiveAvgPool2d(1);
        dropout = Dropout(0.5);
        flatten = Flatten(1);
        fc = Linear(2048, numClasses);

        RegisterComponents();
        // torchvision reads a `stddev` attribute on the Conv2d/Linear itself; only AuxLogits.fc has one (0.001).
        Init.ApplyTruncatedNormal(this, path => path == "AuxLogits.fc" ? 0.001 : 0.1);
        AuxiliaryModules = config.AuxLogits ? ["AuxLogits"] : [];

        var stem = new List<(string, Module<Tensor, Tensor>)> { ("Conv2d_1a_3x3", Conv2d_1a_3x3), ("Conv2d_2a_3x3", Conv2d_2a_3x3), ("Conv2d_2b_3x3", Conv2d_2b_3x3) };
        if (maxpool1 is not null)
        {
            stem.Add(("maxpool1", maxpool1));
        }

        SetStages(
            new BackboneStage(stem),
            new BackboneStage([("Conv2d_3b_1x1", Conv2d_3b_1x1), ("Conv2d_4a_3x3", Conv2d_4a_3x3), ("maxpool2", maxpool2)]),
            new BackboneStage([("Mixed_5b", Mixed_5b), ("Mixed_5c", Mixed_5c), ("Mixed_5d", Mixed_5d)]),
            new BackboneStage([("Mixed_6a", Mixed_6a), ("Mixed_6b", Mixed_6b), ("Mixed_6c", Mixed_6c), ("Mixed_6d", Mixed_6d), ("Mixed_6e", Mixed_6e)]),
            new BackboneStage([("Mixed_7a", Mixed_7a), ("Mixed_7b", Mixed_7b), ("Mixed_7c", Mixed_7c)]));
    }

    /// <summary>Describes an Inception-v3 as data, from the same config the module uses.</summary>
    public static BackboneSpec Spec(string name, string description, InceptionV3Config config, int inChannels, int numClasses, int nativeInputSize)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var ops = new List<SpatialOp> { SpatialOp.Conv(3, config.FirstStride, 0), SpatialOp.Conv(3, 1, 0) }; // 1a, 2a (2b keeps the size)
        if (config.MaxPool1)
        {
            ops.Add(SpatialOp.MaxPool(3, 2));
        }

        var stages = new List<StageSpec> { new(config.MaxPool1 ? "maxpool1" : "Conv2d_2b_3x3", 64, ops.ToArray()) };
        ops.AddRange([SpatialOp.Conv(3, 1, 0), SpatialOp.MaxPool(3, 2)]); // 4a (3b is 1×1), maxpool2
        stages.Add(new StageSpec("maxpool2", 192, ops.ToArray()));
        stages.Add(new StageSpec("Mixed_5d", 288, ops.ToArray()));
        ops.Add(SpatialOp.Conv(3, 2, 0)); // Mixed_6a: every branch reduces with a 3×3/2 without padding
        stages.Add(new StageSpec("Mixed_6e", 768, ops.ToArray()));
        ops.Add(SpatialOp.Conv(3, 2, 0)); // Mixed_7a, likewise
        stages.Add(new StageSpec("Mixed_7c", 2048, ops.ToArray()));

        return new BackboneSpec(name, description, inChannels, numClasses, nativeInputSize, stages,
            (c, k) => new InceptionV3(config, c, k),
            (a, _) => Spec($"{name}@{a.ToName()}", $"{description} Stem adapted for MSUN's {a.ToName()} scale.",
                config.Adapt(a), inChannels, numClasses, nativeInputSize));
    }

    /// <inheritdoc />
    public override Tensor ForwardHead(Tensor features)
    {
        using var scope = torch.NewDisposeScope();
        return fc.call(flatten.call(dropout.call(avgpool.call(features)))).MoveToOuterDisposeScope();
    }

    private static Tensor AvgPool3x3(Tensor x) => functional.avg_pool2d(x, 3, stride: 1, padding: 1);

    private static Tensor MaxPool3x3Stride2(Tensor x) => functional.max_pool2d(x, 3, stride: 2);

    private static BasicConv2d Conv(long inChannels, long outChannels, (long, long) kernel, (long, long) padding) =>
        new(inChannels, outChannels, kernel, (1, 1), padding);

    /// <summary>35×35 module: 1×1, 5×5, double 3×3 and pooled 1×1 branches (torchvision's <c>InceptionA</c>).</summary>
    private sealed class InceptionA : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> branch1x1, branch5x5_1, branch5x5_2, branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3, branch_pool;

        public InceptionA(long inChannels, long poolFeatures) : base(nameof(InceptionA))
        {
            branch1x1 = new BasicConv2d(inChannels, 64, 1);
            branch5x5_1 = new BasicConv2d(inChannels, 48, 1);
            branch5x5_2 = new BasicConv2d(48, 64, 5, padding: 2);
            branch3x3dbl_1 = new BasicConv2d(inChannels, 64, 1);
            branch3x3dbl_2 = new BasicConv2d(64, 96, 3, padding: 1);
            branch3x3dbl_3 = new BasicConv2d(96, 96, 3, padding: 1);
            branch_pool = new BasicConv2d(inChannels, poolFeatures, 1);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = torch.NewDisposeScope();
            var b5 = branch5x5_2.call(branch5x5_1.call(x));
            var b3 = branch3x3dbl_3.call(branch3x3dbl_2.call(branch3x3dbl_1.call(x)));
            return torch.cat([branch1x1.call(x), b5, b3, branch_pool.call(AvgPool3x3(x))], 1).MoveToOuterDisposeScope();
        }
    }

    /// <summary>35 → 17 reduction: strided 3×3, strided double 3×3 and max-pool branches (torchvision's <c>InceptionB</c>).</summary>
    private sealed class InceptionB : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> branch3x3, branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3;

        public InceptionB(long inChannels) : base(nameof(InceptionB))
        {
            branch3x3 = new BasicConv2d(inChannels, 384, 3, stride: 2);
            branch3x3dbl_1 = new BasicConv2d(inChannels, 64, 1);
            branch3x3dbl_2 = new BasicConv2d(64, 96, 3, padding: 1);
            branch3x3dbl_3 = new BasicConv2d(96, 96, 3, stride: 2);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = torch.NewDisposeScope();
            var b3 = branch3x3dbl_3.call(branch3x3dbl_2.call(branch3x3dbl_1.call(x)));
            return torch.cat([branch3x3.call(x), b3, MaxPool3x3Stride2(x)], 1).MoveToOuterDisposeScope();
        }
    }

    /// <summary>17×17 module with factorised 1×7 / 7×1 convolutions (torchvision's <c>InceptionC</c>).</summary>
    private sealed class InceptionC : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> branch1x1, branch7x7_1, branch7x7_2, branch7x7_3;
        private readonly Module<Tensor, Tensor> branch7x7dbl_1, branch7x7dbl_2, branch7x7dbl_3, branch7x7dbl_4, branch7x7dbl_5, branch_pool;

        public InceptionC(long inChannels, long channels7x7) : base(nameof(InceptionC))
        {
            var c7 = channels7x7;
            branch1x1 = new BasicConv2d(inChannels, 192, 1);
            branch7x7_1 = new BasicConv2d(inChannels, c7, 1);
            branch7x7_2 = Conv(c7, c7, (1, 7), (0, 3));
            branch7x7_3 = Conv(c7, 192, (7, 1), (3, 0));
            branch7x7dbl_1 = new BasicConv2d(inChannels, c7, 1);
            branch7x7dbl_2 = Conv(c7, c7, (7, 1), (3, 0));
            branch7x7dbl_3 = Conv(c7, c7, (1, 7), (0, 3));
            branch7x7dbl_4 = Conv(c7, c7, (7, 1), (3, 0));
            branch7x7dbl_5 = Conv(c7, 192, (1, 7), (0, 3));
            branch_pool = new BasicConv2d(inChannels, 192, 1);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = torch.NewDisposeScope();
            var b7 = branch7x7_3.call(branch7x7_2.call(branch7x7_1.call(x)));
            var b7dbl = branch7x7dbl_5.call(branch7x7dbl_4.call(branch7x7dbl_3.call(branch7x7dbl_2.call(branch7x7dbl_1.call(x)))));
            return torch.cat([branch1x1.call(x), b7, b7dbl, branch_pool.call(AvgPool3x3(x))], 1).MoveToOuterDisposeScope();
        }
    }

    /// <summary>17 → 8 reduction (torchvision's <c>InceptionD</c>).</summary>
    private sealed class InceptionD : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> branch3x3_1, branch3x3_2, branch7x7x3_1, branch7x7x3_2, branch7x7x3_3, branch7x7x3_4;

        public InceptionD(long inChannels) : base(nameof(InceptionD))
        {
            branch3x3_1 = new BasicConv2d(inChannels, 192, 1);
            branch3x3_2 = new BasicConv2d(192, 320, 3, stride: 2);
            branch7x7x3_1 = new BasicConv2d(inChannels, 192, 1);
            branch7x7x3_2 = Conv(192, 192, (1, 7), (0, 3));
            branch7x7x3_3 = Conv(192, 192, (7, 1), (3, 0));
            branch7x7x3_4 = new BasicConv2d(192, 192, 3, stride: 2);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = torch.NewDisposeScope();
            var b3 = branch3x3_2.call(branch3x3_1.call(x));
            var b7 = branch7x7x3_4.call(branch7x7x3_3.call(branch7x7x3_2.call(branch7x7x3_1.call(x))));
            return torch.cat([b3, b7, MaxPool3x3Stride2(x)], 1).MoveToOuterDisposeScope();
        }
    }

    /// <summary>8×8 module with split 1×3 / 3×1 branches (torchvision's <c>InceptionE</c>).</summary>
    private sealed class InceptionE : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> branch1x1, branch3x3_1, branch3x3_2a, branch3x3_2b;
        private readonly Module<Tensor, Tensor> branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3a, branch3x3dbl_3b, branch_pool;

        public InceptionE(long inChannels) : base(nameof(InceptionE))
        {
            branch1x1 = new BasicConv2d(inChannels, 320, 1);
            branch3x3_1 = new BasicConv2d(inChannels, 384, 1);
            branch3x3_2a = Conv(384, 384, (1, 3), (0, 1));
            branch3x3_2b = Conv(384, 384, (3, 1), (1, 0));
            branch3x3dbl_1 = new BasicConv2d(inChannels, 448, 1);
            branch3x3dbl_2 = new BasicConv2d(448, 384, 3, padding: 1);
            branch3x3dbl_3a = Conv(384, 384, (1, 3), (0, 1));
            branch3x3dbl_3b = Conv(384, 384, (3, 1), (1, 0));
            branch_pool = new BasicConv2d(inChannels, 192, 1);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = torch.NewDisposeScope();
            var b3 = branch3x3_1.call(x);
            var b3dbl = branch3x3dbl_2.call(branch3x3dbl_1.call(x));
            return torch.cat(
            [
                branch1x1.call(x),
                branch3x3_2a.call(b3), branch3x3_2b.call(b3),
                branch3x3dbl_3a.call(b3dbl), branch3x3dbl_3b.call(b3dbl),
                branch_pool.call(AvgPool3x3(x)),
            ], 1).MoveToOuterDisposeScope();
        }
    }

    /// <summary>The auxiliary classifier on Mixed_6e (torchvision's <c>InceptionAux</c>); weights only here, see the class remarks.</summary>
    private sealed class InceptionAux : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> conv0, conv1, fc;

        public InceptionAux(long inChannels, long numClasses) : base(nameof(InceptionAux))
        {
            conv0 = new BasicConv2d(inChannels, 128, 1);
            conv1 = new BasicConv2d(128, 768, 5);
            fc = Linear(768, numClasses);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = torch.NewDisposeScope();
            var y = conv1.call(conv0.call(functional.avg_pool2d(x, 5, stride: 3)));
            return fc.call(functional.adaptive_avg_pool2d(y, 1).flatten(1)).MoveToOuterDisposeScope();
        }
    }
}
