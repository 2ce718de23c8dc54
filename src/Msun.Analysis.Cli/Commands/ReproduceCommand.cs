using System.CommandLine;
using System.Globalization;
using Msun.Analysis.Core.Tables;
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

        // Mean ± std over the seeds, as in verdict.md; the pooled counts only when there is no seed table.
        Console.Write((result.Seeds is { } perSeed ? ResultTables.SeedAccuracy(perSeed) : ResultTables.Accuracy(result.Accuracy)).ToText());
        Console.Write(ResultTables.MethodCosts(result.Comparison).ToText());
        Console.WriteLine();
        Console.WriteLine(result.Comparison.Verdict);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{result.Elapsed.TotalMinutes:F1} min; reused: {(result.ReusedSteps.Count == 0 ? "none" : string.Join(", ", result.ReusedSteps))}; written to {output.FullName}"));
        return 0;
    }
}
