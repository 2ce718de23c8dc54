using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Data;

/// <summary>What happens after the image is shrunk to the probe size.</summary>
public enum ScaleMode
{
    /// <summary>
    /// Down to the probe size, then back up to the reference size: the input of single-network baselines
    /// (Vanilla, MST) and of the CKA study, which keep one input size and lose detail only.
    /// </summary>
    DownUp,

    /// <summary>Down to the probe size and kept there: the input MSUN gives its subnet for that scale.</summary>
    Down,
}

/// <summary>
/// Options of the multi-scale resize of the MSUN protocol, validated at construction. The defaults are
/// the paper's: bilinear, align_corners = false, no antialias (which aliases on strong shrinking, as the
/// authors' evaluation does).
/// </summary>
public sealed record MultiScaleResizeOptions
{
    /// <summary>Creates options; sizes must be positive and the probe no larger than the reference.</summary>
    /// <param name="referenceSize">Side of the square reference image (224 on ImageNet, 28 or 56 on Fashion-MNIST).</param>
    /// <param name="probeSize">Side the image is shrunk to (the test or probe scale).</param>
    /// <param name="mode">Whether to come back up to the reference size.</param>
    /// <param name="antialias">Antialias the shrink; false is the paper's protocol, true a variant to compare.</param>
    public MultiScaleResizeOptions(int referenceSize, int probeSize, ScaleMode mode = ScaleMode.DownUp, bool antialias = false)
    {
        if (referenceSize < 1)
            throw new ArgumentOutOfRangeException(nameof(referenceSize), referenceSize, "referenceSize must be positive.");
        if (probeSize < 1)
            throw new ArgumentOutOfRangeException(nameof(probeSize), probeSize, "probeSize must be positive.");
        if (probeSize > referenceSize)
            throw new ArgumentOutOfRangeException(nameof(probeSize), probeSize,
                $"probeSize {probeSize} exceeds referenceSize {referenceSize}; the protocol only shrinks.");
        if (!Enum.IsDefined(mode))
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown ScaleMode.");
        ReferenceSize = referenceSize;
        ProbeSize = probeSize;
        Mode = mode;
        Antialias = antialias;
    }

    /// <summary>Side of the square input expected.</summary>
    public int ReferenceSize { get; }

    /// <summary>Side the image is shrunk to.</summary>
    public int ProbeSize { get; }

    /// <summary>Down only, or down then up.</summary>
    public ScaleMode Mode { get; }

    /// <summary>Whether the shrink is antialiased (false in the paper).</summary>
    public bool Antialias { get; }

    /// <summary>Side of the output image.</summary>
    public int OutputSize => Mode == ScaleMode.DownUp ? ReferenceSize : ProbeSize;

    /// <summary>The resize as one provenance line, e.g. "bilinear, align_corners=false, antialias=false, down to 14 then up to 28".</summary>
    public string Describe()
    {
        var aa = Antialias ? "true" : "false";
        var what = Mode == ScaleMode.DownUp
            ? $"down to {ProbeSize} then up to {ReferenceSize}"
            : $"down to {ProbeSize} from {ReferenceSize}";
        return $"bilinear, align_corners=false, antialias={aa}, {what}";
    }
}

/// <summary>
/// The multi-scale resize of the MSUN protocol applied to batches [B,C,R,R] of float images at the
/// reference size; output stays on the input's device.
/// </summary>
public sealed class MultiScaleResize
{
    /// <summary>Creates the transform for one probe size.</summary>
    public MultiScaleResize(MultiScaleResizeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
    }

    /// <summary>The validated options.</summary>
    public MultiScaleResizeOptions Options { get; }

    /// <summary>The provenance line of <see cref="Options"/>.</summary>
    public string Describe() => Options.Describe();

