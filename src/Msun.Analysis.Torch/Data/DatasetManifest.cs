using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace Msun.Analysis.Torch.Data;

/// <summary>How a dataset's files are laid out, so the loader knows which reader to use.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DatasetFormat>))]
public enum DatasetFormat
{
    /// <summary>IDX files (MNIST family), raw or gzip-compressed: one images file and one labels file per split.</summary>
    [JsonStringEnumMemberName("idx")] Idx,

    /// <summary>CIFAR-10 binary version: records of 1 label byte + 3072 pixel bytes.</summary>
    [JsonStringEnumMemberName("cifar10-binary")] Cifar10Binary,

    /// <summary>CIFAR-100 binary version: records of 1 coarse + 1 fine label byte + 3072 pixel bytes.</summary>
    [JsonStringEnumMemberName("cifar100-binary")] Cifar100Binary,

    /// <summary>One folder per class holding JPEG/PNG files, under one folder per split; no fixed files.</summary>
    [JsonStringEnumMemberName("image-folder")] ImageFolder,
}

/// <summary>What a file is for within its split, so readers need not guess from file names.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ManifestFileRole>))]
public enum ManifestFileRole
{
    /// <summary>Pixel data of an IDX dataset.</summary>
    [JsonStringEnumMemberName("images")] Images,

    /// <summary>Labels of an IDX dataset.</summary>
    [JsonStringEnumMemberName("labels")] Labels,

    /// <summary>Label-and-pixel records (CIFAR binary); a split may have several, read in manifest order.</summary>
    [JsonStringEnumMemberName("records")] Records,
}

/// <summary>
/// Description of one dataset: its files with sizes and checksums, classes, native geometry and where
/// to get it. Stored as JSON under <c>data-manifests/</c>; it holds no data itself.
/// </summary>
/// <remarks>
/// Instances come from <see cref="DatasetManifestLoader"/>, which checks them with <see cref="Validate"/>;
/// code that builds one by hand should call <see cref="EnsureValid"/> before use.
/// </remarks>
public sealed record DatasetManifest
{
    /// <summary>Version of this JSON layout, so a future change can be detected instead of misread.</summary>
    public required int SchemaVersion { get; init; }

    /// <summary>Short identifier (e.g. <c>fashion-mnist</c>) used in provenance and messages.</summary>
    public required string Name { get; init; }

    /// <summary>One line saying what the dataset is, for people reading the manifest.</summary>
    public string? Description { get; init; }

    /// <summary>File layout; selects the reader.</summary>
    public required DatasetFormat Format { get; init; }

    /// <summary>Native image size; null only for <see cref="DatasetFormat.ImageFolder"/>, whose images vary.</summary>
    public ImageSize? ImageSize { get; init; }

    /// <summary>Colour channels of the stored images (1 = grey, 3 = RGB).</summary>
    public required int Channels { get; init; }

    /// <summary>Class names in label order; null for an ImageFolder template, whose classes are its folder names.</summary>
    public ImmutableArray<string>? Classes { get; init; }

    /// <summary>CIFAR-100's 20 superclass names in coarse-label order; null elsewhere.</summary>
    public ImmutableArray<string>? CoarseClasses { get; init; }

    /// <summary>Where the files come from and how to get them; quoted in every missing-file message.</summary>
    public required DatasetSource Source { get; init; }

    /// <summary>The splits (train, test, …) with their expected example counts.</summary>
    public required ImmutableArray<ManifestSplit> Splits { get; init; }

    /// <summary>Every file the dataset consists of, relative to its root; empty for an ImageFolder template.</summary>
    public required ImmutableArray<ManifestFile> Files { get; init; }

    /// <summary>The split named <paramref name="name"/>, or an error listing the splits that exist.</summary>
    public ManifestSplit GetSplit(string name)
    {
        foreach (var s in Splits)
        {
            if (string.Equals(s.Name, name, StringComparison.Ordinal))
                return s;
        }

        throw new ArgumentException(
            $"Dataset '{Name}' has no split '{name}'; its splits are: {string.Join(", ", Splits.Select(s => s.Name))}.",
            nameof(name));
    }

