using System.CommandLine;
using System.Globalization;
using Msun.Analysis.Core.Results;
using Msun.Analysis.Torch.Backbones;
using Msun.Analysis.Torch.Data;
using Msun.Analysis.Torch.Unified;
using TorchSharp;

namespace Msun.Analysis.Cli.Commands;

/// <summary>
/// <c>msun reproduce --dataset fashion-mnist --out DIR [--profile smoke|quick|full]</c>: trains Vanilla, MST and MSUN
/// with the same budget, evaluates all three on the multi-scale protocol and writes one comparison with a verdict.
/// A rerun with the same options reuses finished steps; Ctrl+C stops at a batch boundary.
/// </summary>
internal static class ReproduceCommand
{
    /// <summary>Step and epoch messages of a reproduction, one time-stamped line each on stderr (shared with <c>msun study</c>).</summary>
    public static IProgress<ReproductionProgress> StepLog { get; } =
        new SyncProgress<ReproductionProgress>(p => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {p.Step}: {p.Message}"));

    public static Command Create()
    {
        var dataset = new Option<string>("--dataset") { Description = "Built-in dataset manifest.", DefaultValueFactory = _ => "fashion-mnist" };
        var root = new Option<string?>("--root") { Description = "Dataset folder (default: the manifest's)." };
        var profile = new Option<string>("--profile")
        {
            Description = "Budget shared by all methods: " + string.Join("; ", ReproductionProfile.All.Select(p =>
                FormattableString.Invariant($"{p.Name} = {p.Epochs} epoch(s) on {(p.TrainSubset is int t ? t.ToString("N0", CultureInfo.InvariantCulture) : "all")} images, {p.ExpectedTime}"))) + ".",
            DefaultValueFactory = _ => "quick",
        };
        profile.AcceptOnlyFromAmong([.. ReproductionProfile.All.Select(p => p.Name)]);
        var model = new Option<string>("--model") { Description = "Backbone (default resnet18-small).", DefaultValueFactory = _ => "resnet18-small" };
        var split = new Option<int>("--split") { Description = "MSUN split: leading stages per subnet (default 2, the paper's; pass recommend-split's answer).", DefaultValueFactory = _ => 2 };
        var scales = new Option<string?>("--scales") { Description = "Sizes below the reference used by MST and MSUN, ascending (default 14,21 at 28)." };
        var seed = new Option<int>("--seed") { Description = "First training seed; also seeds the evaluation images.", DefaultValueFactory = _ => 0 };
        var seeds = new Option<int>("--seeds") { Description = "Train every method this many times (seeds --seed, --seed + 1, ...); intervals cover seeds and test images.", DefaultValueFactory = _ => 1 };
        var device = new Option<string>("--device") { Description = "cpu or cuda[:N].", DefaultValueFactory = _ => "cpu" };
        var threads = new Option<int?>("--threads") { Description = "torch intra-op threads (default: torch's choice)." };
        var output = new Option<DirectoryInfo>("--out") { Description = "Output folder (vanilla/, mst/, msun/ and the comparison files).", Required = true };
        var command = new Command("reproduce", "Train Vanilla, MST and MSUN with the same budget, evaluate all on the multi-scale protocol, compare.")
        {
            dataset, root, profile, model, split, scales, seed, seeds, device, threads, output,
        };
        command.SetAction(parse => CliErrors.Run("reproduce", () => Run(
            parse.GetValue(dataset)!, parse.GetValue(root), parse.GetValue(profile)!, parse.GetValue(model)!, parse.GetValue(split),
            parse.GetValue(scales), parse.GetValue(seed), parse.GetValue(seeds), parse.GetValue(device)!, parse.GetValue(threads), parse.GetRequiredValue(output))));
        return command;
    }

    private static int Run(string datasetName, string? root, string profileName, string model, int split, string? scaleList, int seed, int seeds,
        string deviceName, int? threads, DirectoryInfo output)
    {
        CliParsing.Device(deviceName);
        if (threads is < 1) throw new ArgumentException($"--threads {threads}: must be a positive number.");
        if (File.Exists(output.FullName)) throw new ArgumentException($"--out {output.FullName} is a file, not a folder.");
        if (!BackboneRegistry.TryGet(model, out _))
            throw new ArgumentException($"--model: unknown backbone '{model}'; known backbones: {string.Join(", ", BackboneRegistry.Names)}.");
        int[]? scales = scaleList is null ? null : CliParsing.Sizes(scaleList, "--scales");
        if (seeds < 1) throw new ArgumentException($"--seeds {seeds}: train every method at least once.");
        var options = new ReproductionOptions(ReproductionProfile.Get(profileName), model, split, scales, seed, deviceName.ToLowerInvariant()) { Seeds = seeds };
        if (threads is int t)
            torch.set_num_threads(t);

        var manifest = DatasetManifestLoader.LoadBuiltIn(datasetName);
        var train = DatasetLoader.Load(manifest, "train", root);
        var test = DatasetLoader.Load(manifest, "test", root);
        // Every option is validated (split against the backbone, scales against the reference, existing checkpoints
        // against the options) before anything is written or printed.
        Reproduction.Preflight(options, train.Height, output.FullName);
        Console.Error.WriteLine($"msun reproduce: {options.Profile.Name} profile ({options.Profile.ExpectedTime}), {model}, split {split}, " +
                                $"{torch.get_num_threads()} threads -> {output.FullName}");

        using var cancel = CliCancellation.OnCtrlC("reproduce");
        var result = Reproduction.Run(options, train, test, output.FullName,
            StepLog, cancel.Token);

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
