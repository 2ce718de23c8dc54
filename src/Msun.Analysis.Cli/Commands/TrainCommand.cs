using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Msun.Analysis.Core;
using Msun.Analysis.Torch.Backbones;
using Msun.Analysis.Torch.Data;
using Msun.Analysis.Torch.Pipeline;
using Msun.Analysis.Torch.Training;
using Msun.Analysis.Torch.Unified;
using TorchSharp;


namespace Msun.Analysis.Cli.Commands;

/// <summary>
/// <c>msun train</c>: trains a registered backbone as the Vanilla or MST baseline or as MSUN on a built-in dataset,
/// checkpointing atomically after every epoch; <c>--resume</c> continues a killed or time-boxed run. Progress goes
/// to stderr, one line per epoch with an ETA; the final summary (JSON) to stdout.
/// </summary>
internal static class TrainCommand
{
    /// <summary>The options records' defaults, quoted in the help (a 28-pixel reference for the scale example).</summary>
    private static readonly TrainingOptions D = new("resnet18-small", TrainingMethod.Mst, 28);
    private static readonly MsunOptions M = new();

    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Backbone name (e.g. resnet18-small). Required for a new run; taken from the checkpoint with --resume." };
        var method = new Option<string?>("--method") { Description = "vanilla, mst or msun. Required for a new run." };
        method.AcceptOnlyFromAmong("vanilla", "mst", "msun");
        var split = new Option<int?>("--split") { Description = $"MSUN: leading stages per subnet (default {M.Split}: stem + first stage, the paper's ResNet-50 split)." };
        var constraintWeight = new Option<double?>("--constraint-weight") { Description = FormattableString.Invariant($"MSUN: weight of each pairwise MSE term (default {M.ConstraintWeight}).") };
        var truncation = new Option<double?>("--truncation") { Description = FormattableString.Invariant($"MSUN: MSE terms below this are dropped (default {M.TruncationThreshold}; the paper's ResNet-50 uses 0.01).") };
        var noConstraint = new Option<bool>("--no-constraint") { Description = "MSUN: turn the scale-invariant constraint off (ablation)." };
        var dataset = new Option<string>("--dataset") { Description = "A built-in dataset manifest.", DefaultValueFactory = _ => "fashion-mnist" };
        var root = new Option<string?>("--root") { Description = "Dataset folder (default: the manifest's, e.g. /usr/share/datasets/fashion-mnist)." };
        var epochs = new Option<int?>("--epochs") { Description = $"Epochs (default {D.Epochs}); the cosine schedule spans them all." };
        var batchSize = new Option<int?>("--batch-size") { Description = $"Images per step (default {D.BatchSize})." };
        var lr = new Option<double?>("--lr") { Description = FormattableString.Invariant($"Peak learning rate after warm-up (default {D.LearningRate}).") };
        var weightDecay = new Option<double?>("--weight-decay") { Description = FormattableString.Invariant($"SGD weight decay (default {D.WeightDecay}).") };
        var warmup = new Option<int?>("--warmup-epochs") { Description = FormattableString.Invariant($"Epochs of linear warm-up (default {D.WarmupEpochs}), then cosine to {D.MinLearningRateFraction} x lr.") };
        var seed = new Option<int?>("--seed") { Description = $"Seed of weight initialisation, data order and subsets (default {D.Seed})." };
        var scales = new Option<string?>("--scales") { Description = $"MST/MSUN: comma-separated sizes below the reference, ascending (default half and three quarters: {string.Join(",", D.Scales)} at {D.ReferenceSize}); MSUN may end the list with the reference size." };
        var reference = new Option<int?>("--reference-size") { Description = "Training and test input size (default: the dataset's native size; larger upsamples)." };
        var device = new Option<string?>("--device") { Description = "cpu (default) or cuda[:N]." };
        var trainSubset = new Option<int?>("--train-subset") { Description = "Train on a seeded random subset of N training images." };
        var testSubset = new Option<int?>("--test-subset") { Description = "Evaluate on a seeded random subset of N test images." };
        var threads = new Option<int?>("--threads") { Description = "torch intra-op threads (default: torch's choice, the number of cores)." };
        var output = new Option<DirectoryInfo>("--out") { Description = "Output folder: checkpoint.zip and train-log.jsonl.", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue from the checkpoint in --out (options default to the checkpoint's)." };

        var command = new Command("train", "Train a backbone as a Vanilla or MST baseline or as MSUN; atomic checkpoints every epoch, --resume to continue.")
        {
            model, method, dataset, root, epochs, batchSize, lr, weightDecay, warmup, seed, scales, reference, device,
            trainSubset, testSubset, threads, output, resume, split, constraintWeight, truncation, noConstraint,
        };
        command.SetAction(parse => CliErrors.Run("train", () => Run(new Request(
            parse.GetValue(model), parse.GetValue(method), parse.GetValue(dataset)!, parse.GetValue(root), parse.GetValue(epochs),
            parse.GetValue(batchSize), parse.GetValue(lr), parse.GetValue(weightDecay), parse.GetValue(warmup), parse.GetValue(seed),
            parse.GetValue(scales), parse.GetValue(reference), parse.GetValue(device), parse.GetValue(trainSubset),
            parse.GetValue(testSubset), parse.GetValue(threads), parse.GetRequiredValue(output), parse.GetValue(resume),
            parse.GetValue(split), parse.GetValue(constraintWeight), parse.GetValue(truncation), parse.GetValue(noConstraint)))));
        return command;
    }

    private sealed record Request(
        string? Model, string? Method, string Dataset, string? Root, int? Epochs, int? BatchSize, double? Lr, double? WeightDecay,
        int? Warmup, int? Seed, string? Scales, int? Reference, string? Device, int? TrainSubset, int? TestSubset, int? Threads,
        DirectoryInfo Out, bool Resume, int? Split, double? ConstraintWeight, double? Truncation, bool NoConstraint);

    private static int Run(Request r)
    {
        Validate(r);
        // With --resume, every option left out takes the checkpoint's value; one given explicitly must agree with it
        // (the trainer lists any difference).
        TrainingOptions? saved = null;
        if (r.Resume)
        {
            if (!Checkpoint.Exists(r.Out.FullName))
                throw new CheckpointException($"--resume: there is no {Checkpoint.FileName} in {r.Out.FullName}.");
            saved = Checkpoint.ReadState(r.Out.FullName).Options;
        }

        var backbone = r.Model ?? saved?.Backbone
            ?? throw new ArgumentException($"--model is required: a backbone name ({string.Join(", ", BackboneRegistry.Names)}).");
        var method = r.Method is not null ? TrainingMethodNames.Parse(r.Method) : saved?.Method
            ?? throw new ArgumentException("--method is required: vanilla, mst or msun.");
        if (method != TrainingMethod.Msun && (r.Split is not null || r.ConstraintWeight is not null || r.Truncation is not null || r.NoConstraint))
            throw new ArgumentException("--split, --constraint-weight, --truncation and --no-constraint apply to --method msun only.");
        BackboneRegistry.Get(backbone); // unknown name: the message lists the known ones
        if (r.Threads is int t)
            torch.set_num_threads(t);

        var watch = Stopwatch.StartNew();
        var manifest = DatasetManifestLoader.LoadBuiltIn(r.Dataset);
        var train = DatasetLoader.Load(manifest, "train", r.Root);
        var test = DatasetLoader.Load(manifest, "test", r.Root);
        var referenceSize = r.Reference ?? saved?.ReferenceSize ?? train.Height;
        IReadOnlyList<int>? scaleList = r.Scales is not null ? CliParsing.Sizes(r.Scales, "--scales") : saved?.Scales is { Count: > 0 } s ? s : null;
        if (method == TrainingMethod.Msun && r.Scales is not null && scaleList is [.., var last] && last == referenceSize)
            scaleList = scaleList.Take(scaleList.Count - 1).ToArray(); // MSUN's largest scale is the reference size itself
        if (scaleList is not null && scaleList.FirstOrDefault(x => x > referenceSize) is var larger and > 0)
            throw new ArgumentException($"--scales: {larger} is larger than the reference size {referenceSize}; the protocol only shrinks.");
        if (method == TrainingMethod.Msun && scaleList is not null && !scaleList.SequenceEqual(scaleList.Order()))
            throw new ArgumentException($"--scales {string.Join(",", scaleList)}: MSUN's scales must be ascending.");
        if (method == TrainingMethod.Vanilla && r.Scales is not null)
            throw new ArgumentException("--scales applies to --method mst only.");
        if (scaleList is not null && scaleList.FirstOrDefault(x => x >= referenceSize) is var tooBig and > 0)
            throw new ArgumentException($"--scales: {tooBig} is not below the reference size {referenceSize}.");
        // Defaults come from the options records (TrainingOptions, MsunOptions), or from the checkpoint with --resume.
        var fresh = new TrainingOptions(backbone, method, referenceSize, scales: method == TrainingMethod.Vanilla ? null : scaleList,
            msun: method == TrainingMethod.Msun ? new MsunOptions(r.Split ?? MsunOptions.DefaultSplit) : null, names: OptionNames);
        var defaults = saved ?? fresh;
        var msunDefaults = new MsunOptions();
        var epochCount = r.Epochs ?? defaults.Epochs;
        var warmupEpochs = r.Warmup ?? Math.Min(defaults.WarmupEpochs, epochCount);
        if (r.TrainSubset is int ts && ts > train.Count)
            throw new ArgumentException($"--train-subset {ts} exceeds the {train.Count} training images.");
        if (r.TestSubset is int es && es > test.Count)
            throw new ArgumentException($"--test-subset {es} exceeds the {test.Count} test images.");

        var options = new TrainingOptions(
            backbone, method, referenceSize,
            epochs: epochCount,
            batchSize: r.BatchSize ?? defaults.BatchSize,
            learningRate: r.Lr ?? defaults.LearningRate,
            weightDecay: r.WeightDecay ?? defaults.WeightDecay,
            momentum: defaults.Momentum,
            warmupEpochs: warmupEpochs,
            minLearningRateFraction: defaults.MinLearningRateFraction,
            gradientClipNorm: defaults.GradientClipNorm,
            seed: r.Seed ?? defaults.Seed,
            scales: method == TrainingMethod.Mst ? scaleList : null,
            trainSubset: r.TrainSubset ?? saved?.TrainSubset,
            testSubset: r.TestSubset ?? saved?.TestSubset,
            device: r.Device ?? fresh.Device,
            msun: method != TrainingMethod.Msun ? null : new MsunOptions(
                r.Split ?? saved?.Msun?.Split ?? msunDefaults.Split,
                r.ConstraintWeight ?? saved?.Msun?.ConstraintWeight ?? msunDefaults.ConstraintWeight,
                r.Truncation ?? saved?.Msun?.TruncationThreshold ?? msunDefaults.TruncationThreshold,
                !r.NoConstraint && (saved?.Msun?.Constraint ?? msunDefaults.Constraint)),
            names: OptionNames);

        using var trainer = new Trainer(options, train, test, r.Out.FullName, r.Resume);
        var startEpoch = trainer.EpochsCompleted;
        Console.Error.WriteLine(
            $"msun train: {options.Backbone} ({options.Method.ToName()}{(options.Scales.Count > 0 ? ", scales " + string.Join(",", options.Scales) : "")}, "
            + $"reference {options.ReferenceSize} px) on {trainer.Dataset.Name}: {trainer.Dataset.TrainExamples} training / {trainer.Dataset.TestExamples} test images, "
            + $"{trainer.StepsPerEpoch} steps per epoch, device {options.Device}, {torch.get_num_threads()} threads; "
            + (r.Resume ? $"resuming after epoch {startEpoch} of {options.Epochs}" : $"{options.Epochs} epochs") + $" -> {trainer.OutputDirectory}");

        var sessionWatch = Stopwatch.StartNew();
        var bar = ConsoleProgress.ForStderr();
        using var cancel = CliCancellation.OnCtrlC("train");
        var result = trainer.Run(
            new SyncProgress<EpochRecord>(e =>
            {
                var eta = Eta.Remaining(sessionWatch.Elapsed, e.Epoch - startEpoch, options.Epochs - startEpoch);
                bar.WriteLine(FormattableString.Invariant(
                    $"epoch {e.Epoch}/{options.Epochs}  loss {e.Loss:F4}  train {e.TrainAccuracy:P2}  test {e.TestAccuracy:P2}  lr {e.LearningRate:G4}  {e.ImagesPerSecond:F0} img/s  {e.Seconds:F1} s + eval {e.EvalSeconds:F1} s  ETA {Eta.Format(eta)}"));
            }),
            new SyncProgress<BatchProgress>(b => bar.Report($"epoch {b.Epoch}/{options.Epochs}", b.Batch, b.BatchesInEpoch, "batches",
                FormattableString.Invariant($"loss {b.Loss:F4}"))),
            cancellationToken: cancel.Token);

        if (result.EpochsCompleted == startEpoch)
            Console.Error.WriteLine($"msun train: nothing to do; all {options.Epochs} epochs are complete in {trainer.CheckpointPath}.");
        Console.WriteLine(Summary(result, trainer.ObjectiveDescription, watch.Elapsed));
        return 0;
    }

    /// <summary>
    /// What this command checks itself: the thread count (no options record holds it) and the device's availability
    /// (the one device parser). Every other number is checked by <see cref="TrainingOptions"/> and
    /// <see cref="MsunConfig"/>, whose messages name the options through <see cref="OptionNames"/>.
    /// </summary>
    private static void Validate(Request r)
    {
        if (r.Threads is int t && t < 1)
            throw new ArgumentException($"--threads {t}: must be a positive number.");
        if (r.Device is string d) CliParsing.Device(d);
    }

    /// <summary>The options of this command under the <see cref="TrainingOptions"/> and <see cref="MsunConfig"/> parameters they set.</summary>
    private static readonly InputNames OptionNames = new(new Dictionary<string, string>
    {
        ["referenceSize"] = "--reference-size", ["epochs"] = "--epochs", ["batchSize"] = "--batch-size", ["learningRate"] = "--lr",
        ["weightDecay"] = "--weight-decay", ["warmupEpochs"] = "--warmup-epochs", ["trainSubset"] = "--train-subset",
        ["testSubset"] = "--test-subset", ["device"] = "--device", ["split"] = "--split", ["constraintWeight"] = "--constraint-weight",
        ["truncationThreshold"] = "--truncation",
    });

    private static string Summary(TrainingResult result, string objective, TimeSpan elapsed)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("backbone", result.Options.Backbone);
            w.WriteString("method", result.Options.Method.ToName());
            w.WriteString("objective", objective);
            w.WriteNumber("epochs_completed", result.EpochsCompleted);
            w.WriteBoolean("complete", result.IsComplete);
            if (result.History.Count > 0)
            {
                w.WritePropertyName("last_epoch");
                result.History[^1].WriteJson(w);
            }

            w.WriteString("checkpoint", result.CheckpointPath);
            w.WriteString("log", result.LogPath);
            w.WritePropertyName("options");
            result.Options.WriteJson(w);
            w.WriteStartObject("dataset");
            w.WriteString("name", result.Dataset.Name);
            w.WriteNumber("train_examples", result.Dataset.TrainExamples);
            w.WriteNumber("test_examples", result.Dataset.TestExamples);
            w.WriteString("provenance", result.Dataset.Provenance);
            w.WriteEndObject();
            w.WriteNumber("seconds", elapsed.TotalSeconds);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
