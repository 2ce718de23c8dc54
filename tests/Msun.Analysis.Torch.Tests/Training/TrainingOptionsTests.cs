using System.Text.Json;
using Msun.Analysis.Torch.Training;

namespace Msun.Analysis.Torch.Tests.Training;

public class TrainingOptionsTests
{
    [Fact]
    public void MstDefaultsToHalfAndThreeQuartersOfTheReference()
    {
        Assert.Equal([14, 21], new TrainingOptions("resnet18-small", TrainingMethod.Mst, 28).Scales);
        Assert.Equal([28, 42], new TrainingOptions("resnet18-small", TrainingMethod.Mst, 56).Scales);
        Assert.Equal([14, 21, 28], new TrainingOptions("resnet18-small", TrainingMethod.Mst, 28, scales: [14, 21]).TrainingSizes);
        Assert.Empty(new TrainingOptions("resnet18-small", TrainingMethod.Vanilla, 28).Scales);
    }

    [Fact]
    public void UnknownBackboneListsTheKnownOnes()
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => new TrainingOptions("resnet19", TrainingMethod.Vanilla, 28));
        Assert.Contains("resnet18-small", e.Message);
    }

    public static TheoryData<Func<TrainingOptions>, string> Invalid() => new()
    {
        { () => new("resnet18-small", TrainingMethod.Vanilla, 0), "referenceSize" },
        { () => new("resnet18-small", TrainingMethod.Vanilla, 28, epochs: 0), "epochs" },
        { () => new("resnet18-small", TrainingMethod.Vanilla, 28, batchSize: -1), "batchSize" },
        { () => new("resnet18-small", TrainingMethod.Vanilla, 28, learningRate: 0), "learningRate" },
        { () => new("resnet18-small", TrainingMethod.Vanilla, 28, learningRate: double.NaN), "learningRate" },
        { () => new("resnet18-small", TrainingMethod.Vanilla, 28, weightDecay: -1e-4), "weightDecay" },
        { () => new("resnet18-small", TrainingMethod.Vanilla, 28, momentum: 1), "momentum" },
        { () => new("resnet18-small", TrainingMethod.Vanilla, 28, epochs: 2, warmupEpochs: 3), "warmupEpochs" },
        { () => new("resnet18-small", TrainingMethod.Vanilla, 28, gradientClipNorm: 0), "gradientClipNorm" },
        { () => new("resnet18-small", TrainingMethod.Vanilla, 28, trainSubset: 0), "trainSubset" },
        { () => new("resnet18-small", TrainingMethod.Vanilla, 28, device: "tpu"), "tpu" },
        { () => new("resnet18-small", TrainingMethod.Vanilla, 28, scales: [14]), "MST only" },
        { () => new("resnet18-small", TrainingMethod.Mst, 28, scales: [28]), "below the reference" },
        { () => new("resnet18-small", TrainingMethod.Mst, 28, scales: [14, 14]), "repeat" },
        { () => new("resnet18-small", TrainingMethod.Mst, 28, scales: [21, 14]), "MST's scales must be ascending" },
        { () => new("resnet18-small", TrainingMethod.Mst, 28, scales: []), "at least one" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void RejectsInvalidValuesNamingThem(Func<TrainingOptions> make, string expected)
    {
        var e = Assert.ThrowsAny<ArgumentException>(make);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void JsonRoundTripKeepsEveryField()
    {
        var o = new TrainingOptions("RESNET18-SMALL", TrainingMethod.Mst, 28, epochs: 3, batchSize: 64, learningRate: 0.05,
            weightDecay: 1e-4, momentum: 0.8, warmupEpochs: 2, minLearningRateFraction: 0.02, gradientClipNorm: null, seed: -5,
            scales: [7, 21], trainSubset: 1000, testSubset: 500, device: "CUDA:1", evalBatchSize: 100);
        Assert.Equal("resnet18-small", o.Backbone);
        Assert.Equal("cuda:1", o.Device);
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
            o.WriteJson(w);
        using var doc = JsonDocument.Parse(stream.ToArray());
        var back = TrainingOptions.ReadJson(doc.RootElement);
        Assert.Equal(o, back);
        Assert.Equal(o.TrajectoryKey(), back.TrajectoryKey());
        Assert.Equal([7, 21], back.Scales);
        Assert.Null(back.GradientClipNorm);
    }

    [Fact]
    public void TrajectoryKeyIgnoresDeviceAndEvaluationSettings()
    {
        var a = new TrainingOptions("resnet18-small", TrainingMethod.Vanilla, 28, device: "cpu", evalBatchSize: 10, testSubset: 5);
        var b = new TrainingOptions("resnet18-small", TrainingMethod.Vanilla, 28, device: "cuda", evalBatchSize: 99);
        Assert.Equal(a.TrajectoryKey(), b.TrajectoryKey());
        Assert.NotEqual(a, b);
        var c = new TrainingOptions("resnet18-small", TrainingMethod.Vanilla, 28, seed: 1);
        Assert.NotEqual(a.TrajectoryKey(), c.TrajectoryKey());
    }
}
