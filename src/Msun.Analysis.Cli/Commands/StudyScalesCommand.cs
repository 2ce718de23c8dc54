using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Msun.Analysis.Core;
using Msun.Analysis.Core.Cka;
using Msun.Analysis.Core.Tables;
using Msun.Analysis.Torch;
using Msun.Analysis.Torch.Backbones;
using Msun.Analysis.Torch.Capture;
using Msun.Analysis.Torch.Data;
using Msun.Analysis.Torch.Pipeline;
using Msun.Analysis.Torch.Study;
using Msun.Analysis.Torch.Training;
using TorchSharp;


namespace Msun.Analysis.Cli.Commands;

/// <summary>
/// <c>msun study-scales</c>: the paper's scale-sensitivity study. One model (a <c>msun train</c> checkpoint, PyTorch
/// weights, or a fresh initialisation), the same images at the reference size and down-then-up from each probe size,
/// CKA per block on k random subsets. Writes profile.json, profile.csv, profile-summary.csv (and grid.json/grid.csv)
/// atomically into --out; progress on stderr, a table of mean ± std on stdout.
/// </summary>
internal static class StudyScalesCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<DirectoryInfo?>("--checkpoint") { Description = "A msun train output folder (checkpoint.zip): the trained model to study." };
        var model = new Option<string?>("--model") { Description = $"Backbone name ({string.Join(", ", BackboneRegistry.Names)}); without --checkpoint or --weights it is freshly initialised from --seed." };
        var weights = new Option<FileInfo?>("--weights") { Description = "PyTorch (.pt/.pth) or safetensors weights for --model." };
        var dataset = new Option<string>("--dataset") { Description = "A built-in dataset manifest.", DefaultValueFactory = _ => "fashion-mnist" };
        var root = new Option<string?>("--root") { Description = "Dataset folder (default: the manifest's, e.g. /usr/share/datasets/fashion-mnist)." };
        var split = new Option<string>("--data-split", "--split") { Description = "Dataset split the subsets are drawn from (--split: the old name, still accepted).", DefaultValueFactory = _ => "test" };
        var reference = new Option<int?>("--reference") { Description = "Reference size (default: the checkpoint's training size, else the dataset's native size)." };
        var probes = new Option<string?>("--probes") { Description = "Comma-separated probe sizes, each smaller than the reference (default: 1/4, 1/2 and 3/4 of it: 7,14,21 at 28)." };
        var images = new Option<int>("--images") { Description = "Images per random subset.", DefaultValueFactory = _ => ScaleStudyOptions.DefaultImagesPerSubset };
        var repeats = new Option<int>("--repeats") { Description = "Random subsets (k); the profile is mean ± std over them.", DefaultValueFactory = _ => ScaleStudyOptions.DefaultRepeats };
        var estimator = new Option<string>("--estimator")
        {
            Description = "minibatch (the paper's: linear, unbiased HSIC averaged over batches), streaming (exact linear CKA over each subset, unbiased HSIC) or rbf (minibatch with RBF kernels).",
            DefaultValueFactory = _ => "minibatch",
        };
        estimator.AcceptOnlyFromAmong("minibatch", "streaming", "rbf");
        var batchSize = new Option<int>("--batch-size") { Description = "Images per forward pass and per CKA minibatch.", DefaultValueFactory = _ => ScaleStudyOptions.DefaultBatchSize };
        var sigmaFraction = new Option<double?>("--sigma-fraction") { Description = FormattableString.Invariant($"rbf: sigma^2 = F^2 x median squared distance per batch (default {CkaKernel.DefaultSigmaFraction})."), };
        var activations = new Option<string>("--activations") { Description = "flatten (C x H x W, the paper's) or spatial-mean (C).", DefaultValueFactory = _ => "flatten" };
        activations.AcceptOnlyFromAmong("flatten", "spatial-mean");
        var blocks = new Option<string?>("--blocks") { Description = "Comma-separated blocks to measure: stage names, or any module paths of the model (as named_modules lists them) in network order (default: every stage)." };
        var bootstrap = new Option<int?>("--bootstrap") { Description = "B: percentile bootstrap interval per cell over the examples of subset 1 (activations of --statistics-images images in memory)." };
        var permutations = new Option<int?>("--permutations") { Description = "P: permutation null per cell over the examples of subset 1." };
        var statisticsImages = new Option<int>("--statistics-images") { Description = "Images of subset 1 held in memory for --bootstrap and --permutations.", DefaultValueFactory = _ => ScaleStudyOptions.DefaultStatisticsImages };
        var gridProbe = new Option<int?>("--grid-probe") { Description = "Also write the block x block grid (grid.json, grid.csv) at this probe size." };
        var seed = new Option<int>("--seed") { Description = "Seed of the subsets, the resampling and a fresh initialisation.", DefaultValueFactory = _ => 0 };
        var device = new Option<string>("--device") { Description = "cpu or cuda[:N].", DefaultValueFactory = _ => TorchDevices.DefaultName };
        var threads = new Option<int?>("--threads") { Description = "torch threads (default: torch's choice). On a busy machine 1 avoids torch's threads spinning against the CKA's BLAS threads." };
        var parallelBatches = new Option<int?>("--parallel-batches") { Description = "Batches whose forward passes run at once on a CPU, one torch thread each (default: --threads, or torch's thread count); 1 runs one batch at a time on torch's threads. Each batch in flight holds its activations at the reference and every probe." };
        var output = new Option<DirectoryInfo>("--out") { Description = "Output folder for the profile files.", Required = true };
        var force = new Option<bool>("--force") { Description = "Replace study files already in --out." };

        var command = new Command("study-scales", "Layer-wise CKA between each block at the reference size and at each probe size, on repeated random subsets (the MSUN study).")
        {
            checkpoint, model, weights, dataset, root, split, reference, probes, images, repeats, estimator, batchSize, sigmaFraction,
            activations, blocks, bootstrap, permutations, statisticsImages, gridProbe, seed, device, threads, parallelBatches, output, force,
        };
        command.SetAction(parse => CliErrors.Run("study-scales", () => Run(new Request(
            parse.GetValue(checkpoint), parse.GetValue(model), parse.GetValue(weights), parse.GetValue(dataset)!, parse.GetValue(root),
            parse.GetValue(split)!, parse.GetValue(reference), parse.GetValue(probes), parse.GetValue(images), parse.GetValue(repeats),
            parse.GetValue(estimator)!, parse.GetValue(batchSize), parse.GetValue(sigmaFraction), parse.GetValue(activations)!,
            parse.GetValue(blocks), parse.GetValue(bootstrap), parse.GetValue(permutations), parse.GetValue(statisticsImages),
            parse.GetValue(gridProbe), parse.GetValue(seed), parse.GetValue(device)!, parse.GetValue(threads), parse.GetValue(parallelBatches),
            parse.GetRequiredValue(output), parse.GetValue(force)))));
        return command;
    }

    /// <summary>The options of this command under the <see cref="ScaleStudyOptions"/> parameters they set.</summary>
    private static readonly InputNames OptionNames = new(new Dictionary<string, string>
    {
        ["referenceSize"] = "--reference", ["probes"] = "--probes", ["imagesPerSubset"] = "--images", ["repeats"] = "--repeats",
        ["estimator"] = "--estimator", ["batchSize"] = "--batch-size", ["sigmaFraction"] = "--sigma-fraction", ["blocks"] = "--blocks",
        ["bootstrapResamples"] = "--bootstrap", ["permutations"] = "--permutations", ["statisticsImages"] = "--statistics-images",
        ["gridProbe"] = "--grid-probe", ["device"] = "--device",
    });

    private sealed record Request(
        DirectoryInfo? Checkpoint, string? Model, FileInfo? Weights, string Dataset, string? Root, string Split, int? Reference,
        string? Probes, int Images, int Repeats, string Estimator, int BatchSize, double? SigmaFraction, string Activations,
        string? Blocks, int? Bootstrap, int? Permutations, int StatisticsImages, int? GridProbe, int Seed, string Device, int? Threads,
        int? ParallelBatches, DirectoryInfo Out, bool Force);

    private static int Run(Request r)
    {
        DebianPackages.RequireOpenBlas();
        // Everything that can be checked without loading data or weights is checked first, so bad input fails fast
        // and nothing is written.
        var estimator = r.Estimator switch { "streaming" => StudyEstimator.Streaming, "rbf" => StudyEstimator.Rbf, _ => StudyEstimator.Minibatch };
        if (r.Threads is int t && t < 1)
            throw new ArgumentException($"--threads {t}: must be a positive number.");
        if (r.ParallelBatches is int pb && pb < 1)
            throw new ArgumentException($"--parallel-batches {pb}: must be a positive number.");
        CheckOut(r.Out, r.Force);
        var (spec, state) = ResolveModel(r);
        var manifest = DatasetManifestLoader.LoadBuiltIn(r.Dataset);
        int native = manifest.ImageSize?.Height
            ?? throw new ArgumentException($"--dataset {r.Dataset} has no fixed image size; this command needs square images of one size.");
        int referenceSize = r.Reference ?? state?.Options.ReferenceSize ?? native;
        var probeSizes = r.Probes is null
            ? DefaultProbes(referenceSize)
            : CliParsing.Sizes(r.Probes, "--probes");
        string[]? blockList = r.Blocks?.Split(',', StringSplitOptions.TrimEntries);
        // The options record owns every rule of these numbers; its messages name the options given here.
        var options = new ScaleStudyOptions(
            referenceSize, probeSizes, r.Images, r.Repeats, r.Seed, estimator, r.BatchSize, r.SigmaFraction,
            r.Activations == "spatial-mean" ? ActivationPolicy.SpatialMean : ActivationPolicy.Flatten,
            blockList, r.Bootstrap, r.Permutations, r.StatisticsImages, r.GridProbe, HsicEstimator.Unbiased, r.Device, names: OptionNames)
        {
            ParallelBatches = r.ParallelBatches,
        };
        if (referenceSize < spec.MinimumInputSize)
            throw new ArgumentException($"--reference {referenceSize} is below {spec.Name}'s minimum input size {spec.MinimumInputSize}.");
        // Module paths other than stages have no declared shape: ScaleStudy.Check measures them once the model is loaded.
        if (estimator == StudyEstimator.Streaming && (blockList ?? spec.StageNames).All(spec.StageNames.Contains))
        {
            long bytes = ScaleStudy.StreamingMemoryBytes(spec, blockList ?? spec.StageNames, options);
            if (bytes > options.StreamingMemoryLimitBytes)
                throw new ArgumentException(FormattableString.Invariant(
                    $"--estimator streaming with --activations {r.Activations} would hold {bytes / 1e9:0.##} GB of float64 moments for {spec.Name} at {referenceSize} px (about 3·d² numbers per block and probe), above the {options.StreamingMemoryLimitBytes / 1e9:0.##} GB limit: use --activations spatial-mean, fewer --blocks, or --estimator minibatch."));
        }
        CliParsing.Device(options.Device);
        if (r.Threads is int threads) torch.set_num_threads(threads);

        var data = DatasetLoader.Load(manifest, r.Split, r.Root);
        if (r.Images > data.Count)
            throw new ArgumentException($"--images {r.Images}: the {r.Split} split of {r.Dataset} has only {data.Count} images.");
        using var studyModel = r.Checkpoint is not null
            ? ModelLoader.FromCheckpoint(r.Checkpoint.FullName, r.Model)
            : r.Weights is not null
                ? ModelLoader.FromPyTorchWeights(spec.Name, r.Weights.FullName, data.Channels, data.ClassNames.Count)
                : ModelLoader.FreshlyInitialised(spec.Name, r.Seed, data.Channels, data.ClassNames.Count);
        if (blockList is not null)
        {
            try
            {
                ModulePaths.Check(studyModel.Model, blockList);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"--blocks: {e.Message}", e);
            }
        }

        ScaleStudy.Check(studyModel, data, options);
        if (studyModel.TrainedReferenceSize is int trained && trained != referenceSize)
            Console.Error.WriteLine($"msun study-scales: note: the model was trained at {trained} px; studying it at reference {referenceSize} px.");

        Console.Error.WriteLine(
            $"msun study-scales: {spec.Name} ({Describe(studyModel)}) on {data.Provenance.DatasetName}/{r.Split}: reference {referenceSize} px, probes {string.Join(",", options.Probes)}, "
            + $"{options.Repeats} subsets of {options.ImagesPerSubset} images, {options.EstimatorName} CKA (batch {options.BatchSize}), {r.Activations} activations, "
            + $"device {options.Device}, {torch.get_num_threads()} threads -> {r.Out.FullName}");
        var watch = Stopwatch.StartNew();
        var result = ScaleStudy.Run(studyModel, data, options, StudyProgress(ConsoleProgress.ForStderr()));

        var written = result.Save(r.Out.FullName, overwrite: r.Force);
        Console.Write(ResultTables.Profile(result.Profile).ToText());
        if (ResultTables.ProfileNull(result.Profile) is { } nullTable) Console.Write(nullTable.ToText());
        Console.Error.WriteLine($"msun study-scales: {watch.Elapsed.TotalSeconds:F1} s; wrote {string.Join(", ", written.Select(Path.GetFileName))} to {r.Out.FullName}");
        return 0;
    }

    /// <summary>--out must be a folder we can write to, holding no earlier study results unless --force. Nothing is created here.</summary>
    private static void CheckOut(DirectoryInfo output, bool force)
    {
        var full = output.FullName;
        if (File.Exists(full))
            throw new ArgumentException($"--out {full} is a file, not a folder.");
        var existing = ScaleStudyResult.ExistingFiles(full);
        if (existing.Count > 0 && !force)
            throw new ArgumentException($"--out {full} already holds {string.Join(", ", existing)}; pass --force to replace them.");
        // The nearest folder that exists must accept a new file (the output folder itself, or where it will be created).
        var probe = full;
        while (!Directory.Exists(probe))
        {
            var parent = Path.GetDirectoryName(probe);
            if (parent is null || File.Exists(parent))
                throw new ArgumentException($"--out {full} cannot be created: {parent ?? probe} is not a folder.");
            probe = parent;
        }
        var test = Path.Combine(probe, $".msun-write-test-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (File.Create(test, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new ArgumentException($"--out {full} is not writable: cannot create files in {probe} ({e.Message.TrimEnd('.')}).");
        }
    }

    private static (BackboneSpec Spec, CheckpointState? State) ResolveModel(Request r)
    {
        if (r.Checkpoint is not null)
        {
            if (r.Weights is not null)
                throw new ArgumentException("--weights and --checkpoint are alternatives: a checkpoint holds its own weights.");
            if (!Checkpoint.Exists(r.Checkpoint.FullName))
                throw new CheckpointException($"--checkpoint {r.Checkpoint.FullName}: there is no {Checkpoint.FileName} there.");
            var state = Checkpoint.ReadState(r.Checkpoint.FullName);
            var spec = BackboneRegistry.Get(state.Options.Backbone);
            if (r.Model is not null && !string.Equals(BackboneRegistry.Get(r.Model).Name, spec.Name, StringComparison.Ordinal))
                throw new ArgumentException($"--model {r.Model} does not match the checkpoint in {r.Checkpoint.FullName}, which holds a {spec.Name}.");
            return (spec, state);
        }
        if (r.Model is null)
            throw new ArgumentException($"--checkpoint DIR or --model NAME is required (backbones: {string.Join(", ", BackboneRegistry.Names)}).");
        var named = BackboneRegistry.Get(r.Model);
        if (r.Weights is not null && !r.Weights.Exists)
            throw new FileNotFoundException($"--weights {r.Weights.FullName}: no such file.", r.Weights.FullName);
        return (named, null);
    }

    private static int[] DefaultProbes(int reference) =>
        ScaleStudyOptions.DefaultProbes(reference) is { Length: > 0 } sizes
            ? sizes
            : throw new ArgumentException($"--reference {reference} leaves no smaller probe size.");

    private static string Describe(LoadedBackbone m) => m.Source switch
    {
        ModelSource.Checkpoint => $"checkpoint {m.Path}",
        ModelSource.PyTorchWeights => $"weights {m.Path}",
        _ => "freshly initialised, untrained",
    };

    /// <summary>The study's steps on the progress bar: one task for the subsets, one for the bootstrap and permutation null.</summary>
    internal static IProgress<ScaleStudyProgress> StudyProgress(ConsoleProgress bar) => new SyncProgress<ScaleStudyProgress>(p =>
        // Counted in CKA work, not steps: a statistics step (bootstrap + permutations over every block) costs far more than a subset.
        bar.Report("study", p.Work, p.TotalWork, "CKA batches",
            p.Phase == "subsets" ? $"subset {p.Repeat}, step {p.Step}/{p.Steps}" : $"bootstrap/null, step {p.Step}/{p.Steps}"));
}