    /// <summary>
    /// Resizes a float batch [B,C,R,R] (R = reference size) to the probe size, and back up for
    /// <see cref="ScaleMode.DownUp"/>. The caller owns the result; the input is left untouched.
    /// </summary>
    public Tensor Apply(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        var r = Options.ReferenceSize;
        if (images.dim() != 4 || images.shape[2] != r || images.shape[3] != r)
            throw new ArgumentException(
                $"images has shape [{string.Join(",", images.shape)}]; expected [B,C,{r},{r}] at the reference size {r}.", nameof(images));

        using var scope = NewDisposeScope();
        var down = Bilinear(images, Options.ProbeSize, Options.ProbeSize, Options.Antialias);
        // Upsampling is unaffected by antialias; passing it keeps the two calls symmetric.
        var result = Options.Mode == ScaleMode.DownUp ? Bilinear(down, r, r, Options.Antialias) : down;
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Bilinear resize of a float batch [B,C,H,W] with align_corners = false (pixel centres map to pixel
    /// centres, as in the paper's code), antialias as given. Same size in and out returns a copy.
    /// </summary>
    /// <remarks>
    /// Without antialias, float32 and float64 batches are resized as two matrix products, X·Awᵀ along the width then
    /// Ah·(…) along the height, where each row of A holds the two weights libtorch's <c>interpolate</c> gives that output
    /// (<see cref="BilinearWeights"/>): the same sums in the same order, up to rounding (within a few ulps), and 4–7×
    /// faster on a CPU than libtorch 2.10's kernel for the protocol's small images. Unlike <c>interpolate</c>, a
    /// non-finite pixel spreads along its whole row and column (0 · ∞ is NaN); antialias and other dtypes go to
    /// <c>interpolate</c>.
    /// </remarks>
    public static Tensor Bilinear(Tensor images, int height, int width, bool antialias = false)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if (images.dim() != 4)
            throw new ArgumentException($"images has {images.dim()} dimensions; expected 4 [B,C,H,W].", nameof(images));
        if (!images.is_floating_point())
            throw new ArgumentException($"images has dtype {images.dtype}; bilinear resizing needs a floating-point tensor.", nameof(images));
        if (antialias || (images.dtype != ScalarType.Float32 && images.dtype != ScalarType.Float64))
            return nn.functional.interpolate(images, [height, width], mode: InterpolationMode.Bilinear,
                align_corners: false, antialias: antialias);

        int inHeight = (int)images.shape[2], inWidth = (int)images.shape[3];
        if (inHeight == height && inWidth == width)
            return images.clone();
        using var scope = NewDisposeScope();
        var x = images;
        if (inWidth != width)
            x = x.matmul(WeightMatrix(inWidth, width, images).t());
        if (inHeight != height)
            x = WeightMatrix(inHeight, height, images).matmul(x);
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// For each output index of a bilinear resize from <paramref name="inputSize"/> to <paramref name="outputSize"/>
    /// (align_corners = false, no antialias): the two input indices it reads and their weights, computed as libtorch does
    /// (source = (out + ½)·in/out − ½, clamped at 0, in the arithmetic of <typeparamref name="T"/>; the second index
    /// stays on the last pixel at the border).
    /// </summary>
    internal static (int First, int Second, T FirstWeight, T SecondWeight)[] BilinearWeights<T>(int inputSize, int outputSize)
        where T : System.Numerics.IFloatingPointIeee754<T>
    {
        var taps = new (int, int, T, T)[outputSize];
        var scale = T.CreateChecked(inputSize) / T.CreateChecked(outputSize);
        var half = T.CreateChecked(0.5);
        for (var o = 0; o < outputSize; o++)
        {
            var source = T.Max(scale * (T.CreateChecked(o) + half) - half, T.Zero);
            var first = int.CreateTruncating(source);
            var second = first < inputSize - 1 ? first + 1 : first;
            var lambda = T.Clamp(source - T.CreateChecked(first), T.Zero, T.One);
            taps[o] = (first, second, T.One - lambda, lambda);
        }

        return taps;
    }

    /// <summary>The output × input weight matrix of <see cref="BilinearWeights{T}"/>, in the dtype and on the device of <paramref name="like"/>.</summary>
    private static Tensor WeightMatrix(int inputSize, int outputSize, Tensor like) =>
        like.dtype == ScalarType.Float64
            ? torch.tensor(Dense<double>(inputSize, outputSize), [outputSize, inputSize], device: like.device)
            : torch.tensor(Dense<float>(inputSize, outputSize), [outputSize, inputSize], device: like.device);

    private static T[] Dense<T>(int inputSize, int outputSize) where T : System.Numerics.IFloatingPointIeee754<T>
    {
        var m = new T[outputSize * inputSize];
        foreach (var (o, (a, b, wa, wb)) in BilinearWeights<T>(inputSize, outputSize).Index())
        {
            m[o * inputSize + a] += wa;
            m[o * inputSize + b] += wb;
        }

        return m;
    }

    /// <summary>
    /// The test sizes of the multi-scale protocol: <paramref name="smallest"/>, smallest + step, … up to
    /// <paramref name="largest"/> inclusive (32, 48, …, 224 gives the paper's 13 sizes).
    /// </summary>
    public static IReadOnlyList<int> TestSizes(int smallest, int largest, int step)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(smallest, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1);
        if (largest < smallest)
            throw new ArgumentOutOfRangeException(nameof(largest), largest, $"largest {largest} is below smallest {smallest}.");
        if ((largest - smallest) % step != 0)
            throw new ArgumentException($"largest {largest} is not smallest {smallest} plus a whole number of steps of {step}.", nameof(step));
        return Enumerable.Range(0, (largest - smallest) / step + 1).Select(i => smallest + i * step).ToArray();
    }
}
