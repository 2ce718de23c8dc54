using System.Diagnostics;
using System.Globalization;
using System.Text;
using Msun.Analysis.Core.IO;
using Msun.Analysis.Core.Results;
using Msun.Analysis.Torch.Data;
using Msun.Analysis.Torch.Evaluation;
using Msun.Analysis.Torch.Training;
using TorchSharp;

namespace Msun.Analysis.Torch.Unified;

/// <summary>A named training/evaluation budget of the reproduction; every method gets the same one.</summary>
/// <param name="Name">Profile name (<c>smoke</c>, <c>quick</c>, <c>full</c>).</param>
/// <param name="Epochs">Epochs per method.</param>
/// <param name="TrainSubset">Seeded training subset (all when null).</param>
/// <param name="TrainingTestSubset">Seeded test subset for the per-epoch check at the reference size (all when null).</param>
/// <param name="EvaluationImages">Seeded test subset for the multi-scale protocol (all when null).</param>
/// <param name="BatchSize">Images per step.</param>
/// <param name="LearningRate">Peak learning rate.</param>
/// <param name="WarmupEpochs">Linear warm-up epochs.</param>
/// <param name="ExpectedTime">Wall time measured or expected on the 2-core CPU, for the help text.</param>
public sealed record ReproductionProfile(
    string Name, int Epochs, int? TrainSubset, int? TrainingTestSubset, int? EvaluationImages, int BatchSize, double LearningRate,
    int WarmupEpochs, string ExpectedTime)
{
    /// <summary>A few minutes: 1 epoch on 512 images, 500 test images; for CI, proves the pipeline, not the paper.</summary>
    public static ReproductionProfile Smoke { get; } = new("smoke", 1, 512, 256, 500, 64, 0.05, 0, "about 2 minutes");

    /// <summary>
    /// The default: 5 epochs on 12 000 training images (batch 128), 2 000 test images on the ladder; every method gets
    /// the same budget. Sized to finish well inside an hour on 2 cores (Vanilla ≈ 700 training images/s; MST and MSUN
    /// run one forward per scale, about 3× its cost).
    /// </summary>
    public static ReproductionProfile Quick { get; } = new("quick", 5, 12_000, 1_000, 2_000, 128, 0.1, 1, "about 12 minutes on 2 free cores");

    /// <summary>The longer run: 10 epochs on all 60 000 training images, the whole test set (not run here).</summary>
    public static ReproductionProfile Full { get; } = new("full", 10, null, 2_000, null, 128, 0.1, 1, "about 2 hours on 2 free cores (estimated from the quick profile's epoch times; not run)");

    /// <summary>Every profile, by name.</summary>
    public static IReadOnlyList<ReproductionProfile> All { get; } = [Smoke, Quick, Full];

    /// <summary>The profile named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the known ones.</exception>
    public static ReproductionProfile Get(string name) =>
        All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown profile '{name}'. Profiles: {string.Join(", ", All.Select(p => p.Name))}.", nameof(name));
}

/// <summary>What the reproduction trains and evaluates.</summary>
/// <param name="Profile">The budget.</param>
/// <param name="Backbone">Registry backbone (default: the small ResNet-18 for 28 px).</param>
/// <param name="Split">MSUN split (default 2: stem + first stage, the paper's ResNet-50 split; the study's recommendation can be passed).</param>
/// <param name="Scales">Sizes below the reference shared by MST and MSUN (default 14, 21 at 28: half and three quarters, MST's default).</param>
/// <param name="Seed">Seed of initialisation, data order and subsets.</param>
/// <param name="Device">cpu or cuda[:N].</param>
/// <param name="EvaluationBatchSize">Images per forward pass in the multi-scale protocol.</param>
public sealed record ReproductionOptions(
    ReproductionProfile Profile, string Backbone = "resnet18-small", int Split = 2, IReadOnlyList<int>? Scales = null, int Seed = 0,
    string Device = "cpu", int EvaluationBatchSize = 256)
{
    /// <summary>The training options of one method at the given reference size (identical budgets across methods).</summary>
    public TrainingOptions Training(TrainingMethod method, int referenceSize)
    {
        var scales = Scales ?? [(referenceSize + 1) / 2, (3 * referenceSize + 2) / 4];
        return new TrainingOptions(Backbone, method, referenceSize, Profile.Epochs, Profile.BatchSize, Profile.LearningRate,
            warmupEpochs: Profile.WarmupEpochs, seed: Seed, scales: method == TrainingMethod.Vanilla ? null : scales,
            trainSubset: Profile.TrainSubset, testSubset: Profile.TrainingTestSubset, device: Device,
            msun: method == TrainingMethod.Msun ? new MsunOptions(Split) : null);
    }
}

