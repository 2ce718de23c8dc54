using System.Diagnostics;
using System.Globalization;
using System.Text;
using Msun.Analysis.Core.IO;
using Msun.Analysis.Core.Numpy;
using Msun.Analysis.Core.Results;
using Msun.Analysis.Core.Statistics;
using Msun.Analysis.Torch.Backbones;
using Msun.Analysis.Torch.Data;
using Msun.Analysis.Torch.Evaluation;
using Msun.Analysis.Torch.Training;
using Msun.Analysis.Torch.Unified;
using TorchSharp;

namespace Msun.Analysis.Torch.Pipeline;

/// <summary>A named training/evaluation budget of the reproduction; every method gets the same one.</summary>
/// <param name="Name">Budget name (<c>smoke</c>, <c>quick</c>, <c>full</c>).</param>
/// <param name="Epochs">Epochs per method.</param>
/// <param name="TrainSubset">Seeded training subset (all when null).</param>
/// <param name="TrainingTestSubset">Seeded test subset for the per-epoch check at the reference size (all when null).</param>
/// <param name="EvaluationImages">Seeded test subset for the multi-scale protocol (all when null).</param>
/// <param name="BatchSize">Images per step.</param>
/// <param name="LearningRate">Peak learning rate.</param>
/// <param name="WarmupEpochs">Linear warm-up epochs.</param>
/// <param name="ExpectedTime">Wall time measured or expected on the 2-core CPU, for the help text.</param>
public record ReproductionBudget(
    string Name, int Epochs, int? TrainSubset, int? TrainingTestSubset, int? EvaluationImages, int BatchSize, double LearningRate,
    int WarmupEpochs, string ExpectedTime)
{
    /// <summary>A few minutes: 1 epoch on 512 images, 500 test images; for CI, proves the pipeline, not the paper.</summary>
    public static ReproductionBudget Smoke { get; } = new("smoke", 1, 512, 256, 500, 64, 0.05, 0, "about 2 minutes (measured 1–2 min per seed on 2 busy cores)");

    /// <summary>
    /// The default: 5 epochs on 12 000 training images (batch 128), 2 000 test images on the ladder; every method gets
    /// the same budget. MST and MSUN run one forward per scale, about 3× Vanilla's cost.
    /// </summary>
    public static ReproductionBudget Quick { get; } = new("quick", 5, 12_000, 1_000, 2_000, 128, 0.1, 1,
        "about 30 minutes per seed on 2 cores in the paper geometry at R = 56 (measured 29 min 57 s), about 11 in the cifar geometry");

    /// <summary>The longer run: 10 epochs on all 60 000 training images, the whole test set (not run here).</summary>
    public static ReproductionBudget Full { get; } = new("full", 10, null, 2_000, null, 128, 0.1, 1,
        "about 4 hours per seed on 2 cores in the paper geometry at R = 56 (estimated: 9× the quick budget's training; not run yet)");

    /// <summary>Every built-in budget, by name.</summary>
    public static IReadOnlyList<ReproductionBudget> All { get; } = [Smoke, Quick, Full];

    /// <summary>The budget named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the known ones.</exception>
    public static ReproductionBudget Get(string name) =>
        All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown budget '{name}'. Budgets: {string.Join(", ", All.Select(p => p.Name))}.", nameof(name));
}

/// <summary>The earlier name of <see cref="ReproductionBudget"/>, kept so that notebooks and scripts written against it still run.</summary>
public sealed record ReproductionProfile(
    string Name, int Epochs, int? TrainSubset, int? TrainingTestSubset, int? EvaluationImages, int BatchSize, double LearningRate,
    int WarmupEpochs, string ExpectedTime)
    : ReproductionBudget(Name, Epochs, TrainSubset, TrainingTestSubset, EvaluationImages, BatchSize, LearningRate, WarmupEpochs, ExpectedTime);

