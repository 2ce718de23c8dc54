using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Data;

/// <summary>
/// A whole dataset split held in memory as uint8 pixels (N×C×H×W, row-major) with int64 labels, class
/// names and provenance. Bytes are 4× smaller than float32, so a split stays in RAM and batches are
/// converted to float only when they are used.
/// </summary>
public sealed class ImageDataset
{
    private readonly byte[] _pixels;
    private readonly long[] _labels;

    /// <summary>Creates a dataset from copies of the given pixels and labels, checking that they agree.</summary>
    public ImageDataset(
        ReadOnlySpan<byte> pixels, ReadOnlySpan<long> labels, int channels, int height, int width,
        IReadOnlyList<string> classNames, DatasetProvenance provenance)
        : this(pixels.ToArray(), labels.ToArray(), channels, height, width, classNames, provenance)
    {
    }

    private ImageDataset(
        byte[] pixels, long[] labels, int channels, int height, int width,
        IReadOnlyList<string> classNames, DatasetProvenance provenance)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentNullException.ThrowIfNull(provenance);
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if (classNames.Count == 0)
            throw new ArgumentException("classNames is empty.", nameof(classNames));

        var imageBytes = (long)channels * height * width;
        if ((long)labels.Length * imageBytes != pixels.LongLength)
            throw new ArgumentException(
                $"pixels has {pixels.LongLength} bytes; {labels.Length} labels × {channels}×{height}×{width} need {labels.Length * imageBytes}.",
                nameof(pixels));
        for (var i = 0; i < labels.Length; i++)
        {
            if (labels[i] < 0 || labels[i] >= classNames.Count)
                throw new ArgumentException(
                    $"labels[{i}] is {labels[i]}; there are {classNames.Count} classes (0..{classNames.Count - 1}).", nameof(labels));
        }

        _pixels = pixels;
        _labels = labels;
        Channels = channels;
        Height = height;
        Width = width;
        ClassNames = classNames.ToArray();
        Provenance = provenance;
    }

    /// <summary>Takes over the arrays without copying (readers' output can be hundreds of MB); the caller must drop them.</summary>
    internal static ImageDataset FromOwnedArrays(
        byte[] pixels, long[] labels, int channels, int height, int width,
        IReadOnlyList<string> classNames, DatasetProvenance provenance) =>
        new(pixels, labels, channels, height, width, classNames, provenance);

    /// <summary>Number of examples.</summary>
    public int Count => _labels.Length;

    /// <summary>Colour channels per image.</summary>
    public int Channels { get; }

    /// <summary>Image height in pixels.</summary>
    public int Height { get; }

    /// <summary>Image width in pixels.</summary>
    public int Width { get; }

    /// <summary>Class names in label order.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Where the data came from and what was done to it.</summary>
    public DatasetProvenance Provenance { get; }

    /// <summary>All pixels, N×C×H×W row-major uint8.</summary>
    public ReadOnlyMemory<byte> Pixels => _pixels;

    /// <summary>All labels, one per example, in 0..classes−1.</summary>
    public ReadOnlyMemory<long> Labels => _labels;

    /// <summary>Bytes of one image (C×H×W).</summary>
    public int ImageBytes => Channels * Height * Width;

    /// <summary>Pixels of example <paramref name="index"/>, C×H×W row-major.</summary>
    public ReadOnlySpan<byte> GetImage(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return _pixels.AsSpan((int)((long)index * ImageBytes), ImageBytes);
    }

    /// <summary>Examples per class, indexed by label: a quick check that a split is what it claims to be.</summary>
    public int[] LabelHistogram()
    {
        var h = new int[ClassNames.Count];
        foreach (var l in _labels)
            h[l]++;
        return h;
    }

    /// <summary>
    /// The examples at <paramref name="indices"/> as float32 images [B,C,H,W] scaled to [0,1] (byte/255)
    /// and int64 labels [B], both created on <paramref name="device"/>. The caller owns both tensors.
    /// </summary>
    public (Tensor Images, Tensor Labels) GetBatch(ReadOnlySpan<int> indices, Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (indices.IsEmpty)
            throw new ArgumentException("indices is empty; a batch needs at least one example.", nameof(indices));

        var (bytes, labels) = Gather(indices);

        using var scope = NewDisposeScope();
        long[] shape = [indices.Length, Channels, Height, Width];
        var raw = tensor(bytes, shape, dtype: ScalarType.Byte, device: device);
        var images = raw.to_type(ScalarType.Float32).div_(255f);
        var y = tensor(labels, dtype: ScalarType.Int64, device: device);
        return (images.MoveToOuterDisposeScope(), y.MoveToOuterDisposeScope());
    }

    /// <summary>A new dataset holding copies of the examples at <paramref name="indices"/>, in that order; provenance records it.</summary>
    public ImageDataset Subset(ReadOnlySpan<int> indices, string description)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(description);
        var (bytes, labels) = Gather(indices);

        return FromOwnedArrays(bytes, labels, Channels, Height, Width, ClassNames,
            Provenance.WithStep($"subset of {indices.Length}: {description}"));
    }

    /// <summary>Copies the pixels and labels of <paramref name="indices"/>, in that order, checking each index.</summary>
    private (byte[] Pixels, long[] Labels) Gather(ReadOnlySpan<int> indices)
    {
        var size = ImageBytes;
        var bytes = new byte[(long)indices.Length * size];
        var labels = new long[indices.Length];
        for (var b = 0; b < indices.Length; b++)
        {
            var i = indices[b];
            if ((uint)i >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(indices), $"indices[{b}] is {i}; the dataset has {Count} examples.");
            _pixels.AsSpan((int)((long)i * size), size).CopyTo(bytes.AsSpan(b * size, size));
            labels[b] = _labels[i];
        }

        return (bytes, labels);
    }
}
