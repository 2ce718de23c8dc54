using System.Collections.Immutable;
using Msun.Analysis.Core.Results;
using Msun.Analysis.Torch.Data;
using Msun.Analysis.Torch.Evaluation;
using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Tests.Evaluation;

[Collection("Torch")]
public class MultiScaleEvaluatorTests
{
    private const int R = 16;
    private const float Threshold = 0.04f;

    /// <summary>
    /// 40 grey 16×16 images: class 0 flat (± 2 levels of noise), class 1 a checkerboard of 1- or 2-pixel cells
    /// with amplitude 20–60 levels. Fine checkerboards vanish when shrunk, so accuracy depends on the test size.
    /// </summary>
    private static ImageDataset Synthetic(int count = 40, int class0 = 12, int size = R)
    {
        var rng = new Random(11);
        var pixels = new byte[count * size * size];
        var labels = new long[count];
        for (int n = 0; n < count; n++)
        {
            labels[n] = n < class0 ? 0 : 1;
            int grey = rng.Next(60, 200), amplitude = rng.Next(20, 61), cell = rng.Next(1, 3);
            for (int i = 0; i < size; i++)
            {
                for (int j = 0; j < size; j++)
                {
                    int v = labels[n] == 0
                        ? grey + rng.Next(-2, 3)
                        : grey + (((i / cell) + (j / cell)) % 2 == 0 ? amplitude : -amplitude);
                    pixels[(n * size + i) * size + j] = (byte)Math.Clamp(v, 0, 255);
                }
            }
        }

        return new ImageDataset(pixels, labels, 1, size, size, ["flat", "checker"],
            new DatasetProvenance("synthetic-checker", "test", null, "made in memory"));
    }

    private static Tensor AllImages(ImageDataset data) =>
        data.GetBatch(Enumerable.Range(0, data.Count).ToArray(), CPU).Images;

    private static Tensor DownUp(Tensor x, int size, bool antialias) =>
        nn.functional.interpolate(
            nn.functional.interpolate(x, [size, size], mode: InterpolationMode.Bilinear, align_corners: false, antialias: antialias),
            [R, R], mode: InterpolationMode.Bilinear, align_corners: false);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SingleNetworkReceivesEachImageDownThenUp(bool antialias)
    {
        var data = Synthetic();
        using var net = new ContrastNet(Threshold) { Record = true };
        net.train();
        int[] sizes = [4, 7, 8, 16];

        MultiScaleEvaluator.Evaluate(new SingleNetworkClassifier("contrast", net, R), data,
            new MultiScaleEvaluationOptions(R, sizes, batchSize: data.Count, antialias: antialias));

        using var scope = NewDisposeScope();
        var x = AllImages(data);
        Assert.Equal(sizes.Length, net.Inputs.Count);
        for (int i = 0; i < sizes.Length; i++)
        {
            var expected = sizes[i] == R ? x : DownUp(x, sizes[i], antialias);
            // libtorch's interpolate as the expectation; ours resizes by matrix products (the same sums, other rounding)
            var worst = (net.Inputs[i] - expected).abs().max().item<float>();
            Assert.True(worst <= 1e-6f, $"size {sizes[i]}: the network's input differs from down-then-up by {worst}");
        }

        Assert.All(net.TrainingSeen, t => Assert.False(t));
        Assert.All(net.GradSeen, g => Assert.False(g));
        Assert.True(net.training, "the training flag is restored after evaluation");
        foreach (var t in net.Inputs) t.Dispose();
    }

