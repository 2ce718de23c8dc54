using Msun.Analysis.Torch.Backbones;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Msun.Analysis.Torch.Tests.Backbones;

// The worked example of src/Msun.Analysis.Torch/Backbones/README.md, verbatim: a backbone added in one file.
// The tests below check it with the same contract as the registered backbones.

/// <summary>What distinguishes one PlainNet from another.</summary>
/// <param name="StemStride">Stride of the 3×3 stem convolution (2; 1 in MSUN's mid and small subnets).</param>
/// <param name="Width">Channels of the stem and stage1; stages 2–4 double them.</param>
public sealed record PlainNetConfig(int StemStride = 2, int Width = 16)
{
    /// <summary>MSUN's subnets: the mid and the small scale undo the stem's only reduction.</summary>
    public PlainNetConfig Adapt(ScaleAdaptation adaptation) =>
        adaptation == ScaleAdaptation.Standard ? this : this with { StemStride = 1 };
}

/// <summary>A plain CNN: 3×3 conv–BN–ReLU stem, one block at the stem's resolution, three strided blocks, global-pool head.</summary>
public static class PlainNet
{
    /// <summary>The spec: stages with their channels and size-changing layers, the module factory, the adaptation rule.</summary>
    public static BackboneSpec Spec(string name, PlainNetConfig config, int inChannels, int numClasses, int nativeInputSize)
    {
        int w = config.Width;
        SpatialOp stem = SpatialOp.Conv(3, config.StemStride, 1), down = SpatialOp.Conv(3, 2, 1);
        StageSpec[] stages =
        [
            new("stem", w, [stem]),
            new("stage1", w, [stem]),
            new("stage2", 2 * w, [stem, down]),
            new("stage3", 4 * w, [stem, down, down]),
            new("stage4", 8 * w, [stem, down, down, down]),
        ];
        return new BackboneSpec(name, $"PlainNet, width {w}.", inChannels, numClasses, nativeInputSize, stages,
            factory: (c, k) => new SequentialBackbone(
                [
                    ("stem", Block(c, w, config.StemStride)),
                    ("stage1", Block(w, w, 1)),
                    ("stage2", Block(w, 2 * w, 2)),
                    ("stage3", Block(2 * w, 4 * w, 2)),
                    ("stage4", Block(4 * w, 8 * w, 2)),
                ],
                Sequential(AdaptiveAvgPool2d(1), Flatten(1), Linear(8 * w, k)), c, k),
            adapter: (a, _) => Spec($"{name}@{a.ToName()}", config.Adapt(a), inChannels, numClasses, nativeInputSize));
    }

    private static Module<Tensor, Tensor> Block(long cin, long cout, long stride) =>
        Sequential(Conv2d(cin, cout, 3, stride: stride, padding: 1, bias: false), BatchNorm2d(cout), ReLU());
}
