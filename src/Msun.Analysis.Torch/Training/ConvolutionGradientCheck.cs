using System.Collections.Concurrent;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Training;

/// <summary>
/// Checks, before a model trains, that libtorch's oneDNN convolutions give its convolutions the same input and weight gradients as
/// libtorch's native kernels, and switches oneDNN off for the process when one does not.
/// </summary>
/// <remarks>
/// Seen on 2026-12-01 on an AMD EPYC with AVX-512 (Zen 5 flags): libtorch 2.10's oneDNN returned input gradients of 3×3
/// stride-1 float32 convolutions off by up to 90 % (sometimes NaN) when the output channels were not a multiple of 16
/// (8, 10, 12, 20, 24 tried; 16, 32, 64 and 256 right to 1e-7; weight gradients right in every shape tried, the 7×7
/// stems included). Debian's torch 1.13 on the same machine was right, and
/// so was libtorch's native kernel. densenet-small (growth 12) trained on those gradients. The native kernel is slower,
/// so oneDNN is switched off only when a convolution of the model fails; the check costs a few ms per distinct layer shape.
/// </remarks>
public static class ConvolutionGradientCheck
{
    /// <summary>Largest relative difference (max |Δ| / max |native|) accepted between the two kernels' gradients.</summary>
    public const double Tolerance = 1e-4;

    private static readonly ConcurrentDictionary<string, double> Checked = new();

    /// <summary>
    /// Checks every CPU float32 <see cref="Conv2d"/> of <paramref name="model"/> once per distinct shape. Returns null when
    /// all agree (or oneDNN is already off); otherwise switches oneDNN off and returns one line naming the layer and the
    /// difference, which the caller shows.
    /// </summary>
    public static string? Ensure(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!LibTorchSwitches.OneDnnIsOn) return null;
        foreach (var (name, module) in model.named_modules())
        {
            if (module is not Conv2d conv || conv.weight is not { } weight || weight.device_type != DeviceType.CPU || weight.dtype != ScalarType.Float32)
                continue;
            string key = $"{conv.in_channels}-{conv.out_channels}-{string.Join('x', conv.kernel_size)}-{string.Join('x', conv.stride)}-"
                + $"{string.Join('x', conv.padding ?? [])}-{string.Join('x', conv.dilation)}-{conv.groups}";
            double difference = Checked.GetOrAdd(key, _ => Difference(conv));
            if (!(difference <= Tolerance))
            {
                LibTorchSwitches.OneDnnIsOn = false;
                return $"libtorch's oneDNN gives wrong gradients on this CPU for convolution '{name}' ({key}: relative difference "
                    + $"{difference:G3} from libtorch's native kernel): convolutions run on the native kernel in this process (slower, right).";
            }
        }
        return null;
    }

    /// <summary>
    /// Largest relative difference between oneDNN's and the native kernel's gradients (input and weight) for one random
    /// batch; NaN when oneDNN's hold a NaN.
    /// </summary>
    private static double Difference(Conv2d conv)
    {
        using var scope = torch.NewDisposeScope();
        long size = 2 * conv.kernel_size.Max() * conv.dilation.Max() + 4;
        var generator = new Generator(20261201);
        var x = torch.randn([4, conv.in_channels, size, size], generator: generator);
        var oneDnn = Gradients(conv, x, null, oneDnn: true, out var g);
        var native = Gradients(conv, x, g, oneDnn: false, out _);
        double worst = 0;
        for (int i = 0; i < oneDnn.Length; i++)
        {
            if (oneDnn[i].isnan().any().item<bool>()) return double.NaN;
            worst = Math.Max(worst, (oneDnn[i] - native[i]).abs().max().item<float>() / (double)native[i].abs().max().item<float>());
        }
        return worst;
    }

    private static Tensor[] Gradients(Conv2d conv, Tensor x, Tensor? upstream, bool oneDnn, out Tensor g)
    {
        bool before = LibTorchSwitches.OneDnnIsOn;
        LibTorchSwitches.OneDnnIsOn = oneDnn;
        try
        {
            using var enable = torch.enable_grad();
            var input = x.detach().clone().requires_grad_(true);
            var y = conv.call(input);
            g = upstream ?? torch.randn_like(y);
            return [.. torch.autograd.grad([y], [input, conv.weight!], [g])]; // not accumulated into the weight's .grad
        }
        finally
        {
            LibTorchSwitches.OneDnnIsOn = before;
        }
    }
}
