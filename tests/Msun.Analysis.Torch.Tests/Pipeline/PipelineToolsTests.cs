using Msun.Analysis.Torch.Pipeline;

namespace Msun.Analysis.Torch.Tests.Pipeline;

public sealed class PipelineToolsTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("msun-steps-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void EtaIsThePaceOfTheFinishedUnitsTimesTheUnitsLeft()
    {
        // 3 of 10 units in 90 s: 30 s each, 7 left.
        Assert.Equal(TimeSpan.FromSeconds(210), Eta.Remaining(TimeSpan.FromSeconds(90), 3, 10));
        Assert.Equal(TimeSpan.Zero, Eta.Remaining(TimeSpan.FromSeconds(5), 4, 4));
        Assert.Null(Eta.Remaining(TimeSpan.FromSeconds(5), 0, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => Eta.Remaining(TimeSpan.FromSeconds(5), 5, 4));
    }

    [Theory]
    [InlineData(12, "12s")]
    [InlineData(185, "3m05s")]
    [InlineData(3720, "1h02m")]
    [InlineData(90000, "25h00m")]
    public void EtaFormatIsCompact(int seconds, string expected) => Assert.Equal(expected, Eta.Format(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void EtaFormatOfAnUnknownTimeIsAQuestionMark() => Assert.Equal("?", Eta.Format(null));

    [Fact]
    public void AFinishedStepIsReusedOnlyWithTheSameConfigurationAndAllItsOutputs()
    {
        var lines = new List<string>();
        var steps = new FinishedSteps(new SyncProgress<ReproductionProgress>(p => lines.Add($"{p.Step}: {p.Message}")));
        var record = Path.Combine(folder, "step.json");
        var output = Path.Combine(folder, "out.json");
        Assert.Null(steps.Find("study", record, "a=1", output)); // nothing recorded yet

        File.WriteAllText(output, "{}");
        FinishedSteps.Record(record, "a=1", w => w.WriteNumber("parameters", 42));
        Assert.Null(steps.Find("study", record, "a=2", output)); // another configuration
        Assert.Null(steps.Find("study", record, "a=1", output, Path.Combine(folder, "missing.csv"))); // an output is gone
        Assert.Empty(steps.Reused);

        var found = steps.Find("study", record, "a=1", output);
        Assert.Equal(42, found!.Value.GetProperty("parameters").GetInt64());
        Assert.Equal(["study"], steps.Reused);
        Assert.Equal([$"study: reusing {output} (same configuration)"], lines);
    }
}
