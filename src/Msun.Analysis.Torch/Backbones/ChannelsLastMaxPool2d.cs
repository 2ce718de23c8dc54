using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Msun.Analysis.Torch.Backbones;

/// <summary>
/// <c>MaxPool2d</c> with the same output and gradient, run on a channels-last copy of its input: libtorch's CPU max pool
/// of a contiguous (NCHW) tensor is a scalar loop per plane, its channels-last kernel is vectorised over channels. On the
/// ResNet stem's 128 × 32 × 28 × 28 maps at one thread: about 17 ms instead of 36 (the two copies included). The output is
/// in its input's layout, so every later layer sees the tensor plain <c>MaxPool2d</c> gives (a channels-last input, from
/// weights held by <see cref="ChannelsLastWeights"/>, needs no copy either way). A maximum is exact whatever the
/// order of comparisons, and both kernels take the first maximum of a window, so ties route the gradient alike.
/// </summary>
internal sealed class ChannelsLastMaxPool2d : Module<Tensor, Tensor>
{
    /// <summary>A square window.</summary>
    public ChannelsLastMaxPool2d(long kernel, long stride, long padding) : base(nameof(MaxPool2d))
    {
        Kernel = kernel;
        Stride = stride;
        Padding = padding;
    }

    /// <summary>Window side.</summary>
    public long Kernel { get; }

    /// <summary>Step between windows.</summary>
    public long Stride { get; }

    /// <summary>Implicit −∞ padding on each side.</summary>
    public long Padding { get; }

    public override Tensor forward(Tensor input)
    {
        if (input.dim() != 4 || ChannelsLastWeights.IsChannelsLast(input)) return functional.max_pool2d(input, Kernel, Stride, Padding);
        using var scope = torch.NewDisposeScope();
        var pooled = functional.max_pool2d(ChannelsLastWeights.Copy(input), Kernel, Stride, Padding);
        return pooled.contiguous().MoveToOuterDisposeScope();
    }
}
