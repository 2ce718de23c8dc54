using System.Diagnostics;
using System.Globalization;
using Msun.Analysis.Core.Results;
using Msun.Analysis.Core.SplitSelection;
using Msun.Analysis.Torch.Backbones;
using Msun.Analysis.Torch.Data;
using Msun.Analysis.Torch.Study;
using Msun.Analysis.Torch.Training;
using Msun.Analysis.Torch.Unified;

namespace Msun.Analysis.Torch.Pipeline;

/// <summary>What <c>msun study</c> runs: the reproduction's budget, geometry, seeds and models, plus the split rule.</summary>
/// <param name="Reproduction">Budget, geometry (sizes), backbone, seeds, device; its <c>Split</c> is replaced by the split used.</param>
/// <param name="ForcedSplit">Train MSUN with this split instead of the study's recommendation (the recommendation is still computed and saved).</param>
/// <param name="SplitRule">The rule that turns the profile into a split.</param>
/// <param name="CkaStudy">The CKA study's options instead of the budget's protocol (<see cref="Study"/>), e.g. a notebook's smaller one; its reference size must be the run's.</param>
public sealed record StudyPipelineOptions(ReproductionOptions Reproduction, int? ForcedSplit = null, SplitRuleOptions? SplitRule = null,
    ScaleStudyOptions? CkaStudy = null)
{
    /// <summary>
    /// The CKA study's options: <see cref="CkaStudy"/> when given, else for the budget the paper's protocol (1 024 images
    /// × 5 subsets, minibatch CKA of 128, a permutation null of 20, the block × block grid at the smallest probe) except
    /// on the smoke budget, which only proves the path; probes from the geometry (the default probes of the reference size without one).
    /// </summary>
    /// <exception cref="ArgumentException"><see cref="CkaStudy"/> is for another reference size.</exception>
    public ScaleStudyOptions Study(int referenceSize)
    {
        if (CkaStudy is not null)
            return CkaStudy.ReferenceSize == referenceSize ? CkaStudy
                : throw new ArgumentException($"the CKA study's reference size {CkaStudy.ReferenceSize} is not the run's {referenceSize}.", nameof(CkaStudy));
        bool smoke = Reproduction.Budget == ReproductionBudget.Smoke;
        IReadOnlyList<int> probes = Reproduction.Geometry?.Probes ?? ScaleStudyOptions.DefaultProbes(referenceSize);
        return new ScaleStudyOptions(referenceSize, probes, imagesPerSubset: smoke ? 256 : 1024, repeats: smoke ? 2 : 5, seed: Reproduction.Seed,
            batchSize: smoke ? 64 : 128, permutations: smoke ? null : 20, statisticsImages: smoke ? 256 : 512, gridProbe: probes[0],
            device: Reproduction.Device);
    }
}

/// <summary>What <c>msun study</c> produced.</summary>
/// <param name="Recommendation">The split the study recommends (saved as <c>study/split.json</c>).</param>
/// <param name="TrainedSplit">The split MSUN was trained with.</param>
/// <param name="Reproduction">The comparison of the three methods.</param>
/// <param name="Elapsed">Wall time of this call.</param>
/// <param name="ReportPath">The report written by the last step, when a writer was given.</param>
/// <param name="Note">How the trained split relates to the recommendation (also in the verdict).</param>
public sealed record StudyPipelineResult(
    SplitRecommendation Recommendation, int TrainedSplit, ReproductionResult Reproduction, TimeSpan Elapsed, string? ReportPath, string Note);

/// <summary>What the study part of <c>msun study</c> produced (steps 1–3 of <see cref="StudyPipeline"/>).</summary>
/// <param name="Baseline">The Vanilla baseline's training epochs (earlier sessions' included).</param>
/// <param name="Profile">The layer-wise CKA profile of the baseline across scales.</param>
/// <param name="Grid">The block × block grid at the grid probe, when the study computed one.</param>
/// <param name="Recommendation">The split rule's answer with its evidence.</param>
/// <param name="StudyDirectory">Where the profile, grid and split files are (<c>study/</c> under the run's folder).</param>
/// <param name="ReusedSteps">Steps found finished and reused.</param>
public sealed record ScaleSensitivityResult(IReadOnlyList<EpochRecord> Baseline, CkaProfile Profile, CkaGridSummary? Grid,
    SplitRecommendation Recommendation, string StudyDirectory, IReadOnlyList<string> ReusedSteps);

/// <summary>
/// The study path of the paper in one call, each step keyed by its configuration so that a rerun reuses what is
/// finished (<see cref="FinishedSteps"/>): (1) train a Vanilla baseline (first seed), (2) the layer-wise CKA study on it,
/// on training images held out from every method (<see cref="Reproduction.HoldOut"/>), (3) the split recommendation,
/// (4) Vanilla, MST and MSUN with that split on the same budget, once per seed, and the multi-scale evaluation of all
/// (<see cref="Reproduction"/>), (5) the report (written by the caller's writer: the report library is not a
/// dependency of this one). Sizes come from the options' geometry.
/// </summary>
/// <remarks>Layout: <see cref="Reproduction"/>'s, plus <c>study/</c> (the profile, grid, split and the step record).</remarks>
public static class StudyPipeline
{
    /// <summary>The name the pipeline's own progress lines carry.</summary>
    public const string Name = "msun study";

