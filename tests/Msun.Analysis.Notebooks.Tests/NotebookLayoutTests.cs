using System.Text.Json;
using System.Text.RegularExpressions;

namespace Msun.Analysis.Notebooks.Tests;

/// <summary>
/// The notebooks' layout, checked without running them: each is a Jupyter notebook with a file-based app beside it, the
/// shared setup comes first and identically in each, and what an app repeats of its notebook is the notebook's code.
/// </summary>
public sealed partial class NotebookLayoutTests
{
    // The setup cells every notebook starts with, in this order (the Torch one only where TorchSharp is used).
    private static readonly string[] SetupCells = ["#!import setup.dib", "#!import setup-torch.dib"];

    [GeneratedRegex(@"^\d\d-.+\.(ipynb|dib|cs)$")]
    private static partial Regex NumberedNotebook();

    [GeneratedRegex(@"^// notebook cell (\d+)$")]
    private static partial Regex CellMarker();

    private static string[] Numbered() =>
        Directory.GetFiles(NotebookRunner.NotebooksDirectory).Select(Path.GetFileName).Where(f => NumberedNotebook().IsMatch(f!))
            .Select(f => Path.GetFileNameWithoutExtension(f!)).Distinct().Order().ToArray();

    /// <summary>Each code cell's source, in order.</summary>
    private static IReadOnlyList<string> CodeCells(string notebook)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(NotebookRunner.NotebooksDirectory, notebook + ".ipynb")));
        return doc.RootElement.GetProperty("cells").EnumerateArray()
            .Where(c => c.GetProperty("cell_type").GetString() == "code")
            .Select(c => string.Concat(c.GetProperty("source").EnumerateArray().Select(l => l.GetString())))
            .ToArray();
    }

    [Fact]
    public void Every_notebook_is_a_Jupyter_notebook_with_a_file_based_app_beside_it()
    {
        var names = Numbered();
        Assert.True(names.Length >= 4, $"found only {string.Join(", ", names)} in {NotebookRunner.NotebooksDirectory}");
        foreach (var name in names)
        {
            var folder = NotebookRunner.NotebooksDirectory;
            Assert.True(File.Exists(Path.Combine(folder, name + ".ipynb")), $"{name} is not a Jupyter notebook (.ipynb)");
            Assert.False(File.Exists(Path.Combine(folder, name + ".dib")), $"{name}.dib is left beside {name}.ipynb");
            Assert.True(File.Exists(Path.Combine(folder, name + ".cs")), $"{name} has no file-based app {name}.cs");
        }
    }

    [Fact]
    public void Every_notebook_starts_with_the_shared_setup_cells_and_has_no_other()
    {
        foreach (var name in Numbered())
        {
            var cells = CodeCells(name).Select(c => c.Trim()).ToArray();
            var setup = cells.TakeWhile(c => c.StartsWith("#!import", StringComparison.Ordinal)).ToArray();
            Assert.True(setup.Length >= 1 && setup.SequenceEqual(SetupCells.Take(setup.Length)),
                $"{name}.ipynb starts with [{string.Join(" | ", setup)}], not the shared setup cells [{string.Join(" | ", SetupCells)}]");
            Assert.DoesNotContain(cells.Skip(setup.Length), c => c.Contains("#!import", StringComparison.Ordinal) || c.Contains("#r ", StringComparison.Ordinal));
        }
    }

    /// <summary>
    /// An app marks what it repeats of its notebook with <c>// notebook cell N</c>; every line of such a block is a line of
    /// that code cell (the output folder excepted: the app takes it from its arguments), so the two cannot drift apart.
    /// </summary>
    [Fact]
    public void Every_app_repeats_its_notebooks_cells_verbatim()
    {
        int checkedLines = 0;
        foreach (var name in Numbered())
        {
            var cells = CodeCells(name);
            int? cell = null;
            foreach (var line in File.ReadLines(Path.Combine(NotebookRunner.NotebooksDirectory, name + ".cs")))
            {
                if (CellMarker().Match(line) is { Success: true } m)
                {
                    cell = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                    Assert.True(cell <= cells.Count, $"{name}.cs refers to code cell {cell}; the notebook has {cells.Count}");
                    continue;
                }
                if (line.StartsWith("// notebook cells", StringComparison.Ordinal)) cell = null;
                if (cell is null || line.Length == 0 || line.Contains("outDir", StringComparison.Ordinal)) continue;
                Assert.True(cells[cell.Value - 1].Split('\n').Contains(line),
                    $"{name}.cs: \"{line.Trim()}\" is not in the notebook's code cell {cell}; keep the app's copy equal to the notebook");
                checkedLines++;
            }
        }
        Assert.True(checkedLines >= 10, $"only {checkedLines} lines checked: the apps no longer mark the cells they repeat");
    }
}
