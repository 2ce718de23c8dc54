// Notebook 03 without a notebook kernel: a .NET 10 file-based app (the route Microsoft recommends for C# after the
// deprecation of .NET Interactive). From the repository root:
//   dotnet run notebooks/03-msun-vs-baselines.cs [OUT_FOLDER]
// The notebook's cells, in the same order: the budget, Reproduction.Run (Vanilla, MST and MSUN trained on it and
// evaluated under the multi-scale protocol), then the comparison and its verdict. `./msun reproduce` is the same with
// the built-in budgets; draw the figures with `dotnet run notebooks/04-redraw-figures.cs OUT_FOLDER`.
#:project ../src/Msun.Analysis.Torch/Msun.Analysis.Torch.csproj
// As every project that runs TorchSharp code (build/TorchSharp.props): the managed package and the CPU libtorch, at the
// versions of Directory.Packages.props.
#:package TorchSharp
#:package libtorch-cpu-linux-x64
// File-based apps default to Native AOT, which turns off the reflection-based JSON the result files are read with.
#:property PublishAot=false

using Msun.Analysis.Torch.Data;
using Msun.Analysis.Torch.Pipeline;

string here = Path.GetDirectoryName(AppContext.GetData("EntryPointFilePath") as string ?? "notebooks/03-msun-vs-baselines.cs")!;
string outDir = args.Length > 0 ? args[0] : Path.Combine(here, "results", "03-msun-vs-baselines");
var progress = new SyncProgress<ReproductionProgress>(p => Console.Error.WriteLine($"{p.Step}: {p.Message}"));

// notebook cell 3
var budget = new ReproductionBudget("notebook", Epochs: 1, TrainSubset: 3072, TrainingTestSubset: 500, EvaluationImages: 500,
    BatchSize: 64, LearningRate: 0.05, WarmupEpochs: 0, ExpectedTime: "about 2 minutes");
var options = new ReproductionOptions(budget, Backbone: "resnet18-small", Split: 2);
var (train, test) = DatasetLoader.LoadTrainAndTest(DatasetManifestLoader.LoadBuiltIn("fashion-mnist"));

// notebook cells 4-8
var result = Reproduction.Run(options, train, test, outDir, progress);
Console.WriteLine(result.Comparison.Verdict);
Console.WriteLine($"accuracy, MACs and the comparison: {outDir}");
