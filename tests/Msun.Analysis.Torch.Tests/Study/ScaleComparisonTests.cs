using Msun.Analysis.Core.Cka;
using Msun.Analysis.Torch.Backbones;
using Msun.Analysis.Torch.Capture;
using Msun.Analysis.Torch.Cka;
using Msun.Analysis.Torch.Study;
using Msun.Analysis.Torch.Tests.Backbones;
using TorchSharp;
using static TorchSharp.torch;
using CoreCka = Msun.Analysis.Core.Cka.Cka;

namespace Msun.Analysis.Torch.Tests.Study;

[Collection("Torch")]
public sealed class ScaleComparisonTests(BackboneCache cache) : IClassFixture<BackboneCache>, IDisposable
{
    private const int Size = 8, ProbeSize = 4, BatchSize = 8, BatchCount = 3;
    private readonly List<(Tensor Reference, Tensor Probe)> batches = MakeBatches();

    public void Dispose()
    {
        foreach (var (r, p) in batches)
        {
            r.Dispose();
            p.Dispose();
        }
    }

    private Backbone Model() => cache.Get("resnet18-small");

    private static string[] Stages => ["relu", "layer1", "layer2", "layer3", "layer4"];

    private static List<(Tensor, Tensor)> MakeBatches()
    {
        manual_seed(20240327);
        var list = new List<(Tensor, Tensor)>();
        for (int b = 0; b < BatchCount; b++)
        {
            var reference = rand(BatchSize, 1, Size, Size);
            using var down = nn.functional.interpolate(reference, [ProbeSize, ProbeSize], mode: InterpolationMode.Bilinear, align_corners: false);
            var probe = nn.functional.interpolate(down, [Size, Size], mode: InterpolationMode.Bilinear, align_corners: false);
            list.Add((reference, probe));
        }

        return list;
    }

    /// <summary>
    /// Stage activations computed without hooks: the stages run one by one through ForwardStages, with the weights held
    /// channels-last as the comparison holds them (the layout changes the float32 rounding of the convolutions).
    /// </summary>
    private (FeatureMatrix[] Reference, FeatureMatrix[] Probe) ByHand(Backbone model)
    {
        model.eval();
        using var noGrad = no_grad();
        using var layout = ChannelsLastWeights.Hold(model);
        FeatureMatrix[] Side(Func<(Tensor, Tensor), Tensor> pick, string suffix) => Stages.Select((_, i) =>
        {
            using var all = cat(batches.Select(b => model.ForwardStages(pick(b), 0, i + 1)).ToArray(), 0);
            return TensorCka.ToFeatureMatrix(all, $"{Stages[i]}{suffix}");
        }).ToArray();
        return (Side(b => b.Item1, "@ref"), Side(b => b.Item2, "@probe"));
    }

    [Theory]
    [InlineData(StudyEstimator.InMemory, HsicEstimator.Biased)]
    [InlineData(StudyEstimator.Streaming, HsicEstimator.Biased)]
    [InlineData(StudyEstimator.Streaming, HsicEstimator.Unbiased)]
    public void ExactEstimatorsMatchCkaComputedFromHandRunStages(StudyEstimator estimator, HsicEstimator hsic)
    {
        var model = Model();
        var result = ScaleComparison.Run(model, Stages, batches, new ScaleComparisonOptions(estimator, hsic: hsic));
        var (x, y) = ByHand(model);
        Assert.Equal(Stages, result.Layers);
        Assert.Equal(BatchSize * BatchCount, result.Examples);
        for (int i = 0; i < Stages.Length; i++)
        {
            var expected = CoreCka.Compute(x[i], y[i], new CkaOptions(Estimator: hsic));
            Assert.Equal(expected.Value, result.PerLayer[i].Value, 1e-10);
            Assert.InRange(result.PerLayer[i].Value, 0.0, 1.0 + 1e-12);
        }
    }

    [Fact]
    public void MinibatchMatchesMinibatchCkaOfHandRunStages()
    {
        var model = Model();
        var result = ScaleComparison.Run(model, Stages, batches);
        Assert.Equal("minibatch", result.Form);
        Assert.Equal(HsicEstimator.Unbiased, result.Options.Hsic);
        Assert.Equal(ActivationPolicy.Flatten, result.Options.Capture.Policy);
        var (x, y) = ByHand(model);
        for (int i = 0; i < Stages.Length; i++)
            Assert.Equal(MinibatchCka.Compute(x[i], y[i], BatchSize).Value, result.PerLayer[i].Value, 1e-10);
    }

