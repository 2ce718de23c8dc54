namespace Msun.Analysis.Torch.Backbones;

/// <summary>
/// The first convolution (+ BN + ReLU) of a ResNet or DenseNet and whether a 3×3/2/1 max-pool
/// follows. Exists so that small-input variants and MSUN's per-scale shallow subnets differ from
/// the ImageNet network only in this record.
/// </summary>
/// <param name="Kernel">Square kernel of the first convolution.</param>
/// <param name="Stride">Its stride.</param>
/// <param name="Padding">Its zero padding.</param>
/// <param name="MaxPool">Whether a 3×3 stride-2 padding-1 max-pool follows.</param>
public sealed record ConvStem(int Kernel, int Stride, int Padding, bool MaxPool)
{
    /// <summary>torchvision's ImageNet stem: 7×7 stride 2 padding 3, then max-pool 3/2/1 (reduction 4).</summary>
    public static ConvStem ImageNet { get; } = new(7, 2, 3, true);

    /// <summary>CIFAR-style stem for 28–32 px inputs: 3×3 stride 1 padding 1, no max-pool (reduction 1).</summary>
    public static ConvStem Cifar { get; } = new(3, 1, 1, false);

    /// <summary>MSUN's small-scale stem (ResNet-50 at 32 px): 3×3 stride 1 padding 2, no max-pool (the paper's padding 2 grows the map by 2).</summary>
    public static ConvStem MsunSmall { get; } = new(3, 1, 2, false);

    /// <summary>MSUN's mid-scale stem (ResNet-50 at 128 px): 5×5 stride 1 padding 2, then the max-pool (reduction 2).</summary>
    public static ConvStem MsunMid { get; } = new(5, 1, 2, true);

    /// <summary>Whether this stem reduces the spatial size at all (a strided convolution or a max-pool).</summary>
    public bool Reduces => Stride != 1 || MaxPool;

    /// <summary>
    /// The stem of an MSUN subnet: the paper's small or mid stem when this one reduces the size; a stem that
    /// already keeps the size (the CIFAR stem of the small variants) has nothing to undo and stays as it is.
    /// </summary>
    public ConvStem Adapt(ScaleAdaptation adaptation) => !Reduces ? this : adaptation switch
    {
        ScaleAdaptation.Standard => this,
        ScaleAdaptation.Mid => MsunMid,
        ScaleAdaptation.Small => MsunSmall,
        _ => throw new ArgumentOutOfRangeException(nameof(adaptation), adaptation, "unknown scale adaptation."),
    };

    /// <summary>The size-changing layers of this stem, for stage specs (a size-preserving convolution is omitted).</summary>
    internal IReadOnlyList<SpatialOp> Reductions()
    {
        var ops = new List<SpatialOp>();
        if (Stride != 1 || 2 * Padding != Kernel - 1)
        {
            ops.Add(SpatialOp.Conv(Kernel, Stride, Padding));
        }

        if (MaxPool)
        {
            ops.Add(SpatialOp.MaxPool(3, 2, 1));
        }

        return ops;
    }

    /// <summary>Rejects impossible stems early, naming the field.</summary>
    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Kernel, 1, nameof(Kernel));
        ArgumentOutOfRangeException.ThrowIfLessThan(Stride, 1, nameof(Stride));
        ArgumentOutOfRangeException.ThrowIfNegative(Padding, nameof(Padding));
    }
}
