using System.Reflection;

namespace Msun.Analysis.Core.Tests;

/// <summary>Locates the repository and the shared reference data next to it.</summary>
public static class TestPaths
{
    private const string SolutionFile = "Msun.Analysis.sln";
    private static readonly Lazy<string> Root = new(FindRepoRoot);

    /// <summary>The folder containing Msun.Analysis.sln.</summary>
    public static string RepoRoot => Root.Value;

    /// <summary>The <c>shared</c> folder beside the repository (<c>RepoRoot/../shared</c>).</summary>
    public static string SharedDirectory => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    /// <summary>The CKA reference cases: <c>SharedDirectory/cka-reference</c>.</summary>
    public static string CkaReferenceDirectory => Path.Combine(SharedDirectory, "cka-reference");

    private static string FindRepoRoot()
    {
        // Walk up from the test binaries; when the build output lives outside the repo
        // (MSUN_ARTIFACTS), fall back to the root recorded at build time.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, SolutionFile)))
            {
                return dir.FullName;
            }
        }

        string? recorded = typeof(TestPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "MsunRepoRoot")?.Value;
        if (recorded is not null && File.Exists(Path.Combine(recorded, SolutionFile)))
        {
            return recorded;
        }

        throw new InvalidOperationException(
            $"Cannot find {SolutionFile} above {AppContext.BaseDirectory} or at the build-time root '{recorded}'.");
    }
}