    private const int StepCount = 5;

    /// <summary>Runs (or continues) the study in <paramref name="outputDirectory"/>.</summary>
    /// <param name="options">What to train and study.</param>
    /// <param name="train">Training split.</param>
    /// <param name="test">Test split (the study's images and the evaluation's).</param>
    /// <param name="outputDirectory">Output folder (created if missing).</param>
    /// <param name="writeReport">Step 5: writes the report of the folder and returns its path; skipped when null.</param>
    /// <param name="progress">Step, epoch and phase messages.</param>
    /// <param name="cancellationToken">Stops at the next batch; finished steps and the last checkpoint stay.</param>
    /// <exception cref="CheckpointException">A method's folder holds a checkpoint of other options (left untouched).</exception>
    public static StudyPipelineResult Run(StudyPipelineOptions options, ImageDataset train, ImageDataset test, string outputDirectory,
        Func<string, string>? writeReport = null, IProgress<ReproductionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputDirectory);
        var root = Path.GetFullPath(outputDirectory);
        var clock = Stopwatch.StartNew();
        var steps = new FinishedSteps(progress);
        var study = StudySteps(options, train, test, root, steps, Step, progress, cancellationToken);
        var recommendation = study.Recommendation;
        int seeds = options.Reproduction.Seeds;
        int stages = (options.Reproduction.BackboneSpec ?? BackboneRegistry.Get(options.Reproduction.Backbone)).Stages.Count;
        int split = options.ForcedSplit ?? SubnetDepth.BuildableSplit(recommendation.Split, stages);
        var note = options.ForcedSplit is int forced
            ? $"MSUN was trained with --split {forced}; the CKA study recommended {recommendation.Split}."
            : split == recommendation.Split
                ? $"MSUN was built with the split the CKA study recommended, {split} (the paper's ResNet split is 2, after layer1)."
                : SubnetDepth.SplitNote(recommendation.Split, split, stages);
        progress?.Report(new ReproductionProgress(Name, note));

        Step(4, $"MST and MSUN (split {split}), {seeds} seed(s) of every method, evaluation of all");
        var result = Reproduction.Run(options.Reproduction with { Split = split }, train, test, root, progress, cancellationToken, [note], steps);

        string? reportPath = null;
        if (writeReport is not null)
        {
            Step(5, "report");
            reportPath = writeReport(root);
        }

        return new StudyPipelineResult(recommendation, split, result, clock.Elapsed, reportPath, note);

