// Notebook 01 without a notebook kernel: a .NET 10 file-based app (the route Microsoft recommends for C# after the
// deprecation of .NET Interactive). From the repository root:
//   dotnet run notebooks/01-scale-sensitivity-study.cs [OUT_FOLDER]
// The notebook's cells, in the same order: the budget, StudyPipeline.RunStudy (the Vanilla baseline, its layer-wise CKA
// study across scales, the split rule), then the recommendation. Draw the figures from the files it writes with
// `dotnet run notebooks/04-redraw-figures.cs OUT_FOLDER` or `./msun report OUT_FOLDER --figures`.
#:project ../src/Msun.Analysis.Torch/Msun.Analysis.Torch.csproj
// As every project that runs TorchSharp code (build/TorchSharp.props): the managed package and the CPU libtorch, at the
// versions of Directory.Packages.props.
#:package TorchSharp
#:package libtorch-cpu-linux-x64
// File-based apps default to Native AOT, which turns off the reflection-based JSON the result files are read with.
#:property PublishAot=false

using Msun.Analysis.Torch.Data;
using Msun.Analysis.Torch.Pipeline;
using Msun.Analysis.Torch.Study;

string here = Path.GetDirectoryName(AppContext.GetData("EntryPointFilePath") as string ?? "notebooks/01-scale-sensitivity-study.cs")!;
string outDir = args.Length > 0 ? args[0] : Path.Combine(here, "results", "01-scale-sensitivity-study");
var progress = new SyncProgress<ReproductionProgress>(p => Console.Error.WriteLine($"{p.Step}: {p.Message}"));

// notebook cell 3
var budget = new ReproductionBudget("notebook", Epochs: 1, TrainSubset: 4096, TrainingTestSubset: 500, EvaluationImages: 500,
    BatchSize: 64, LearningRate: 0.05, WarmupEpochs: 0, ExpectedTime: "about a minute");
var options = new StudyPipelineOptions(new ReproductionOptions(budget, Backbone: "resnet18-small"),
    CkaStudy: new ScaleStudyOptions(referenceSize: 28, probes: [7, 14, 21], imagesPerSubset: 256, repeats: 3, batchSize: 128, gridProbe: 14));
var (train, test) = DatasetLoader.LoadTrainAndTest(DatasetManifestLoader.LoadBuiltIn("fashion-mnist"));

// notebook cells 4-7
var study = StudyPipeline.RunStudy(options, train, test, outDir, progress);
Console.WriteLine(study.Recommendation.Explain());
Console.WriteLine($"profile, grid and split: {study.StudyDirectory}");
