using Msun.Analysis.Torch.Training;

namespace Msun.Analysis.Torch.Tests.Training;

public class LearningRateScheduleTests
{
    [Fact]
    public void WarmsUpLinearlyThenDecaysByCosineTowardsTheFloor()
    {
        var s = new LearningRateSchedule(0.1, warmupSteps: 10, totalSteps: 110, floorFraction: 0.01);
        Assert.Equal(0.01, s.At(0), 12);
        Assert.Equal(0.05, s.At(4), 12);
        Assert.Equal(0.1, s.At(9), 12);
        Assert.Equal(0.1, s.At(10), 12); // first cosine step: the peak
        Assert.Equal(0.001 + 0.099 * 0.5, s.At(60), 12); // half-way through the cosine
        Assert.Equal(0.001, s.At(110), 12);
        Assert.Equal(0.001, s.At(500), 12);
        for (var i = 10; i < 110; i++)
            Assert.True(s.At(i + 1) <= s.At(i));
        Assert.True(s.At(109) > 0.001);
    }

    [Fact]
    public void WithoutWarmupStartsAtThePeak()
    {
        var s = new LearningRateSchedule(0.2, 0, 4, 0.0);
        Assert.Equal([0.2, 0.2 * (0.5 + 0.5 * Math.Cos(Math.PI / 4)), 0.1, 0.2 * (0.5 + 0.5 * Math.Cos(3 * Math.PI / 4))],
            Enumerable.Range(0, 4).Select(i => s.At(i)).ToArray(), (a, b) => Math.Abs(a - b) < 1e-12);
    }

    [Fact]
    public void ForOptionsCountsStepsPerEpoch()
    {
        var o = new TrainingOptions("resnet18-small", TrainingMethod.Vanilla, 28, epochs: 90, learningRate: 0.4, warmupEpochs: 5);
        var s = LearningRateSchedule.For(o, 100);
        Assert.Equal(500, s.WarmupSteps);
        Assert.Equal(9000, s.TotalSteps);
        Assert.Equal(0.4, s.Peak);
        Assert.Equal(0.01, s.FloorFraction);
    }

    [Theory]
    [InlineData(0.0, 0, 10, 0.0)]
    [InlineData(0.1, 11, 10, 0.0)]
    [InlineData(0.1, 0, 0, 0.0)]
    [InlineData(0.1, 0, 10, 1.5)]
    public void RejectsImpossibleSchedules(double peak, int warmup, int total, double floor) =>
        Assert.ThrowsAny<ArgumentException>(() => new LearningRateSchedule(peak, warmup, total, floor));
}
