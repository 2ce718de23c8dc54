using System.Globalization;
using Msun.Analysis.Core.Results;
using Msun.Analysis.Core.SplitSelection;
using Msun.Analysis.Torch.Backbones;
using Msun.Analysis.Torch.Data;
using Msun.Analysis.Torch.Evaluation;
using Msun.Analysis.Torch.Study;
using Msun.Analysis.Torch.Training;
using Msun.Analysis.Torch.Unified;

namespace Msun.Analysis.Torch.Pipeline;

/// <summary>Size and cost of one MSUN branch (its subnet, the unification and the shared network) at its nominal input size.</summary>
/// <param name="Scale">Subnet name (<c>small</c>, <c>mid</c>, <c>large</c>).</param>
/// <param name="Size">Nominal input size.</param>
/// <param name="Parameters">Parameters one image at this size uses.</param>
/// <param name="Macs">Multiply-accumulates per image at this size.</param>
/// <param name="BackboneMacs">The plain backbone's MACs per image at this size, as Vanilla runs it (upsampled to the reference size).</param>
public sealed record MsunBranchCost(string Scale, int Size, long Parameters, long Macs, long BackboneMacs);

/// <summary>What <see cref="SubnetDepth.Pick"/> found: the study, the rule's answer with its evidence, and the MSUN it gives.</summary>
/// <param name="Study">The scale-sensitivity study of the trained backbone.</param>
/// <param name="Recommendation">The split rule's answer and its evidence (<see cref="SplitRecommendation.Explain"/>).</param>
/// <param name="Split">The split the MSUN was built with: the recommendation within 1..stages−1 (see <see cref="SubnetDepth.BuildableSplit"/>).</param>
/// <param name="Msun">The MSUN configuration.</param>
/// <param name="BackboneParameters">Parameters of the plain backbone.</param>
/// <param name="MsunParameters">Parameters of the whole MSUN (every subnet and the shared network).</param>
/// <param name="Branches">Cost of each branch at its nominal size, smallest first.</param>
public sealed record SubnetDepthChoice(ScaleStudyResult Study, SplitRecommendation Recommendation, int Split, MsunConfig Msun,
    long BackboneParameters, long MsunParameters, IReadOnlyList<MsunBranchCost> Branches)
{
    /// <summary>The backbone's training epochs when <see cref="SubnetDepth.Run"/> trained it; empty for <see cref="SubnetDepth.Pick"/>.</summary>
    public IReadOnlyList<EpochRecord> Training { get; init; } = [];

    /// <summary>One paragraph: the split, why it differs from the recommendation if it does, and the sizes and costs.</summary>
    public string Describe()
    {
        var ci = CultureInfo.InvariantCulture;
        var blocks = Study.Profile.Blocks.Select(b => b.Name).ToArray();
        var lines = new List<string>
        {
            string.Create(ci, $"Recommended split: {Recommendation.Split} (blocks {(Recommendation.Split == 0 ? "none" : string.Join(", ", blocks.Take(Recommendation.Split)))} per scale)."),
            SubnetDepth.SplitNote(Recommendation.Split, Split, blocks.Length),
            Msun.Describe() + ".",
            string.Create(ci, $"Parameters: backbone {BackboneParameters:N0}, MSUN {MsunParameters:N0} ({(double)MsunParameters / BackboneParameters:0.###}×)."),
        };
        lines.AddRange(Branches.Select(b => string.Create(ci,
            $"  {b.Scale} at {b.Size} px: {b.Macs:N0} MACs ({(double)b.Macs / b.BackboneMacs:0.###}× the backbone upsampled to {Msun.ReferenceSize} px), {b.Parameters:N0} parameters used")));
        return string.Join(Environment.NewLine, lines);
    }
}