/// <summary>A progress message of the reproduction (step start/end, per-epoch lines with an estimate of the time left).</summary>
/// <param name="Step">The step (<c>train vanilla</c>, <c>evaluate msun</c>, ...).</param>
/// <param name="Message">One line.</param>
public sealed record ReproductionProgress(string Step, string Message);

/// <summary>What a reproduction produced.</summary>
/// <param name="Comparison">The comparison table with the verdict.</param>
/// <param name="Accuracy">Every accuracy result written to <c>accuracy.json</c>.</param>
/// <param name="Macs">The MAC table written to <c>macs.json</c>.</param>
/// <param name="Elapsed">Wall time of this call.</param>
/// <param name="ReusedSteps">Steps whose results were already there and were reused.</param>
public sealed record ReproductionResult(
    MethodComparison Comparison, IReadOnlyList<MultiScaleAccuracy> Accuracy, MacTable Macs, TimeSpan Elapsed, IReadOnlyList<string> ReusedSteps);

/// <summary>
/// The paper's comparison on one dataset: Vanilla, MST and MSUN trained with the same budget (<see cref="Trainer"/>),
/// each evaluated on the multi-scale protocol (<see cref="CheckpointEvaluation"/>), and one comparison table.
/// </summary>
/// <remarks>
/// <para>Layout of the output folder: <c>vanilla/</c>, <c>mst/</c>, <c>msun/</c> (each: <c>checkpoint.zip</c>,
/// <c>train-log.jsonl</c>, <c>accuracy.json/.csv</c>, <c>macs.json/.csv</c>, <c>evaluation-step.json</c>), and at the
/// top <c>accuracy.json/.csv</c>, <c>macs.json/.csv</c>, <c>comparison.json/.csv</c> and <c>verdict.md</c>.</para>
/// <para>Steps are keyed by their configuration: a training step resumes or reuses the checkpoint of the same options
/// (a checkpoint of other options is an error, never overwritten); an evaluation step is reused when the hash of its
/// checkpoint and settings, written to <c>evaluation-step.json</c>, matches. A rerun after an interruption therefore
/// continues where it stopped.</para>
/// </remarks>
public static class Reproduction
{
    /// <summary>The methods, in table order.</summary>
    public static IReadOnlyList<TrainingMethod> Methods { get; } = [TrainingMethod.Vanilla, TrainingMethod.Mst, TrainingMethod.Msun];

    private const string StepFile = "evaluation-step.json";

    /// <summary>Runs (or continues) the whole reproduction in <paramref name="outputDirectory"/>.</summary>
    /// <param name="options">Budget, backbone, split, scales, seed, device.</param>
    /// <param name="train">Training split.</param>
    /// <param name="test">Test split.</param>
    /// <param name="outputDirectory">Output folder (created if missing).</param>
    /// <param name="progress">Step and epoch messages.</param>
    /// <param name="cancellationToken">Stops at the next batch boundary; finished steps and the last checkpoint stay.</param>
    public static ReproductionResult Run(ReproductionOptions options, ImageDataset train, ImageDataset test, string outputDirectory,
        IProgress<ReproductionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputDirectory);
        var watch = Stopwatch.StartNew();
        var root = Path.GetFullPath(outputDirectory);
        var reference = train.Height;
        var trainingOptions = Preflight(options, reference, root);
        Directory.CreateDirectory(root);
        var reused = new List<string>();
        var seconds = new Dictionary<string, double>();

