namespace Msun.Analysis.Torch.Data;

/// <summary>Choices for <see cref="DatasetLoader.Load"/> that depend on the format.</summary>
public sealed record DatasetLoadOptions
{
    /// <summary>For CIFAR-100: keep the fine (default) or the coarse label.</summary>
    public CifarLabelKind CifarLabel { get; init; } = CifarLabelKind.Fine;

    /// <summary>For ImageFolder: the in-memory size; required there, ignored elsewhere.</summary>
    public ImageFolderOptions? ImageFolder { get; init; }
}

/// <summary>
/// The one entry point from a manifest to an in-memory split: resolves the root, verifies the split's
/// files against the manifest, then reads them with the reader the format names and checks the example
/// count the manifest states.
/// </summary>
public static class DatasetLoader
{
    /// <summary>The folder to read: <paramref name="root"/> if given, else the manifest's default location.</summary>
    public static string ResolveRoot(DatasetManifest manifest, string? root)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (!string.IsNullOrWhiteSpace(root))
            return root;
        return manifest.Source.DefaultRoot
            ?? throw new ArgumentException(
                $"Dataset '{manifest.Name}' has no default location: pass its root folder; {manifest.Source.HowToGet()}.",
                nameof(root));
    }

    /// <summary>The training and test splits of a dataset (the manifest's default root when <paramref name="root"/> is null).</summary>
    public static (ImageDataset Train, ImageDataset Test) LoadTrainAndTest(DatasetManifest manifest, string? root = null) =>
        (Load(manifest, "train", root), Load(manifest, "test", root));

    /// <summary>
    /// Verifies and reads <paramref name="split"/> of the dataset under <paramref name="root"/> (the
    /// manifest's default root when null).
    /// </summary>
    public static ImageDataset Load(DatasetManifest manifest, string split, string? root = null, DatasetLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        manifest.EnsureValid();
        options ??= new DatasetLoadOptions();
        var s = manifest.GetSplit(split);
        var dir = ResolveRoot(manifest, root);
        var report = DatasetVerifier.Verify(manifest, dir, [split]);
        var provenance = new DatasetProvenance(manifest.Name, split, dir, report.Describe());
        var files = manifest.FilesOf(split);

        var dataset = manifest.Format switch
        {
            DatasetFormat.Idx => ReadIdx(manifest, dir, files, provenance),
            DatasetFormat.Cifar10Binary or DatasetFormat.Cifar100Binary => ReadCifar(manifest, dir, files, provenance, options),
            DatasetFormat.ImageFolder => ReadImageFolder(manifest, dir, s, provenance, options),
            _ => throw new NotSupportedException($"Format {manifest.Format} has no reader."),
        };

        if (s.Examples is int expected && dataset.Count != expected)
            throw new InvalidDataException(
                $"Dataset '{manifest.Name}' split '{split}' has {dataset.Count} examples; the manifest says {expected}.");
        return dataset;
    }

    private static ImageDataset ReadIdx(DatasetManifest m, string dir, IReadOnlyList<ManifestFile> files, DatasetProvenance provenance)
    {
        var imagesFile = files.Single(f => f.Role == ManifestFileRole.Images);
        var labelsFile = files.Single(f => f.Role == ManifestFileRole.Labels);
        var imagesPath = Path.Combine(dir, imagesFile.Path);
        var labelsPath = Path.Combine(dir, labelsFile.Path);
        var images = IdxReader.ReadImages(imagesPath);
        var labels = IdxReader.ReadLabels(labelsPath);

        var (n, h, w) = (images.Dimensions[0], images.Dimensions[1], images.Dimensions[2]);
        if (labels.Dimensions[0] != n)
            throw new InvalidDataException($"{labelsPath} has {labels.Dimensions[0]} labels; {imagesPath} has {n} images.");
        var size = m.ImageSize!;
        if (h != size.Height || w != size.Width || m.Channels != 1)
            throw new InvalidDataException(
                $"{imagesPath} holds {h}×{w} images; the manifest says {m.Channels}×{size} (IDX images are single-channel).");

        var classes = m.Classes!.Value;
        var labelBytes = labels.Data.Span;
        var y = new long[n];
        for (var i = 0; i < n; i++)
        {
            if (labelBytes[i] >= classes.Length)
                throw new InvalidDataException($"{labelsPath}: label {i} is {labelBytes[i]}; there are {classes.Length} classes.");
            y[i] = labelBytes[i];
        }

        return ImageDataset.FromOwnedArrays(images.Buffer, y, 1, h, w, classes, provenance);
    }

    private static ImageDataset ReadCifar(
        DatasetManifest m, string dir, IReadOnlyList<ManifestFile> files, DatasetProvenance provenance, DatasetLoadOptions options)
    {
        var names = options.CifarLabel == CifarLabelKind.Coarse && m.Format == DatasetFormat.Cifar100Binary
            ? m.CoarseClasses!.Value
            : m.Classes!.Value;
        if (options.CifarLabel == CifarLabelKind.Coarse)
            provenance = provenance.WithStep("coarse (superclass) labels");
        return CifarBinaryReader.Read(files.Select(f => Path.Combine(dir, f.Path)).ToArray(), m.Format, names, provenance, options.CifarLabel);
    }

    private static ImageDataset ReadImageFolder(
        DatasetManifest m, string dir, ManifestSplit split, DatasetProvenance provenance, DatasetLoadOptions options)
    {
        var folderOptions = options.ImageFolder
            ?? (m.ImageSize is { } size ? new ImageFolderOptions(size.Height, size.Width) : null)
            ?? throw new ArgumentException(
                $"Dataset '{m.Name}' is an image folder without a fixed image size: set DatasetLoadOptions.ImageFolder.", nameof(options));
        var splitFolder = Path.Combine(dir, split.Directory!);
        if (!Directory.Exists(splitFolder))
            throw new DirectoryNotFoundException(
                $"Dataset '{m.Name}' split '{split.Name}': folder '{splitFolder}' does not exist; {m.Source.HowToGet()}.");
        var classes = m.Classes is { } listed ? (IReadOnlyList<string>)listed : ImageFolderReader.DiscoverClasses(splitFolder);
        if (classes.Count == 0)
            throw new InvalidDataException($"{splitFolder} has no class folders.");
        return ImageFolderReader.Read(splitFolder, classes, m.Channels, folderOptions, provenance);
    }
}
