using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace Msun.Analysis.Notebooks.Tests;

/// <summary>One cell's outcome as the TRX report of <c>dotnet repl</c> records it.</summary>
public sealed record CellResult(string Name, string Outcome, string Message, string Output);

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
/// Runs a notebook headless with the repo's pinned dotnet-repl (.config/dotnet-tools.json) and reads its TRX report.
/// The notebooks load the libraries from this test project's artifacts root and configuration, which `dotnet test`
/// has just built (the project references them).
/// </summary>
public static class NotebookRunner
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    /// <summary>The repository root (holds Msun.Analysis.sln).</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The notebooks folder.</summary>
    public static string NotebooksDirectory => Path.Combine(RepoRoot, "notebooks");

    // `dotnet test` alone (without .ci/run) must find the pinned tool too; restoring an installed tool is a no-op.
    private static readonly Lazy<string> ToolRestore = new(() =>
    {
        var start = new ProcessStartInfo("dotnet", "tool restore") { WorkingDirectory = RepoRoot, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? "" : $"dotnet tool restore failed ({process.ExitCode}):\n{output.Result}{error}";
    });

    /// <summary>Runs <paramref name="notebook"/> with <paramref name="workingDirectory"/> as the current folder (where <c>#!import</c> resolves).</summary>
    public static NotebookRun Run(string notebook, string workingDirectory, string outputDirectory)
    {
        if (ToolRestore.Value.Length > 0)
            throw new InvalidOperationException(ToolRestore.Value);
        var trx = Path.Combine(outputDirectory, Path.GetFileNameWithoutExtension(notebook) + ".trx");
        File.Delete(trx);
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var a in new[] { "repl", "--run", notebook, "--exit-after-run", "--output-format", "trx", "--output-path", trx })
            start.ArgumentList.Add(a);
        // bin/<project>/<configuration>/ under the artifacts root: the notebooks look for the libraries beside us.
        var bin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        start.Environment["MSUN_ARTIFACTS"] = bin.Parent!.Parent!.Parent!.FullName;
        start.Environment["MSUN_CONFIGURATION"] = bin.Name;
        start.Environment["MSUN_NOTEBOOK_OUT"] = outputDirectory;
        // Torch's OpenMP threads must not spin against the other test processes on a small machine.
        start.Environment["OMP_WAIT_POLICY"] = "PASSIVE";

        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{notebook} did not finish within {Timeout.TotalMinutes} minutes.\n{stdout.Result}\n{stderr.Result}");
        }
        process.WaitForExit();
        var output = stdout.Result + stderr.Result;
        var cells = File.Exists(trx) ? ReadTrx(trx) : [];
        return new NotebookRun(process.ExitCode, cells, output, watch.Elapsed);
    }

    /// <summary>Each cell's result in a TRX file, in order.</summary>
    public static IReadOnlyList<CellResult> ReadTrx(string path)
    {
        XNamespace ns = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";
        // The file says encoding="utf-16" but is written as UTF-8: parse the text, where the declaration is ignored. Cell
        // outputs are copied in raw, control characters included (plotly.js has some), so characters are not checked.
        using var reader = XmlReader.Create(new StringReader(File.ReadAllText(path)), new XmlReaderSettings { CheckCharacters = false });
        var doc = XDocument.Load(reader);
        return doc.Descendants(ns + "UnitTestResult").Select(r => new CellResult(
            (string?)r.Attribute("testName") ?? "?",
            (string?)r.Attribute("outcome") ?? "?",
            r.Descendants(ns + "Message").FirstOrDefault()?.Value ?? "",
            r.Descendants(ns + "StdOut").FirstOrDefault()?.Value ?? "")).ToList();
    }

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
