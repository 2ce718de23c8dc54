using System.Diagnostics;
using Msun.Analysis.Core.IO;

namespace Msun.Analysis.Core.Tests.IO;

public sealed class AtomicFileTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("msun-atomic-file-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void AWriteReplacesTheFileAndLeavesNoTemporaryFile()
    {
        string path = Path.Combine(folder, "result.json");
        File.WriteAllText(path, "old");
        AtomicFile.WriteText(path, w => w.Write("new"));
        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(folder));
    }

    [Fact]
    public void AFailedWriteKeepsTheOldFileAndRemovesItsTemporaryFile()
    {
        string path = Path.Combine(folder, "result.json");
        File.WriteAllText(path, "old");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.WriteText(path, w =>
        {
            w.Write("half");
            throw new InvalidOperationException("disk full");
        }));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(folder));
    }

    [Fact]
    public void OnlyTemporaryFilesOfWritersThatAreGoneAreRemoved()
    {
        string nested = Directory.CreateDirectory(Path.Combine(folder, "vanilla", "seed-0")).FullName;
        // No process can have id 2^31 - 1 (Linux caps ids at 2^22); this process and a child that is still running are alive.
        string dead = Path.Combine(nested, "checkpoint.zip" + AtomicFile.TempMarker + "2147483647-ab12");
        string mine = Path.Combine(folder, "accuracy.json" + AtomicFile.TempMarker + $"{Environment.ProcessId}-cd34");
        using var child = Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;
        string childs = Path.Combine(folder, "seeds.json" + AtomicFile.TempMarker + $"{child.Id}-ef56");
        string notOurs = Path.Combine(folder, "notes.tmp-by-hand.txt"); // the marker without a process id: not a name we write
        string result = Path.Combine(nested, "checkpoint.zip");
        foreach (var file in new[] { dead, mine, childs, notOurs, result })
            File.WriteAllText(file, "x");
        try
        {
            var removed = AtomicFile.DeleteLeftoversOfDeadWriters(folder);
            Assert.Equal([dead], removed);
            Assert.False(File.Exists(dead));
            Assert.All(new[] { mine, childs, notOurs, result }, f => Assert.True(File.Exists(f), f));
        }
        finally
        {
            child.Kill();
            child.WaitForExit();
        }

        // Once the child has exited, its file is a leftover too.
        Assert.Equal([childs], AtomicFile.DeleteLeftoversOfDeadWriters(folder));
        Assert.Empty(AtomicFile.DeleteLeftoversOfDeadWriters(Path.Combine(folder, "missing")));
    }
}
