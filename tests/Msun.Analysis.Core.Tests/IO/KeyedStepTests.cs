using Msun.Analysis.Core.IO;

namespace Msun.Analysis.Core.Tests.IO;

public sealed class KeyedStepTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("msun-keyed-step-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void ARecordIsFoundForItsOwnConfigurationOnly()
    {
        string path = Path.Combine(folder, "step.json");
        Assert.Null(KeyedStep.Find(path, "epochs=5"));

        KeyedStep.Save(path, "epochs=5; seed=0", w => w.WriteNumber("parameters", 701178));
        var record = KeyedStep.Find(path, "epochs=5; seed=0");
        Assert.NotNull(record);
        Assert.Equal(701178, record.Value.GetProperty("parameters").GetInt64());
        Assert.Equal("epochs=5; seed=0", record.Value.GetProperty("configuration").GetString());

        Assert.Null(KeyedStep.Find(path, "epochs=5; seed=1"));
        Assert.Null(KeyedStep.Find(path, "epochs=5; seed=0 "));
    }
}