        foreach (var method in Methods)
        {
            var step = Stopwatch.StartNew();
            if (TrainStep(trainingOptions[method], train, test, Path.Combine(root, method.ToName()), progress, cancellationToken))
                reused.Add($"train {method.ToName()}");
            seconds[$"train_{method.ToName()}"] = step.Elapsed.TotalSeconds;
        }

        var evalData = options.Profile.EvaluationImages is int n && n < test.Count
            ? test.Subset(SeededSplits.RandomSubset(test.Count, n, options.Seed), $"seeded subset of {n} (seed {options.Seed})")
            : test;
        var evaluations = new List<(TrainingMethod Method, MethodEvaluation Result)>();
        foreach (var method in Methods)
        {
            var step = Stopwatch.StartNew();
            var (result, wasReused) = EvaluateStep(Path.Combine(root, method.ToName()), method.ToName(), evalData, options, progress);
            if (wasReused)
                reused.Add($"evaluate {method.ToName()}");
            evaluations.Add((method, result));
            seconds[$"evaluate_{method.ToName()}"] = step.Elapsed.TotalSeconds;
        }

        var accuracy = evaluations.SelectMany(e => e.Result.Accuracy).ToArray();
        var macs = new MacTable(evaluations.SelectMany(e => e.Result.RoutedMacs).ToArray(), new Dictionary<string, string>
        {
            ["cost"] = "MACs per image of what runs at each test size: Vanilla/MST the network at the reference size after upsampling; MSUN the routed subnet at the test size + unify + shared network",
            ["counting"] = "Conv2d + Linear multiply-accumulates, bias excluded (MacCounter)",
        });
        var entries = new List<(string, MultiScaleAccuracy, long, IReadOnlyList<long>)>();
        foreach (var (method, e) in evaluations)
        {
            foreach (var a in e.Accuracy)
            {
                IReadOnlyList<long> perSize = a.Scoring switch
                {
                    MultiScaleScoring.Routed => e.RoutedMacs.Select(r => r.Macs).ToArray(),
                    // The oracle must run every subnet to pick the best one.
                    MultiScaleScoring.BestOfBranches => a.TestSizes.Select(s => e.BranchMacs.Where(r => r.TestSize == s).Sum(r => r.Macs)).ToArray(),
                    _ => a.TestSizes.Select(s => e.BranchMacs.Single(r => r.TestSize == s && MultiScaleScoring.Branch(r.Branch) == a.Scoring).Macs).ToArray(),
                };
                entries.Add((method.ToName(), a, e.Parameters, perSize));
            }
        }

