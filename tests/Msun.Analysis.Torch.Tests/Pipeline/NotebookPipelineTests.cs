using Msun.Analysis.Core.Results;
using Msun.Analysis.Torch.Backbones;
using Msun.Analysis.Torch.Data;
using Msun.Analysis.Torch.Pipeline;
using Msun.Analysis.Torch.Study;
using Msun.Analysis.Torch.Tests.Backbones;
using Msun.Analysis.Torch.Training;

namespace Msun.Analysis.Torch.Tests.Pipeline;

/// <summary>The training split the pipeline holds images out of (the test split is too small for the hold-out).</summary>
public sealed class TrainSplitFixture
{
    public ImageDataset Train { get; } = DatasetLoader.Load(DatasetManifestLoader.LoadBuiltIn("fashion-mnist"), "train");

    public ImageDataset Test { get; } = DatasetLoader.Load(DatasetManifestLoader.LoadBuiltIn("fashion-mnist"), "test");
}

/// <summary>What the notebooks call: the study part of the pipeline alone, and the subnet depth of an unregistered backbone.</summary>
[Collection("Torch")]
public sealed class NotebookPipelineTests(TrainSplitFixture data) : IClassFixture<TrainSplitFixture>, IDisposable
{
    // A budget that only proves the path: 128 training images, one epoch.
    private static readonly ReproductionBudget Tiny = new("tiny", 1, 128, 64, 64, 64, 0.05, 0, "seconds");
    private readonly string folder = Directory.CreateTempSubdirectory("msun-notebook-pipeline-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static ScaleStudyOptions SmallStudy(int? gridProbe = null) => new(28, [7, 14], 64, 2, batchSize: 32, gridProbe: gridProbe);

    [Fact]
    public void TheStudyStepsWriteProfileGridAndSplitAndARerunReusesThemUnchanged()
    {
        var options = new StudyPipelineOptions(new ReproductionOptions(Tiny), CkaStudy: SmallStudy(gridProbe: 7));

        var first = StudyPipeline.RunStudy(options, data.Train, data.Test, folder);
        var again = StudyPipeline.RunStudy(options, data.Train, data.Test, folder);

        Assert.Equal(Path.Combine(folder, ResultFiles.StudyFolder), first.StudyDirectory);
        foreach (var file in new[] { ResultFiles.ProfileJson, ResultFiles.GridJson, ResultFiles.SplitJson })
            Assert.True(File.Exists(Path.Combine(first.StudyDirectory, file)), file);
        Assert.Single(first.Baseline); // one epoch
        Assert.Empty(first.ReusedSteps);
        Assert.Equal(["train vanilla seed 0", StudyPipeline.Name], again.ReusedSteps);
        // The reused study is the saved one: the same numbers, grid included, and the same decision.
        Assert.Equal(first.Profile.ToJson(), again.Profile.ToJson());
        Assert.Equal(first.Grid!.ToJson(), again.Grid!.ToJson());
        Assert.Equal(first.Recommendation.Split, again.Recommendation.Split);
        Assert.Equal(BackboneRegistry.Get("resnet18-small").StageNames, first.Profile.Blocks.Select(b => b.Name));
    }

    [Fact]
    public void AStudyOfAnotherReferenceSizeIsRefusedBeforeAnyWork()
    {
        var options = new StudyPipelineOptions(new ReproductionOptions(Tiny), CkaStudy: new ScaleStudyOptions(32, [16], 64, 2, batchSize: 32));

        var error = Assert.Throws<ArgumentException>(() => StudyPipeline.RunStudy(options, data.Train, data.Test, folder));

        Assert.Contains("reference size 32 is not the run's 28", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(folder));
    }

    [Fact]
    public void TheSubnetDepthOfAnUnregisteredBackboneIsPickedAfterTrainingIt()
    {
        var spec = PlainNet.Spec("my-plainnet", new PlainNetConfig(Width: 4), 1, 10, 28);
        Assert.False(BackboneRegistry.TryGet(spec.Name, out _));
        var options = new StudyPipelineOptions(new ReproductionOptions(Tiny, Backbone: spec.Name) { BackboneSpec = spec }, CkaStudy: SmallStudy());

        var choice = SubnetDepth.Run(options, data.Train, data.Test, folder);

        var epoch = Assert.Single(choice.Training);
        Assert.True(double.IsFinite(epoch.Loss) && epoch.TestAccuracy is >= 0 and <= 1);
        Assert.Equal(spec.StageNames, choice.Study.Profile.Blocks.Select(b => b.Name));
        Assert.Equal(SubnetDepth.BuildableSplit(choice.Recommendation.Split, spec.Stages.Count), choice.Split);
        Assert.Equal([14, 21, 28], choice.Msun.Scales.Select(s => s.Size)); // MST's scales at 28 px plus the reference
        Assert.Equal(3, choice.Branches.Count);
        // What it saved is what it returned; the scratch checkpoint is gone.
        Assert.Equal(choice.Study.Profile.ToJson(), File.ReadAllText(Path.Combine(folder, ResultFiles.ProfileJson)));
        Assert.True(File.Exists(Path.Combine(folder, ResultFiles.SplitJson)));
        Assert.Empty(Directory.GetFiles(folder, Checkpoint.FileName, SearchOption.AllDirectories));
    }

    [Fact]
    public void AnUnregisteredBackboneCannotTakeARegisteredName()
    {
        var impostor = PlainNet.Spec("resnet18-small", new PlainNetConfig(), 1, 10, 28);
        var spec = PlainNet.Spec("plainnet-x", new PlainNetConfig(), 1, 10, 28);

        var taken = Assert.Throws<ArgumentException>(() => new TrainingOptions("resnet18-small", TrainingMethod.Vanilla, 28, backboneSpec: impostor));
        var mismatch = Assert.Throws<ArgumentException>(() => new TrainingOptions("plainnet-y", TrainingMethod.Vanilla, 28, backboneSpec: spec));

        Assert.Contains("registered backbone's name", taken.Message);
        Assert.Contains("'plainnet-y' is not the name of the backbone spec given ('plainnet-x')", mismatch.Message);
        Assert.Same(spec, new TrainingOptions("plainnet-x", TrainingMethod.Vanilla, 28, backboneSpec: spec).Spec);
    }
}
