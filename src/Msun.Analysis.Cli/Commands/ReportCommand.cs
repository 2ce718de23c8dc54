using System.CommandLine;
using Msun.Analysis.Core.Results;
using Msun.Analysis.Reports;

namespace Msun.Analysis.Cli.Commands;

/// <summary>
/// <c>msun report</c>: finds the result files under a folder (profile.json, grid.json, split.json, accuracy.json, macs.json),
/// and writes one self-contained HTML page with every figure they allow, the numbers behind them and their provenance.
/// </summary>
internal static class ReportCommand
{
    /// <summary>Default report file name, inside the results folder.</summary>
    public const string DefaultFile = ResultFiles.Report;

    /// <summary>Folder of the per-figure files, next to the report.</summary>
    public const string FiguresFolder = "report-figures";

    public static Command Create()
    {
        var folder = new Argument<string>("results") { Description = "A folder of results (searched recursively): study-scales, recommend-split and evaluate outputs." };
        var output = new Option<string?>("--out") { Description = $"The HTML file to write (default: RESULTS/{DefaultFile}); replaced atomically." };
        var figures = new Option<bool>("--figures") { Description = $"Also save each figure as its own self-contained HTML in {FiguresFolder}/ next to the report." };
        var png = new Option<bool>("--png")
        {
            Description = $"Also save each figure as PNG in {FiguresFolder}/ (needs a headless Chromium: Debian's chromium at {PngExport.DefaultChromium}, or ${PngExport.ChromiumVariable}).",
        };
        var command = new Command("report", "Write one self-contained HTML report (figures, tables, provenance) from saved result files.")
        {
            folder, output, figures, png,
        };
        command.SetAction(parse => CliErrors.Run("report", () =>
            Run(parse.GetRequiredValue(folder), parse.GetValue(output), parse.GetValue(figures), parse.GetValue(png))));
        return command;
    }

    private static int Run(string folder, string? output, bool figures, bool png)
    {
        // Read (and so validate) the results first: a bad results folder is the error to report, not the default output path.
        var results = ResultsFolder.Load(folder);
        string outPath = Path.GetFullPath(output ?? Path.Combine(folder, DefaultFile));
        if (Directory.Exists(outPath)) throw new ArgumentException($"--out {outPath} is a folder; give the HTML file to write.");
        string outDir = Path.GetDirectoryName(outPath)!;
        if (!Directory.Exists(outDir)) throw new DirectoryNotFoundException($"--out {outPath}: folder {outDir} does not exist.");
        // Before anything is written: --png without a browser fails here, not after the report.
        string? chromium = png ? PngExport.FindChromium() : null;

        var report = MsunReport.Build(results);
        bool replaced = File.Exists(outPath);
        report.Save(outPath);
        Console.Error.WriteLine($"msun report: read {results.Count} result file(s) under {results.Root}; {report.Figures.Count} figure(s).");
        if (figures || png)
        {
            string dir = Directory.CreateDirectory(Path.Combine(outDir, FiguresFolder)).FullName;
            for (int i = 0; i < report.Figures.Count; i++)
            {
                string stem = Path.Combine(dir, report.FigureIds[i]);
                if (figures) HtmlReport.SaveStandalone(report.Figures[i], stem + ".html");
                if (chromium is not null) PngExport.Save(report.Figures[i], stem + ".png", chromium);
            }

            Console.Error.WriteLine($"msun report: wrote {report.Figures.Count} figure(s) as {(figures && png ? "HTML and PNG" : figures ? "HTML" : "PNG")} to {dir}");
        }

        Console.Error.WriteLine($"msun report: {(replaced ? "replaced" : "wrote")} {outPath}");
        Console.WriteLine(outPath);
        return 0;
    }
}
