using System.CommandLine;
using System.Globalization;
using Msun.Analysis.Core.Results;
using Msun.Analysis.Core.Tables;
using Msun.Analysis.Reports;
using Msun.Analysis.Torch.Pipeline;
using Msun.Analysis.Torch.Unified;
using TorchSharp;

namespace Msun.Analysis.Cli.Commands;

/// <summary>
/// <c>msun study</c>: parses the options, runs <see cref="StudyPipeline"/> (baseline, layer-wise CKA study, split,
/// Vanilla, MST and MSUN over seeds, evaluation with intervals, report) and prints the claims. A rerun reuses
/// finished steps.
/// </summary>
internal static class StudyCommand
{
    /// <summary>The main job's geometry: the paper's (README, "Which geometry is the default, and why").</summary>
    private const string DefaultGeometry = "paper";

    /// <summary>
    /// Seeds of the main job: one, because a seed of the paper geometry on the quick budget takes about 20 minutes on two
    /// cores (estimated from epoch times measured on a loaded machine) and the main job must finish inside 30; its intervals then
    /// cover the test images only, and say so.
    /// </summary>
    private const int DefaultSeeds = 1;

    public static Command Create()
    {
        var shared = new PipelineCommandOptions(DefaultSeeds);
        var geometry = new Option<string>("--geometry")
        {
            Description = "paper: the paper's sizes scaled by R/224 with an ImageNet-stem ResNet-18 (Fashion-MNIST upsampled to R); cifar: resnet18-small at 28 px (CIFAR stem).",
            DefaultValueFactory = _ => DefaultGeometry,
        };
        geometry.AcceptOnlyFromAmong([.. StudyGeometry.Names]);
        var referenceSize = new Option<int?>("--reference-size") { Description = $"Reference size R of the paper geometry: {StudyGeometry.DefaultPaperReferenceSize} (default, the paper's sizes / 4) or 112 (/ 2)." };
        var model = new Option<string?>("--model") { Description = "Backbone instead of the geometry's (the geometry's sizes stay)." };
        var split = new Option<int?>("--split") { Description = "MSUN split (leading stages per subnet) to train instead of the study's recommendation (the recommendation is still computed and saved)." };
        var output = new Option<DirectoryInfo>("--out")
        {
            Description = "Output folder (default: msun-results/<dataset>-<geometry>-<R>-<backbone>-<budget>-<K>seeds in the current folder).",
        };
        var command = new Command("study",
            "The whole study on one dataset: baseline, layer-wise CKA study, split recommendation, MSUN and baselines over seeds, evaluation with intervals, HTML report. Reuses finished steps.");
        foreach (var option in shared.All.Append(geometry).Append(referenceSize).Append(model).Append(split).Append(output))
            command.Options.Add(option);
        command.SetAction(parse => CliErrors.Run("study", () => Run(parse, shared, parse.GetValue(geometry)!, parse.GetValue(referenceSize),
            parse.GetValue(model), parse.GetValue(split), parse.GetValue(output))));
        return command;
    }

    private static int Run(ParseResult parse, PipelineCommandOptions shared, string geometryName, int? referenceSize, string? model, int? forcedSplit,
        DirectoryInfo? output)
    {
        DebianPackages.RequireOpenBlas();
        var (budget, device, seeds) = shared.Check(parse);
        var geometry = StudyGeometry.Get(geometryName, referenceSize);
        if (model is not null)
        {
            var other = PipelineCommandOptions.Backbone(model);
            geometry = geometry with { Backbone = other.Name, Description = geometry.Description + $" (backbone replaced by {other.Name})" };
        }

        var datasetName = parse.GetValue(shared.Dataset)!;
        var outDir = output?.FullName ?? Path.GetFullPath(Path.Combine("msun-results",
            string.Create(CultureInfo.InvariantCulture, $"{datasetName}-{geometry.Name}-{geometry.ReferenceSize}-{geometry.Backbone}-{budget.Name}-{seeds}seeds")));
        if (File.Exists(outDir)) throw new ArgumentException($"--out {outDir} is a file, not a folder.");
        var (train, test) = shared.Load(parse);
        var options = new StudyPipelineOptions(
            ReproductionOptions.For(geometry, budget, forcedSplit ?? 1, seeds, parse.GetValue(shared.Seed), device), forcedSplit);
        // Every option is checked against the data and any existing checkpoint before anything is written.
        Reproduction.Preflight(options.Reproduction, geometry.ReferenceSize, outDir);

        Console.Error.WriteLine($"msun study: {geometry.Description}; {train.Provenance.DatasetName}, {budget.Name} budget, {seeds} seed(s), {torch.get_num_threads()} threads -> {outDir}");
        using var cancel = CliCancellation.OnCtrlC("study");
        CliBlas.NoteIfManaged("study");
        var result = CliErrors.Work(() => StudyPipeline.Run(options, train, test, outDir, WriteReport, PipelineCommandOptions.StepLog, cancel.Token));

        if (result.Reproduction.Comparison.Claims.Count > 0)
            Console.Write(ResultTables.Claims(result.Reproduction.Comparison).ToText());
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"split: recommended {result.Recommendation.Split}, trained {result.TrainedSplit}; {result.Elapsed.TotalMinutes:F1} min; verdict: {Path.Combine(outDir, ResultFiles.VerdictMarkdown)}; report: {result.ReportPath}"));
        return 0;
    }

    private static string WriteReport(string folder)
    {
        var path = Path.Combine(folder, ResultFiles.Report);
        MsunReport.Build(ResultsFolder.Load(folder)).Save(path);
        return path;
    }
}
