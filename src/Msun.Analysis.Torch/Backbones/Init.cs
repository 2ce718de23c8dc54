using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.init;

namespace Msun.Analysis.Torch.Backbones;

/// <summary>torchvision's weight initialisations, shared by the backbone families.</summary>
internal static class Init
{
    /// <summary>
    /// Convolutions: Kaiming-normal (ReLU gain) with the given fan mode, zero bias; BatchNorm: weight 1,
    /// bias 0; Linear: N(0, <paramref name="linearStd"/>) with zero bias, or PyTorch's default when null
    /// (optionally still zeroing the bias, as DenseNet does).
    /// </summary>
    public static void Apply(nn.Module root, FanInOut convMode, double? linearStd, bool zeroLinearBias)
    {
        using var noGrad = torch.no_grad();
        foreach (var (_, m) in root.named_modules())
        {
            switch (m)
            {
                case Conv2d conv:
                    kaiming_normal_(conv.weight, mode: convMode, nonlinearity: NonlinearityType.ReLU);
                    if (conv.bias is not null)
                    {
                        zeros_(conv.bias);
                    }

                    break;
                case BatchNorm2d bn:
                    ResetBatchNorm(bn);
                    break;
                case Linear linear:
                    if (linearStd is double std)
                    {
                        normal_(linear.weight, 0, std);
                    }

                    if (linear.bias is not null && (linearStd is not null || zeroLinearBias))
                    {
                        zeros_(linear.bias);
                    }

                    break;
            }
        }
    }

    /// <summary>
    /// The Inception family's initialisation (torchvision's GoogLeNet and Inception3): every convolution and linear weight
    /// drawn from a normal truncated to [−2, 2] (absolute bounds, as torchvision passes them) with the standard deviation
    /// <paramref name="std"/> gives for it; BatchNorm weight 1, bias 0; biases otherwise left at PyTorch's default.
    /// </summary>
    public static void ApplyTruncatedNormal(nn.Module root, Func<string, double> std)
    {
        using var noGrad = torch.no_grad();
        foreach (var (name, m) in root.named_modules())
        {
            switch (m)
            {
                case Conv2d conv:
                    TruncatedNormal(conv.weight, std(name), -2, 2);
                    break;
                case Linear linear:
                    TruncatedNormal(linear.weight, std(name), -2, 2);
                    break;
                case BatchNorm2d bn:
                    ResetBatchNorm(bn);
                    break;
            }
        }
    }

    /// <summary>
    /// Fills <paramref name="t"/> from N(0, std²) truncated to [<paramref name="low"/>, <paramref name="high"/>], by
    /// PyTorch's inverse-CDF method. TorchSharp 0.107's <c>nn.init.trunc_normal_</c> fills every element with the same
    /// value, so it cannot be used.
    /// </summary>
    internal static void TruncatedNormal(Tensor t, double std, double low, double high)
    {
        static double Cdf(double x)
        {
            using var v = torch.tensor(x / Math.Sqrt(2), ScalarType.Float64);
            using var erf = v.erf();
            return (1 + erf.item<double>()) / 2;
        }

        using var noGrad = torch.no_grad();
        t.uniform_(2 * Cdf(low / std) - 1, 2 * Cdf(high / std) - 1);
        t.erfinv_().mul_(std * Math.Sqrt(2));
        t.clamp_(low, high); // erfinv at the ends of the range can round just outside it
    }

    /// <summary>BatchNorm as torchvision leaves it: scale 1, shift 0.</summary>
    private static void ResetBatchNorm(BatchNorm2d bn)
    {
        if (bn.weight is not null)
        {
            ones_(bn.weight);
        }

        if (bn.bias is not null)
        {
            zeros_(bn.bias);
        }
    }
}
