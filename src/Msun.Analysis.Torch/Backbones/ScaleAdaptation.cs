namespace Msun.Analysis.Torch.Backbones;

/// <summary>
/// How MSUN adapts a backbone's early layers to the input scale of one subnet (docs/METHOD.md §2), so that a small
/// input is not crushed by the strides designed for the reference size. Each family decides what it means; the rule
/// the paper's four families share, and the families added since follow: <b>mid undoes one factor 2 of the early
/// reduction, small undoes all of the stem's</b>. Where the paper also changed the kernel (ResNet's 3×3 / 5×5 stems),
/// families with the same stem geometry follow it (ResNeXt, DenseNet, GoogLeNet); the others keep their kernels
/// (Inception-v3, AlexNet). Backbones/README.md has the table.
/// </summary>
public enum ScaleAdaptation
{
    /// <summary>The backbone as registered: the subnet of the largest scale.</summary>
    Standard,

    /// <summary>
    /// The mid scale. ResNet/ResNeXt/DenseNet/GoogLeNet: 5×5 stride-1 padding-2 first convolution, max-pool kept. VGG:
    /// the last max-pool inside the subnet at stride 1. MobileNetV2 and Inception-v3: stride-1 first convolution.
    /// AlexNet: first convolution at stride 2 (of 4).
    /// </summary>
    Mid,

    /// <summary>
    /// The small scale. ResNet/ResNeXt/DenseNet/GoogLeNet: 3×3 stride-1 padding-2 first convolution, no max-pool. VGG:
    /// every max-pool inside the subnet at stride 1 (kernel 2). MobileNetV2: 1×1 stride-1 first convolution and stride
    /// 1 in every strided row inside the subnet. Inception-v3: stride-1 first convolution, no <c>maxpool1</c>. AlexNet:
    /// first convolution and first max-pool at stride 1.
    /// </summary>
    Small,
}

/// <summary>Lower-case names of <see cref="ScaleAdaptation"/> as configs and checkpoints write them.</summary>
public static class ScaleAdaptationNames
{
    /// <summary><c>standard</c>, <c>mid</c> or <c>small</c>.</summary>
    public static string ToName(this ScaleAdaptation adaptation) => adaptation switch
    {
        ScaleAdaptation.Standard => "standard",
        ScaleAdaptation.Mid => "mid",
        ScaleAdaptation.Small => "small",
        _ => throw new ArgumentOutOfRangeException(nameof(adaptation), adaptation, "unknown scale adaptation."),
    };

    /// <summary>Parses a name written by <see cref="ToName"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">Any other name.</exception>
    public static ScaleAdaptation Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.ToLowerInvariant() switch
        {
            "standard" => ScaleAdaptation.Standard,
            "mid" => ScaleAdaptation.Mid,
            "small" => ScaleAdaptation.Small,
            _ => throw new ArgumentException($"Unknown scale adaptation '{name}'. Known: standard, mid, small.", nameof(name)),
        };
    }
}
