using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.Json;

namespace Msun.Analysis.Notebooks.Tests;

/// <summary>One code cell's outcome in the executed notebook <c>dotnet repl</c> writes: its outputs' MIME types and text.</summary>
public sealed record CellResult(string Name, string Outcome, string Message, string Output, IReadOnlyList<string> MimeTypes);

/// <summary>What a headless notebook run gave: the tool's exit code, each cell's outcome and the tool's own output.</summary>
public sealed record NotebookRun(int ExitCode, IReadOnlyList<CellResult> Cells, string ToolOutput, TimeSpan Elapsed)
{
    public IReadOnlyList<CellResult> Failed => Cells.Where(c => c.Outcome != "Passed").ToList();

    /// <summary>The failing cells with their error and output, then the tool's output: what a CI log needs.</summary>
    public string Describe()
    {
        var sb = new StringBuilder($"exit code {ExitCode}, {Cells.Count} cells, {Failed.Count} not passed, {Elapsed.TotalSeconds:F0} s\n");
        foreach (var c in Failed)
            sb.Append($"--- {c.Name}: {c.Outcome}\n{c.Message}\n{c.Output}\n");
        return sb.Append("--- dotnet repl output:\n").Append(ToolOutput).ToString();
    }
}

/// <summary>
/// Runs a notebook headless with the repo's pinned dotnet-repl (.config/dotnet-tools.json) and reads the executed notebook
/// it writes (Jupyter format, every cell's outputs; a cell that threw has an <c>error</c> output).
/// The notebooks reference the libraries as packages from <see cref="LocalFeed"/>, packed from what `dotnet test` has
/// just built (the project references them).
/// </summary>
public static class NotebookRunner
{
    // Notebook 4 (restore from the feed included) took 165 s and 7 min on this shared 2-core machine under training load.
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    /// <summary>The repository root (holds Msun.Analysis.sln).</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The notebooks folder.</summary>
    public static string NotebooksDirectory => Path.Combine(RepoRoot, "notebooks");

    // `dotnet test` alone (without .ci/run) must find the pinned tool too; restoring an installed tool is a no-op.
    private static readonly Lazy<string> ToolRestore = new(() =>
    {
        var restore = ProcessRun.Run("dotnet", ["tool", "restore"], RepoRoot, Timeout);
        return restore.ExitCode == 0 ? "" : restore.Describe("dotnet tool restore");
    });

    /// <summary>Runs <paramref name="notebook"/> with <paramref name="workingDirectory"/> as the current folder (where <c>#!import</c> resolves).</summary>
    public static NotebookRun Run(string notebook, string workingDirectory, string outputDirectory)
    {
        if (ToolRestore.Value.Length > 0)
            throw new InvalidOperationException(ToolRestore.Value);
        var executed = ExecutedPath(notebook, outputDirectory);
        File.Delete(executed);
        var environment = new Dictionary<string, string>
        {
            // The notebooks reference the toolkit's packages from this run's feed (setup.dib reads MSUN_FEED).
            ["MSUN_FEED"] = LocalFeed.Folder,
            ["MSUN_NOTEBOOK_OUT"] = outputDirectory,
            // Torch's OpenMP threads must not spin against the other test processes on a small machine.
            ["OMP_WAIT_POLICY"] = "PASSIVE",
        };
        var watch = Stopwatch.StartNew();
        var result = ProcessRun.Run("dotnet",
            ["repl", "--run", notebook, "--exit-after-run", "--output-format", "ipynb", "--output-path", executed],
            workingDirectory, Timeout, environment);
        var cells = File.Exists(executed) ? ReadCells(executed) : [];
        return new NotebookRun(result.ExitCode, cells, result.Stdout + result.Stderr, watch.Elapsed);
    }

    /// <summary>Where <see cref="Run"/> writes the executed copy of <paramref name="notebook"/>.</summary>
    public static string ExecutedPath(string notebook, string outputDirectory) =>
        Path.Combine(outputDirectory, Path.GetFileNameWithoutExtension(notebook) + ".executed.ipynb");

    /// <summary>Each code cell of a Jupyter notebook with its outputs, in order; a cell with an error output failed.</summary>
    public static IReadOnlyList<CellResult> ReadCells(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var cells = new List<CellResult>();
        foreach (var cell in doc.RootElement.GetProperty("cells").EnumerateArray())
        {
            if (cell.GetProperty("cell_type").GetString() != "code") continue;
            var text = new StringBuilder();
            var mimeTypes = new List<string>();
            string? error = null;
            foreach (var output in cell.GetProperty("outputs").EnumerateArray())
            {
                switch (output.GetProperty("output_type").GetString())
                {
                    case "error":
                        error = $"{output.GetProperty("ename").GetString()}: {output.GetProperty("evalue").GetString()}";
                        mimeTypes.Add("error");
                        break;
                    case "stream":
                        text.Append(Joined(output.GetProperty("text")));
                        mimeTypes.Add("stream");
                        break;
                    default:
                        foreach (var data in output.GetProperty("data").EnumerateObject())
                        {
                            mimeTypes.Add(data.Name);
                            if (data.Name.StartsWith("text/", StringComparison.Ordinal)) text.Append(Joined(data.Value));
                        }
                        break;
                }
            }
            cells.Add(new CellResult($"cell {cells.Count + 1}", error is null ? "Passed" : "Failed", error ?? "", text.ToString(), mimeTypes));
        }
        return cells;
    }

    // Jupyter stores multi-line text as a string or as an array of lines.
    private static string Joined(JsonElement text) =>
        text.ValueKind == JsonValueKind.Array ? string.Concat(text.EnumerateArray().Select(l => l.GetString())) : text.GetString() ?? "";

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Msun.Analysis.sln")))
                return dir.FullName;
        var recorded = typeof(NotebookRunner).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "MsunRepoRoot")?.Value;
        return recorded is not null && File.Exists(Path.Combine(recorded, "Msun.Analysis.sln"))
            ? recorded
            : throw new InvalidOperationException($"Cannot find Msun.Analysis.sln above {AppContext.BaseDirectory} or at '{recorded}'.");
    }
}