    [Theory]
    [InlineData(40)]
    [InlineData(7)]   // ragged last batch
    public void AccuracyPerSizeMatchesAnIndependentComputation(int batchSize)
    {
        var data = Synthetic();
        using var net = new ContrastNet(Threshold);
        int[] sizes = [4, 6, 8, 12, 16];
        var progress = new List<EvaluationProgress>();

        var result = MultiScaleEvaluator.Evaluate(new SingleNetworkClassifier("contrast", net, R), data,
            new MultiScaleEvaluationOptions(R, sizes, batchSize), progress.Add);

        Assert.Null(result.BestOfBranches);
        Assert.Empty(result.PerBranch);
        var routed = result.Routed;
        Assert.Equal(MultiScaleScoring.Routed, routed.Scoring);
        Assert.Equal(sizes, routed.TestSizes);
        using var scope = NewDisposeScope();
        var x = AllImages(data);
        var labels = data.Labels.ToArray();
        for (int i = 0; i < sizes.Length; i++)
        {
            var std = DownUp(x, sizes[i], false).flatten(1).std(1).data<float>().ToArray();
            var correct = new long[2];
            for (int n = 0; n < data.Count; n++)
                if ((std[n] > Threshold ? 1 : 0) == labels[n]) correct[labels[n]]++;
            Assert.Equal(correct, routed.Sizes[i].CorrectPerClass);
            Assert.Equal([12L, 28L], routed.Sizes[i].TotalPerClass);
            Assert.Equal(MacTableRow.SingleNetworkBranch, routed.Sizes[i].Branch);
        }

        Assert.Equal(1.0, routed.AccuracyAt(16));
        Assert.True(routed.AccuracyAt(4) < 1.0, "shrinking to 4 px must lose some checkerboards");
        Assert.Equal(routed.Sizes.Average(s => s.Accuracy), routed.MeanAccuracy, 15);
        Assert.Equal(data.Count, progress[^1].ImagesDone);
        Assert.Equal((data.Count + batchSize - 1) / batchSize, progress.Count);
    }

    [Fact]
    public void BranchedModelIsRoutedBySizeAndScoredBestOfBranches()
    {
        var data = Synthetic(class0: 12);
        // "small" says flat (class 0) below 8 px and checker above; "large" always says checker.
        using var small = new ConstantNet(size => size <= 6 ? 0 : 1);
        using var large = new ConstantNet(_ => 1);
        var model = new BranchedClassifier("two-branch", [new ScaleBranch("small", small, 8), new ScaleBranch("large", large, R)]);
        int[] sizes = [4, 8, 12, 16];

        var result = MultiScaleEvaluator.Evaluate(model, data, new MultiScaleEvaluationOptions(R, sizes, batchSize: 16));

        Assert.Equal(["small", "small", "large", "large"], result.Routed.Sizes.Select(s => s.Branch));
        Assert.Equal([12.0 / 40, 28.0 / 40, 28.0 / 40, 28.0 / 40], result.Routed.Sizes.Select(s => s.Accuracy));
        var best = result.BestOfBranches!;
        Assert.Equal(["large", "small", "small", "small"], best.Sizes.Select(s => s.Branch)); // ties go to the earlier branch
        Assert.All(best.Sizes, s => Assert.Equal(28.0 / 40, s.Accuracy));
        Assert.Equal([MultiScaleScoring.Branch("small"), MultiScaleScoring.Branch("large")], result.PerBranch.Select(r => r.Scoring));
        Assert.Equal([12.0 / 40, 28.0 / 40, 28.0 / 40, 28.0 / 40], result.PerBranch[0].Sizes.Select(s => s.Accuracy));
        Assert.Equal(4, result.All.Count);

        // Branches get the test image at its native size, never upsampled.
        Assert.Equal([4L, 8, 12, 16], small.InputSizes.Distinct());
        Assert.Equal([4L, 8, 12, 16], large.InputSizes.Distinct());
        Assert.Contains("<= 8 -> small", result.Routed.Provenance["model_input"]);
        Assert.Equal("4:small,8:small,12:large,16:large", result.Routed.Provenance["routing"]);
        Assert.Contains("oracle", best.Provenance["scoring_rule"]);
    }

