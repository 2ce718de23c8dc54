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
                    if (bn.weight is not null)
                    {
                        ones_(bn.weight);
                    }

                    if (bn.bias is not null)
                    {
                        zeros_(bn.bias);
                    }

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
}
