using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Msun.Analysis.Notebooks.Tests;

/// <summary>The notebooks pin their packages in the shared setup files only, at the versions the projects build with
/// (our own packages at the version of Directory.Build.props).</summary>
public sealed partial class PinnedPackageTests
{
    [GeneratedRegex("""#r\s+"nuget:\s*([^,"]+?)\s*,\s*([^"]+?)\s*"\s*$""", RegexOptions.Multiline)]
    private static partial Regex NuGetReference();

    // Package folders named in code, e.g. Path.Combine(packages, "torchsharp", "0.107.0", ...).
    [GeneratedRegex("""\(packages,\s*"([A-Za-z][\w.-]*)",\s*"(\d[^"]*)"\s*,""")]
    private static partial Regex PackageFolder();

    private static Dictionary<string, string> CentralVersions()
    {
        var props = XDocument.Load(Path.Combine(NotebookRunner.RepoRoot, "Directory.Packages.props"));
        var properties = props.Descendants("PropertyGroup").Elements().ToDictionary(e => e.Name.LocalName, e => e.Value);
        var versions = props.Descendants("PackageVersion").ToDictionary(
            e => (string)e.Attribute("Include")!,
            e => Regex.Replace((string)e.Attribute("Version")!, @"\$\((\w+)\)", m => properties[m.Groups[1].Value]),
            StringComparer.OrdinalIgnoreCase);
        // Our own packages, from the local feed, at the one version of Directory.Build.props.
        foreach (var id in LocalFeed.PackageIds)
            versions[id] = LocalFeed.Version;
        return versions;
    }

    private static IEnumerable<string> Notebooks() =>
        Directory.GetFiles(NotebookRunner.NotebooksDirectory, "*.dib").Concat(Directory.GetFiles(NotebookRunner.NotebooksDirectory, "*.ipynb"));

    [Fact]
    public void Every_notebook_package_has_the_version_of_Directory_Packages_props()
    {
        var central = CentralVersions();
        var found = 0;
        var ours = new HashSet<string>();
        foreach (var file in Notebooks())
        {
            var text = File.ReadAllText(file);
            foreach (Match m in NuGetReference().Matches(text).Concat(PackageFolder().Matches(text)))
            {
                found++;
                var (name, version) = (m.Groups[1].Value, m.Groups[2].Value);
                if (LocalFeed.PackageIds.Contains(name)) ours.Add(name);
                Assert.True(central.TryGetValue(name, out var pinned), $"{Path.GetFileName(file)}: {name} is not in Directory.Packages.props");
                Assert.True(pinned == version, $"{Path.GetFileName(file)}: {name} {version}, but Directory.Packages.props pins {pinned}");
            }
        }
        Assert.True(found >= 4, $"only {found} package references found: the patterns no longer match the setup files");
        // The notebooks use the toolkit through its packages: the interactive one (with Core and Reports) and Torch.
        Assert.Contains("Msun.Analysis.Interactive", ours);
        Assert.Contains("Msun.Analysis.Torch", ours);
    }

    [Fact]
    public void Only_the_shared_setup_files_reference_packages()
    {
        var offenders = Notebooks()
            .Where(f => !Path.GetFileName(f).StartsWith("setup", StringComparison.Ordinal))
            .Where(f => File.ReadAllText(f).Contains("#r \"nuget:", StringComparison.Ordinal))
            .Select(Path.GetFileName)
            .ToList();
        Assert.Empty(offenders);
    }
}
