using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Msun.Analysis.Core;
using Msun.Analysis.Core.Cka;
using Msun.Analysis.Torch.Data;
using Msun.Analysis.Torch.Study;

namespace Msun.Analysis.Cli.Commands;

/// <summary>
/// <c>msun scale-cka</c>: CKA between images at the reference size and the same images shrunk to each
/// probe size and enlarged back (the paper's protocol), in pixel space. It is the input end of the
/// layer-wise study and shows how much each scale changes what a network sees.
/// </summary>
internal static class ScaleCkaCommand
{
    public static Command Create()
    {
        var dataset = new Option<string>("--dataset") { Description = "A built-in dataset manifest.", DefaultValueFactory = _ => "fashion-mnist" };
        var root = new Option<string?>("--root") { Description = "Dataset folder (default: the manifest's, e.g. /usr/share/datasets/fashion-mnist)." };
        var split = new Option<string>("--data-split", "--split") { Description = "Dataset split to draw images from (--split: the old name, still accepted).", DefaultValueFactory = _ => "test" };
        var images = new Option<int>("--images") { Description = "Images drawn at random (seeded).", DefaultValueFactory = _ => 2000 };
        var reference = new Option<int?>("--reference") { Description = "Reference size (default: the dataset's native size)." };
        var probes = new Option<string>("--probes") { Description = "Comma-separated probe sizes, each below the reference.", DefaultValueFactory = _ => "7,14,21" };
        var batch = new Option<int>("--batch-size") { Description = "Batch size of the minibatch estimators.", DefaultValueFactory = _ => ScaleStudyOptions.DefaultBatchSize };
        var seed = new Option<int>("--seed") { Description = "Seed of the image subset.", DefaultValueFactory = _ => 0 };
        var json = new Option<bool>("--json") { Description = "Print the results as one JSON object." };
        var command = new Command("scale-cka", "CKA between images at the reference size and the same images down-and-up resized to each probe size (pixel space).")
        {
            dataset, root, split, images, reference, probes, batch, seed, json,
        };
        command.SetAction(parse => CliErrors.Run("scale-cka", () => Run(
            parse.GetValue(dataset)!, parse.GetValue(root), parse.GetValue(split)!, parse.GetValue(images), parse.GetValue(reference),
            parse.GetValue(probes)!, parse.GetValue(batch), parse.GetValue(seed), parse.GetValue(json))));
        return command;
    }

    /// <summary>The options of this command under the <see cref="PixelScaleCka.Check"/> parameters they set.</summary>
    private static readonly InputNames OptionNames = new(new Dictionary<string, string>
    {
        ["data"] = "--dataset", ["images"] = "--images", ["probes"] = "--probes", ["batchSize"] = "--batch-size", ["referenceSize"] = "--reference",
    });

    private static int Run(string datasetName, string? root, string split, int count, int? referenceOption, string probeList,
        int batchSize, int seed, bool json)
    {
        DebianPackages.RequireOpenBlas();
        int[] probes = CliParsing.Sizes(probeList, "--probes");
        var watch = Stopwatch.StartNew();
        var manifest = DatasetManifestLoader.LoadBuiltIn(datasetName);
        var data = DatasetLoader.Load(manifest, split, root);
        int reference = PixelScaleCka.Check(data, count, probes, batchSize, referenceOption, OptionNames);

        CliBlas.NoteIfManaged("scale-cka");
        var rows = CliErrors.Work(() => PixelScaleCka.Compute(data, count, seed, probes, batchSize, reference));

        if (json) Console.WriteLine(ToJson(datasetName, split, data.Provenance.Describe(), reference, count, seed, batchSize, rows));
        else
        {
            Console.WriteLine($"{datasetName} ({split}), {count} images (seed {seed}), reference {reference} px, pixel-space CKA(reference, probe):");
            Console.WriteLine($"{"probe",6} {"linear",9} {"debiased",9} {"minibatch",10} {"rbf mb",9}");
            foreach (var r in rows)
                Console.WriteLine(FormattableString.Invariant(
                    $"{r.Probe,6} {Show(r.Linear),9} {Show(r.Debiased),9} {Show(r.Minibatch),10} {Show(r.RbfMinibatch),9}"));
            Console.WriteLine($"linear: biased HSIC, {rows[0].Linear.Form} form; debiased: unbiased HSIC; minibatch: unbiased HSIC averaged over batches of {batchSize}"
                + (rows[0].Minibatch.Note is { } note ? $"; {note.TrimEnd('.')}" : "") + FormattableString.Invariant($"; rbf mb: the same with RBF, sigma = {CkaKernel.DefaultSigmaFraction} x median distance per batch."));
            Console.WriteLine($"resize: {rows[0].Transform.Replace($"down to {rows[0].Probe}", "down to the probe", StringComparison.Ordinal)}; {watch.Elapsed.TotalSeconds:F1} s");
        }
        return 0;
    }

    private static string Show(CkaResult r) => r.IsDefined ? r.Value.ToString("F4", CultureInfo.InvariantCulture) : "undef";

    private static string ToJson(string dataset, string split, string provenance, int reference, int count, int seed, int batchSize, IReadOnlyList<PixelScaleCkaRow> rows)
    {
        static object? Value(CkaResult r) => r.IsDefined ? r.Value : null;
        var document = new
        {
            dataset,
            split,
            data = provenance,
            reference,
            images = count,
            seed,
            batch_size = batchSize,
            blas = Msun.Analysis.Core.LinearAlgebra.Blas.Backend.ToString(),
            probes = rows.Select(r => new
            {
                probe = r.Probe,
                transform = r.Transform,
                linear = Value(r.Linear),
                debiased = Value(r.Debiased),
                minibatch = Value(r.Minibatch),
                rbf_minibatch = Value(r.RbfMinibatch),
                minibatch_note = r.Minibatch.Note,
            }),
        };
        return JsonSerializer.Serialize(document);
    }
}
