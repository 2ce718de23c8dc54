using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Msun.Analysis.Core.IO;
using Msun.Analysis.Core.Results;
using Msun.Analysis.Core.SplitSelection;
using Msun.Analysis.Reports;
using Msun.Analysis.Torch.Backbones;
using Msun.Analysis.Torch.Data;
using Msun.Analysis.Torch.Study;
using Msun.Analysis.Torch.Training;
using Msun.Analysis.Torch.Unified;
using TorchSharp;

namespace Msun.Analysis.Cli.Commands;

/// <summary>
/// <c>msun study</c>: the whole path on one dataset — train a Vanilla baseline, run the layer-wise CKA study on it,
/// recommend the split, train MST and MSUN with that split on the same budget, evaluate all three on the multi-scale
/// protocol, and write the HTML report. Every step is keyed by its configuration, so a rerun reuses what is finished.
/// </summary>
internal static class StudyCommand
{
    /// <summary>The main job's geometry: the paper's (README, "Which geometry is the default, and why").</summary>
    private const string DefaultGeometry = "paper";

    /// <summary>Seeds of the main job: two, the fewest that estimate the seed-to-seed variation, inside the 30-minute budget.</summary>
    private const int DefaultSeeds = 2;

    private const string StudyFolder = "study";
    private const string StudyStepFile = "study-step.json";

    public static Command Create()
    {
        var dataset = new Option<string>("--dataset") { Description = "Built-in dataset manifest.", DefaultValueFactory = _ => "fashion-mnist" };
        var root = new Option<string?>("--root") { Description = "Dataset folder (default: the manifest's)." };
        var profile = new Option<string>("--profile")
        {
            Description = "Training budget shared by the three methods (see msun reproduce --help); smoke also shrinks the CKA study.",
            DefaultValueFactory = _ => "quick",
        };
        profile.AcceptOnlyFromAmong([.. ReproductionProfile.All.Select(p => p.Name)]);
        var geometry = new Option<string>("--geometry")
        {
            Description = "paper: the paper's sizes scaled by R/224 with an ImageNet-stem ResNet-18 (Fashion-MNIST upsampled to R); cifar: resnet18-small at 28 px (CIFAR stem).",
            DefaultValueFactory = _ => DefaultGeometry,
        };
        geometry.AcceptOnlyFromAmong([.. StudyGeometry.Names]);
        var referenceSize = new Option<int?>("--reference-size") { Description = "Reference size R of the paper geometry: 56 (default, the paper's sizes / 4) or 112 (/ 2)." };
        var seeds = new Option<int>("--seeds")
        {
            Description = "Train every method this many times (seeds --seed, --seed + 1, ...); the intervals cover seeds and test images.",
            DefaultValueFactory = _ => DefaultSeeds,
        };
        var model = new Option<string?>("--model") { Description = "Backbone instead of the geometry's (the geometry's sizes stay)." };
        var split = new Option<int?>("--split") { Description = "MSUN split to train instead of the study's recommendation (the recommendation is still computed and saved)." };
        var seed = new Option<int>("--seed") { Description = "First training seed; also seeds the study's subsets and the evaluation images.", DefaultValueFactory = _ => 0 };
        var device = new Option<string>("--device") { Description = "cpu or cuda[:N].", DefaultValueFactory = _ => "cpu" };
        var threads = new Option<int?>("--threads") { Description = "torch intra-op threads (default: torch's choice)." };
        var output = new Option<DirectoryInfo>("--out")
        {
            Description = "Output folder (default: msun-results/<dataset>-<geometry>-<R>-<backbone>-<profile>-<K>seeds in the current folder).",
        };
        var command = new Command("study",
            "The whole study on one dataset: baseline, layer-wise CKA study, split recommendation, MSUN and baselines over seeds, evaluation with intervals, HTML report. Reuses finished steps.")
        {
            dataset, root, profile, geometry, referenceSize, seeds, model, split, seed, device, threads, output,
        };
        command.SetAction(parse => CliErrors.Run("study", () => Run(
            parse.GetValue(dataset)!, parse.GetValue(root), parse.GetValue(profile)!, parse.GetValue(geometry)!, parse.GetValue(referenceSize),
            parse.GetValue(seeds), parse.GetValue(model), parse.GetValue(split), parse.GetValue(seed), parse.GetValue(device)!, parse.GetValue(threads),
            parse.GetValue(output))));
        return command;
    }

