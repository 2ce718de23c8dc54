using System.CommandLine;
using System.Globalization;
using Msun.Analysis.Core.Results;
using Msun.Analysis.Reports;
using Msun.Analysis.Torch.Pipeline;
using TorchSharp;

namespace Msun.Analysis.Cli.Commands;

/// <summary>
/// <c>msun study</c>: parses the options, runs <see cref="StudyPipeline"/> (baseline, layer-wise CKA study, split,
/// MST and MSUN, evaluation, report) and prints the verdict. A rerun reuses finished steps.
/// </summary>
internal static class StudyCommand
{
    public static Command Create()
    {
        var shared = new PipelineCommandOptions();
        var split = new Option<int?>("--split") { Description = "MSUN split (leading stages per subnet) to train instead of the study's recommendation (the recommendation is still computed and saved)." };
        var output = new Option<DirectoryInfo>("--out")
        {
            Description = "Output folder (default: msun-results/<dataset>-<model>-<budget> in the current folder).",
        };
        var command = new Command("study",
            "The whole study on one dataset: baseline, layer-wise CKA study, split recommendation, MSUN and baselines, evaluation, HTML report. Reuses finished steps.");
        foreach (var option in shared.All) command.Options.Add(option);
        command.Options.Add(split);
        command.Options.Add(output);
        command.SetAction(parse => CliErrors.Run("study", () => Run(parse, shared, parse.GetValue(split), parse.GetValue(output))));
        return command;
    }

    private static int Run(ParseResult parse, PipelineCommandOptions shared, int? forcedSplit, DirectoryInfo? output)
    {
        var reproduction = shared.Bind(parse, forcedSplit ?? 1);
        var outDir = output?.FullName
            ?? Path.GetFullPath(Path.Combine("msun-results", $"{parse.GetValue(shared.Dataset)}-{reproduction.Backbone}-{reproduction.Profile.Name}"));
        if (File.Exists(outDir)) throw new ArgumentException($"--out {outDir} is a file, not a folder.");
        var (train, test) = shared.Load(parse);
        var options = new StudyPipelineOptions(reproduction, forcedSplit);
        // Every option is checked against the data and any existing checkpoint before anything is written.
        Reproduction.Preflight(reproduction, train.Height, outDir);

        Console.Error.WriteLine($"msun study: {reproduction.Backbone} on {train.Provenance.DatasetName}, {reproduction.Profile.Name} budget, {torch.get_num_threads()} threads -> {outDir}");
        using var cancel = CliCancellation.OnCtrlC("study");
        var result = StudyPipeline.Run(options, train, test, outDir, WriteReport, PipelineCommandOptions.StepLog, cancel.Token);

        Console.WriteLine(result.Reproduction.Comparison.Verdict);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"split: recommended {result.Recommendation.Split}, trained {result.TrainedSplit}; {result.Elapsed.TotalMinutes:F1} min; report: {result.ReportPath}"));
        return 0;
    }

    private static string WriteReport(string folder)
    {
        var path = Path.Combine(folder, ResultFiles.Report);
        MsunReport.Build(ResultsFolder.Load(folder)).Save(path);
        return path;
    }
}