    [Fact]
    public void ProvenanceRecordsModelTransformSeedAndData()
    {
        var data = Synthetic(size: 8);  // stored at 8 px: resized to the reference 16 first
        using var net = new ContrastNet(Threshold) { Record = true };
        var options = new MultiScaleEvaluationOptions(R, [4, 16], antialias: true)
        {
            Seed = 5,
            Checkpoint = "/ckpt/vanilla.bin",
            ExtraProvenance = ImmutableDictionary<string, string>.Empty.Add("run", "unit-test"),
        };

        var p = MultiScaleEvaluator.Evaluate(new SingleNetworkClassifier("vanilla contrast", net, R), data, options).Routed.Provenance;

        Assert.Equal([40L, 1, 16, 16], net.Inputs[1].shape); // one batch of 40, given at 16 after the 4 px shrink
        Assert.Equal("vanilla contrast", p["model"]);
        Assert.Equal("/ckpt/vanilla.bin", p["checkpoint"]);
        Assert.Equal("5", p["seed"]);
        Assert.Equal("40", p["images"]);
        Assert.Equal("4,16", p["test_sizes"]);
        Assert.Equal("true", p["antialias"]);
        Assert.Contains("antialias=true", p["transform"]);
        Assert.Contains("upsampled back to 16", p["model_input"]);
        Assert.Contains("resized from 8x8 to 16x16", p["reference_images"]);
        Assert.StartsWith("synthetic-checker/test", p["dataset"]);
        Assert.Equal("unit-test", p["run"]);
        Assert.Equal(TorchSharp.torch.get_num_threads().ToString(System.Globalization.CultureInfo.InvariantCulture), p["torch_threads"]);
        foreach (var t in net.Inputs) t.Dispose();

        var clash = options with { ExtraProvenance = ImmutableDictionary<string, string>.Empty.Add("seed", "9") };
        Assert.Throws<ArgumentException>(() => MultiScaleEvaluator.Evaluate(new SingleNetworkClassifier("m", net, R), data, clash));
    }

    [Fact]
    public void WrongNumberOfClassesFailsWithTheShapes()
    {
        using var net = nn.Sequential(nn.Flatten(), nn.Linear(R * R, 3));
        var ex = Assert.Throws<InvalidOperationException>(() => MultiScaleEvaluator.Evaluate(
            new SingleNetworkClassifier("three-way", net, R), Synthetic(), new MultiScaleEvaluationOptions(R, [8])));
        Assert.Contains("expected [40,2]", ex.Message);
        Assert.True(net.training);
    }

