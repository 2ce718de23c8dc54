using System.IO.Compression;
using System.Text.Json;
using Msun.Analysis.Torch.Backbones;
using Msun.Analysis.Torch.Data;
using Msun.Analysis.Torch.Tests.Data;
using Msun.Analysis.Torch.Training;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

using Msun.Analysis.Core.IO;

namespace Msun.Analysis.Torch.Tests.Training;

[Collection("Torch")]
public class TrainerTests(ITestOutputHelper output)
{
    private static Dictionary<string, Tensor> Weights(Trainer t) =>
        t.Model.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone());

    private static void AssertIdentical(Dictionary<string, Tensor> expected, Dictionary<string, Tensor> actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, tensor) in expected)
            {
            Assert.Equal(tensor.shape, actual[name].shape);
            Assert.True(tensor.eq(actual[name]).all().item<bool>(), $"{name} differs");
        }
    }

    [Theory]
    [InlineData(TrainingMethod.Vanilla)]
    [InlineData(TrainingMethod.Mst)]
    [InlineData(TrainingMethod.Msun)]
    public void ResumingGivesTheWeightsOfAnUninterruptedRun(TrainingMethod method)
    {
        using var straightDir = new TempFolder();
        using var splitDir = new TempFolder();
        var options = TinyRuns.Options(method, epochs: 2);

        Dictionary<string, Tensor> straight;
        IReadOnlyList<EpochRecord> straightHistory;
        using (var t = TinyRuns.Trainer(options, straightDir.Path))
        {
            straightHistory = t.Run().History;
            straight = Weights(t);
        }

        using (var t = TinyRuns.Trainer(options, splitDir.Path))
        {
            var first = t.Run(stopAfterEpoch: 1);
            Assert.Equal(1, first.EpochsCompleted);
            Assert.False(first.IsComplete);
        }

        torch.manual_seed(12345); // a different global generator state must not matter: the checkpoint restores it
        Dictionary<string, Tensor> resumed;
        using (var t = TinyRuns.Trainer(options, splitDir.Path, resume: true))
        {
            Assert.Equal(1, t.EpochsCompleted);
            var result = t.Run();
            Assert.True(result.IsComplete);
            Assert.Equal(2, result.History.Count);
            Assert.Equal(straightHistory[1].Loss, result.History[1].Loss);
            Assert.Equal(straightHistory[1].TestAccuracy, result.History[1].TestAccuracy);
            resumed = Weights(t);
        }

        AssertIdentical(straight, resumed);
        Assert.Equal(2, TrainingLog.Read(Path.Combine(splitDir.Path, TrainingLog.FileName)).Count);
    }

    [Fact]
    public void LogHasOneJsonLinePerEpochWithTheExpectedFields()
    {
        using var dir = new TempFolder();
        var epochs = new List<EpochRecord>();
        var batches = new List<BatchProgress>();
        using var t = TinyRuns.Trainer(TinyRuns.Options(epochs: 2), dir.Path);
        t.Run(new SyncProgress<EpochRecord>(epochs.Add), new SyncProgress<BatchProgress>(batches.Add));

        Assert.Equal([1, 2], epochs.Select(e => e.Epoch));
        Assert.Equal(2 * t.StepsPerEpoch, batches.Count);
        Assert.Equal(3, t.StepsPerEpoch); // 48 images, batch 16
        Assert.Equal(6, batches[^1].GlobalStep);
        var lines = File.ReadAllLines(dir.File(TrainingLog.FileName));
        Assert.Equal(2, lines.Length);
        foreach (var line in lines)
        {
            using var doc = JsonDocument.Parse(line);
            foreach (var field in new[] { "epoch", "loss", "accuracy", "train_accuracy", "test_loss", "lr", "images_per_second", "seconds", "eval_seconds" })
                Assert.True(doc.RootElement.TryGetProperty(field, out _), $"missing {field} in {line}");
            var accuracy = doc.RootElement.GetProperty("accuracy").GetDouble();
            Assert.InRange(accuracy, 0, 1);
        }

        // Warm-up is epoch 1 (steps 1..3 at 1/3, 2/3, 3/3 of the peak); epoch 2 is the cosine.
        Assert.Equal(0.05, epochs[0].LearningRate, 12);
        Assert.True(epochs[1].LearningRate < 0.05);
    }

    [Fact]
    public void LearnsTheToyTask()
    {
        using var dir = new TempFolder();
        using var t = new Trainer(TinyRuns.Options(epochs: 3), TinyRuns.Data(96, 3), TinyRuns.Data(48, 4, "test"), dir.Path);
        var history = t.Run().History;
        foreach (var r in history)
            output.WriteLine(r.ToJson());
        // Training accuracy, not test: after a dozen steps BatchNorm's running statistics (momentum 0.1) are still
        // far from the batch statistics, so eval-mode accuracy of so short a run says little.
        Assert.True(history[^1].TrainAccuracy > 0.9, $"training accuracy {history[^1].TrainAccuracy}");
        Assert.True(history[^1].Loss < history[0].Loss / 4);
    }

    [Fact]
    public void TrainingOrderReplaysTheFirstBatch()
    {
        // The order maps through the seeded subset back to the split given: the first batch gathered from the full
        // split with it gives the loss the trainer reports for its first step (same initial weights, train mode).
        using var dir = new TempFolder();
        var data = TinyRuns.Data(48, 1);
        var options = new TrainingOptions("resnet18-small", TrainingMethod.Vanilla, TinyRuns.Size, epochs: 1, batchSize: 16,
            learningRate: 0.05, warmupEpochs: 0, seed: 7, trainSubset: 32);
        using var t = new Trainer(options, data, TinyRuns.Data(24, 2, "test"), dir.Path);
        var order = t.TrainingOrder(1);
        Assert.Equal(32, order.Length);
        Assert.Equal(32, order.Distinct().Count());
        Assert.All(order, i => Assert.InRange(i, 0, 47));
        Assert.NotEqual(order, t.TrainingOrder(2));
        Assert.NotEqual(Enumerable.Range(0, 32), order.Order()); // a subset of 32 of the 48, not the first 32

        float expected;
        using (NewDisposeScope())
        {
            t.Model.train();
            var (x, y) = data.GetBatch(order.AsSpan(0, 16), CPU);
            expected = nn.functional.cross_entropy(t.Model.call(x), y).item<float>();
        }
        double first = double.NaN;
        t.Run(batchProgress: new SyncProgress<BatchProgress>(p =>
        {
            if (p.Batch == 1) first = p.Loss;
        }));
        Assert.Equal(expected, first, 1e-5);
    }

    [Fact]
    public void LeftoverTemporaryFilesAreIgnoredAndRemoved()
    {
        using var dir = new TempFolder();
        var options = TinyRuns.Options(epochs: 2);
        using (var t = TinyRuns.Trainer(options, dir.Path))
            t.Run(stopAfterEpoch: 1);

        // What a process killed in the middle of writing the next checkpoint leaves behind.
        var leftover = dir.File(Checkpoint.FileName + AtomicFile.TempMarker + "4242-deadbeef");
        File.WriteAllBytes(leftover, [0x50, 0x4B, 0x03]);
        Assert.Equal(1, Checkpoint.ReadState(dir.Path).EpochsCompleted);

        using (var t = TinyRuns.Trainer(options, dir.Path, resume: true))
        {
            Assert.False(File.Exists(leftover));
            Assert.True(t.Run().IsComplete);
        }
    }

    [Fact]
    public void ANewRunNeverOverwritesACheckpoint()
    {
        using var dir = new TempFolder();
        var options = TinyRuns.Options(epochs: 1);
        using (var t = TinyRuns.Trainer(options, dir.Path))
            t.Run();
        var before = File.ReadAllBytes(dir.File(Checkpoint.FileName));
        var e = Assert.Throws<CheckpointException>(() => TinyRuns.Trainer(options, dir.Path));
        Assert.Contains("--resume", e.Message);
        Assert.Equal(before, File.ReadAllBytes(dir.File(Checkpoint.FileName)));
    }

    [Fact]
    public void ResumeWithoutACheckpointFails()
    {
        using var dir = new TempFolder();
        var e = Assert.Throws<CheckpointException>(() => TinyRuns.Trainer(TinyRuns.Options(), dir.Path, resume: true));
        Assert.Contains("Nothing to resume", e.Message);
    }

    [Theory]
    [InlineData("densenet-small", TrainingMethod.Vanilla, 7, "backbone resnet18-small (checkpoint) vs densenet-small")]
    [InlineData("resnet18-small", TrainingMethod.Mst, 7, "method vanilla (checkpoint) vs mst")]
    [InlineData("resnet18-small", TrainingMethod.Vanilla, 8, "seed 7 (checkpoint) vs 8")]
    public void ACheckpointOfAnotherRunIsRefusedWithTheDifferences(string backbone, TrainingMethod method, int seed, string expected)
    {
        using var dir = new TempFolder();
        using (var t = TinyRuns.Trainer(TinyRuns.Options(epochs: 2), dir.Path))
            t.Run(stopAfterEpoch: 1);
        var e = Assert.Throws<CheckpointException>(() =>
            TinyRuns.Trainer(TinyRuns.Options(method, epochs: 2, backbone: backbone, seed: seed), dir.Path, resume: true));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void ADamagedCheckpointGivesAClearError()
    {
        using var dir = new TempFolder();
        var options = TinyRuns.Options(epochs: 2);
        using (var t = TinyRuns.Trainer(options, dir.Path))
            t.Run(stopAfterEpoch: 1);
        var path = dir.File(Checkpoint.FileName);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<CheckpointException>(() => TinyRuns.Trainer(options, dir.Path, resume: true));
        Assert.Contains(Checkpoint.FileName, e.Message);
    }

    [Fact]
    public void TheCheckpointSaysWhatItIs()
    {
        using var dir = new TempFolder();
        using (var t = TinyRuns.Trainer(TinyRuns.Options(TrainingMethod.Mst, epochs: 1), dir.Path))
            t.Run();
        using var zip = ZipFile.OpenRead(dir.File(Checkpoint.FileName));
        Assert.Equal(["model.bin", "optimizer.bin", "state.json", "torch-rng.bin"], zip.Entries.Select(e => e.FullName).Order());
        var state = Checkpoint.ReadState(dir.Path);
        Assert.Equal("resnet18-small", state.Options.Backbone);
        Assert.Equal(TrainingMethod.Mst, state.Options.Method);
        Assert.Equal([6, 9], state.Options.Scales);
        Assert.Equal("toy-bands", state.Dataset.Name);
        Assert.Equal(1, state.EpochsCompleted);
        Assert.Equal(3, state.GlobalStep);
        Assert.Single(state.History);
    }

    [Fact]
    public void TheLogIsRebuiltFromTheCheckpointOnResume()
    {
        using var dir = new TempFolder();
        var options = TinyRuns.Options(epochs: 2);
        using (var t = TinyRuns.Trainer(options, dir.Path))
            t.Run(stopAfterEpoch: 1);
        var log = dir.File(TrainingLog.FileName);
        File.AppendAllText(log, "{\"epoch\": 2, \"truncated\n");
        using (TinyRuns.Trainer(options, dir.Path, resume: true))
            Assert.Equal([1], TrainingLog.Read(log).Select(r => r.Epoch));
    }

    [Fact]
    public void TwoTrainersCannotShareAFolder()
    {
        using var dir = new TempFolder();
        using var first = TinyRuns.Trainer(TinyRuns.Options(), dir.Path);
        var e = Assert.Throws<CheckpointException>(() => TinyRuns.Trainer(TinyRuns.Options(), dir.Path));
        Assert.Contains("in use", e.Message);
    }

    [Fact]
    public void CudaWithoutCudaIsAClearError()
    {
        if (torch.cuda.is_available())
            return;
        using var dir = new TempFolder();
        var e = Assert.ThrowsAny<ArgumentException>(() => TinyRuns.Trainer(TinyRuns.Options(device: "cuda"), dir.Path));
        Assert.Contains("torch.cuda.is_available()", e.Message);
    }

    [Fact]
    public void MstLossIsTheSumOfCrossEntropiesAtEveryScale()
    {
        torch.manual_seed(3);
        using var model = BackboneRegistry.Get("resnet18-small").Create(1, 3);
        model.eval();
        using var scope = torch.NewDisposeScope();
        var (images, labels) = TinyRuns.Data(8, 5).GetBatch(Enumerable.Range(0, 8).ToArray(), torch.CPU);
        var (loss, logits) = new MstObjective(TinyRuns.Size, [6, 9]).Compute(model, images, labels);
        var expected = nn.functional.cross_entropy(model.call(images), labels).item<float>();
        foreach (var s in new[] { 6, 9 })
        {
            var scaled = MultiScaleResize.Bilinear(MultiScaleResize.Bilinear(images, s, s), TinyRuns.Size, TinyRuns.Size);
            expected += nn.functional.cross_entropy(model.call(scaled), labels).item<float>();
        }

        Assert.Equal(expected, loss.item<float>(), 5);
        Assert.Equal([8L, 3L], logits.shape);
    }

    /// <summary>Reports synchronously on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
