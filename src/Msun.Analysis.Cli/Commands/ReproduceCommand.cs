using System.CommandLine;
using System.Globalization;
using Msun.Analysis.Core.Results;
using Msun.Analysis.Torch.Pipeline;
using TorchSharp;

namespace Msun.Analysis.Cli.Commands;

/// <summary>
/// <c>msun reproduce --dataset fashion-mnist --out DIR [--budget smoke|quick|full]</c>: trains Vanilla, MST and MSUN
/// with the same budget, evaluates all three on the multi-scale protocol and writes one comparison with a verdict.
/// A rerun with the same options reuses finished steps; Ctrl+C stops at a batch boundary.
/// </summary>
internal static class ReproduceCommand
{
    public static Command Create()
    {
        var shared = new PipelineCommandOptions(defaultSeeds: 1);
        var defaults = new ReproductionOptions(ReproductionBudget.Quick);
        var model = new Option<string>("--model") { Description = $"Backbone (default {defaults.Backbone}).", DefaultValueFactory = _ => defaults.Backbone };
        var split = new Option<int>("--split")
        {
            Description = $"MSUN split: leading stages per subnet (default {defaults.Split}, the paper's; pass recommend-split's answer).",
            DefaultValueFactory = _ => defaults.Split,
        };
        var scales = new Option<string?>("--scales") { Description = "Sizes below the reference used by MST and MSUN, ascending (default: half and three quarters of the reference, 14,21 at 28)." };
        var output = new Option<DirectoryInfo>("--out") { Description = "Output folder (vanilla/, mst/, msun/ and the comparison files).", Required = true };
        var command = new Command("reproduce", "Train Vanilla, MST and MSUN with the same budget, evaluate all on the multi-scale protocol, compare.");
        foreach (var option in shared.All.Append(model).Append(split).Append(scales).Append(output))
            command.Options.Add(option);
        command.SetAction(parse => CliErrors.Run("reproduce", () => Run(parse, shared, parse.GetValue(model)!, parse.GetValue(split),
            parse.GetValue(scales), parse.GetRequiredValue(output))));
        return command;
    }

    private static int Run(ParseResult parse, PipelineCommandOptions shared, string model, int split, string? scaleList, DirectoryInfo output)
    {
        var (budget, device, seeds) = shared.Check(parse);
        if (File.Exists(output.FullName)) throw new ArgumentException($"--out {output.FullName} is a file, not a folder.");
        var spec = PipelineCommandOptions.Backbone(model);
        int[]? scales = scaleList is null ? null : CliParsing.Sizes(scaleList, "--scales");
        var options = new ReproductionOptions(budget, spec.Name, split, scales, parse.GetValue(shared.Seed), device) { Seeds = seeds };
        var (train, test) = shared.Load(parse);
        // Every option is validated (split against the backbone, scales against the reference, existing checkpoints
        // against the options) before anything is written or printed.
        Reproduction.Preflight(options, train.Height, output.FullName);
        Console.Error.WriteLine($"msun reproduce: {budget.Name} budget ({budget.ExpectedTime}), {spec.Name}, split {split}, " +
                                $"{torch.get_num_threads()} threads -> {output.FullName}");

        using var cancel = CliCancellation.OnCtrlC("reproduce");
        var result = CliErrors.Work(() => Reproduction.Run(options, train, test, output.FullName, PipelineCommandOptions.StepLog, cancel.Token));

        var accuracy = result.Accuracy;
        var sizes = accuracy[0].TestSizes;
        Console.WriteLine($"{"model",-6} {"scoring",-18} " + string.Join(" ", sizes.Select(s => $"{s + " px",7}")) + $" {"mean",7} {"params",10} {"MACs/img",12} {"vs van.",7}");
        foreach (var a in accuracy)
        {
            var row = result.Comparison.Row(a.Model, a.Scoring);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{a.Model,-6} {a.Scoring,-18} {string.Join(" ", sizes.Select(s => $"{100 * a.AccuracyAt(s),7:F2}"))} {100 * a.MeanAccuracy,7:F2} {row.Parameters,10:N0} {row.MeanMacs,12:N0} {row.MacsRatioToVanilla,7:F3}"));
        }

        Console.WriteLine();
        Console.WriteLine(result.Comparison.Verdict);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{result.Elapsed.TotalMinutes:F1} min; reused: {(result.ReusedSteps.Count == 0 ? "none" : string.Join(", ", result.ReusedSteps))}; written to {output.FullName}"));
        return 0;
    }
}