    /// <summary>The files of one split in manifest order (the order CIFAR batches are concatenated in).</summary>
    public ImmutableArray<ManifestFile> FilesOf(string split) =>
        Files.Where(f => string.Equals(f.Split, split, StringComparison.Ordinal)).ToImmutableArray();

    /// <summary>Every problem with this manifest as a readable line; empty when it is usable.</summary>
    public IReadOnlyList<string> Validate() => ManifestValidation.Check(this);

    /// <summary>Throws <see cref="ManifestFormatException"/> listing every problem, so a bad manifest fails before any file is read.</summary>
    public void EnsureValid()
    {
        var problems = Validate();
        if (problems.Count > 0)
            throw new ManifestFormatException(Name, problems);
    }
}

/// <summary>Height and width in pixels.</summary>
public sealed record ImageSize
{
    /// <summary>Rows of pixels.</summary>
    public required int Height { get; init; }

    /// <summary>Columns of pixels.</summary>
    public required int Width { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{Height}×{Width}";
}

/// <summary>Where a dataset's files come from, so a missing file can be answered with the way to get it.</summary>
public sealed record DatasetSource
{
    /// <summary>Kind of source: <c>debian-package</c>, <c>download</c> or <c>user-folder</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>Debian package that installs the files, when there is one.</summary>
    public string? Package { get; init; }

    /// <summary>Exact command that installs the files (e.g. <c>sudo apt-get install dataset-fashion-mnist</c>).</summary>
    public string? InstallCommand { get; init; }

    /// <summary>Where the package puts the files; used when the caller gives no root folder. Null when the user chooses.</summary>
    public string? DefaultRoot { get; init; }

    /// <summary>Page the files (or their archive) can be downloaded from.</summary>
    public string? DownloadPage { get; init; }

    /// <summary>Official archive that holds the files, when they come packed.</summary>
    public string? Archive { get; init; }

    /// <summary>Folder inside the archive that holds the files; the root to pass after unpacking.</summary>
    public string? ArchiveFolder { get; init; }

    /// <summary>Checksum of the archive as published by its authors (algorithm named in the value, e.g. <c>md5:…</c>).</summary>
    public string? ArchiveChecksum { get; init; }

    /// <summary>Licence or terms of use, as stated by the source.</summary>
    public string? License { get; init; }

    /// <summary>Free-text notes on how to lay the files out.</summary>
    public string? Notes { get; init; }

    /// <summary>One sentence telling a person how to get the files, for error messages.</summary>
    public string HowToGet()
    {
        var parts = new List<string>();
        if (InstallCommand is not null)
            parts.Add($"install it with: {InstallCommand}");
        if (DownloadPage is not null)
        {
            var what = Archive is null ? "" : $" (archive {Archive}";
            if (Archive is not null)
                what += ArchiveFolder is null ? ")" : $", unpack it and pass its folder {ArchiveFolder} as the root)";
            parts.Add($"download it from {DownloadPage}{what}");
        }

        if (Notes is not null)
            parts.Add(Notes);
        return parts.Count == 0 ? "the manifest says nothing about where to get it" : string.Join("; or ", parts);
    }
}

/// <summary>One split of a dataset.</summary>
public sealed record ManifestSplit
{
    /// <summary>Split name (e.g. <c>train</c>, <c>test</c>), referenced by <see cref="ManifestFile.Split"/>.</summary>
    public required string Name { get; init; }

    /// <summary>Expected number of examples; a reader that finds another count fails. Null when unknown (ImageFolder).</summary>
    public int? Examples { get; init; }

    /// <summary>ImageFolder only: sub-folder of the root holding this split's class folders.</summary>
    public string? Directory { get; init; }
}

/// <summary>One file of a dataset with the facts needed to verify it before use.</summary>
public sealed record ManifestFile
{
    /// <summary>Path relative to the dataset root, with forward slashes.</summary>
    public required string Path { get; init; }

    /// <summary>Split the file belongs to.</summary>
    public required string Split { get; init; }

    /// <summary>What the file holds within its split.</summary>
    public required ManifestFileRole Role { get; init; }

    /// <summary>Exact size in bytes; a different size is an error (a truncated file is never read as a short dataset).</summary>
    public required long Size { get; init; }

    /// <summary>Lower-case hex SHA-256, or null when it could not be computed; then only the size is verified.</summary>
    public string? Sha256 { get; init; }
}
