using Msun.Analysis.Torch.Data;
using Msun.Analysis.Torch.Evaluation;
using Msun.Analysis.Torch.Pipeline;
using Msun.Analysis.Torch.Tests.Data;
using Msun.Analysis.Torch.Tests.Training;
using Msun.Analysis.Torch.Training;
using Msun.Analysis.Torch.Unified;
using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Tests.Unified;

[Collection("Torch")]
public class MsunTrainingTests
{
    private static MsunNetwork TinyNet(int seed = 3)
    {
        torch.manual_seed(seed);
        return new MsunNetwork(new MsunConfig("resnet18-small", 2, [6, 9, 12]), 1, 3);
    }

    [Fact]
    public void TruncationDropsATermBelowTheThresholdAndKeepsOneAtOrAbove()
    {
        using var scope = NewDisposeScope();
        Assert.Equal(0f, ScaleInvariantObjective.Truncated(torch.tensor(0.005f), 0.01).item<float>());
        Assert.Equal(0.02f, ScaleInvariantObjective.Truncated(torch.tensor(0.02f), 0.01).item<float>());
        Assert.Equal(0.01f, ScaleInvariantObjective.Truncated(torch.tensor(0.01f), 0.01).item<float>());
    }

    [Fact]
    public void LossIsTheSumOfCrossEntropiesPlusWeightedPairwiseMse()
    {
        using var net = TinyNet();
        net.eval(); // fixed BN statistics: the same forward gives the same numbers twice
        using var scope = NewDisposeScope();
        var images = torch.rand(4, 1, 12, 12);
        var labels = torch.tensor(new long[] { 0, 1, 2, 1 });
        var (logits, z) = net.ForwardAllScales(images);
        double ce = logits.Sum(l => nn.functional.cross_entropy(l, labels).item<float>());
        double mse = 0;
        for (var i = 0; i < 3; i++)
            for (var j = i + 1; j < 3; j++)
                mse += (z[i] - z[j]).pow(2).mean().item<float>();
        Assert.True(mse > 0);

        double Loss(bool constraint, double weight, double threshold) =>
            new ScaleInvariantObjective(new MsunConfig("resnet18-small", 2, [6, 9, 12], weight, threshold, constraint))
                .Compute(net, images, labels).Loss.item<float>();

        Assert.Equal(ce, Loss(false, 1, 0), 4);
        Assert.Equal(ce + 2.5 * mse, Loss(true, 2.5, 0), 4);
        Assert.Equal(ce, Loss(true, 1, 1e9), 4); // every term below the threshold: dropped
    }

    [Fact]
    public void TrainingAnMsunWritesACheckpointThatLoadsStrictlyAndGivesTheSameLogits()
    {
        using var dir = new TempFolder();
        var options = TinyRuns.Options(TrainingMethod.Msun, epochs: 1);
        using var scope = NewDisposeScope();
        var images = torch.rand(3, 1, 12, 12);
        Tensor expected;
        using (var t = TinyRuns.Trainer(options, dir.Path))
        {
            var result = t.Run();
            Assert.True(result.IsComplete);
            Assert.True(double.IsFinite(result.History[0].Loss));
            t.Model.eval();
            expected = t.Model.call(images).detach().clone();
        }

        var (net, state) = ModelLoader.MsunFromCheckpoint(dir.Path, options.Msun);
        using (net)
        {
            net.eval();
            Assert.Equal(options.Msun, state.Options.Msun);
            Assert.True(net.call(images).allclose(expected, rtol: 1e-5, atol: 1e-6));
        }
    }

    [Fact]
    public void ACheckpointOfAnotherConfigurationIsRefusedNamingTheFieldAndLeftUntouched()
    {
        using var dir = new TempFolder();
        var options = TinyRuns.Options(TrainingMethod.Msun, epochs: 2);
        using (var t = TinyRuns.Trainer(options, dir.Path))
            t.Run(stopAfterEpoch: 1);
        var bytes = File.ReadAllBytes(Checkpoint.PathIn(dir.Path));

        var other = new TrainingOptions("resnet18-small", TrainingMethod.Msun, TinyRuns.Size, epochs: 2, batchSize: 16, learningRate: 0.05,
            seed: 7, scales: [6, 9], evalBatchSize: 32, msun: new MsunOptions(3));
        var e = Assert.Throws<CheckpointException>(() => TinyRuns.Trainer(other, dir.Path, resume: true));
        Assert.Contains("msun_split 2 (checkpoint) vs 3 (this run)", e.Message);

        var load = Assert.Throws<CheckpointException>(() => ModelLoader.MsunFromCheckpoint(dir.Path, other.Msun));
        Assert.Contains("msun_split 2 vs 3", load.Message);
        Assert.Equal(bytes, File.ReadAllBytes(Checkpoint.PathIn(dir.Path)));
    }

    [Fact]
    public void ANaNLossStopsTrainingNamingEpochAndBatchAndKeepsTheLastGoodCheckpoint()
    {
        using var dir = new TempFolder();
        var options = TinyRuns.Options(TrainingMethod.Vanilla, epochs: 2);
        using (var t = TinyRuns.Trainer(options, dir.Path))
            t.Run(stopAfterEpoch: 1);
        var bytes = File.ReadAllBytes(Checkpoint.PathIn(dir.Path));

        using var trainer = new Trainer(options, TinyRuns.Data(48, 1), TinyRuns.Data(24, 2, "test"), dir.Path, resume: true,
            new NaNAfter(2));
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Run());
        Assert.Equal((2, 2), (e.Epoch, e.Batch));
        Assert.Contains("epoch 2, batch 2 of 3", e.Message);
        Assert.Contains("epoch 1) is kept", e.Message);
        Assert.Equal(bytes, File.ReadAllBytes(Checkpoint.PathIn(dir.Path)));
        Assert.Equal(1, Checkpoint.ReadState(dir.Path).EpochsCompleted);
        Assert.Single(TrainingLog.Read(trainer.LogPath));
    }

    [Fact]
    public void AsAClassifierTheRoutedBranchRunsAtItsNativeSizeAndCostsLessThanTheLargeOne()
    {
        using var net = TinyNet();
        var classifier = net.AsClassifier("msun");
        var rows = EvaluationCost.MacsPerSize(classifier, [4, 6, 8, 12], 1);
        Assert.Equal(["small", "small", "mid", "large"], rows.Select(r => r.Branch));
        Assert.Equal([4, 6, 8, 12], rows.Select(r => r.InputSize));
        Assert.True(rows[0].Macs < rows[1].Macs && rows[1].Macs < rows[2].Macs && rows[2].Macs < rows[3].Macs);
        Assert.Equal(net.BranchParameters(0), rows[0].Parameters);
    }

    /// <summary>Vanilla CE, except that its n-th call (counted from this trainer session) returns NaN.</summary>
    private sealed class NaNAfter(int batch) : TrainingObjective
    {
        private int calls;

        public override (Tensor Loss, Tensor ReferenceLogits) Compute(nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels)
        {
            var logits = model.call(images);
            var loss = nn.functional.cross_entropy(logits, labels);
            return (++calls == batch ? loss * float.NaN : loss, logits);
        }

        public override string Describe() => "test: NaN on one batch";
    }
}
