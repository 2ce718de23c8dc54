using System.Collections.Immutable;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Data;

/// <summary>How an ImageFolder split is brought to one in-memory size.</summary>
public sealed record ImageFolderOptions
{
    /// <summary>Creates options; the size is required because folder images vary in size.</summary>
    /// <param name="height">Height every image is resized to.</param>
    /// <param name="width">Width every image is resized to.</param>
    /// <param name="antialias">
    /// Whether shrinking is antialiased. True by default: this resize only fixes the stored native size
    /// (like PIL-based loaders do); the paper's aliasing bilinear resize belongs to the scale protocol, later.
    /// </param>
    public ImageFolderOptions(int height, int width, bool antialias = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        Height = height;
        Width = width;
        Antialias = antialias;
    }

    /// <summary>Target height in pixels.</summary>
    public int Height { get; }

    /// <summary>Target width in pixels.</summary>
    public int Width { get; }

    /// <summary>Whether downscaling is antialiased.</summary>
    public bool Antialias { get; }

    /// <summary>File extensions (lower case, with dot) taken as images; others are ignored.</summary>
    public ImmutableArray<string> Extensions
    {
        get => _extensions;
        init
        {
            if (value.IsDefaultOrEmpty || value.Any(e => e is null || e.Length < 2 || e[0] != '.' || e != e.ToLowerInvariant()))
                throw new ArgumentException("Extensions must be a non-empty list of lower-case extensions with a leading dot.", nameof(Extensions));
            _extensions = value;
        }
    }

    private readonly ImmutableArray<string> _extensions = [".png", ".jpg", ".jpeg"];

    /// <summary>The resize as a provenance line.</summary>
    public string Describe() =>
        $"decoded with ImageSharp, images not {Height}×{Width} resized bilinear, align_corners=false, antialias={(Antialias ? "true" : "false")}, rounded to uint8";
}

/// <summary>
/// Reads a class-per-folder dataset (<c>{split}/{class}/*.png|*.jpg</c>) into memory, decoding with
/// SixLabors.ImageSharp. Files are enumerated in ordinal order so the example order is reproducible.
/// </summary>
public static class ImageFolderReader
{
    /// <summary>Sub-folder names of <paramref name="splitFolder"/>, sorted ordinally: the classes when a manifest lists none.</summary>
    public static IReadOnlyList<string> DiscoverClasses(string splitFolder)
    {
        if (!Directory.Exists(splitFolder))
            throw new DirectoryNotFoundException($"ImageFolder split folder '{splitFolder}' does not exist.");
        return Directory.GetDirectories(splitFolder).Select(Path.GetFileName).OfType<string>()
            .Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>
    /// Every image file with its label, class by class in <paramref name="classNames"/> order, files in
    /// ordinal order. A class folder that is missing or holds no image is an error, as is a folder that is
    /// not a listed class.
    /// </summary>
    public static IReadOnlyList<(string Path, int Label)> Scan(string splitFolder, IReadOnlyList<string> classNames, ImageFolderOptions options)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentNullException.ThrowIfNull(options);
        var found = DiscoverClasses(splitFolder);
        var extra = found.Except(classNames, StringComparer.Ordinal).ToList();
        var missing = classNames.Except(found, StringComparer.Ordinal).ToList();
        if (extra.Count > 0 || missing.Count > 0)
            throw new InvalidDataException(
                $"{splitFolder}: class folders do not match the classes"
                + (missing.Count > 0 ? $"; missing: {string.Join(", ", missing)}" : "")
                + (extra.Count > 0 ? $"; not a listed class: {string.Join(", ", extra)}" : "") + ".");

        var items = new List<(string, int)>();
        for (var c = 0; c < classNames.Count; c++)
        {
            var folder = Path.Combine(splitFolder, classNames[c]);
            var files = Directory.EnumerateFiles(folder)
                .Where(f => options.Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                .Order(StringComparer.Ordinal).ToList();
            if (files.Count == 0)
                throw new InvalidDataException(
                    $"{folder}: class '{classNames[c]}' has no image files ({string.Join(", ", options.Extensions)}).");
            items.AddRange(files.Select(f => (f, c)));
        }

        return items;
    }

    /// <summary>
    /// Decodes every image of a split into an <see cref="ImageDataset"/> with <paramref name="channels"/>
    /// channels (1 = luminance, 3 = RGB) at the options' size. An undecodable file is an error naming it.
    /// </summary>
    public static ImageDataset Read(
        string splitFolder, IReadOnlyList<string> classNames, int channels, ImageFolderOptions options, DatasetProvenance provenance)
    {
        ArgumentNullException.ThrowIfNull(provenance);
        if (channels is not (1 or 3))
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "channels must be 1 or 3.");
        var items = Scan(splitFolder, classNames, options);
        var size = (long)channels * options.Height * options.Width;
        if (items.Count * size > Array.MaxLength)
            throw new InvalidDataException(
                $"{splitFolder}: {items.Count} images of {channels}×{options.Height}×{options.Width} exceed one in-memory array; use a smaller size or subset.");

        var pixels = new byte[items.Count * size];
        var labels = new long[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            var (path, label) = items[i];
            labels[i] = label;
            DecodeInto(path, channels, options, pixels.AsSpan((int)(i * size), (int)size));
        }

        return ImageDataset.FromOwnedArrays(pixels, labels, channels, options.Height, options.Width, classNames,
            provenance.WithStep(options.Describe()));
    }

    private static void DecodeInto(string path, int channels, ImageFolderOptions options, Span<byte> chw)
    {
        int h, w;
        byte[] hwc;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (channels == 3)
            {
                using var img = Image.Load<Rgb24>(stream);
                (h, w) = (img.Height, img.Width);
                hwc = new byte[h * w * 3];
                img.CopyPixelDataTo(hwc);
            }
            else
            {
                using var img = Image.Load<L8>(stream);
                (h, w) = (img.Height, img.Width);
                hwc = new byte[h * w];
                img.CopyPixelDataTo(hwc);
            }
        }
        catch (Exception e) when (e is UnknownImageFormatException or InvalidImageContentException or NotSupportedException)
        {
            throw new InvalidDataException($"{path}: cannot decode image ({e.Message}).", e);
        }

        if (h == options.Height && w == options.Width)
        {
            // Interleaved H×W×C to planar C×H×W.
            for (var c = 0; c < channels; c++)
            {
                for (var p = 0; p < h * w; p++)
                    chw[c * h * w + p] = hwc[p * channels + c];
            }

            return;
        }

        using var scope = NewDisposeScope();
        var x = tensor(hwc, [h, w, channels], dtype: ScalarType.Byte, device: CPU)
            .permute(2, 0, 1).unsqueeze(0).to_type(ScalarType.Float32);
        var y = nn.functional.interpolate(x, [options.Height, options.Width], mode: InterpolationMode.Bilinear,
                align_corners: false, antialias: options.Antialias)
            .round_().clamp_(0, 255).to_type(ScalarType.Byte).contiguous();
        y.bytes.CopyTo(chw);
    }
}
