using System.Xml.Linq;

namespace Msun.Analysis.Notebooks.Tests;

/// <summary>
/// The local package feed the notebooks and outside projects restore from: packed once per test run by
/// build/pack-local-feed.sh from the libraries `dotnet test` has just built (this test project references all four),
/// into this run's artifacts root.
/// </summary>
public static class LocalFeed
{
    /// <summary>The four packages, as the notebooks and the README name them.</summary>
    public static IReadOnlyList<string> PackageIds { get; } =
        ["Msun.Analysis.Core", "Msun.Analysis.Torch", "Msun.Analysis.Reports", "Msun.Analysis.Interactive"];

    private static readonly Lazy<string> Packed = new(Pack);

    /// <summary>The feed folder, packed on first use.</summary>
    public static string Folder => Packed.Value;

    /// <summary>The one package version, from Directory.Build.props.</summary>
    public static string Version { get; } = XDocument.Load(Path.Combine(NotebookRunner.RepoRoot, "Directory.Build.props"))
        .Descendants("Version").Single().Value;

    /// <summary>Where NuGet extracts packages on this machine (what the pack script clears of our version).</summary>
    public static string GlobalPackagesFolder =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
            ? p : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    // About 40 s on two cores shared with other builds; minutes when they are saturated.
    private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(15);

    private static string Pack()
    {
        // bin/<project>/<configuration>/ under the artifacts root: pack what this configuration's build left there.
        var bin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var artifacts = bin.Parent!.Parent!.Parent!.FullName;
        var script = Path.Combine(NotebookRunner.RepoRoot, "build", "pack-local-feed.sh");
        var result = ProcessRun.Run("bash", [script, "-c", bin.Name, "--no-build"], NotebookRunner.RepoRoot, PackTimeout,
            new Dictionary<string, string> { ["MSUN_ARTIFACTS"] = artifacts });
        if (result.ExitCode != 0)
            throw new InvalidOperationException(result.Describe("build/pack-local-feed.sh"));
        var feed = result.Stdout.Trim();
        if (feed != Path.Combine(artifacts, "feed"))
            throw new InvalidOperationException($"build/pack-local-feed.sh printed '{feed}', expected {Path.Combine(artifacts, "feed")}");
        return feed;
    }
}
