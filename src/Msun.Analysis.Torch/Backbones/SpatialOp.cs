namespace Msun.Analysis.Torch.Backbones;

/// <summary>The kind of layer a <see cref="SpatialOp"/> stands for; documentation only, the size rule is the same.</summary>
public enum SpatialOpKind
{
    /// <summary>A 2-D convolution.</summary>
    Convolution,

    /// <summary>A 2-D max-pooling layer.</summary>
    MaxPool,

    /// <summary>A 2-D average-pooling layer.</summary>
    AvgPool,
}

/// <summary>
/// One layer on a backbone's main path that changes the spatial size, described by its window so
/// that declared stage shapes can be computed for any input size without running the network.
/// </summary>
/// <remarks>
/// Rounding rule (PyTorch's, dilation 1, for convolutions and pooling alike): <c>out = floor((in +
/// 2·padding − kernel) / stride) + 1</c>; a pool with <c>ceil_mode = true</c> (GoogLeNet's) rounds up
/// instead, except that a last window starting beyond the input and its left padding is dropped.
/// Consequences worth knowing: a 3×3 stride-2 padding-1 convolution, a 7×7/2/3 convolution and a
/// 3×3/2/1 max-pool give <c>ceil(in / 2)</c>; a 2×2 stride-2 pool without padding (VGG, DenseNet
/// transitions) gives <c>floor(in / 2)</c>. Size-preserving layers (stride 1, padding (k−1)/2) are
/// left out of stage descriptions; any other layer that changes the size must be listed.
/// </remarks>
/// <param name="Kind">What the layer is.</param>
/// <param name="Kernel">Square window size.</param>
/// <param name="Stride">Square stride.</param>
/// <param name="Padding">Zero padding on each side.</param>
/// <param name="CeilMode">PyTorch's <c>ceil_mode</c> (pooling only): round the window count up.</param>
public sealed record SpatialOp(SpatialOpKind Kind, int Kernel, int Stride, int Padding, bool CeilMode = false)
{
    /// <summary>A convolution with a square kernel.</summary>
    public static SpatialOp Conv(int kernel, int stride, int padding) => new(SpatialOpKind.Convolution, kernel, stride, padding);

    /// <summary>A max-pooling layer with a square window.</summary>
    public static SpatialOp MaxPool(int kernel, int stride, int padding = 0) => new(SpatialOpKind.MaxPool, kernel, stride, padding);

    /// <summary>A max-pooling layer with <c>ceil_mode = true</c>.</summary>
    public static SpatialOp MaxPoolCeil(int kernel, int stride, int padding = 0) => new(SpatialOpKind.MaxPool, kernel, stride, padding, CeilMode: true);

    /// <summary>An average-pooling layer with a square window.</summary>
    public static SpatialOp AvgPool(int kernel, int stride, int padding = 0) => new(SpatialOpKind.AvgPool, kernel, stride, padding);

    /// <summary>
    /// Output size along one axis for input size <paramref name="size"/>; zero or negative means
    /// the input is too small for this layer.
    /// </summary>
    public int OutputSize(int size)
    {
        var span = size + 2.0 * Padding - Kernel;
        if (!CeilMode)
        {
            return (int)Math.Floor(span / Stride) + 1;
        }

        // PyTorch's pooling_output_shape: round up, then drop a window that would start in the right padding.
        var output = (int)Math.Ceiling(span / Stride) + 1;
        return (output - 1) * Stride >= size + Padding ? output - 1 : output;
    }
}
