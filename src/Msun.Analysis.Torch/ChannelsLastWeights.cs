using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch;

/// <summary>
/// Holds the 4-D weights of some modules (and the SGD momentum of those weights) in channels-last order while it
/// lives, then puts them back in the default order. Only strides change, never shapes or values, so a forward pass
/// computes the same function (to float rounding: the kernels sum in another order).
/// </summary>
/// <remarks>
/// Why: with a channels-last weight, libtorch's CPU convolution (oneDNN) runs in NHWC and hands NHWC activations to
/// the next layer, skipping the layout reorders of the NCHW path; on this machine's ResNets a training step is about
/// 15–20 % faster and a forward pass 2–30 % (benchmarks/README.md). With oneDNN switched off (see
/// <see cref="LibTorchSwitches"/>) a hold changes nothing: libtorch's native kernels gain nothing from the layout
/// (densenet-small, batch 64, one thread: 1.7–2.7 s per step in the default order, 1.9–3.9 channels-last). Why only for
/// a while: TorchSharp writes and reads
/// only contiguous tensors (<c>Module.save</c>, <c>Module.load</c>, the optimiser's state), so checkpoints are written
/// and read in the default order, outside a hold. The price, in training only: libtorch's channels-last BatchNorm
/// backward sums in float32 without centring first, so gradients sit further from float64 (relative error 5e-4 to 6e-3 on
/// resnet18-imagenet-w32 with the thread count, against 2.4e-6 in the default order; ChannelsLastWeightsTests) — float32-sized, far below
/// minibatch noise. Inference (BatchNorm in eval mode) has no such term.
/// </remarks>
public sealed class ChannelsLastWeights : IDisposable
{
    private readonly nn.Module[] modules;
    private readonly optim.Optimizer? optimizer;
    private bool disposed;

    private ChannelsLastWeights(nn.Module[] modules, optim.Optimizer? optimizer)
    {
        this.modules = modules;
        this.optimizer = optimizer;
    }

    /// <summary>
    /// Converts every 4-D parameter and buffer of <paramref name="modules"/>, and the SGD momentum buffers of
    /// <paramref name="optimizer"/>, to channels-last in place (the same tensor objects, so the optimiser still finds them);
    /// nothing while oneDNN is off.
    /// </summary>
    public static ChannelsLastWeights Hold(IEnumerable<nn.Module> modules, optim.Optimizer? optimizer = null)
    {
        ArgumentNullException.ThrowIfNull(modules);
        var hold = new ChannelsLastWeights(modules.ToArray(), optimizer);
        if (LibTorchSwitches.OneDnnIsOn) hold.Convert(toChannelsLast: true);
        return hold;
    }

    /// <summary>As <see cref="Hold(IEnumerable{nn.Module}, optim.Optimizer?)"/> for one module.</summary>
    public static ChannelsLastWeights Hold(nn.Module module, optim.Optimizer? optimizer = null) => Hold([module], optimizer);

    /// <summary>A channels-last copy of a 4-D tensor: same shape and values, channels varying fastest in memory.</summary>
    public static Tensor Copy(Tensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (t.dim() != 4) throw new ArgumentException($"channels-last needs a 4-D tensor, not {t.dim()}-D.", nameof(t));
        return t.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
    }

    /// <summary>
    /// Whether a 4-D tensor is laid out channels-last (strides in the order N, H, W, C) and not also in the default
    /// order, which a tensor with one channel or one pixel can be at once.
    /// </summary>
    public static bool IsChannelsLast(Tensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (t.dim() != 4 || t.is_contiguous()) return false;
        var (s, n) = (t.stride(), t.shape);
        return s[1] == 1 && s[3] == n[1] && s[2] == n[1] * n[3] && s[0] == n[1] * n[2] * n[3];
    }

    /// <summary>
    /// Puts every 4-D weight, buffer and momentum buffer back in the default order, in place, those the optimiser created
    /// during the hold included.
    /// </summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        Convert(toChannelsLast: false);
    }

    private void Convert(bool toChannelsLast)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        IEnumerable<Tensor> tensors = modules.SelectMany(m => m.parameters().Cast<Tensor>().Concat(m.buffers()));
        if (optimizer is OptimizerHelper helper)
            tensors = tensors.Concat(helper.state_dict().State.OfType<SGD.State>().Select(s => s.momentum_buffer).OfType<Tensor>());
        foreach (var t in tensors)
        {
            if (t.dim() != 4) continue;
            if (toChannelsLast && t.is_contiguous() && !IsChannelsLast(t)) t.set_(Copy(t));
            else if (!toChannelsLast && IsChannelsLast(t)) t.set_(t.contiguous());
        }
    }
}
