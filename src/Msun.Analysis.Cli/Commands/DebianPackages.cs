using Msun.Analysis.Core.LinearAlgebra;
using Msun.Analysis.Reports;
using Msun.Analysis.Torch.Data;

namespace Msun.Analysis.Cli.Commands;

/// <summary>Debian packages a command needs and does not find; reported with exit code <see cref="CliErrors.MissingPackages"/>.</summary>
internal sealed class MissingDebianPackageException(string package, string detail)
    : Exception($"needs the Debian package {package} ({DebianPackages.Describe(package)}): {detail}")
{
    /// <summary>The package, as named in build/debian-packages.tsv.</summary>
    public string Package { get; } = package;
}

/// <summary>
/// What each command needs from Debian, decided here because only the CLI knows the command, the dataset and its
/// options; the packages and why they are needed come from build/debian-packages.tsv (embedded), the list
/// build/debian-packages.sh installs from. The ./msun wrapper installs what is reported and runs the command again.
/// </summary>
internal static class DebianPackages
{
    /// <summary>OpenBLAS, which the CKA products call.</summary>
    public const string OpenBlas = "libopenblas0-pthread";

    /// <summary>The headless browser that renders figures to PNG.</summary>
    public const string Chromium = "chromium";

    /// <summary>The file the ./msun wrapper reads the missing packages from (one per line).</summary>
    public const string MissingFileVariable = "MSUN_MISSING_PACKAGES_FILE";

    private static readonly Lazy<IReadOnlyDictionary<string, string>> List = new(ReadList);

    /// <summary>Every package of the list with what needs it.</summary>
    public static IReadOnlyDictionary<string, string> All => List.Value;

    /// <summary>What needs <paramref name="package"/>, from the list.</summary>
    public static string Describe(string package) => List.Value.TryGetValue(package, out var why)
        ? why
        : throw new InvalidOperationException($"{package} is not in build/debian-packages.tsv; add it there.");

    /// <summary>
    /// The package that brings the dataset when <paramref name="root"/> is the manifest's default folder (the package's)
    /// and files are missing there; null for another folder, a source that is not a Debian package, or complete files.
    /// </summary>
    public static string? MissingForDataset(DatasetManifest manifest, string root)
    {
        var source = manifest.Source;
        if (source.Kind != "debian-package" || source.Package is null || source.DefaultRoot is null
            || Path.GetFullPath(root).TrimEnd('/') != Path.GetFullPath(source.DefaultRoot).TrimEnd('/'))
            return null;
        bool complete = Directory.Exists(source.DefaultRoot) && manifest.Files.All(f => File.Exists(Path.Combine(source.DefaultRoot, f.Path)));
        return complete ? null : source.Package;
    }

    /// <summary>A failed verification of a built-in dataset's package folder as the missing package; null for other failures.</summary>
    public static MissingDebianPackageException? FromDatasetFailure(DatasetVerificationException e)
    {
        if (!DatasetManifestLoader.BuiltInNames.Contains(e.DatasetName)) return null;
        var manifest = DatasetManifestLoader.LoadBuiltIn(e.DatasetName);
        return MissingForDataset(manifest, e.Root) is string package
            ? new MissingDebianPackageException(package, $"files of dataset '{manifest.Name}' are missing under {e.Root}")
            : null;
    }

    /// <summary>Throws when OpenBLAS cannot be loaded, unless MSUN_BLAS=managed chose the managed products.</summary>
    public static void RequireOpenBlas()
    {
        bool managedChosen = string.Equals(Environment.GetEnvironmentVariable("MSUN_BLAS")?.Trim(), "managed", StringComparison.OrdinalIgnoreCase);
        if (!managedChosen && Blas.Backend != BlasBackend.OpenBlas)
            throw new MissingDebianPackageException(OpenBlas, "OpenBLAS (libopenblas.so.0) cannot be loaded");
    }

    /// <summary>Throws when PNG export would use Debian's chromium (no $MSUN_CHROMIUM) and it is not there.</summary>
    public static void RequireChromium()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(PngExport.ChromiumVariable)) && !File.Exists(PngExport.DefaultChromium))
            throw new MissingDebianPackageException(Chromium, $"{PngExport.DefaultChromium} does not exist");
    }

    /// <summary>
    /// Reports a missing package: to the ./msun wrapper (which installs it) through <paramref name="missingFile"/> when set,
    /// else with the exact commands that install it.
    /// </summary>
    public static void Report(string command, MissingDebianPackageException e, TextWriter error, string? missingFile, bool privileged)
    {
        if (!string.IsNullOrEmpty(missingFile))
        {
            File.AppendAllText(missingFile, e.Package + "\n");
            error.WriteLine($"msun {command}: {e.Message}");
            return;
        }
        string sudo = privileged ? "" : "sudo ";
        error.WriteLine($"msun {command}: {e.Message}; install it with: {sudo}apt-get update && {sudo}apt-get install -y {e.Package} (./msun does this itself)");
    }

    private static IReadOnlyDictionary<string, string> ReadList()
    {
        using var stream = typeof(DebianPackages).Assembly.GetManifestResourceStream("debian-packages.tsv")
            ?? throw new InvalidOperationException("debian-packages.tsv is not embedded in msun.");
        using var reader = new StreamReader(stream);
        var list = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.ReadLine() is string line)
        {
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var parts = line.Split('\t');
            list.Add(parts[0], parts[1]);
        }
        return list;
    }
}
