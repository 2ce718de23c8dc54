using System.CommandLine;
using Msun.Analysis.Core.Results;
using Msun.Analysis.Core.Tables;
using Msun.Analysis.Torch.Data;
using Msun.Analysis.Torch.Evaluation;
using Msun.Analysis.Torch.Pipeline;
using Msun.Analysis.Torch.Training;
using TorchSharp;

namespace Msun.Analysis.Cli.Commands;

/// <summary>
/// <c>msun evaluate --checkpoint DIR</c>: the multi-scale test protocol on a trained checkpoint: Vanilla/MST get each
/// test image enlarged back to the reference size; MSUN takes it natively, routed by size, and is also scored
/// best-of-branches and per branch. Accuracy per size and the mean, with the MACs per image; written as
/// accuracy.json/.csv and macs.json/.csv.
/// </summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<DirectoryInfo>("--checkpoint") { Description = "A run folder written by msun train (holds checkpoint.zip).", Required = true };
        var sizes = new Option<string?>("--sizes") { Description = "Comma-separated test sizes, each at most the reference (default: a ladder, e.g. 8,12,...,28)." };
        var dataset = new Option<string>("--dataset") { Description = "Built-in dataset manifest.", DefaultValueFactory = _ => "fashion-mnist" };
        var root = new Option<string?>("--root") { Description = "Dataset folder (default: the manifest's)." };
        var split = new Option<string>("--split") { Description = "Split to evaluate on.", DefaultValueFactory = _ => "test" };
        var images = new Option<int?>("--images") { Description = "Evaluate the first N images only (default: all)." };
        var batch = new Option<int>("--batch-size") { Description = "Images per forward pass.", DefaultValueFactory = _ => 256 };
        var antialias = new Option<bool>("--antialias") { Description = "Antialias the shrink (not the paper's protocol; recorded)." };
        var device = new Option<string>("--device") { Description = "cpu, cuda or cuda:N.", DefaultValueFactory = _ => "cpu" };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for accuracy.json/.csv and macs.json/.csv.", Required = true };
        var force = new Option<bool>("--force") { Description = "Replace results already in --out." };
        var command = new Command("evaluate", "Accuracy of a trained network at every test size of the multi-scale protocol, with MACs per image.")
        {
            checkpoint, sizes, dataset, root, split, images, batch, antialias, device, output, force,
        };
        command.SetAction(parse => CliErrors.Run("evaluate", () => Run(
            parse.GetValue(checkpoint)!, parse.GetValue(sizes), parse.GetValue(dataset)!, parse.GetValue(root), parse.GetValue(split)!,
            parse.GetValue(images), parse.GetValue(batch), parse.GetValue(antialias), parse.GetValue(device)!, parse.GetValue(output)!,
            parse.GetValue(force))));
        return command;
    }

    private static readonly string[] Outputs = [ResultFiles.AccuracyJson, ResultFiles.AccuracyCsv, ResultFiles.MacsJson, ResultFiles.MacsCsv];

    private static int Run(DirectoryInfo checkpoint, string? sizeList, string datasetName, string? root, string split, int? images,
        int batchSize, bool antialias, string deviceName, DirectoryInfo output, bool force)
    {
        if (images is < 1) throw new ArgumentException($"--images {images}: must be a positive number.");
        if (batchSize < 1) throw new ArgumentException($"--batch-size {batchSize}: must be a positive number.");
        var device = CliParsing.Device(deviceName);
        if (File.Exists(output.FullName)) throw new ArgumentException($"--out {output.FullName} is a file, not a folder.");
        var existing = Outputs.Where(f => File.Exists(Path.Combine(output.FullName, f))).ToArray();
        if (existing.Length > 0 && !force)
            throw new ArgumentException($"--out {output.FullName} already holds {string.Join(", ", existing)}; pass --force to replace them.");
        if (!Directory.Exists(checkpoint.FullName)) throw new ArgumentException($"--checkpoint {checkpoint.FullName}: no such folder.");

        int reference = Checkpoint.ReadState(checkpoint.FullName).Options.ReferenceSize;
        int[] testSizes = sizeList is null ? [.. MultiScaleEvaluationOptions.DefaultTestSizes(reference)] : CliParsing.Sizes(sizeList, "--sizes");
        foreach (int s in testSizes)
            if (s > reference) throw new ArgumentException($"--sizes: {s} is larger than the reference size {reference} the network was trained at.");

        var data = DatasetLoader.Load(DatasetManifestLoader.LoadBuiltIn(datasetName), split, root);
        if (images is int n)
        {
            if (n > data.Count) throw new ArgumentException($"--images {n}: the {split} split has {data.Count} images.");
            data = data.Subset(Enumerable.Range(0, n).ToArray(), $"first {n} images");
        }
        Directory.CreateDirectory(output.FullName);

        var bar = ConsoleProgress.ForStderr();
        var outcome = CliErrors.Work(() => CheckpointEvaluation.Run(checkpoint.FullName, data, testSizes, batchSize, antialias, device, null,
            p => bar.Report("evaluating", p.ImagesDone, p.ImagesTotal, "images")));
        var results = outcome.Accuracy.All;
        // Routed rows first, then every branch's rows ("MODEL branch:NAME") for the best-of-branches and per-branch scorings.
        var macs = new MacTable(outcome.MacRows(), new Dictionary<string, string>
        {
            ["model"] = outcome.ModelName,
            ["cost"] = outcome.Accuracy.PerBranch.Count == 0
                ? $"every test size upsampled to {reference} before the network"
                : "each test size run natively by the branch it is routed to (subnet + unify + shared)",
        });
        MultiScaleResultFiles.WriteJsonFile(Path.Combine(output.FullName, ResultFiles.AccuracyJson), results);
        MultiScaleResultFiles.WriteCsvFile(Path.Combine(output.FullName, ResultFiles.AccuracyCsv), results);
        macs.WriteJsonFile(Path.Combine(output.FullName, ResultFiles.MacsJson));
        macs.WriteCsvFile(Path.Combine(output.FullName, ResultFiles.MacsCsv));

        Console.WriteLine($"{outcome.ModelName}, {outcome.Parameters:N0} parameters, {data.Count} {split} images, reference {reference} px, " +
                          $"test images downsampled bilinearly (antialias={(antialias ? "true" : "false")})");
        Console.Write(ResultTables.Accuracy(results).ToText());
        Console.Write(ResultTables.Macs(new MacTable(outcome.Macs)).ToText()); // the routed network's cost; every branch's is in macs.json
        Console.WriteLine($"written: {string.Join(", ", Outputs.Select(f => Path.Combine(output.FullName, f)))}");
        return 0;
    }
}
