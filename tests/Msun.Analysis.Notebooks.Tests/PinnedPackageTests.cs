using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Msun.Analysis.Notebooks.Tests;

/// <summary>The notebooks pin their packages in the shared setup files only, at the versions the projects build with.</summary>
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
        return props.Descendants("PackageVersion").ToDictionary(
            e => (string)e.Attribute("Include")!,
            e => Regex.Replace((string)e.Attribute("Version")!, @"\$\((\w+)\)", m => properties[m.Groups[1].Value]),
            StringComparer.OrdinalIgnoreCase);
    }

    private static IEnumerable<string> Notebooks() =>
        Directory.GetFiles(NotebookRunner.NotebooksDirectory, "*.dib").Concat(Directory.GetFiles(NotebookRunner.NotebooksDirectory, "*.ipynb"));

    [Fact]
    public void Every_notebook_package_has_the_version_of_Directory_Packages_props()
    {
        var central = CentralVersions();
        var found = 0;
        foreach (var file in Notebooks())
        {
            var text = File.ReadAllText(file);
            foreach (Match m in NuGetReference().Matches(text).Concat(PackageFolder().Matches(text)))
            {
                found++;
                var (name, version) = (m.Groups[1].Value, m.Groups[2].Value);
                Assert.True(central.TryGetValue(name, out var pinned), $"{Path.GetFileName(file)}: {name} is not in Directory.Packages.props");
                Assert.True(pinned == version, $"{Path.GetFileName(file)}: {name} {version}, but Directory.Packages.props pins {pinned}");
            }
        }
        Assert.True(found >= 8, $"only {found} package references found: the patterns no longer match the setup files");
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
