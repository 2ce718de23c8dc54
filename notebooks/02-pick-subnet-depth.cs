// Notebook 02 without a notebook kernel: a .NET 10 file-based app (the route Microsoft recommends for C# after the
// deprecation of .NET Interactive). From the repository root:
//   dotnet run notebooks/02-pick-subnet-depth.cs [OUT_FOLDER]
// The notebook's cells, in the same order: the network defined here (the notebook's cell 3, copied verbatim: a test
// checks the two agree), SubnetDepth.Run (brief training, the CKA study at its blocks, the split rule, the MSUN that
// split gives), then the evidence and the MSUN's parameter and MAC counts.
#:project ../src/Msun.Analysis.Torch/Msun.Analysis.Torch.csproj
// As every project that runs TorchSharp code (build/TorchSharp.props): the managed package and the CPU libtorch, at the
// versions of Directory.Packages.props.
#:package TorchSharp
#:package libtorch-cpu-linux-x64
// File-based apps default to Native AOT, which turns off the reflection-based JSON the result files are read with.
#:property PublishAot=false

using Msun.Analysis.Torch.Backbones;
using Msun.Analysis.Torch.Data;
using Msun.Analysis.Torch.Pipeline;
using Msun.Analysis.Torch.Study;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

string here = Path.GetDirectoryName(AppContext.GetData("EntryPointFilePath") as string ?? "notebooks/02-pick-subnet-depth.cs")!;
string outDir = args.Length > 0 ? args[0] : Path.Combine(here, "results", "02-pick-subnet-depth");
var progress = new SyncProgress<ReproductionProgress>(p => Console.Error.WriteLine($"{p.Step}: {p.Message}"));

// notebook cell 3
// TinyNet: a stem and four stages of 3×3 convolution + BatchNorm + ReLU (stages 2-4 halve the size and double the
// channels), global pooling and a linear head. The spec describes it as data: each stage's module path (the blocks
// studied, MSUN's split points), its channels and the layers that change the size up to it; the adapter gives MSUN's
// mid and small subnets a stride-1 stem (undoing the network's first reduction).
static Module<Tensor, Tensor> ConvBnRelu(long cin, long cout, long stride) =>
    Sequential(Conv2d(cin, cout, 3, stride: stride, padding: 1, bias: false), BatchNorm2d(cout), ReLU());

static BackboneSpec TinyNet(int stemStride = 2, int width = 8)
{
    string[] names = ["stem", "stage1", "stage2", "stage3", "stage4"];
    int[] channels = [width, width, 2 * width, 4 * width, 8 * width], strides = [stemStride, 1, 2, 2, 2];
    var sizeChanges = strides.Select(s => SpatialOp.Conv(3, s, 1)).ToArray();
    var stages = names.Select((name, i) => new StageSpec(name, channels[i], sizeChanges[..(i + 1)])).ToArray();
    return new BackboneSpec($"tinynet-stem{stemStride}", "TinyNet, defined in notebook 02", 1, 10, 28, stages,
        factory: (c, k) => new SequentialBackbone(
            names.Select((name, i) => (name, ConvBnRelu(i == 0 ? c : channels[i - 1], channels[i], strides[i]))).ToArray(),
            Sequential(AdaptiveAvgPool2d(1), Flatten(1), Linear(channels[^1], k)), c, k),
        adapter: (adaptation, _) => TinyNet(adaptation == ScaleAdaptation.Standard ? stemStride : 1, width));
}

var backbone = TinyNet();

// notebook cell 4
var budget = new ReproductionBudget("notebook", Epochs: 1, TrainSubset: 2048, TrainingTestSubset: 500, EvaluationImages: 500,
    BatchSize: 64, LearningRate: 0.05, WarmupEpochs: 0, ExpectedTime: "under a minute");
var options = new StudyPipelineOptions(new ReproductionOptions(budget, Backbone: backbone.Name) { BackboneSpec = backbone },
    CkaStudy: new ScaleStudyOptions(referenceSize: 28, probes: [7, 14], imagesPerSubset: 256, repeats: 3, batchSize: 128));
var (train, test) = DatasetLoader.LoadTrainAndTest(DatasetManifestLoader.LoadBuiltIn("fashion-mnist"));
var choice = SubnetDepth.Run(options, train, test, outDir, progress);

// notebook cells 5-7
Console.WriteLine(choice.Recommendation.Explain());
Console.WriteLine(choice.Describe());
Console.WriteLine($"profile and split: {outDir}");
