using System.Diagnostics;
using Msun.Analysis.Reports;
using Xunit.Abstractions;

namespace Msun.Analysis.Notebooks.Tests;

/// <summary>
/// A notebook's file-based app runs with <c>dotnet run notebooks/NAME.cs</c> and writes what its notebook writes. Only the
/// cheapest (04, no TorchSharp) runs here; the Torch apps share their code with the notebooks the notebook tests run.
/// </summary>
[Collection(NotebookCollection.Name)]
public sealed class FileBasedAppTests(ITestOutputHelper log) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10); // its first build restores and compiles the app
    private readonly string _out = Directory.CreateTempSubdirectory("msun-app-").FullName;

    [Fact]
    public async Task The_redraw_app_writes_the_report_and_every_figure_of_the_sample_results()
    {
        var samples = Path.Combine(NotebookRunner.NotebooksDirectory, "sample-results");
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = NotebookRunner.RepoRoot, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "run", "notebooks/04-redraw-figures.cs", "--", samples, _out })
            start.ArgumentList.Add(a);
        // Its own build output: rebuilding the libraries into the shared artifacts could leave the copies the notebooks
        // load from different folders out of step (the kernel refuses two different builds of one assembly).
        start.Environment["MSUN_ARTIFACTS"] = Path.Combine(_out, "artifacts");
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"dotnet run notebooks/04-redraw-figures.cs did not finish within {Timeout.TotalMinutes} minutes.");
        }
        log.WriteLine($"04-redraw-figures.cs: {watch.Elapsed.TotalSeconds:F0} s");
        var output = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}:\n{output}");

        // Every figure of the report the library builds from the same folder, each as its own page.
        var report = MsunReport.Build(ResultsFolder.Load(samples));
        Assert.True(File.Exists(Path.Combine(_out, "report.html")), output);
        var pages = Directory.GetFiles(Path.Combine(_out, "figures"), "*.html");
        Assert.True(report.Figures.Count >= 5 && pages.Length == report.Figures.Count,
            $"{pages.Length} figure pages written, {report.Figures.Count} figures in the report:\n{output}");
        Assert.Contains(Path.Combine(_out, "report.html"), output);
    }

    public void Dispose() => Directory.Delete(_out, recursive: true);
}
