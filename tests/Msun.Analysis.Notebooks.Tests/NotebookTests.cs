using Xunit.Abstractions;

namespace Msun.Analysis.Notebooks.Tests;

/// <summary>
/// Every notebook runs headless and every cell must pass. One at a time (the torch notebooks use both cores), and
/// each in a fresh output folder.
/// </summary>
[Collection(NotebookCollection.Name)]
public sealed class NotebookTests(ITestOutputHelper log) : IDisposable
{
    private readonly string _out = Directory.CreateTempSubdirectory("msun-notebook-").FullName;

    [Theory]
    [InlineData("01-scale-sensitivity-study.dib")]
    public void Notebook_runs_with_every_cell_passing(string notebook)
    {
        var run = NotebookRunner.Run(notebook, NotebookRunner.NotebooksDirectory, _out);
        log.WriteLine($"{notebook}: {run.Cells.Count} cells in {run.Elapsed.TotalSeconds:F0} s");
        Assert.True(run.ExitCode == 0 && run.Cells.Count > 0 && run.Failed.Count == 0, run.Describe());
    }

    public void Dispose() => Directory.Delete(_out, recursive: true);
}

/// <summary>Notebook runs never overlap.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NotebookCollection
{
    public const string Name = "notebooks";
}