    private static int Run(string datasetName, string? root, string profileName, string geometryName, int? referenceSize, int seeds, string? model,
        int? forcedSplit, int seed, string deviceName, int? threads, DirectoryInfo? output)
    {
        CliParsing.Device(deviceName);
        if (threads is < 1) throw new ArgumentException($"--threads {threads}: must be a positive number.");
        if (seeds < 1) throw new ArgumentException($"--seeds {seeds}: train every method at least once.");
        var geometry = StudyGeometry.Get(geometryName, referenceSize);
        if (model is not null)
        {
            if (!BackboneRegistry.TryGet(model, out var other))
                throw new ArgumentException($"--model: unknown backbone '{model}'; known backbones: {string.Join(", ", BackboneRegistry.Names)}.");
            geometry = geometry with { Backbone = other.Name, Description = geometry.Description + $" (backbone replaced by {other.Name})" };
        }

        var profile = ReproductionProfile.Get(profileName);
        var outDir = output?.FullName ?? Path.GetFullPath(Path.Combine("msun-results",
            string.Create(CultureInfo.InvariantCulture, $"{datasetName}-{geometry.Name}-{geometry.ReferenceSize}-{geometry.Backbone}-{profile.Name}-{seeds}seeds")));
        if (File.Exists(outDir)) throw new ArgumentException($"--out {outDir} is a file, not a folder.");
        if (threads is int t) torch.set_num_threads(t);

        var manifest = DatasetManifestLoader.LoadBuiltIn(datasetName);
        var train = DatasetLoader.Load(manifest, "train", root);
        var test = DatasetLoader.Load(manifest, "test", root);
        var reference = geometry.ReferenceSize;
        // The split is not known before the study, so the preflight checks the baseline's options and any checkpoints
        // with a provisional split; the real one is checked again before MSUN trains.
        var provisional = ReproductionOptions.For(geometry, profile, forcedSplit ?? 1, seeds, seed, deviceName.ToLowerInvariant());
        Reproduction.Preflight(provisional, reference, outDir);
        var studyOptions = StudyOptions(profile, geometry, seed, deviceName.ToLowerInvariant());
        var (training, studyImages) = Reproduction.HoldOut(train);

        Console.Error.WriteLine($"msun study: {geometry.Description}; {train.Provenance.DatasetName}, {profile.Name} budget, {seeds} seed(s), {torch.get_num_threads()} threads -> {outDir}");
        using var cancel = CliCancellation.OnCtrlC("study");
        var clock = Stopwatch.StartNew();
        var log = ReproduceCommand.StepLog;

        Step(1, $"train the Vanilla baseline (seed {seed})", clock);
        var baselineDir = Reproduction.RunDirectory(outDir, TrainingMethod.Vanilla, seed);
        Reproduction.TrainStep(provisional.Training(TrainingMethod.Vanilla, reference), training, test, baselineDir, log, cancel.Token);
        EstimateRemaining(baselineDir, geometry.Scales.Count, seeds);

        Step(2, $"layer-wise CKA study of the baseline on {studyImages.Count} held-out training images", clock);
        var studyDir = Path.Combine(outDir, StudyFolder);
        var profileResult = StudyStep(baselineDir, studyDir, studyOptions, studyImages);

        Step(3, "split recommendation", clock);
        var recommendation = SplitSelector.Recommend(profileResult, new SplitRuleOptions());
        SplitRecommendationFiles.Save(recommendation, Path.Combine(studyDir, ScaleStudyResult.ProfileJson));
        Console.Error.Write(recommendation.Explain());
        int msunSplit = forcedSplit ?? SubnetDepth.BuildableSplit(recommendation.Split, geometry.Spec.Stages.Count);
        var note = forcedSplit is int f
            ? $"MSUN was trained with --split {f}; the CKA study recommended {recommendation.Split}."
            : recommendation.Split == 0
                ? "the CKA study recommended split 0 (no per-scale subnets); MSUN was built with split 1 (the stem only) so that the comparison still runs."
                : $"MSUN was built with the split the CKA study recommended, {msunSplit} (the paper's ResNet split is 2, after layer1).";
        Console.Error.WriteLine("msun study: " + note);

        Step(4, $"MST and MSUN (split {msunSplit}), {seeds} seed(s) of every method, evaluation of all", clock);
        var result = Reproduction.Run(provisional with { Split = msunSplit }, train, test, outDir, log, cancel.Token, [note]);

        Step(5, "HTML report", clock);
        var report = MsunReport.Build(ResultsFolder.Load(outDir));
        var reportPath = Path.Combine(outDir, ReportCommand.DefaultFile);
        report.Save(reportPath);

        foreach (var c in result.Comparison.Claims)
            Console.WriteLine($"{c.OutcomeName.ToUpperInvariant()}: {c.Claim} ({c.Evidence})");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"split: recommended {recommendation.Split}, trained {msunSplit}; {clock.Elapsed.TotalMinutes:F1} min; verdict: {Path.Combine(outDir, "verdict.md")}; report: {reportPath}"));
        return 0;
    }

    /// <summary>The study's budget: the paper's protocol (1 024 images × 5 subsets, minibatch CKA of 128) except on the smoke profile; probes from the geometry.</summary>
    private static ScaleStudyOptions StudyOptions(ReproductionProfile profile, StudyGeometry geometry, int seed, string device)
    {
        bool smoke = profile == ReproductionProfile.Smoke;
        return new ScaleStudyOptions(geometry.ReferenceSize, geometry.Probes, imagesPerSubset: smoke ? 256 : 1024, repeats: smoke ? 2 : 5, seed: seed,
            batchSize: smoke ? 64 : 128, permutations: smoke ? null : 20, statisticsImages: smoke ? 256 : 512, gridProbe: geometry.Probes[0], device: device);
    }

    /// <summary>Runs the CKA study on the baseline checkpoint, or reuses the saved one when checkpoint and options are the same.</summary>
    private static CkaProfile StudyStep(string checkpointDir, string studyDir, ScaleStudyOptions options, ImageDataset data)
    {
        var state = Checkpoint.ReadState(checkpointDir);
        var configuration = string.Join("; ", state.Identity(), options.Describe(), $"data={data.Provenance.Describe()}");
        var stepPath = Path.Combine(studyDir, StudyStepFile);
        var profilePath = Path.Combine(studyDir, ScaleStudyResult.ProfileJson);
        if (File.Exists(profilePath) && KeyedStep.Find(stepPath, configuration) is not null)
        {
            Console.Error.WriteLine($"msun study: reusing {profilePath} (same checkpoint and study options)");
            return CkaProfile.FromJson(File.ReadAllText(profilePath));
        }

        using var studyModel = StudyModel.FromCheckpoint(checkpointDir);
        ScaleStudy.Check(studyModel, data, options);
        var watch = Stopwatch.StartNew();
        var result = ScaleStudy.Run(studyModel, data, options, new SyncProgress<ScaleStudyProgress>(p =>
        {
            if (p.Step == p.Steps || p.Step % Math.Max(1, p.Steps / 10) == 0)
            {
                var eta = TimeSpan.FromSeconds(watch.Elapsed.TotalSeconds / p.Step * (p.Steps - p.Step));
                Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] study: {p.Phase} {p.Step}/{p.Steps}, step ETA {eta:hh\\:mm\\:ss}");
            }
        }));
        // The folder is ours (keyed by configuration): replacing an older study of another configuration is the point.
        result.Save(studyDir, overwrite: true);
        KeyedStep.Save(stepPath, configuration);
        return result.Profile;
    }

    /// <summary>Prints an estimate of the time left, from the baseline's measured seconds per epoch (MST and MSUN run one forward per scale).</summary>
    private static void EstimateRemaining(string baselineDir, int extraScales, int seeds)
    {
        var log = Path.Combine(baselineDir, TrainingLog.FileName);
        if (!File.Exists(log)) return;
        var seconds = TrainingLog.Read(log).Select(e => e.Seconds).Where(double.IsFinite).ToArray();
        if (seconds.Length == 0) return;
        // Per seed, MST and MSUN each cost about (1 + extra scales) Vanilla runs; every seed after the first also retrains Vanilla.
        var estimate = TimeSpan.FromSeconds(seconds.Sum() * (2 * (1 + extraScales) * seeds + (seeds - 1)));
        Console.Error.WriteLine($"msun study: estimated training time left: about {estimate:hh\\:mm\\:ss} (from the baseline's {seconds.Sum():F0} s), plus the study and evaluation");
    }

    private static void Step(int number, string what, Stopwatch clock) =>
        Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] step {number}/5: {what} (elapsed {clock.Elapsed:hh\\:mm\\:ss})");
}