/// <summary>What the reproduction trains and evaluates.</summary>
/// <param name="Budget">The training and evaluation budget every method gets.</param>
/// <param name="Backbone">Registry backbone (default: the small ResNet-18 for 28 px).</param>
/// <param name="Split">MSUN split (default 2: stem + first stage, the paper's ResNet-50 split; the study's recommendation can be passed).</param>
/// <param name="Scales">Sizes below the reference shared by MST and MSUN (default 14, 21 at 28: half and three quarters, MST's default).</param>
/// <param name="Seed">The first training seed (seeds <c>Seed … Seed + Seeds − 1</c>); also seeds the evaluation images and the held-out study images' draw.</param>
/// <param name="Device">cpu or cuda[:N].</param>
/// <param name="EvaluationBatchSize">Images per forward pass in the multi-scale protocol.</param>
public sealed record ReproductionOptions(
    ReproductionBudget Budget, string Backbone = "resnet18-small", int Split = MsunOptions.DefaultSplit, IReadOnlyList<int>? Scales = null, int Seed = 0,
    string Device = TorchDevices.DefaultName, int EvaluationBatchSize = 256)
{
    private readonly int seeds = 1;

    /// <summary>How many times every method is trained (seeds <see cref="Seed"/>, <see cref="Seed"/> + 1, …), all on the same budget and scored on the same test images.</summary>
    public int Seeds
    {
        get => seeds;
        init => seeds = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(Seeds), value, $"--seeds {value}: train every method at least once.");
    }

    /// <summary>Side the images are brought to (bilinear upsampling of the dataset); the dataset's own size when null.</summary>
    public int? ReferenceSize { get; init; }

    /// <summary>The test ladder; the reference size's default ladder when null.</summary>
    public IReadOnlyList<int>? TestSizes { get; init; }

    /// <summary>The geometry these sizes come from, for provenance; null when set by hand.</summary>
    public StudyGeometry? Geometry { get; init; }

    /// <summary>A backbone that is not in the registry (e.g. defined in a notebook), named <see cref="Backbone"/>; null for a registered one.</summary>
    public BackboneSpec? BackboneSpec { get; init; }

    /// <summary>The options of one geometry: its backbone, sizes and ladder.</summary>
    public static ReproductionOptions For(StudyGeometry geometry, ReproductionBudget budget, int split, int seeds, int seed, string device)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        return new ReproductionOptions(budget, geometry.Backbone, split, geometry.Scales, seed, device)
        {
            Seeds = seeds, ReferenceSize = geometry.ReferenceSize, TestSizes = geometry.TestSizes, Geometry = geometry,
        };
    }

    /// <summary>The training seeds, in order.</summary>
    public IReadOnlyList<int> SeedList => Enumerable.Range(Seed, Seeds).ToArray();

    /// <summary>The training options of one method and seed at the given reference size (identical budgets across methods).</summary>
    public TrainingOptions Training(TrainingMethod method, int referenceSize, int seed)
    {
        var scales = Scales ?? MsunConfig.DefaultScalesBelow(referenceSize);
        return new TrainingOptions(Backbone, method, referenceSize, Budget.Epochs, Budget.BatchSize, Budget.LearningRate,
            warmupEpochs: Budget.WarmupEpochs, seed: seed, scales: method == TrainingMethod.Vanilla ? null : scales,
            trainSubset: Budget.TrainSubset, testSubset: Budget.TrainingTestSubset, device: Device,
            msun: method == TrainingMethod.Msun ? new MsunOptions(Split) : null, backboneSpec: BackboneSpec);
    }

    /// <summary>The training options of one method with the first seed.</summary>
    public TrainingOptions Training(TrainingMethod method, int referenceSize) => Training(method, referenceSize, Seed);
}

/// <summary>A progress message of the reproduction (step start/end, per-epoch lines with an estimate of the time left).</summary>
/// <param name="Step">The step (<c>train vanilla</c>, <c>evaluate msun</c>, ...).</param>
/// <param name="Message">One line.</param>
public sealed record ReproductionProgress(string Step, string Message);

/// <summary>What a reproduction produced.</summary>
/// <param name="Comparison">The comparison table with the verdict.</param>
/// <param name="Accuracy">Every accuracy result written to <c>accuracy.json</c> (counts pooled over seeds).</param>
/// <param name="Macs">The MAC table written to <c>macs.json</c>.</param>
/// <param name="Elapsed">Wall time of this call.</param>
/// <param name="ReusedSteps">Steps whose results were already there and were reused.</param>
public sealed record ReproductionResult(
    MethodComparison Comparison, IReadOnlyList<MultiScaleAccuracy> Accuracy, MacTable Macs, TimeSpan Elapsed, IReadOnlyList<string> ReusedSteps)
{
    /// <summary>Accuracy per method, scoring and size as mean ± std over seeds.</summary>
    public SeedAccuracyTable? Seeds { get; init; }
}

