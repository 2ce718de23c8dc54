using System.Globalization;
using System.IO.Compression;
using System.Xml.Linq;

namespace Msun.Analysis.Notebooks.Tests;

/// <summary>
/// The four NuGet packages of build/pack-local-feed.sh: what each carries, and that a project outside the repository
/// can reference one from the feed and call it.
/// </summary>
[Collection(NotebookCollection.Name)]
public sealed class PackageTests
{
    private static string Nupkg(string id) => Path.Combine(LocalFeed.Folder, $"{id}.{LocalFeed.Version}.nupkg");

    private static (HashSet<string> Entries, XElement Metadata) Open(string id)
    {
        using var zip = ZipFile.OpenRead(Nupkg(id));
        var entries = zip.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
        using var nuspec = zip.GetEntry($"{id}.nuspec")!.Open();
        var metadata = XDocument.Load(nuspec).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        return (entries, metadata);
    }

    private static readonly Lazy<string> Head = new(() =>
    {
        var git = ProcessRun.Run("git", ["rev-parse", "HEAD"], NotebookRunner.RepoRoot, TimeSpan.FromMinutes(1));
        Assert.True(git.ExitCode == 0, git.Describe("git rev-parse HEAD"));
        return git.Stdout.Trim();
    });

    private static XElement? Child(XElement parent, string name) => parent.Elements().SingleOrDefault(e => e.Name.LocalName == name);

    private static List<string> Dependencies(XElement metadata) =>
        metadata.Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => (string)e.Attribute("id")!).ToList();

    [Theory]
    [InlineData("Msun.Analysis.Core")]
    [InlineData("Msun.Analysis.Torch")]
    [InlineData("Msun.Analysis.Reports")]
    [InlineData("Msun.Analysis.Interactive")]
    public void Each_package_carries_its_assembly_documentation_readme_licence_and_commit(string id)
    {
        var (entries, metadata) = Open(id);

        Assert.Contains($"lib/net10.0/{id}.dll", entries);
        Assert.Contains($"lib/net10.0/{id}.xml", entries);
        Assert.Contains("README.md", entries);
        Assert.Contains("LICENSE", entries);
        Assert.Equal(LocalFeed.Version, Child(metadata, "version")?.Value);
        var license = Child(metadata, "license");
        Assert.True(license is not null && (string?)license.Attribute("type") == "expression" && license.Value == "MIT", $"{id}: licence metadata {license}");
        Assert.Equal("README.md", Child(metadata, "readme")?.Value);
        // The commit the package was built from: this checkout's.
        var repository = Child(metadata, "repository");
        Assert.True(repository is not null && (string?)repository.Attribute("type") == "git", $"{id}: repository element {repository}");
        Assert.Equal(Head.Value, (string?)repository.Attribute("commit"));
        // The embedded PDB: no separate symbols file is needed.
        Assert.DoesNotContain(entries, e => e.EndsWith(".pdb", StringComparison.Ordinal));
    }

    [Fact]
    public void Package_dependencies_follow_the_project_arrows_and_leave_runtimes_to_the_application()
    {
        var torch = Dependencies(Open("Msun.Analysis.Torch").Metadata);
        Assert.Contains("Msun.Analysis.Core", torch);
        Assert.Contains("TorchSharp", torch);
        Assert.DoesNotContain(torch, d => d.StartsWith("libtorch", StringComparison.Ordinal));

        var interactive = Open("Msun.Analysis.Interactive");
        Assert.Contains("interactive-extensions/dotnet/Msun.Analysis.Interactive.dll", interactive.Entries);
        var dependencies = Dependencies(interactive.Metadata);
        Assert.Contains("Msun.Analysis.Reports", dependencies);
        Assert.Contains("Msun.Analysis.Core", dependencies);
        // The notebook tools bring their own .NET Interactive: the package must not ask for another copy.
        Assert.DoesNotContain(dependencies, d => d.StartsWith("Microsoft.DotNet.Interactive", StringComparison.Ordinal));

        var reports = Dependencies(Open("Msun.Analysis.Reports").Metadata);
        Assert.Contains("Msun.Analysis.Core", reports);
        Assert.DoesNotContain(reports, d => d.StartsWith("TorchSharp", StringComparison.Ordinal));
    }

    /// <summary>
    /// A console project in a temporary folder (outside the repository, so none of its build files apply) restores
    /// Msun.Analysis.Core from the feed and the repository's NuGet sources only, and computes linear CKA on a case done
    /// by hand: with one feature, linear CKA is the squared Pearson correlation. x = (1, 2, 3, 4) and y = (1, 3, 2, 4)
    /// centre to (−1.5, −0.5, 0.5, 1.5) and (−1.5, 0.5, −0.5, 1.5): x·y = 4, |x|² = |y|² = 5, so CKA = 16/25 = 0.64.
    /// </summary>
    [Fact]
    public void A_project_outside_the_repository_references_Core_from_the_feed_and_computes_CKA()
    {
        var feed = LocalFeed.Folder;
        var dir = Directory.CreateTempSubdirectory("msun-package-consumer-").FullName;
        try
        {
            Assert.False(dir.StartsWith(NotebookRunner.RepoRoot, StringComparison.Ordinal), $"{dir} is inside the repository");
            var timeout = TimeSpan.FromMinutes(5);
            void Dotnet(params string[] args)
            {
                var result = ProcessRun.Run("dotnet", args, dir, timeout);
                Assert.True(result.ExitCode == 0, result.Describe("dotnet " + string.Join(' ', args)));
            }

            File.Copy(Path.Combine(NotebookRunner.RepoRoot, "nuget.config"), Path.Combine(dir, "nuget.config"));
            Dotnet("nuget", "add", "source", feed, "--name", "msun-local-feed", "--configfile", "nuget.config");
            File.WriteAllText(Path.Combine(dir, "Consumer.csproj"), """
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                  </PropertyGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(dir, "Program.cs"), """
                using System.Globalization;
                using System.Reflection;
                using Msun.Analysis.Core.Cka;

                var x = FeatureMatrix.From("x", new double[,] { { 1 }, { 2 }, { 3 }, { 4 } });
                var y = FeatureMatrix.From("y", new double[,] { { 1 }, { 3 }, { 2 }, { 4 } });
                Console.WriteLine(Cka.Compute(x, y).Value.ToString("R", CultureInfo.InvariantCulture));
                Console.WriteLine(typeof(Cka).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion);
                """);
            Dotnet("add", "package", "Msun.Analysis.Core", "--version", LocalFeed.Version);

            var run = ProcessRun.Run("dotnet", ["run", "--no-restore"], dir, timeout);
            Assert.True(run.ExitCode == 0, run.Describe("dotnet run"));
            var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.Equal(0.64, double.Parse(lines[0], CultureInfo.InvariantCulture), 1e-12);
            // The assembly of this build's package (version + this commit), not some other copy.
            Assert.StartsWith(LocalFeed.Version + "+", lines[1]);
            var assets = File.ReadAllText(Path.Combine(dir, "obj", "project.assets.json"));
            Assert.Contains($"\"Msun.Analysis.Core/{LocalFeed.Version}\"", assets);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