    [Theory]
    [InlineData(HsicEstimator.Biased)]
    [InlineData(HsicEstimator.Unbiased)]
    public void StreamingAndInMemoryGridsAgree(HsicEstimator hsic)
    {
        var model = Model();
        var capture = new CaptureOptions(ActivationPolicy.SpatialMean); // C features: keeps the 25 accumulators small
        var streaming = ScaleComparison.Run(model, Stages, batches, new ScaleComparisonOptions(StudyEstimator.Streaming, capture, hsic: hsic, fullGrid: true));
        var inMemory = ScaleComparison.Run(model, Stages, batches, new ScaleComparisonOptions(StudyEstimator.InMemory, capture, hsic: hsic, fullGrid: true));
        Assert.NotNull(streaming.Grid);
        Assert.NotNull(inMemory.Grid);
        for (int i = 0; i < Stages.Length; i++)
        {
            Assert.Equal(inMemory.PerLayer[i].Value, streaming.PerLayer[i].Value, 1e-10);
            Assert.Equal(streaming.PerLayer[i].Value, streaming.Grid!.Values[i, i]);
            for (int j = 0; j < Stages.Length; j++)
                Assert.Equal(inMemory.Grid!.Values[i, j], streaming.Grid.Values[i, j], 1e-10);
        }
    }

    [Theory]
    [InlineData(StudyEstimator.Minibatch)]
    [InlineData(StudyEstimator.Streaming)]
    [InlineData(StudyEstimator.InMemory)]
    public void IdenticalInputsAtBothScalesGiveOneOnEveryLayer(StudyEstimator estimator)
    {
        var same = batches.Select(b => (b.Reference, b.Reference));
        var result = ScaleComparison.Run(Model(), Stages, same, new ScaleComparisonOptions(estimator));
        Assert.All(result.PerLayer, l => Assert.Equal(1.0, l.Value, 1e-10));
    }

    [Fact]
    public void ReportsProgressAndRestoresTrainingMode()
    {
        var model = Model();
        model.train();
        var reports = new List<ScaleComparisonProgress>();
        ScaleComparison.Run(model, ["layer4"], batches, progress: new SyncProgress(reports.Add));
        Assert.Equal(Enumerable.Range(1, BatchCount).Select(b => new ScaleComparisonProgress(b, (long)b * BatchSize)), reports);
        Assert.True(model.training);
        Assert.All(model.named_modules(), m => Assert.True(m.module.training));
        model.eval();
    }

    [Fact]
    public void TensorsMadeByALazyEnumerationAreDisposedAfterTheirBatch()
    {
        var made = new List<Tensor>();
        IEnumerable<(Tensor, Tensor)> Lazy()
        {
            foreach (var (r, _) in batches)
            {
                var copy = r.clone();
                made.Add(copy);
                yield return (copy, copy);
            }
        }

        ScaleComparison.Run(Model(), ["layer1"], Lazy());
        Assert.Equal(BatchCount, made.Count);
        Assert.All(made, t => Assert.True(t.IsInvalid));
        Assert.All(batches, b => Assert.False(b.Reference.IsInvalid)); // the caller's own tensors are left alone
    }

    [Fact]
    public void MismatchedBatchPairsFailClearly()
    {
        using var short_ = batches[0].Probe[..4];
        var e = Assert.Throws<ArgumentException>(() => ScaleComparison.Run(Model(), ["layer1"], [(batches[0].Reference, short_)]));
        Assert.Contains("same images", e.Message);
        Assert.Throws<ArgumentException>(() => new ScaleComparisonOptions(StudyEstimator.Streaming, kernel: CkaKernel.Rbf()));
    }

    [Fact]
    public void UnequalMinibatchesFollowTheRaggedPolicy()
    {
        using var tail = batches[0].Reference[..5];
        var fed = batches.Append((tail, tail)).ToArray();
        Assert.Throws<ArgumentException>(() => ScaleComparison.Run(Model(), ["layer4"], fed));
        var dropped = ScaleComparison.Run(Model(), ["layer4"], fed, new ScaleComparisonOptions(ragged: RaggedBatchPolicy.DropFinal));
        Assert.Equal(BatchSize * BatchCount, dropped.Examples);
        Assert.Contains("dropped", dropped.Note);
    }

    private sealed class SyncProgress(Action<ScaleComparisonProgress> report) : IProgress<ScaleComparisonProgress>
    {
        public void Report(ScaleComparisonProgress value) => report(value);
    }
}