    [Fact]
    public void OptionsValidateAndDefaultToTheDocumentedLadders()
    {
        Assert.Equal([8, 12, 16, 20, 24, 28], MultiScaleEvaluationOptions.DefaultTestSizes(28));
        Assert.Equal([16, 24, 32, 40, 48, 56], MultiScaleEvaluationOptions.DefaultTestSizes(56));
        Assert.Equal(Enumerable.Range(0, 13).Select(i => 32 + 16 * i), MultiScaleEvaluationOptions.DefaultTestSizes(224));
        Assert.Equal([8, 12, 16, 20, 24, 28], new MultiScaleEvaluationOptions(28).TestSizes.AsEnumerable());
        Assert.Throws<ArgumentException>(() => MultiScaleEvaluationOptions.DefaultTestSizes(30));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MultiScaleEvaluationOptions(28, [8, 32]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MultiScaleEvaluationOptions(28, [0]));
        Assert.Throws<ArgumentException>(() => new MultiScaleEvaluationOptions(28, []));
        Assert.Throws<ArgumentException>(() => new MultiScaleEvaluationOptions(28, [8, 8]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MultiScaleEvaluationOptions(28, [8], batchSize: 0));
    }

    [Fact]
    public void SingleNetworkMacsAreTheNetworkAtTheReferenceSizeForEverySize()
    {
        torch.manual_seed(21);
        using var net = TinyNet();
        var rows = EvaluationCost.MacsPerSize(new SingleNetworkClassifier("tiny", net, R), [4, 8, 16], 1);

        long atReference = MacCounter.Count(net, 1, 1, R, R).TotalMacs;
        Assert.Equal([4, 8, 16], rows.Select(r => r.TestSize));
        Assert.All(rows, r =>
        {
            Assert.Equal(atReference, r.Macs);
            Assert.Equal(R, r.InputSize);
            Assert.Equal(MacTableRow.SingleNetworkBranch, r.Branch);
            Assert.Equal(4 * 9 + 4 + 4 * 2 + 2, r.Parameters);
        });
    }

    [Fact]
    public void BranchedMacsAreTheRoutedBranchAtItsNativeSize()
    {
        torch.manual_seed(22);
        using var small = TinyNet();
        using var large = nn.Sequential(nn.Conv2d(1, 8, 3, padding: 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 2));
        var model = new BranchedClassifier("two-branch", [new ScaleBranch("small", small, 8), new ScaleBranch("large", large, R)]);

        var rows = EvaluationCost.MacsPerSize(model, [4, 8, 12, 16], 1);

        Assert.Equal(["small", "small", "large", "large"], rows.Select(r => r.Branch));
        Assert.Equal([4, 8, 12, 16], rows.Select(r => r.InputSize));
        Assert.Equal(
            new[] { (small, 4), (small, 8), ((nn.Module<Tensor, Tensor>)large, 12), (large, 16) }
                .Select(p => MacCounter.Count(p.Item1, 1, 1, p.Item2, p.Item2).TotalMacs),
            rows.Select(r => r.Macs));
    }

    [Fact]
    public void RegisteredBackboneVanillaCostEqualsMacCounterAtTheReference()
    {
        torch.manual_seed(23);
        var spec = Msun.Analysis.Torch.Backbones.BackboneRegistry.Get("resnet18-small");
        var rows = EvaluationCost.SingleNetworkMacsPerSize(spec, 28, [8, 16, 28]);
        using var model = spec.Create();
        long expected = MacCounter.Count(model, 1, 1, 28, 28).TotalMacs;
        Assert.All(rows, r => Assert.Equal(expected, r.Macs));
        Assert.Throws<ArgumentOutOfRangeException>(() => EvaluationCost.SingleNetworkMacsPerSize(spec, 28, [32]));
    }

    private static nn.Module<Tensor, Tensor> TinyNet() =>
        nn.Sequential(nn.Conv2d(1, 4, 3, padding: 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2));

    /// <summary>Class 1 when the image's standard deviation exceeds the threshold; records what it sees.</summary>
    private sealed class ContrastNet : nn.Module<Tensor, Tensor>
    {
        private readonly float _threshold;

        public ContrastNet(float threshold) : base(nameof(ContrastNet))
        {
            _threshold = threshold;
        }

        public bool Record { get; init; }

        public List<Tensor> Inputs { get; } = [];

        public List<bool> TrainingSeen { get; } = [];

        public List<bool> GradSeen { get; } = [];

        public override Tensor forward(Tensor input)
        {
            if (Record) Inputs.Add(input.clone().DetachFromDisposeScope());
            TrainingSeen.Add(training);
            GradSeen.Add(torch.is_grad_enabled());
            using var scope = NewDisposeScope();
            var s = input.flatten(1).std(1);
            return torch.stack([_threshold - s, s - _threshold], 1).MoveToOuterDisposeScope();
        }
    }

    /// <summary>Predicts a class that depends only on the input size (one-hot logits over two classes).</summary>
    private sealed class ConstantNet(Func<int, int> classForSize) : nn.Module<Tensor, Tensor>(nameof(ConstantNet))
    {
        public List<long> InputSizes { get; } = [];

        public override Tensor forward(Tensor input)
        {
            InputSizes.Add(input.shape[^1]);
            var k = classForSize((int)input.shape[^1]);
            return nn.functional.one_hot(torch.full([input.shape[0]], k, ScalarType.Int64), 2).to_type(ScalarType.Float32);
        }
    }
}