        void Step(int number, string what) => progress?.Report(new ReproductionProgress(Name,
            $"step {number}/{StepCount}: {what} (elapsed {Eta.Format(clock.Elapsed)})"));
    }

    /// <summary>
    /// Steps 1–3 alone (what notebook 01 shows): the Vanilla baseline trained on the training split minus the held-out
    /// images, its layer-wise CKA study on those images, and the split recommendation, in <paramref name="outputDirectory"/>
    /// with the layout and step reuse of <see cref="Run"/> (which continues from them).
    /// </summary>
    /// <param name="options">What to train and study (the MSUN part is not used).</param>
    /// <param name="train">Training split.</param>
    /// <param name="test">Test split (the baseline's per-epoch check).</param>
    /// <param name="outputDirectory">Output folder (created if missing).</param>
    /// <param name="progress">Step, epoch and phase messages.</param>
    /// <param name="cancellationToken">Stops at the next batch; finished steps and the last checkpoint stay.</param>
    /// <exception cref="CheckpointException">The baseline's folder holds a checkpoint of other options (left untouched).</exception>
    public static ScaleSensitivityResult RunStudy(StudyPipelineOptions options, ImageDataset train, ImageDataset test, string outputDirectory,
        IProgress<ReproductionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputDirectory);
        var clock = Stopwatch.StartNew();
        return StudySteps(options, train, test, Path.GetFullPath(outputDirectory), new FinishedSteps(progress), (number, what) =>
            progress?.Report(new ReproductionProgress(Name, $"step {number}/3: {what} (elapsed {Eta.Format(clock.Elapsed)})")), progress, cancellationToken);
    }

    /// <summary>Steps 1–3: preflight, baseline, study, recommendation (saved next to the profile).</summary>
    private static ScaleSensitivityResult StudySteps(StudyPipelineOptions options, ImageDataset train, ImageDataset test, string root,
        FinishedSteps steps, Action<int, string> step, IProgress<ReproductionProgress>? progress, CancellationToken cancellationToken)
    {
        int reference = options.Reproduction.ReferenceSize ?? train.Height;
        // The split is not known before the study, so the preflight checks the baseline's options and any checkpoints
        // with a provisional split; Reproduction.Run checks the real one again before MSUN trains.
        var provisional = options.Reproduction with { Split = options.ForcedSplit ?? 1 };
        Reproduction.Preflight(provisional, reference, root);
        steps.RemoveInterruptedWrites(root);
        var studyOptions = options.Study(reference);
        var (training, studyImages) = Reproduction.HoldOut(train);
        int seeds = options.Reproduction.Seeds, seed = options.Reproduction.Seed;

        step(1, $"train the Vanilla baseline (seed {seed})");
        var baselineDir = Reproduction.RunDirectory(root, TrainingMethod.Vanilla, seed);
        Reproduction.TrainStep(provisional.Training(TrainingMethod.Vanilla, reference), training, test, baselineDir, steps, progress, cancellationToken);
        EstimateRemaining(baselineDir, provisional.Training(TrainingMethod.Mst, reference).Scales.Count, seeds, progress);

        step(2, $"layer-wise CKA study of the baseline on {studyImages.Count} held-out training images");
        var studyDir = Path.Combine(root, ResultFiles.StudyFolder);
        var (profile, grid) = StudyStep(baselineDir, studyDir, studyOptions, studyImages, steps, progress, cancellationToken);

        step(3, "split recommendation");
        var recommendation = SplitSelector.Recommend(profile, options.SplitRule ?? new SplitRuleOptions());
        SplitRecommendationFiles.Save(recommendation, Path.Combine(studyDir, ResultFiles.ProfileJson));
        progress?.Report(new ReproductionProgress(Name, recommendation.Explain().TrimEnd()));
        return new ScaleSensitivityResult(TrainingLog.Read(Path.Combine(baselineDir, TrainingLog.FileName)), profile, grid, recommendation,
            studyDir, steps.Reused.ToArray());
    }

    /// <summary>Runs the CKA study on the baseline checkpoint, or reuses the saved one when checkpoint, options and data are the same.</summary>
    private static (CkaProfile Profile, CkaGridSummary? Grid) StudyStep(string checkpointDir, string studyDir, ScaleStudyOptions options,
        ImageDataset data, FinishedSteps steps, IProgress<ReproductionProgress>? progress, CancellationToken cancellationToken)
    {
        var state = Checkpoint.ReadState(checkpointDir);
        var configuration = string.Join("; ", state.Identity(), options.Describe(), $"data={data.Provenance.Describe()}");
        var record = Path.Combine(studyDir, ResultFiles.StudyStepRecord);
        var profilePath = Path.Combine(studyDir, ResultFiles.ProfileJson);
        var gridPath = Path.Combine(studyDir, ResultFiles.GridJson);
        string[] outputs = options.GridProbe is null ? [profilePath] : [profilePath, gridPath];
        if (steps.Find(Name, record, configuration, outputs) is not null)
            return (CkaProfile.ReadJsonFile(profilePath), options.GridProbe is null ? null : CkaGridSummary.ReadJsonFile(gridPath));

        using var model = ModelLoader.FromCheckpoint(checkpointDir);
        ScaleStudy.Check(model, data, options);
        var watch = Stopwatch.StartNew();
        var result = ScaleStudy.Run(model, data, options, new SyncProgress<ScaleStudyProgress>(p =>
        {
            if (p.Step == p.Steps || p.Step % Math.Max(1, p.Steps / 10) == 0)
                progress?.Report(new ReproductionProgress("study",
                    $"{p.Phase} {p.Step}/{p.Steps}, study ETA {Eta.Format(Eta.Remaining(watch.Elapsed, p.Work, p.TotalWork))}")); // by CKA work, not steps
        }), cancellationToken);
        // The folder is the step's own (keyed by configuration): replacing an older study of another configuration is the point.
        result.Save(studyDir, overwrite: true);
        FinishedSteps.Record(record, configuration);
        return (result.Profile, result.Grid);
    }

    /// <summary>Reports an estimate of the training time left, from the baseline's measured seconds per epoch.</summary>
    private static void EstimateRemaining(string baselineDir, int extraScales, int seeds, IProgress<ReproductionProgress>? progress)
    {
        var log = Path.Combine(baselineDir, TrainingLog.FileName);
        if (!File.Exists(log)) return;
        var seconds = TrainingLog.Read(log).Select(e => e.Seconds).Where(double.IsFinite).ToArray();
        if (seconds.Length == 0) return;
        // Per seed, MST and MSUN each cost about (1 + extra scales) Vanilla runs; every seed after the first also retrains Vanilla.
        var estimate = TimeSpan.FromSeconds(seconds.Sum() * (2 * (1 + extraScales) * seeds + (seeds - 1)));
        progress?.Report(new ReproductionProgress(Name, string.Create(CultureInfo.InvariantCulture,
            $"estimated training time left: about {Eta.Format(estimate)} (from the baseline's {seconds.Sum():F0} s), plus the study and evaluation")));
    }
}