/// <summary>
/// Picks MSUN's subnet depth for a trained backbone, registered or not, end to end: the scale-sensitivity study at its
/// stages, the documented split rule (Core/SplitSelection/README.md), and the MSUN that split gives with its parameter
/// and MAC counts per branch.
/// </summary>
public static class SubnetDepth
{
    /// <summary>
    /// The split MSUN can be built with: the recommendation when it lies in 1..<paramref name="stages"/>−1; a
    /// recommendation of 0 (no scale-sensitive block) becomes 1, the stem only, so that an MSUN still exists to compare.
    /// </summary>
    public static int BuildableSplit(int recommended, int stages)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(recommended);
        ArgumentOutOfRangeException.ThrowIfLessThan(stages, 2);
        return Math.Clamp(recommended, 1, stages - 1);
    }

    /// <summary>One line saying which split the MSUN uses and why, when it differs from the recommendation.</summary>
    public static string SplitNote(int recommended, int used, int stages) =>
        recommended == used
            ? $"MSUN is built with the recommended split {used}."
            : recommended == 0
                ? $"the CKA study recommended split 0 (no per-scale subnets); MSUN was built with split {used} (the stem only) so that the comparison still runs."
                : $"the CKA study recommended split {recommended}; MSUN needs a shared part, so it was built with split {used} of {stages} stages.";

    /// <summary>
    /// The whole choice for a backbone, registered or not (<see cref="ReproductionOptions.BackboneSpec"/>): trains it as
    /// Vanilla on the budget of <paramref name="options"/> (on the training split minus the images
    /// <see cref="Reproduction.HoldOut"/> keeps for the study, as <see cref="StudyPipeline"/> does), then <see cref="Pick"/>
    /// on the held-out images with the options' CKA study, split rule and MSUN scales (MST's, the reproduction's), and saves
    /// the profile, grid and split files in <paramref name="outputDirectory"/>.
    /// </summary>
    /// <remarks>
    /// The training checkpoint goes to a scratch folder, deleted afterwards: a checkpoint records the backbone's name only,
    /// so one of an unregistered backbone could not be loaded or resumed by name.
    /// </remarks>
    /// <param name="options">Budget, backbone (and its spec when unregistered), scales, seed, device; the split rule and CKA study.</param>
    /// <param name="train">Training split.</param>
    /// <param name="test">Test split (the per-epoch check).</param>
    /// <param name="outputDirectory">Where the study and split files go (created if missing; study files there are replaced).</param>
    /// <param name="progress">Training epochs and steps.</param>
    /// <param name="cancellationToken">Stops training at the next batch.</param>
    public static SubnetDepthChoice Run(StudyPipelineOptions options, ImageDataset train, ImageDataset test, string outputDirectory,
        IProgress<ReproductionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputDirectory);
        int reference = options.Reproduction.ReferenceSize ?? train.Height;
        var training = options.Reproduction.Training(TrainingMethod.Vanilla, reference);
        var study = options.Study(reference);
        var scales = options.Reproduction.Training(TrainingMethod.Mst, reference).TrainingSizes;
        var (trainingImages, studyImages) = Reproduction.HoldOut(train);

        var scratch = Directory.CreateTempSubdirectory("msun-subnet-depth-").FullName;
        try
        {
            using var trainer = new Trainer(training, trainingImages, test, scratch);
            var trained = Reproduction.Train(trainer, progress, cancellationToken);
            var choice = Pick(training.Spec, (Backbone)trainer.Model, studyImages, study, scales, options.SplitRule) with { Training = trained.History };
            choice.Study.Save(outputDirectory, overwrite: true);
            SplitRecommendationFiles.Save(choice.Recommendation, Path.Combine(outputDirectory, ResultFiles.ProfileJson));
            return choice;
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>Runs the study on <paramref name="model"/> (an instance of <paramref name="spec"/>, trained), applies the split rule and builds the MSUN.</summary>
    /// <param name="spec">The backbone's spec, registered or not: its stages are the blocks studied and the MSUN's split points.</param>
    /// <param name="model">The trained network; the caller keeps owning it.</param>
    /// <param name="data">Images the study draws its subsets from (e.g. the test split).</param>
    /// <param name="study">Study options (reference size, probes, subsets); their blocks must be null (the stages are studied).</param>
    /// <param name="scales">MSUN's nominal input sizes, ascending; the last is the reference size.</param>
    /// <param name="rule">Split rule options; the documented defaults when null.</param>
    /// <exception cref="ArgumentException">Study options naming blocks, or anything <see cref="ScaleStudy.Check"/> or <see cref="MsunConfig"/> refuses.</exception>
    public static SubnetDepthChoice Pick(BackboneSpec spec, Backbone model, ImageDataset data, ScaleStudyOptions study,
        IReadOnlyList<int> scales, SplitRuleOptions? rule = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(scales);
        if (study.Blocks is not null)
            throw new ArgumentException("study: leave blocks unset; the split is chosen among the backbone's stages.", nameof(study));

        using var studyModel = LoadedBackbone.FromModule(model, spec.StageNames, data.Channels, spec.Name, spec);
        var result = ScaleStudy.Run(studyModel, data, study);
        var recommendation = SplitSelector.Recommend(result.Profile, rule);
        var split = BuildableSplit(recommendation.Split, spec.Stages.Count);
        var config = new MsunConfig(spec, split, scales);

        using var msun = new MsunNetwork(config, data.Channels, model.NumClasses);
        var reference = config.ReferenceSize;
        long backboneAtReference = MacCounter.Count(model, 1, data.Channels, reference, reference).TotalMacs;
        var branches = config.Scales.Select((s, i) => new MsunBranchCost(s.Name, s.Size, msun.BranchParameters(i),
            MacCounter.Count(msun.Branch(i), 1, data.Channels, s.Size, s.Size).TotalMacs, backboneAtReference)).ToArray();
        return new SubnetDepthChoice(result, recommendation, split, config, model.parameters().Sum(p => p.numel()),
            msun.parameters().Sum(p => p.numel()), branches);
    }
}