        var rows = MethodComparison.BuildRows(entries);
        var verdict = MethodComparison.ComposeVerdict(rows);
        var provenance = new Dictionary<string, string>
        {
            ["dataset"] = train.Provenance.Describe(),
            ["evaluation_images"] = evalData.Count.ToString(CultureInfo.InvariantCulture),
            ["profile"] = options.Profile.ToString(),
            ["backbone"] = options.Backbone,
            ["msun"] = trainingOptions[TrainingMethod.Msun].Msun!.Describe(),
            ["test_sizes"] = string.Join(",", accuracy[0].TestSizes),
            ["seed"] = options.Seed.ToString(CultureInfo.InvariantCulture),
            ["device"] = options.Device,
            ["torch_threads"] = torch.get_num_threads().ToString(CultureInfo.InvariantCulture),
            ["processor_count"] = Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture),
            ["seconds_this_call"] = watch.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture),
            ["reused_steps"] = reused.Count == 0 ? "none" : string.Join(",", reused),
            ["written_utc"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in seconds)
            provenance[$"seconds_{key}"] = value.ToString("F1", CultureInfo.InvariantCulture);
        foreach (var method in Methods)
            provenance[$"training_{method.ToName()}"] = trainingOptions[method].Describe();
        var comparison = new MethodComparison(rows, verdict, provenance);

        MultiScaleResultFiles.WriteJsonFile(Path.Combine(root, "accuracy.json"), accuracy);
        MultiScaleResultFiles.WriteCsvFile(Path.Combine(root, "accuracy.csv"), accuracy);
        macs.WriteJsonFile(Path.Combine(root, "macs.json"));
        macs.WriteCsvFile(Path.Combine(root, "macs.csv"));
        comparison.WriteJsonFile(Path.Combine(root, "comparison.json"));
        comparison.WriteCsvFile(Path.Combine(root, "comparison.csv"));
        AtomicFile.WriteText(Path.Combine(root, "verdict.md"), w => w.Write(VerdictMarkdown(comparison, accuracy, macs)));
        return new ReproductionResult(comparison, accuracy, macs, watch.Elapsed, reused);
    }

    /// <summary>
    /// Validates the options of every method and checks that any checkpoint already in <paramref name="outputDirectory"/>
    /// belongs to them, before any work is done; returns the training options per method.
    /// </summary>
    /// <exception cref="ArgumentException">Invalid options (split, scales, backbone).</exception>
    /// <exception cref="CheckpointException">A method's folder holds a checkpoint of other options; the message lists the differences.</exception>
    public static IReadOnlyDictionary<TrainingMethod, TrainingOptions> Preflight(ReproductionOptions options, int referenceSize, string outputDirectory)
    {
        ArgumentNullException.ThrowIfNull(options);
        var result = Methods.ToDictionary(m => m, m => options.Training(m, referenceSize));
        foreach (var (method, training) in result)
        {
            var directory = Path.Combine(Path.GetFullPath(outputDirectory), method.ToName());
            if (!Checkpoint.Exists(directory))
                continue;
            var saved = Checkpoint.ReadState(directory).Options.TrajectoryKey().ToDictionary(p => p.Name, p => p.Value);
            var differences = training.TrajectoryKey()
                .Where(p => saved.GetValueOrDefault(p.Name, "(absent)") != p.Value)
                .Select(p => $"{p.Name} {saved.GetValueOrDefault(p.Name, "(absent)")} (checkpoint) vs {p.Value} (this run)").ToArray();
            if (differences.Length > 0)
                throw new CheckpointException(
                    $"{Checkpoint.PathIn(directory)} belongs to a run with other options ({string.Join("; ", differences)}); it is left untouched: choose another --out.");
        }

        return result;
    }

    /// <summary>Trains one method in <paramref name="directory"/>, resuming a checkpoint of the same options; true when it was already complete.</summary>
    /// <exception cref="CheckpointException">The folder holds a checkpoint of other options (it is left untouched).</exception>
    public static bool TrainStep(TrainingOptions options, ImageDataset train, ImageDataset test, string directory,
        IProgress<ReproductionProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var step = $"train {options.Method.ToName()}";
        var resume = Checkpoint.Exists(directory);
        using var trainer = new Trainer(options, train, test, directory, resume);
        if (trainer.EpochsCompleted == options.Epochs)
        {
            progress?.Report(new ReproductionProgress(step, $"reusing the finished checkpoint in {trainer.CheckpointPath}"));
            return true;
        }

        progress?.Report(new ReproductionProgress(step,
            $"{(resume ? $"resuming after epoch {trainer.EpochsCompleted}" : "starting")}: {trainer.ObjectiveDescription}; {trainer.Dataset.TrainExamples} images, {trainer.StepsPerEpoch} steps per epoch"));
        var watch = Stopwatch.StartNew();
        var start = trainer.EpochsCompleted;
        trainer.Run(new Reporter<EpochRecord>(e =>
        {
            var eta = TimeSpan.FromSeconds(watch.Elapsed.TotalSeconds / (e.Epoch - start) * (options.Epochs - e.Epoch));
            progress?.Report(new ReproductionProgress(step, string.Create(CultureInfo.InvariantCulture,
                $"epoch {e.Epoch}/{options.Epochs}: loss {e.Loss:F4}, test {e.TestAccuracy:P2} at {options.ReferenceSize} px, {e.Seconds:F0} s; step ETA {eta:hh\\:mm\\:ss}")));
        }), cancellationToken: cancellationToken);
        return false;
    }

    private sealed record MethodEvaluation(IReadOnlyList<MultiScaleAccuracy> Accuracy, IReadOnlyList<MacTableRow> RoutedMacs, IReadOnlyList<MacTableRow> BranchMacs, long Parameters);

    private static (MethodEvaluation Result, bool Reused) EvaluateStep(string directory, string name, ImageDataset data, ReproductionOptions options,
        IProgress<ReproductionProgress>? progress)
    {
        var step = $"evaluate {name}";
        var state = Checkpoint.ReadState(directory);
        var sizes = MultiScaleEvaluationOptions.DefaultTestSizes(state.Options.ReferenceSize);
        var description = string.Join("; ", state.Identity(), $"sizes={string.Join(",", sizes)}", $"images={data.Count}", $"data={data.Provenance.Describe()}", "antialias=false");
        string accuracyPath = Path.Combine(directory, "accuracy.json"), macsPath = Path.Combine(directory, "macs.json"), stepPath = Path.Combine(directory, StepFile);
        if (File.Exists(accuracyPath) && File.Exists(macsPath) && KeyedStep.Find(stepPath, description) is { } record)
        {
            progress?.Report(new ReproductionProgress(step, $"reusing {accuracyPath} (same checkpoint and settings)"));
            var table = MacTable.ReadJsonFile(macsPath);
            return (new MethodEvaluation(MultiScaleResultFiles.ReadJsonFile(accuracyPath), table.Rows.Where(r => r.Model == name).ToArray(),
                table.Rows.Where(r => r.Model != name).ToArray(), record.GetProperty("parameters").GetInt64()), true);
        }

        progress?.Report(new ReproductionProgress(step, $"{data.Count} images at sizes {string.Join(",", sizes)}"));
        var device = TorchDevices.Resolve(options.Device);
        var outcome = CheckpointEvaluation.Run(directory, data, sizes, options.EvaluationBatchSize, antialias: false, device, name);
        // Per-branch rows are kept in the method's own MAC table under "<method> branch:<name>", so a rerun can rebuild the comparison.
        var macRows = outcome.MacRows();
        var branchRows = macRows.Skip(outcome.Macs.Count).ToArray();
        var results = outcome.Accuracy.All;
        MultiScaleResultFiles.WriteJsonFile(accuracyPath, results);
        MultiScaleResultFiles.WriteCsvFile(Path.Combine(directory, "accuracy.csv"), results);
        var macs = new MacTable(macRows, new Dictionary<string, string> { ["model"] = name });
        macs.WriteJsonFile(macsPath);
        macs.WriteCsvFile(Path.Combine(directory, "macs.csv"));
        KeyedStep.Save(stepPath, description, w => w.WriteNumber("parameters", outcome.Parameters));
        progress?.Report(new ReproductionProgress(step, string.Create(CultureInfo.InvariantCulture, $"mean accuracy {outcome.Accuracy.Routed.MeanAccuracy:P2} (routed)")));
        return (new MethodEvaluation(results, outcome.Macs, branchRows, outcome.Parameters), false);
    }

    private static string VerdictMarkdown(MethodComparison comparison, IReadOnlyList<MultiScaleAccuracy> accuracy, MacTable macs)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("# MSUN reproduction: verdict").AppendLine();
        sb.AppendLine(comparison.Verdict).AppendLine();
        var sizes = accuracy[0].TestSizes;
        sb.AppendLine("| model | scoring | " + string.Join(" | ", sizes.Select(s => $"{s} px")) + " | mean |");
        sb.AppendLine("|---|---|" + string.Concat(sizes.Select(_ => "---|")) + "---|");
        foreach (var a in accuracy)
            sb.AppendLine($"| {a.Model} | {a.Scoring} | " + string.Join(" | ", sizes.Select(s => (100 * a.AccuracyAt(s)).ToString("F2", ci))) + $" | {(100 * a.MeanAccuracy).ToString("F2", ci)} |");
        sb.AppendLine().AppendLine("MACs per image (routed):").AppendLine();
        sb.AppendLine("| model | " + string.Join(" | ", sizes.Select(s => $"{s} px")) + " |");
        sb.AppendLine("|---|" + string.Concat(sizes.Select(_ => "---|")));
        foreach (var model in macs.Rows.Select(r => r.Model).Distinct())
            sb.AppendLine($"| {model} | " + string.Join(" | ", sizes.Select(s => macs.Rows.First(r => r.Model == model && r.TestSize == s).Macs.ToString("N0", ci))) + " |");
        return sb.ToString();
    }

    private sealed class Reporter<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
