using System.Text.RegularExpressions;

namespace Msun.Analysis.Torch.Data;

/// <summary>Consistency rules for <see cref="DatasetManifest"/>; kept apart so the record stays a plain description.</summary>
internal static partial class ManifestValidation
{
    /// <summary>Layout version this code reads.</summary>
    internal const int SupportedSchemaVersion = 1;

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256Hex();

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]*$")]
    private static partial Regex DatasetName();

    internal static IReadOnlyList<string> Check(DatasetManifest m)
    {
        var p = new List<string>();
        if (m.SchemaVersion != SupportedSchemaVersion)
            p.Add($"schemaVersion is {m.SchemaVersion}; this code reads version {SupportedSchemaVersion}.");
        if (string.IsNullOrWhiteSpace(m.Name) || !DatasetName().IsMatch(m.Name))
            p.Add($"name '{m.Name}' must be lower-case letters, digits, '.', '_' or '-'.");
        if (!Enum.IsDefined(m.Format))
            p.Add($"format {(int)m.Format} is not a known format.");
        if (m.Channels is not (1 or 3))
            p.Add($"channels is {m.Channels}; only 1 (grey) and 3 (RGB) are supported.");

        CheckImageSize(m, p);
        CheckClasses(m, p);
        CheckSource(m, p);
        var splitNames = CheckSplits(m, p);
        CheckFiles(m, splitNames, p);
        return p;
    }

    private static void CheckImageSize(DatasetManifest m, List<string> p)
    {
        if (m.ImageSize is null)
        {
            if (m.Format != DatasetFormat.ImageFolder)
                p.Add($"imageSize is missing; only image-folder datasets may leave it out.");
            return;
        }

        if (m.ImageSize.Height <= 0 || m.ImageSize.Width <= 0)
            p.Add($"imageSize {m.ImageSize} must be positive.");
        if (m.Format is DatasetFormat.Cifar10Binary or DatasetFormat.Cifar100Binary
            && (m.ImageSize.Height != 32 || m.ImageSize.Width != 32 || m.Channels != 3))
            p.Add($"CIFAR binary records are 3×32×32; the manifest says {m.Channels}×{m.ImageSize}.");
    }

    private static void CheckClasses(DatasetManifest m, List<string> p)
    {
        if (m.Classes is null)
        {
            if (m.Format != DatasetFormat.ImageFolder)
                p.Add("classes is missing; only image-folder templates may leave it out (their classes are folder names).");
        }
        else
        {
            CheckNames("classes", m.Classes.Value, p);
            int? expected = m.Format switch
            {
                DatasetFormat.Cifar10Binary => 10,
                DatasetFormat.Cifar100Binary => 100,
                _ => null,
            };
            if (expected is int n && m.Classes.Value.Length != n)
                p.Add($"classes has {m.Classes.Value.Length} names; {m.Format} has {n} classes.");
        }

        if (m.Format == DatasetFormat.Cifar100Binary)
        {
            if (m.CoarseClasses is null)
                p.Add("coarseClasses is missing; CIFAR-100 records carry a coarse label, whose 20 names are needed.");
            else if (m.CoarseClasses.Value.Length != 20)
                p.Add($"coarseClasses has {m.CoarseClasses.Value.Length} names; CIFAR-100 has 20 superclasses.");
        }

        if (m.CoarseClasses is { } coarse)
            CheckNames("coarseClasses", coarse, p);
    }

    private static void CheckNames(string field, IReadOnlyList<string> names, List<string> p)
    {
        if (names.Count == 0)
            p.Add($"{field} is empty.");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < names.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(names[i]))
                p.Add($"{field}[{i}] is blank.");
            else if (!seen.Add(names[i]))
                p.Add($"{field}[{i}] '{names[i]}' appears twice.");
        }
    }

    private static void CheckSource(DatasetManifest m, List<string> p)
    {
        var s = m.Source;
        if (s is null)
        {
            p.Add("source is missing.");
            return;
        }

        if (s.Kind is not ("debian-package" or "download" or "user-folder"))
            p.Add($"source.kind '{s.Kind}' must be debian-package, download or user-folder.");
        if (s.Kind == "debian-package" && (s.Package is null || s.InstallCommand is null || s.DefaultRoot is null))
            p.Add("source of kind debian-package needs package, installCommand and defaultRoot.");
        if (s.InstallCommand is null && s.DownloadPage is null && s.Notes is null)
            p.Add("source needs installCommand, downloadPage or notes: a missing file must say how to get it.");
        if (s.DefaultRoot is not null && !System.IO.Path.IsPathRooted(s.DefaultRoot))
            p.Add($"source.defaultRoot '{s.DefaultRoot}' must be an absolute path.");
    }

    private static HashSet<string> CheckSplits(DatasetManifest m, List<string> p)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (m.Splits.IsDefaultOrEmpty)
        {
            p.Add("splits is empty.");
            return names;
        }

        foreach (var s in m.Splits)
        {
            if (string.IsNullOrWhiteSpace(s.Name))
                p.Add("a split has a blank name.");
            else if (!names.Add(s.Name))
                p.Add($"split '{s.Name}' appears twice.");
            if (s.Examples is <= 0)
                p.Add($"split '{s.Name}': examples is {s.Examples}; it must be positive.");
            if (m.Format == DatasetFormat.ImageFolder)
            {
                if (string.IsNullOrWhiteSpace(s.Directory) || !IsSafeRelative(s.Directory))
                    p.Add($"split '{s.Name}': an image-folder split needs a relative directory without '..'.");
            }
            else
            {
                if (s.Examples is null)
                    p.Add($"split '{s.Name}': examples is missing; fixed-file datasets must state it.");
                if (s.Directory is not null)
                    p.Add($"split '{s.Name}': directory is only for image-folder datasets.");
            }
        }

        return names;
    }

    private static void CheckFiles(DatasetManifest m, HashSet<string> splitNames, List<string> p)
    {
        if (m.Files.IsDefault)
        {
            p.Add("files is missing.");
            return;
        }

        if (m.Format == DatasetFormat.ImageFolder)
        {
            if (m.Files.Length > 0)
                p.Add("an image-folder template lists no fixed files; files must be empty.");
            return;
        }

        var paths = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in m.Files)
        {
            if (string.IsNullOrWhiteSpace(f.Path) || !IsSafeRelative(f.Path))
                p.Add($"file '{f.Path}': path must be relative, with '/' separators and no '..'.");
            else if (!paths.Add(f.Path))
                p.Add($"file '{f.Path}' is listed twice.");
            if (!splitNames.Contains(f.Split))
                p.Add($"file '{f.Path}': split '{f.Split}' is not among the splits.");
            if (f.Size <= 0)
                p.Add($"file '{f.Path}': size {f.Size} must be positive.");
            if (f.Sha256 is not null && !Sha256Hex().IsMatch(f.Sha256))
                p.Add($"file '{f.Path}': sha256 '{f.Sha256}' must be 64 lower-case hex digits (or null when unknown).");
            var roleOk = m.Format == DatasetFormat.Idx
                ? f.Role is ManifestFileRole.Images or ManifestFileRole.Labels
                : f.Role == ManifestFileRole.Records;
            if (!roleOk)
                p.Add($"file '{f.Path}': role {f.Role} does not fit format {m.Format}.");
        }

        foreach (var split in splitNames)
        {
            var files = m.Files.Where(f => f.Split == split).ToList();
            if (m.Format == DatasetFormat.Idx)
            {
                if (files.Count(f => f.Role == ManifestFileRole.Images) != 1
                    || files.Count(f => f.Role == ManifestFileRole.Labels) != 1)
                    p.Add($"split '{split}': an IDX split needs exactly one images file and one labels file.");
            }
            else if (files.Count == 0)
            {
                p.Add($"split '{split}' has no files.");
            }
            else
            {
                var recordSize = m.Format == DatasetFormat.Cifar10Binary ? CifarBinaryReader.Cifar10RecordSize : CifarBinaryReader.Cifar100RecordSize;
                var examples = m.Splits.First(s => s.Name == split).Examples;
                var bytes = files.Sum(f => f.Size);
                if (files.Any(f => f.Size % recordSize != 0))
                    p.Add($"split '{split}': every CIFAR file size must be a multiple of the {recordSize}-byte record.");
                else if (examples is int n && bytes != (long)n * recordSize)
                    p.Add($"split '{split}': files hold {bytes / recordSize} records; examples says {n}.");
            }
        }
    }

    private static bool IsSafeRelative(string path) =>
        !System.IO.Path.IsPathRooted(path)
        && !path.Contains('\\')
        && !path.Split('/').Any(seg => seg is ".." or "." or "");
}
