using System.Collections.Immutable;
using System.Security.Cryptography;

namespace Msun.Analysis.Torch.Data;

/// <summary>What verification found for one file.</summary>
/// <param name="Path">Path relative to the dataset root, as in the manifest.</param>
/// <param name="Size">Size on disk, equal to the manifest's.</param>
/// <param name="Sha256">Digest computed from the file, or null when the manifest records none and it was not computed.</param>
/// <param name="ChecksumVerified">True when the digest was compared with the manifest's and matched.</param>
public sealed record VerifiedFile(string Path, long Size, string? Sha256, bool ChecksumVerified);

/// <summary>Outcome of a successful verification: which files were checked and how thoroughly.</summary>
public sealed record VerificationReport
{
    /// <summary>Creates a report; produced by <see cref="DatasetVerifier"/>.</summary>
    public VerificationReport(string datasetName, string root, ImmutableArray<VerifiedFile> files)
    {
        DatasetName = datasetName;
        Root = root;
        Files = files;
    }

    /// <summary>Dataset checked.</summary>
    public string DatasetName { get; }

    /// <summary>Folder checked.</summary>
    public string Root { get; }

    /// <summary>Each file checked, in manifest order.</summary>
    public ImmutableArray<VerifiedFile> Files { get; }

    /// <summary>True when every file's sha256 was compared, not just its size.</summary>
    public bool AllChecksumsVerified => Files.All(f => f.ChecksumVerified);

    /// <summary>
    /// One line for provenance that says plainly when only sizes were checked, because the manifest
    /// records no sha256 for some files.
    /// </summary>
    public string Describe()
    {
        if (Files.IsEmpty)
            return "no fixed files to verify (folder scanned at load)";
        var hashed = Files.Count(f => f.ChecksumVerified);
        if (hashed == Files.Length)
            return $"{Files.Length} files: size and sha256 verified";
        if (hashed == 0)
            return $"{Files.Length} files: sizes only verified (the manifest records no sha256)";
        return $"{Files.Length} files: sizes verified, sha256 for {hashed} (the manifest records none for {Files.Length - hashed})";
    }
}

/// <summary>
/// Checks dataset files against their manifest before anything reads them: presence, exact size and,
/// where the manifest records it, SHA-256. Files are opened read-only and nothing under the root is
/// written. Every problem is collected, so one run names all missing or damaged files.
/// </summary>
public static class DatasetVerifier
{
    /// <summary>
    /// Verifies the files of <paramref name="splits"/> (all splits when null) under <paramref name="root"/>;
    /// throws <see cref="DatasetVerificationException"/> naming each bad file, with the way to get missing
    /// ones and both values for a size or checksum mismatch.
    /// </summary>
    public static VerificationReport Verify(DatasetManifest manifest, string root, IReadOnlyCollection<string>? splits = null)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        manifest.EnsureValid();
        if (splits is not null)
        {
            foreach (var s in splits)
                _ = manifest.GetSplit(s);
        }

        var files = manifest.Files.Where(f => splits is null || splits.Contains(f.Split)).ToList();
        var problems = new List<string>();
        var how = manifest.Source.HowToGet();
        if (!Directory.Exists(root))
        {
            problems.Add($"folder '{root}' does not exist; {how}.");
            throw new DatasetVerificationException(manifest.Name, root, problems);
        }

        var verified = ImmutableArray.CreateBuilder<VerifiedFile>(files.Count);
        foreach (var f in files)
        {
            var full = Path.Combine(root, f.Path);
            // A symbolic link (a usual way to place dataset files) is judged by its target: the link's own size is its path's length.
            var info = new FileInfo(full);
            if (info.LinkTarget is not null)
                info = info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? info;
            if (Directory.Exists(full))
            {
                problems.Add($"'{f.Path}' is a folder, not a file (at {full}).");
                continue;
            }

            if (!info.Exists)
            {
                problems.Add($"missing file '{f.Path}' (expected at {full}); {how}.");
                continue;
            }

            if (info.Length != f.Size)
            {
                var kind = info.Length < f.Size ? "truncated or wrong file" : "wrong file";
                problems.Add($"file '{f.Path}' has {info.Length} bytes; the manifest expects {f.Size} bytes ({kind}).");
                continue;
            }

            if (f.Sha256 is null)
            {
                verified.Add(new VerifiedFile(f.Path, info.Length, null, ChecksumVerified: false));
                continue;
            }

            var actual = Sha256Of(full);
            if (!string.Equals(actual, f.Sha256, StringComparison.Ordinal))
            {
                problems.Add($"file '{f.Path}' has sha256 {actual}; the manifest expects {f.Sha256}.");
                continue;
            }

            verified.Add(new VerifiedFile(f.Path, info.Length, actual, ChecksumVerified: true));
        }

        if (problems.Count > 0)
            throw new DatasetVerificationException(manifest.Name, root, problems);
        return new VerificationReport(manifest.Name, root, verified.ToImmutable());
    }

    /// <summary>Lower-case hex SHA-256 of a file, read with a read-only handle.</summary>
    public static string Sha256Of(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 20);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
