using System.Diagnostics;
using System.Globalization;
using Msun.Analysis.Core.Results;
using Msun.Analysis.Core.SplitSelection;
using Msun.Analysis.Torch.Data;
using Msun.Analysis.Torch.Study;
using Msun.Analysis.Torch.Training;

namespace Msun.Analysis.Torch.Pipeline;

/// <summary>What <c>msun study</c> runs: the reproduction's budget and models, plus the split rule.</summary>
/// <param name="Reproduction">Budget, backbone, scales, seed, device; its <c>Split</c> is replaced by the split used.</param>
/// <param name="ForcedSplit">Train MSUN with this split instead of the study's recommendation (the recommendation is still computed and saved).</param>
/// <param name="SplitRule">The rule that turns the profile into a split.</param>
public sealed record StudyPipelineOptions(ReproductionOptions Reproduction, int? ForcedSplit = null, SplitRuleOptions? SplitRule = null)
{
    /// <summary>
    /// The CKA study's options for a budget: the paper's protocol (1 024 images × 5 subsets, minibatch CKA of 128,
    /// a permutation null of 20, the block × block grid at the smallest probe) except on the smoke budget, which only
    /// proves the path.
    /// </summary>
    public ScaleStudyOptions Study(int referenceSize)
    {
        bool smoke = Reproduction.Profile == ReproductionProfile.Smoke;
        int[] probes = ScaleStudyOptions.DefaultProbes(referenceSize);
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
public sealed record StudyPipelineResult(
    SplitRecommendation Recommendation, int TrainedSplit, ReproductionResult Reproduction, TimeSpan Elapsed, string? ReportPath);

/// <summary>
/// The study path of the paper in one call, each step keyed by its configuration so that a rerun reuses what is
/// finished (<see cref="FinishedSteps"/>): (1) train a Vanilla baseline, (2) the layer-wise CKA study on it,
/// (3) the split recommendation, (4) MST and MSUN with that split on the same budget and the multi-scale evaluation of
/// all three (<see cref="Reproduction"/>), (5) the report (written by the caller's writer: the report library is not
/// a dependency of this one).
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
        int reference = train.Height;
        // The split is not known before the study, so the preflight checks the baseline's options and any checkpoints
        // with a provisional split; Reproduction.Run checks the real one again before MSUN trains.
        var provisional = options.Reproduction with { Split = options.ForcedSplit ?? 1 };
        Reproduction.Preflight(provisional, reference, root);
        var studyOptions = options.Study(reference);
        var clock = Stopwatch.StartNew();
        var steps = new FinishedSteps(progress);

        Step(1, "train the Vanilla baseline");
        var baselineDir = Path.Combine(root, TrainingMethod.Vanilla.ToName());
        Reproduction.TrainStep(provisional.Training(TrainingMethod.Vanilla, reference), train, test, baselineDir, steps, progress, cancellationToken);
        EstimateRemaining(baselineDir, provisional.Training(TrainingMethod.Mst, reference).Scales.Count, progress);

        Step(2, "layer-wise CKA study of the baseline");
        var studyDir = Path.Combine(root, ResultFiles.StudyFolder);
        var profile = StudyStep(baselineDir, studyDir, studyOptions, test, steps, progress, cancellationToken);

        Step(3, "split recommendation");
        var recommendation = SplitSelector.Recommend(profile, options.SplitRule ?? new SplitRuleOptions());
        SplitRecommendationFiles.Save(recommendation, Path.Combine(studyDir, ResultFiles.ProfileJson));
        progress?.Report(new ReproductionProgress(Name, recommendation.Explain().TrimEnd()));
        int split = options.ForcedSplit ?? Math.Max(1, recommendation.Split);
        if (options.ForcedSplit is null && recommendation.Split == 0)
            progress?.Report(new ReproductionProgress(Name, "the study recommends no per-scale subnets (split 0); MSUN is trained with the smallest split, 1 " +
                                                             "(the stem), so that the comparison still runs. Read the comparison with that in mind."));
        else if (options.ForcedSplit is int forced && forced != recommendation.Split)
            progress?.Report(new ReproductionProgress(Name, $"training MSUN with --split {forced}; the study recommends {recommendation.Split}."));

        Step(4, $"MST and MSUN (split {split}), evaluation of all three");
        var result = Reproduction.Run(options.Reproduction with { Split = split }, train, test, root, progress, cancellationToken, steps);

        string? reportPath = null;
        if (writeReport is not null)
        {
            Step(5, "report");
            reportPath = writeReport(root);
        }

        return new StudyPipelineResult(recommendation, split, result, clock.Elapsed, reportPath);

        void Step(int number, string what) => progress?.Report(new ReproductionProgress(Name,
            $"step {number}/{StepCount}: {what} (elapsed {Eta.Format(clock.Elapsed)})"));
    }

    /// <summary>Runs the CKA study on the baseline checkpoint, or reuses the saved one when checkpoint, options and data are the same.</summary>
    private static CkaProfile StudyStep(string checkpointDir, string studyDir, ScaleStudyOptions options, ImageDataset data, FinishedSteps steps,
        IProgress<ReproductionProgress>? progress, CancellationToken cancellationToken)
    {
        var state = Checkpoint.ReadState(checkpointDir);
        var configuration = string.Join("; ", state.Identity(), options.Describe(), $"data={data.Provenance.Describe()}");
        var record = Path.Combine(studyDir, ResultFiles.StudyStepRecord);
        var profilePath = Path.Combine(studyDir, ResultFiles.ProfileJson);
        if (steps.Find(Name, record, configuration, profilePath) is not null)
            return CkaProfile.FromJson(File.ReadAllText(profilePath));

        using var model = ModelLoader.FromCheckpoint(checkpointDir);
        ScaleStudy.Check(model, data, options);
        var watch = Stopwatch.StartNew();
        var result = ScaleStudy.Run(model, data, options, new SyncProgress<ScaleStudyProgress>(p =>
        {
            if (p.Step == p.Steps || p.Step % Math.Max(1, p.Steps / 10) == 0)
                progress?.Report(new ReproductionProgress("study",
                    $"{p.Phase} {p.Step}/{p.Steps}, step ETA {Eta.Format(Eta.Remaining(watch.Elapsed, p.Step, p.Steps))}"));
        }), cancellationToken);
        // The folder is the step's own (keyed by configuration): replacing an older study of another configuration is the point.
        result.Save(studyDir, overwrite: true);
        FinishedSteps.Record(record, configuration);
        return result.Profile;
    }

    /// <summary>Reports an estimate of the time MST and MSUN take, from the baseline's measured seconds per epoch.</summary>
    private static void EstimateRemaining(string baselineDir, int extraScales, IProgress<ReproductionProgress>? progress)
    {
        var log = Path.Combine(baselineDir, TrainingLog.FileName);
        if (!File.Exists(log)) return;
        var seconds = TrainingLog.Read(log).Select(e => e.Seconds).Where(double.IsFinite).ToArray();
        if (seconds.Length == 0) return;
        // MST and MSUN each run one forward per scale: about (1 + extra scales) Vanilla epochs each.
        var estimate = TimeSpan.FromSeconds(seconds.Sum() * 2 * (1 + extraScales));
        progress?.Report(new ReproductionProgress(Name, string.Create(CultureInfo.InvariantCulture,
            $"estimated time left for MST and MSUN training: about {Eta.Format(estimate)} (from the baseline's {seconds.Sum():F0} s), plus the study and evaluation")));
    }
}
