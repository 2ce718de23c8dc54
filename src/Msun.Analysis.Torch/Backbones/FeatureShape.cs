namespace Msun.Analysis.Torch.Backbones;

/// <summary>Shape of one example's feature map (channels × height × width), without the batch axis.</summary>
/// <param name="Channels">Number of channels.</param>
/// <param name="Height">Spatial height.</param>
/// <param name="Width">Spatial width.</param>
public readonly record struct FeatureShape(int Channels, int Height, int Width)
{
    /// <summary>Number of values per example once flattened (what the CKA study flattens).</summary>
    public long Elements => (long)Channels * Height * Width;

    /// <summary>The NCHW tensor shape for a batch of <paramref name="batch"/> examples.</summary>
    public long[] WithBatch(long batch) => [batch, Channels, Height, Width];

    /// <inheritdoc />
    public override string ToString() => $"{Channels}×{Height}×{Width}";
}
