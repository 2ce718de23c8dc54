using System.IO.Compression;
using System.Text;

namespace Msun.Analysis.Cli.Tests;

/// <summary>
/// Checkpoints that are truncated, garbage, missing an archive member, carrying a garbage member, or declaring another
/// backbone than their weights, as <c>evaluate</c>, <c>study-scales</c> and <c>train --resume</c> meet them (black
/// box): one line naming checkpoint.zip and the problem, the checkpoint folder byte-identical, no output written.
/// </summary>
public sealed class CheckpointFaultTests(TinyCheckpoint checkpoint) : IClassFixture<TinyCheckpoint>
{
    /// <summary>A copy of the tiny run folder whose checkpoint.zip <paramref name="damage"/> rewrites.</summary>
    private string Damaged(string name, Action<string> damage)
    {
        string run = Directory.CreateDirectory(Path.Combine(checkpoint.Folder, "damaged-" + name)).FullName;
        foreach (string file in Directory.GetFiles(checkpoint.Run))
            File.Copy(file, Path.Combine(run, Path.GetFileName(file)), overwrite: true);
        damage(Path.Combine(run, "checkpoint.zip"));
        return run;
    }

    /// <summary>Rewrites the archive member by member: <paramref name="member"/> returns the new bytes of an entry, or null to drop it.</summary>
    private static Action<string> Rewrite(Func<string, byte[], byte[]?> member) => path =>
    {
        var entries = new List<(string Name, byte[] Data)>();
        using (var zip = ZipFile.OpenRead(path))
            foreach (var entry in zip.Entries)
            {
                using var stream = entry.Open();
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                if (member(entry.FullName, copy.ToArray()) is { } data) entries.Add((entry.FullName, data));
            }

        File.Delete(path);
        using var output = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, data) in entries)
        {
            using var stream = output.CreateEntry(name, CompressionLevel.NoCompression).Open();
            stream.Write(data);
        }
    };

    public static TheoryData<string, string> Faults() => new()
    {
        { "truncated", "not a readable checkpoint archive" },
        { "garbage", "not a readable checkpoint archive" },
        { "no-model", "the archive has no 'model.bin' entry" },
        { "no-state", "the archive has no 'state.json' entry" },
        { "garbage-model", "do not fit this model or are damaged" },
        { "garbage-state", "state.json is not valid JSON" },
        { "other-backbone", "do not fit this model or are damaged" },
    };

    private string Make(string fault) => Damaged(fault, fault switch
    {
        "truncated" => path => File.WriteAllBytes(path, File.ReadAllBytes(path)[..5000]),
        "garbage" => path => File.WriteAllBytes(path, Enumerable.Range(0, 100_000).Select(i => (byte)(i * 31 % 251)).ToArray()),
        "no-model" => Rewrite((name, data) => name == "model.bin" ? null : data),
        "no-state" => Rewrite((name, data) => name == "state.json" ? null : data),
        "garbage-model" => Rewrite((name, data) => name == "model.bin" ? Enumerable.Repeat((byte)7, data.Length).ToArray() : data),
        "garbage-state" => Rewrite((name, data) => name == "state.json" ? Enumerable.Repeat((byte)7, data.Length).ToArray() : data),
        // resnet18-small weights in an archive that says vgg16-bn-small: the weights cannot fit the declared backbone.
        "other-backbone" => Rewrite((name, data) => name == "state.json"
            ? Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(data).Replace("\"resnet18-small\"", "\"vgg16-bn-small\"", StringComparison.Ordinal))
            : data),
        _ => throw new ArgumentException(fault),
    });

    [Theory]
    [MemberData(nameof(Faults))]
    public void EvaluateNamesTheCheckpointAndChangesNothing(string fault, string expected)
    {
        string run = Make(fault);
        var before = FolderState.Snapshot(run);
        string outDir = checkpoint.NewOut();
        var outcome = MsunProcess.Run("evaluate", "--checkpoint", run, "--images", "16", "--out", outDir);
        MsunProcess.AssertOneLineError(outcome, "evaluate", Path.Combine(run, "checkpoint.zip") + ": ");
        Assert.Contains(expected, outcome.Stderr);
        FolderState.AssertUnchanged(before, run);
        Assert.False(Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any());
    }

    [Theory]
    [InlineData("truncated", "not a readable checkpoint archive")]
    [InlineData("garbage-model", "do not fit this model or are damaged")]
    [InlineData("other-backbone", "do not fit this model or are damaged")]
    public void StudyScalesAndResumeNameTheCheckpointAndChangeNothing(string fault, string expected)
    {
        string run = Make(fault);
        var before = FolderState.Snapshot(run);
        string outDir = checkpoint.NewOut();
        MsunProcess.AssertOneLineError(MsunProcess.Run("study-scales", "--checkpoint", run, "--images", "32", "--batch-size", "16", "--repeats", "1",
            "--out", outDir), "study-scales", expected);
        MsunProcess.AssertOneLineError(MsunProcess.Run("train", "--resume", "--out", run), "train", expected);
        FolderState.AssertUnchanged(before, run);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void ResumingWithAnotherConfigurationListsTheDifferencesAndChangesNothing()
    {
        string run = Damaged("other-configuration", _ => { });
        var before = FolderState.Snapshot(run);
        MsunProcess.AssertOneLineError(MsunProcess.Run("train", "--resume", "--lr", "0.05", "--seed", "7", "--out", run), "train",
            "lr 0.1 (checkpoint) vs 0.05 (this run)");
        FolderState.AssertUnchanged(before, run);
    }
}
