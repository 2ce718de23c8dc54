using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Msun.Analysis.Torch.Backbones;

/// <summary>
/// Convolution without bias, BatchNorm (ε = 0.001, TensorFlow's value that the ported Inception weights expect) and
/// ReLU: torchvision's <c>BasicConv2d</c> of GoogLeNet and Inception-v3, children <c>conv</c> and <c>bn</c>.
/// </summary>
internal sealed class BasicConv2d : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> conv;
    private readonly Module<Tensor, Tensor> bn;

    /// <summary>A square kernel.</summary>
    public BasicConv2d(long inChannels, long outChannels, long kernel, long stride = 1, long padding = 0)
        : this(inChannels, outChannels, (kernel, kernel), (stride, stride), (padding, padding))
    {
    }

    /// <summary>Any kernel (Inception-v3's factorised 1×7 / 7×1 and 1×3 / 3×1 convolutions).</summary>
    public BasicConv2d(long inChannels, long outChannels, (long, long) kernel, (long, long) stride, (long, long) padding) : base(nameof(BasicConv2d))
    {
        conv = Conv2d(inChannels, outChannels, kernel, stride: stride, padding: padding, bias: false);
        bn = BatchNorm2d(outChannels, eps: 0.001);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        return functional.relu(bn.call(conv.call(input))).MoveToOuterDisposeScope();
    }
}
