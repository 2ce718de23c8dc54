using System.Text.Json;
using Xunit.Abstractions;

namespace Msun.Analysis.Notebooks.Tests;

/// <summary>
/// Every notebook runs headless with every cell passing, shows results through the formatters, and writes its files.
/// One at a time (the torch notebooks use both cores), each into a fresh output folder.
/// </summary>
[Collection(NotebookCollection.Name)]
public sealed class NotebookTests(ITestOutputHelper log) : IDisposable
{
    private readonly string _out = Directory.CreateTempSubdirectory("msun-notebook-").FullName;

    [Theory]
    [InlineData("01-scale-sensitivity-study", new[] { "study/profile.json", "study/grid.json", "study/split.json" })]
    [InlineData("02-pick-subnet-depth", new[] { "profile.json", "split.json" })]
    [InlineData("03-msun-vs-baselines", new[] { "accuracy.json", "macs.json", "comparison.json" })]
    [InlineData("04-redraw-figures", new[] { "report.html" })]
    public void Notebook_runs_with_every_cell_passing(string notebook, string[] writes)
    {
        var committed = Path.Combine(NotebookRunner.NotebooksDirectory, notebook + ".ipynb");
        var run = NotebookRunner.Run(committed, NotebookRunner.NotebooksDirectory, _out);
        log.WriteLine($"{notebook}: {run.Cells.Count} cells in {run.Elapsed.TotalSeconds:F0} s");

        Assert.True(run.ExitCode == 0 && run.Cells.Count > 0 && run.Failed.Count == 0, run.Describe());
        Assert.Contains(run.Cells, c => c.Output.Contains("<div class=\"msun-result", StringComparison.Ordinal));
        foreach (var written in writes)
            Assert.True(File.Exists(Path.Combine(_out, notebook, written)), $"{notebook} did not write {written} into {Path.Combine(_out, notebook)}");
        AssertCommittedOutputs(notebook, NotebookRunner.ReadCells(committed), run.Cells);
        AssertToolkitCameFromTheFeed(notebook);
    }

    /// <summary>
    /// The notebook used the toolkit as a package from this run's feed: packing removed any earlier copy of this version
    /// from the NuGet cache, so the copy there now was restored by the notebook, and NuGet records the feed as its source.
    /// </summary>
    private static void AssertToolkitCameFromTheFeed(string notebook)
    {
        var metadata = Path.Combine(LocalFeed.GlobalPackagesFolder, "msun.analysis.interactive", LocalFeed.Version, ".nupkg.metadata");
        Assert.True(File.Exists(metadata), $"{notebook} ran, but Msun.Analysis.Interactive {LocalFeed.Version} was not restored ({metadata} is missing)");
        using var json = JsonDocument.Parse(File.ReadAllText(metadata));
        var source = json.RootElement.GetProperty("source").GetString() ?? "";
        Assert.Equal(LocalFeed.Folder.TrimEnd('/'), source.TrimEnd('/'));
    }

    /// <summary>
    /// A committed notebook carries the outputs of its last regeneration (notebooks/regenerate-outputs.sh): every cell
    /// that shows something now showed something then, with the same kinds of output (a figure's PNG included), and no error.
    /// </summary>
    private static void AssertCommittedOutputs(string notebook, IReadOnlyList<CellResult> committed, IReadOnlyList<CellResult> fresh)
    {
        const string regenerate = "regenerate them with notebooks/regenerate-outputs.sh";
        Assert.True(committed.Count == fresh.Count, $"{notebook}.ipynb has {committed.Count} code cells committed, {fresh.Count} ran; {regenerate}");
        for (int i = 0; i < fresh.Count; i++)
        {
            Assert.True(committed[i].Outcome == "Passed", $"{notebook}.ipynb {committed[i].Name} is committed with an error: {committed[i].Message}");
            foreach (var kind in fresh[i].MimeTypes.Distinct().Where(k => k is "text/html" or "image/png" or "text/plain"))
                Assert.True(committed[i].MimeTypes.Contains(kind),
                    $"{notebook}.ipynb {committed[i].Name} shows {kind} when run but is committed without it; {regenerate}");
        }
        Assert.Contains(committed, c => c.MimeTypes.Contains("image/png"));
    }

    [Fact]
    public void A_cell_that_throws_fails_the_run()
    {
        var notebook = Path.Combine(_out, "throws.dib");
        File.WriteAllText(notebook, """
            #!csharp

            var before = 1 + 1;

            #!csharp

            throw new InvalidOperationException("deliberate failure " + before);

            #!csharp

            var after = 3;
            """);

        var run = NotebookRunner.Run(notebook, NotebookRunner.NotebooksDirectory, _out);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Equal(3, run.Cells.Count);
        var failed = Assert.Single(run.Failed);
        Assert.Contains("deliberate failure 2", failed.Message);
        Assert.Contains("deliberate failure 2", run.Describe());
    }

    public void Dispose() => Directory.Delete(_out, recursive: true);
}

/// <summary>Notebook runs never overlap.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NotebookCollection
{
    public const string Name = "notebooks";
}
