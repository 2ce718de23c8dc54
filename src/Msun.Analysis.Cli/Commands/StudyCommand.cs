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
        var model = new Option<string>("--model") { Description = "Backbone (default resnet18-small).", DefaultValueFactory = _ => "resnet18-small" };
        var split = new Option<int?>("--split") { Description = "MSUN split to train instead of the study's recommendation (the recommendation is still computed and saved)." };
        var seed = new Option<int>("--seed") { Description = "Seed of initialisation, data order and subsets.", DefaultValueFactory = _ => 0 };
        var device = new Option<string>("--device") { Description = "cpu or cuda[:N].", DefaultValueFactory = _ => "cpu" };
        var threads = new Option<int?>("--threads") { Description = "torch intra-op threads (default: torch's choice)." };
        var output = new Option<DirectoryInfo>("--out")
        {
            Description = "Output folder (default: msun-results/<dataset>-<model>-<profile> in the current folder).",
        };
        var command = new Command("study",
            "The whole study on one dataset: baseline, layer-wise CKA study, split recommendation, MSUN and baselines, evaluation, HTML report. Reuses finished steps.")
        {
            dataset, root, profile, model, split, seed, device, threads, output,
        };
        command.SetAction(parse => CliErrors.Run("study", () => Run(
            parse.GetValue(dataset)!, parse.GetValue(root), parse.GetValue(profile)!, parse.GetValue(model)!, parse.GetValue(split),
            parse.GetValue(seed), parse.GetValue(device)!, parse.GetValue(threads), parse.GetValue(output))));
        return command;
    }

    private static int Run(string datasetName, string? root, string profileName, string model, int? forcedSplit, int seed, string deviceName,
        int? threads, DirectoryInfo? output)
    {
        CliParsing.Device(deviceName);
        if (threads is < 1) throw new ArgumentException($"--threads {threads}: must be a positive number.");
        if (!BackboneRegistry.TryGet(model, out var spec))
            throw new ArgumentException($"--model: unknown backbone '{model}'; known backbones: {string.Join(", ", BackboneRegistry.Names)}.");
        var profile = ReproductionProfile.Get(profileName);
        var outDir = output?.FullName ?? Path.GetFullPath(Path.Combine("msun-results", $"{datasetName}-{spec.Name}-{profile.Name}"));
        if (File.Exists(outDir)) throw new ArgumentException($"--out {outDir} is a file, not a folder.");
        if (threads is int t) torch.set_num_threads(t);

        var manifest = DatasetManifestLoader.LoadBuiltIn(datasetName);
        var train = DatasetLoader.Load(manifest, "train", root);
        var test = DatasetLoader.Load(manifest, "test", root);
        int reference = train.Height;
        // The split is not known before the study, so the preflight checks the baseline's options and any checkpoints
        // with a provisional split; the real one is checked again before MSUN trains.
        var provisional = new ReproductionOptions(profile, spec.Name, forcedSplit ?? 1, null, seed, deviceName.ToLowerInvariant());
        Reproduction.Preflight(provisional, reference, outDir);
        var studyOptions = StudyOptions(profile, reference, seed, deviceName.ToLowerInvariant());

        Console.Error.WriteLine($"msun study: {spec.Name} on {train.Provenance.DatasetName}, {profile.Name} profile, {torch.get_num_threads()} threads -> {outDir}");
        CliBlas.NoteIfManaged("study");
        using var cancel = CliCancellation.OnCtrlC("study");
        var clock = Stopwatch.StartNew();
        var log = ReproduceCommand.StepLog;

        Step(1, "train the Vanilla baseline", clock);
        var baselineDir = Path.Combine(outDir, TrainingMethod.Vanilla.ToName());
        var baseline = provisional.Training(TrainingMethod.Vanilla, reference);
        CliErrors.Work(() => Reproduction.TrainStep(baseline, train, test, baselineDir, log, cancel.Token));
        EstimateRemaining(baselineDir, provisional.Scales?.Count ?? 2);

        Step(2, "layer-wise CKA study of the baseline", clock);
        var studyDir = Path.Combine(outDir, StudyFolder);
        var profileResult = CliErrors.Work(() => StudyStep(baselineDir, studyDir, studyOptions, test));

        Step(3, "split recommendation", clock);
        var recommendation = CliErrors.Work(() => SplitSelector.Recommend(profileResult, new SplitRuleOptions()));
        SplitRecommendationFiles.Save(recommendation, Path.Combine(studyDir, ScaleStudyResult.ProfileJson));
        Console.Error.Write(recommendation.Explain());
        int msunSplit = forcedSplit ?? Math.Max(1, recommendation.Split);
        if (forcedSplit is null && recommendation.Split == 0)
            Console.Error.WriteLine("msun study: the study recommends no per-scale subnets (split 0); MSUN is trained with the smallest split, 1 " +
                                    "(the stem), so that the comparison still runs. Read the comparison with that in mind.");
        else if (forcedSplit is int f && f != recommendation.Split)
            Console.Error.WriteLine($"msun study: training MSUN with --split {f}; the study recommends {recommendation.Split}.");

        Step(4, $"MST and MSUN (split {msunSplit}), evaluation of all three", clock);
        var options = provisional with { Split = msunSplit };
        var result = CliErrors.Work(() => Reproduction.Run(options, train, test, outDir, log, cancel.Token));

        Step(5, "HTML report", clock);
        var report = CliErrors.Work(() => MsunReport.Build(ResultsFolder.Load(outDir)));
        var reportPath = Path.Combine(outDir, ReportCommand.DefaultFile);
        report.Save(reportPath);

        Console.WriteLine(result.Comparison.Verdict);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"split: recommended {recommendation.Split}, trained {msunSplit}; {clock.Elapsed.TotalMinutes:F1} min; report: {reportPath}"));
        return 0;
    }

    /// <summary>The study's budget: the paper's protocol (1 024 images × 5 subsets, minibatch CKA of 128) except on the smoke profile.</summary>
    private static ScaleStudyOptions StudyOptions(ReproductionProfile profile, int reference, int seed, string device)
    {
        bool smoke = profile == ReproductionProfile.Smoke;
        int[] probes = ScaleStudyOptions.DefaultProbes(reference);
        return new ScaleStudyOptions(reference, probes, imagesPerSubset: smoke ? 256 : 1024, repeats: smoke ? 2 : 5, seed: seed,
            batchSize: smoke ? 64 : 128, permutations: smoke ? null : 20, statisticsImages: smoke ? 256 : 512, gridProbe: probes[0], device: device);
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
    private static void EstimateRemaining(string baselineDir, int extraScales)
    {
        var log = Path.Combine(baselineDir, TrainingLog.FileName);
        if (!File.Exists(log)) return;
        var seconds = TrainingLog.Read(log).Select(e => e.Seconds).Where(double.IsFinite).ToArray();
        if (seconds.Length == 0) return;
        // MST and MSUN each cost about (1 + extra scales) Vanilla epochs; the study and evaluation add a few minutes.
        var estimate = TimeSpan.FromSeconds(seconds.Sum() * 2 * (1 + extraScales));
        Console.Error.WriteLine($"msun study: estimated time left for MST and MSUN training: about {estimate:hh\\:mm\\:ss} (from the baseline's {seconds.Sum():F0} s), plus the study and evaluation");
    }

    private static void Step(int number, string what, Stopwatch clock) =>
        Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] step {number}/5: {what} (elapsed {clock.Elapsed:hh\\:mm\\:ss})");
}