/// <summary>
/// The paper's comparison on one dataset: Vanilla, MST and MSUN trained with the same budget (<see cref="Trainer"/>),
/// once per seed, each evaluated on the multi-scale protocol (<see cref="CheckpointEvaluation"/>) on the same test
/// images, and one comparison with intervals and a verdict per claim.
/// </summary>
/// <remarks>
/// <para>Layout of the output folder: <c>vanilla/seed-K/</c>, <c>mst/seed-K/</c>, <c>msun/seed-K/</c> (each:
/// <c>checkpoint.zip</c>, <c>train-log.jsonl</c>, <c>accuracy.json/.csv</c>, <c>macs.json/.csv</c>,
/// <c>routed-correct.npy</c> (uint8 [test sizes, images]: 1 where the routed prediction was right),
/// <c>evaluation-step.json</c>), and at the top <c>accuracy.json/.csv</c> (counts pooled over seeds),
/// <c>seeds.json/.csv</c> (mean ± std over seeds), <c>macs.json/.csv</c>, <c>comparison.json/.csv</c> (with the
/// paired differences and the claims) and <c>verdict.md</c>.</para>
/// <para>Every method trains on the training split minus <see cref="HeldOutImages"/> images held out for the CKA
/// study (<see cref="HoldOut"/>), so the study that picks the split never sees the test images that score the methods.</para>
/// <para>Steps are keyed by their configuration: a training step resumes or reuses the checkpoint of the same options
/// (a checkpoint of other options is an error, never overwritten); an evaluation step is reused when the hash of its
/// checkpoint and settings, written to <c>evaluation-step.json</c>, matches. A rerun after an interruption therefore
/// continues where it stopped, and a rerun with more seeds reuses the seeds already done.</para>
/// </remarks>
public static class Reproduction
{
    /// <summary>The methods, in table order.</summary>
    public static IReadOnlyList<TrainingMethod> Methods { get; } = [TrainingMethod.Vanilla, TrainingMethod.Mst, TrainingMethod.Msun];

    /// <summary>Training images held out for the CKA study: 5 × 1 024, the paper's protocol of five subsets.</summary>
    public const int HeldOutImages = 5 * 1024;

    // Fixed forever: changing it changes every training set.
    private const int HeldOutSeed = 0x48454C44;

    /// <summary>The folder of one method and seed under a reproduction's root.</summary>
    public static string RunDirectory(string root, TrainingMethod method, int seed) =>
        Path.Combine(root, method.ToName(), ResultFiles.SeedFolder(seed));

    /// <summary>
    /// Splits the training split into the images the methods train on and <see cref="HeldOutImages"/> images held out
    /// for the CKA study (uniform, fixed seed: the same partition for every method, seed and budget).
    /// </summary>
    /// <exception cref="ArgumentException">The training split is too small to hold images out.</exception>
    public static (ImageDataset Training, ImageDataset StudyImages) HoldOut(ImageDataset train)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.Count < 2 * HeldOutImages)
            throw new ArgumentException($"the training split has {train.Count} images; holding {HeldOutImages} out for the CKA study needs at least {2 * HeldOutImages}.", nameof(train));
        var split = SeededSplits.TrainValidation(train.Count, HeldOutImages, HeldOutSeed);
        return (train.Subset(split.Train.ToArray(), $"training part ({split.Describe()}; the rest is held out for the CKA study)"),
                train.Subset(split.Validation.ToArray(), $"held out for the CKA study ({split.Describe()})"));
    }

    /// <summary>Runs (or continues) the whole reproduction in <paramref name="outputDirectory"/>.</summary>
    /// <param name="options">Budget, backbone, split, scales, seeds, sizes, device.</param>
    /// <param name="train">The whole training split (<see cref="HoldOut"/> is applied here).</param>
    /// <param name="test">Test split.</param>
    /// <param name="outputDirectory">Output folder (created if missing).</param>
    /// <param name="progress">Step and epoch messages.</param>
    /// <param name="cancellationToken">Stops at the next batch boundary; finished steps and the last checkpoint stay.</param>
    /// <param name="notes">Lines the verdict must carry (e.g. that MSUN was built with another split than the study recommended).</param>
    /// <param name="steps">The finished-step record of a larger run (<see cref="StudyPipeline"/>); a new one when null.</param>
    public static ReproductionResult Run(ReproductionOptions options, ImageDataset train, ImageDataset test, string outputDirectory,
        IProgress<ReproductionProgress>? progress = null, CancellationToken cancellationToken = default, IReadOnlyList<string>? notes = null,
        FinishedSteps? steps = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputDirectory);
        var watch = Stopwatch.StartNew();
        var root = Path.GetFullPath(outputDirectory);
        var reference = options.ReferenceSize ?? train.Height;
        var trainingOptions = Preflight(options, reference, root);
        Directory.CreateDirectory(root);
        var training = HoldOut(train).Training;
        steps ??= new FinishedSteps(progress);
        steps.RemoveInterruptedWrites(root);
        var reusedBefore = steps.Reused.Count; // a larger run's earlier steps are not this call's
        var seconds = new Dictionary<string, double>();

        var evalData = options.Budget.EvaluationImages is int n && n < test.Count
            ? test.Subset(SeededSplits.RandomSubset(test.Count, n, options.Seed), $"seeded subset of {n} (seed {options.Seed})")
            : test;
        var sizes = options.TestSizes ?? MultiScaleEvaluationOptions.DefaultTestSizes(reference);
        var evaluations = new List<(TrainingMethod Method, int Seed, MethodEvaluation Result)>();
        // Seed by seed, each seed evaluated as soon as it is trained: a run cut short keeps every finished seed's scores.
        foreach (var seed in options.SeedList)
        {
            foreach (var method in Methods)
            {
                var step = Stopwatch.StartNew();
                TrainStep(trainingOptions[(method, seed)], training, test, RunDirectory(root, method, seed), steps, progress, cancellationToken);
                seconds[$"train_{method.ToName()}_seed_{seed}"] = step.Elapsed.TotalSeconds;
            }

            foreach (var method in Methods)
            {
                var step = Stopwatch.StartNew();
                var result = EvaluateStep(RunDirectory(root, method, seed), method.ToName(), evalData, sizes, options, steps, progress, seed);
                evaluations.Add((method, seed, result));
                seconds[$"evaluate_{method.ToName()}_seed_{seed}"] = step.Elapsed.TotalSeconds;
            }
        }

        var reused = steps.Reused.Skip(reusedBefore).ToArray();
        var provenance = new Dictionary<string, string>
        {
            ["dataset"] = train.Provenance.Describe(),
            ["training_images"] = training.Provenance.Describe(),
            ["evaluation_images"] = evalData.Count.ToString(CultureInfo.InvariantCulture),
            ["evaluation_data"] = evalData.Provenance.Describe(),
            ["profile"] = options.Budget.ToString(),
            ["backbone"] = options.Backbone,
            ["geometry"] = options.Geometry?.Description ?? "set by hand",
            ["msun"] = trainingOptions[(TrainingMethod.Msun, options.Seed)].Msun!.Describe(),
            ["test_sizes"] = string.Join(",", sizes),
            ["seeds"] = string.Join(",", options.SeedList),
            ["intervals"] = "95 %: paired bootstrap over the same test images (closed form) + seed-to-seed variance, Welch t (PairedDifference)",
            ["device"] = options.Device,
            ["torch_threads"] = torch.get_num_threads().ToString(CultureInfo.InvariantCulture),
            ["processor_count"] = Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture),
            ["seconds_this_call"] = watch.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture),
            ["reused_steps"] = reused.Length == 0 ? "none" : string.Join(",", reused),
            ["written_utc"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in seconds)
            provenance[$"seconds_{key}"] = value.ToString("F1", CultureInfo.InvariantCulture);
        foreach (var method in Methods)
            provenance[$"training_{method.ToName()}"] = trainingOptions[(method, options.Seed)].Describe();
        for (int i = 0; i < (notes?.Count ?? 0); i++)
            provenance[$"note_{i + 1}"] = notes![i];

        var outcome = Compare(evaluations.Select(e => (e.Method.ToName(), e.Seed, e.Result)).ToArray(), provenance, notes ?? []);
        MultiScaleResultFiles.WriteJsonFile(Path.Combine(root, ResultFiles.AccuracyJson), outcome.Pooled);
        MultiScaleResultFiles.WriteCsvFile(Path.Combine(root, ResultFiles.AccuracyCsv), outcome.Pooled);
        outcome.Seeds.WriteJsonFile(Path.Combine(root, ResultFiles.SeedsJson));
        outcome.Seeds.WriteCsvFile(Path.Combine(root, ResultFiles.SeedsCsv));
        outcome.Macs.WriteJsonFile(Path.Combine(root, ResultFiles.MacsJson));
        outcome.Macs.WriteCsvFile(Path.Combine(root, ResultFiles.MacsCsv));
        outcome.Comparison.WriteJsonFile(Path.Combine(root, ResultFiles.ComparisonJson));
        outcome.Comparison.WriteCsvFile(Path.Combine(root, ResultFiles.ComparisonCsv));
        AtomicFile.WriteText(Path.Combine(root, ResultFiles.VerdictMarkdown), w => w.Write(VerdictMarkdown(outcome, notes ?? [])));
        return new ReproductionResult(outcome.Comparison, outcome.Pooled, outcome.Macs, watch.Elapsed, reused) { Seeds = outcome.Seeds };
    }

    /// <summary>
    /// Validates the options of every method and seed and checks that any checkpoint already in
    /// <paramref name="outputDirectory"/> belongs to them, before any work is done; returns the training options per method and seed.
    /// </summary>
    /// <exception cref="ArgumentException">Invalid options (split, scales, backbone).</exception>
    /// <exception cref="CheckpointException">A run folder holds a checkpoint of other options; the message lists the differences.</exception>
    public static IReadOnlyDictionary<(TrainingMethod Method, int Seed), TrainingOptions> Preflight(ReproductionOptions options, int referenceSize, string outputDirectory)
    {
        ArgumentNullException.ThrowIfNull(options);
        var result = options.SeedList.SelectMany(seed => Methods.Select(m => (m, seed)))
            .ToDictionary(k => k, k => options.Training(k.m, referenceSize, k.seed));
        foreach (var ((method, seed), training) in result)
        {
            var directory = RunDirectory(Path.GetFullPath(outputDirectory), method, seed);
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

    /// <summary>
    /// Trains one method and seed in <paramref name="directory"/>, resuming a checkpoint of the same options; a complete
    /// checkpoint (it records its own options) is the step's finished record and is reused.
    /// </summary>
    /// <exception cref="CheckpointException">The folder holds a checkpoint of other options (it is left untouched).</exception>
    public static void TrainStep(TrainingOptions options, ImageDataset train, ImageDataset test, string directory, FinishedSteps steps,
        IProgress<ReproductionProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(steps);
        ArgumentNullException.ThrowIfNull(options);
        using var trainer = new Trainer(options, train, test, directory, resume: Checkpoint.Exists(directory));
        if (trainer.EpochsCompleted == options.Epochs)
        {
            steps.Reuse(StepName(options), $"reusing the finished checkpoint in {trainer.CheckpointPath}");
            return;
        }

        Train(trainer, progress, cancellationToken);
    }

    /// <summary>Trains the remaining epochs of <paramref name="trainer"/>, reporting its start and each epoch with the step's ETA.</summary>
    public static TrainingResult Train(Trainer trainer, IProgress<ReproductionProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        var options = trainer.Options;
        var step = StepName(options);
        var start = trainer.EpochsCompleted;
        progress?.Report(new ReproductionProgress(step,
            $"{(start > 0 ? $"resuming after epoch {start}" : "starting")}: {trainer.ObjectiveDescription}; {trainer.Dataset.TrainExamples} images, {trainer.StepsPerEpoch} steps per epoch"));
        var watch = Stopwatch.StartNew();
        return trainer.Run(new SyncProgress<EpochRecord>(e =>
        {
            var eta = Eta.Remaining(watch.Elapsed, e.Epoch - start, options.Epochs - start);
            progress?.Report(new ReproductionProgress(step, string.Create(CultureInfo.InvariantCulture,
                $"epoch {e.Epoch}/{options.Epochs}: loss {e.Loss:F4}, test {e.TestAccuracy:P2} at {options.ReferenceSize} px, {e.Seconds:F0} s; step ETA {Eta.Format(eta)}")));
        }), cancellationToken: cancellationToken);
    }

    private static string StepName(TrainingOptions options) => $"train {options.Method.ToName()} seed {options.Seed}";

    /// <summary>One method and seed evaluated: its results, MACs, parameters (the whole model) and per-image routed hits.</summary>
    internal sealed record MethodEvaluation(IReadOnlyList<MultiScaleAccuracy> Accuracy, IReadOnlyList<MacTableRow> RoutedMacs,
        IReadOnlyList<MacTableRow> BranchMacs, long Parameters, IReadOnlyList<byte[]> RoutedCorrect);

    /// <summary>Everything the comparison of several methods and seeds gives.</summary>
    internal sealed record Outcome(IReadOnlyList<MultiScaleAccuracy> Pooled, SeedAccuracyTable Seeds, MacTable Macs, MethodComparison Comparison);

    /// <summary>
    /// Pools each method's seeds (counts summed: the accuracy of the pool is the mean over seeds), builds the rows, the
    /// seed table, the paired differences MSUN − MST and MSUN − Vanilla per size and on average, and judges the claims.
    /// </summary>
    internal static Outcome Compare(IReadOnlyList<(string Method, int Seed, MethodEvaluation Result)> evaluations,
        IReadOnlyDictionary<string, string> provenance, IReadOnlyList<string> notes)
    {
        var methods = evaluations.Select(e => e.Method).Distinct().ToArray();
        var bySeed = methods.ToDictionary(m => m, m => evaluations.Where(e => e.Method == m).OrderBy(e => e.Seed).ToArray());
        var pooled = new List<MultiScaleAccuracy>();
        var entries = new List<(string, MultiScaleAccuracy, long, IReadOnlyList<long>)>();
        var routedRows = new List<MacTableRow>();
        foreach (var method in methods)
        {
            var runs = bySeed[method];
            var first = runs[0].Result;
            routedRows.AddRange(first.RoutedMacs);
            foreach (var a in first.Accuracy)
            {
                var all = runs.Select(r => r.Result.Accuracy.Single(x => x.Scoring == a.Scoring)).ToArray();
                var pool = Pool(all, runs.Select(r => r.Seed).ToArray());
                pooled.Add(pool);
                IReadOnlyList<long> perSize = a.Scoring switch
                {
                    MultiScaleScoring.Routed => first.RoutedMacs.Select(r => r.Macs).ToArray(),
                    // The oracle must run every subnet to pick the best one.
                    MultiScaleScoring.BestOfBranches => a.TestSizes.Select(s => first.BranchMacs.Where(r => r.TestSize == s).Sum(r => r.Macs)).ToArray(),
                    _ => a.TestSizes.Select(s => first.BranchMacs.Single(r => r.TestSize == s && MultiScaleScoring.Branch(r.Branch) == a.Scoring).Macs).ToArray(),
                };
                entries.Add((method, pool, first.Parameters, perSize));
            }
        }

        var macs = new MacTable(routedRows, new Dictionary<string, string>
        {
            ["cost"] = "MACs per image of what runs at each test size: Vanilla/MST the network at the reference size after upsampling; MSUN the routed subnet at the test size + unify + shared network",
            ["counting"] = "Conv2d + Linear multiply-accumulates, bias excluded (MacCounter)",
        });
        var seedTable = SeedAccuracyTable.Build(
            methods.Select(m => (m, (IReadOnlyList<(int, IReadOnlyList<MultiScaleAccuracy>)>)bySeed[m].Select(r => (r.Seed, r.Result.Accuracy)).ToArray())).ToArray(),
            new Dictionary<string, string> { ["seeds"] = string.Join(",", evaluations.Select(e => e.Seed).Distinct()), ["std"] = "sample standard deviation over seeds (n - 1); NaN for one seed" });

        var rows = MethodComparison.BuildRows(entries);
        var sizes = pooled[0].TestSizes;
        var differences = new List<NamedDifference>();
        var claims = Array.Empty<ClaimVerdict>();
        if (methods.Contains("msun") && methods.Contains("mst") && methods.Contains("vanilla"))
        {
            foreach (var other in new[] { "mst", "vanilla" })
            {
                differences.Add(Difference("msun", other, null, bySeed, s => PairedDifference.MeanOverSizes(s.Select(Scores).ToArray())));
                for (int i = 0; i < sizes.Count; i++)
                {
                    int index = i;
                    differences.Add(Difference("msun", other, sizes[i], bySeed, s => Scores(s[index])));
                }
            }

            NamedDifference Find(string other, int? size) => differences.Single(d => d.Subtrahend == other && d.Size == size);
            claims = [.. PaperClaims.Judge(Find("mst", null), Find("vanilla", null), Find("vanilla", sizes.Min()), Find("vanilla", sizes.Max()))];
        }

        var verdict = MethodComparison.ComposeVerdict(rows, claims) + string.Concat(notes.Select(n => " Note: " + n));
        return new Outcome(pooled, seedTable, macs, new MethodComparison(rows, verdict, provenance, claims, differences));
    }

    private static double[] Scores(byte[] hits) => hits.Select(h => (double)h).ToArray();

    private static NamedDifference Difference(string minuend, string subtrahend, int? size,
        IReadOnlyDictionary<string, (string Method, int Seed, MethodEvaluation Result)[]> bySeed, Func<IReadOnlyList<byte[]>, double[]> scores)
    {
        IReadOnlyList<IReadOnlyList<double>> Rows(string m) => bySeed[m].Select(r => (IReadOnlyList<double>)scores(r.Result.RoutedCorrect)).ToArray();
        return new NamedDifference(minuend, subtrahend, size, PairedDifference.Compute(Rows(minuend), Rows(subtrahend)));
    }

    /// <summary>One result whose counts are the sums over the seeds' results (same images, same sizes): its accuracy is the mean over seeds.</summary>
    private static MultiScaleAccuracy Pool(IReadOnlyList<MultiScaleAccuracy> seeds, IReadOnlyList<int> seedIds)
    {
        var first = seeds[0];
        var sizes = first.Sizes.Select((s, i) => new SizeAccuracy(s.Size, s.Branch,
            Enumerable.Range(0, s.CorrectPerClass.Count).Select(k => seeds.Sum(r => r.Sizes[i].CorrectPerClass[k])).ToArray(),
            Enumerable.Range(0, s.TotalPerClass.Count).Select(k => seeds.Sum(r => r.Sizes[i].TotalPerClass[k])).ToArray())).ToArray();
        var provenance = new Dictionary<string, string>(first.Provenance)
        {
            ["pooled_seeds"] = string.Join(",", seedIds),
            ["pooling"] = seeds.Count == 1 ? "one seed" : $"counts summed over {seeds.Count} seeds on the same test images: accuracy = mean over seeds",
        };
        return new MultiScaleAccuracy(first.Model, first.Scoring, first.ReferenceSize, sizes, provenance);
    }

    private static MethodEvaluation EvaluateStep(string directory, string name, ImageDataset data, IReadOnlyList<int> sizes,
        ReproductionOptions options, FinishedSteps steps, IProgress<ReproductionProgress>? progress, int seed)
    {
        var step = $"evaluate {name} seed {seed}";
        var state = Checkpoint.ReadState(directory);
        var description = string.Join("; ", state.Identity(), $"sizes={string.Join(",", sizes)}", $"images={data.Count}", $"data={data.Provenance.Describe()}", "antialias=false", "routed_correct=kept");
        string accuracyPath = Path.Combine(directory, ResultFiles.AccuracyJson), macsPath = Path.Combine(directory, ResultFiles.MacsJson),
            stepPath = Path.Combine(directory, ResultFiles.EvaluationStepRecord), correctPath = Path.Combine(directory, ResultFiles.RoutedCorrectNpy);
        if (steps.Find(step, stepPath, description, accuracyPath, macsPath, correctPath) is { } record)
        {
            var table = MacTable.ReadJsonFile(macsPath);
            return new MethodEvaluation(MultiScaleResultFiles.ReadJsonFile(accuracyPath), table.Rows.Where(r => r.Model == name).ToArray(),
                table.Rows.Where(r => r.Model != name).ToArray(), record.GetProperty("parameters").GetInt64(), ReadCorrect(correctPath, sizes.Count, data.Count));
        }

        progress?.Report(new ReproductionProgress(step, $"{data.Count} images at sizes {string.Join(",", sizes)}"));
        var device = TorchDevices.Resolve(options.Device);
        var outcome = CheckpointEvaluation.Run(directory, data, sizes, options.EvaluationBatchSize, antialias: false, device, name);
        // Per-branch rows are kept in the method's own MAC table under "<method> branch:<name>", so a rerun can rebuild the comparison.
        var macRows = outcome.MacRows();
        var branchRows = macRows.Skip(outcome.Macs.Count).ToArray();
        var results = outcome.Accuracy.All;
        var correct = outcome.Accuracy.RoutedCorrect ?? throw new InvalidOperationException("the evaluator kept no per-image results.");
        MultiScaleResultFiles.WriteJsonFile(accuracyPath, results);
        MultiScaleResultFiles.WriteCsvFile(Path.Combine(directory, ResultFiles.AccuracyCsv), results);
        var flat = new byte[sizes.Count * data.Count];
        for (int i = 0; i < sizes.Count; i++) correct[i].CopyTo(flat, i * data.Count);
        Npy.Write(correctPath, new NpyArray([sizes.Count, data.Count], flat));
        var macs = new MacTable(macRows, new Dictionary<string, string> { ["model"] = name });
        macs.WriteJsonFile(macsPath);
        macs.WriteCsvFile(Path.Combine(directory, ResultFiles.MacsCsv));
        FinishedSteps.Record(stepPath, description, w => w.WriteNumber("parameters", outcome.Parameters));
        progress?.Report(new ReproductionProgress(step, string.Create(CultureInfo.InvariantCulture, $"mean accuracy {outcome.Accuracy.Routed.MeanAccuracy:P2} (routed)")));
        return new MethodEvaluation(results, outcome.Macs, branchRows, outcome.Parameters, correct);
    }

    private static byte[][] ReadCorrect(string path, int sizes, int images)
    {
        var array = Npy.Read(path);
        if (array.Shape.Count != 2 || array.Shape[0] != sizes || array.Shape[1] != images || array.Data is not byte[] flat)
            throw new InvalidDataException($"{path}: expected uint8 [{sizes}, {images}] (test sizes × images); found {array.ElementType} [{string.Join(", ", array.Shape)}].");
        return Enumerable.Range(0, sizes).Select(i => flat.AsSpan(i * images, images).ToArray()).ToArray();
    }

    private static string VerdictMarkdown(Outcome outcome, IReadOnlyList<string> notes)
    {
        var ci = CultureInfo.InvariantCulture;
        var comparison = outcome.Comparison;
        var sb = new StringBuilder();
        sb.AppendLine("# MSUN reproduction: verdict").AppendLine();
        if (comparison.Provenance.TryGetValue("geometry", out var geometry)) sb.AppendLine($"Geometry: {geometry}.").AppendLine();
        comparison.Provenance.TryGetValue("seeds", out var seeds);
        sb.AppendLine($"Seeds: {seeds}; test images: {comparison.Provenance.GetValueOrDefault("evaluation_images")}. Accuracies are top-1 % as mean ± sample std over seeds; intervals are 95 % over test images and seeds (see comparison.json, 'intervals').").AppendLine();
        sb.AppendLine("## The paper's claims").AppendLine();
        if (comparison.Claims.Count == 0) sb.AppendLine("Not judged (the comparison lacks one of Vanilla, MST, MSUN).");
        foreach (var c in comparison.Claims)
            sb.AppendLine($"- **{c.OutcomeName}** — {c.Claim}. {c.Evidence}.");
        foreach (var n in notes)
            sb.AppendLine($"- Note: {n}");
        sb.AppendLine().AppendLine("## Summary").AppendLine().AppendLine(comparison.Verdict).AppendLine();

        var sizes = outcome.Pooled[0].TestSizes;
        sb.AppendLine("## Accuracy per test size (mean ± std over seeds)").AppendLine();
        sb.AppendLine("| model | scoring | " + string.Join(" | ", sizes.Select(s => $"{s} px")) + " | mean |");
        sb.AppendLine("|---|---|" + string.Concat(sizes.Select(_ => "---|")) + "---|");
        string Cell(SeedAccuracyRow r) => double.IsNaN(r.Std)
            ? (100 * r.Mean).ToString("F2", ci)
            : $"{(100 * r.Mean).ToString("F2", ci)} ± {(100 * r.Std).ToString("F2", ci)}";
        foreach (var a in outcome.Pooled)
            sb.AppendLine($"| {a.Model} | {a.Scoring} | " + string.Join(" | ", sizes.Select(s => Cell(outcome.Seeds.Row(a.Model, a.Scoring, s)))) +
                          $" | {Cell(outcome.Seeds.Row(a.Model, a.Scoring, null))} |");

        if (comparison.Differences.Count > 0)
        {
            sb.AppendLine().AppendLine("## Paired differences, MSUN routed minus each baseline (pp, 95 % interval)").AppendLine();
            sb.AppendLine("| baseline | " + string.Join(" | ", sizes.Select(s => $"{s} px")) + " | mean |");
            sb.AppendLine("|---|" + string.Concat(sizes.Select(_ => "---|")) + "---|");
            string D(NamedDifference d) => string.Create(ci, $"{100 * d.Interval.Mean:+0.00;-0.00} [{100 * d.Interval.Low:+0.00;-0.00}, {100 * d.Interval.High:+0.00;-0.00}]");
            foreach (var other in comparison.Differences.Select(d => d.Subtrahend).Distinct())
                sb.AppendLine($"| {other} | " + string.Join(" | ", sizes.Select(s => D(comparison.Differences.Single(d => d.Subtrahend == other && d.Size == s)))) +
                              $" | {D(comparison.Differences.Single(d => d.Subtrahend == other && d.Size is null))} |");
        }

        sb.AppendLine().AppendLine("## Parameters and MACs").AppendLine();
        sb.AppendLine("| model | parameters (whole model) | mean MACs per image (routed) | vs Vanilla |");
        sb.AppendLine("|---|---|---|---|");
        foreach (var r in comparison.Rows.Where(r => r.Scoring == MultiScaleScoring.Routed))
            sb.AppendLine(string.Create(ci, $"| {r.Method} | {r.Parameters:N0} | {r.MeanMacs:N0} | {r.MacsRatioToVanilla:F3} |"));
        sb.AppendLine().AppendLine("MACs per image (routed):").AppendLine();
        sb.AppendLine("| model | " + string.Join(" | ", sizes.Select(s => $"{s} px")) + " |");
        sb.AppendLine("|---|" + string.Concat(sizes.Select(_ => "---|")));
        foreach (var model in outcome.Macs.Rows.Select(r => r.Model).Distinct())
            sb.AppendLine($"| {model} | " + string.Join(" | ", sizes.Select(s => outcome.Macs.Rows.First(r => r.Model == model && r.TestSize == s).Macs.ToString("N0", ci))) + " |");
        return sb.ToString();
    }
}
