using System.Security.Cryptography;

namespace Msun.Analysis.Cli.Tests;

/// <summary>
/// Dataset files that are missing, truncated, corrupted or of the wrong kind, and roots that do not exist, as
/// <c>msun train</c>, <c>evaluate</c> and <c>scale-cka</c> meet them (black box). The fake roots link the Debian
/// package's files (/usr/share/datasets/fashion-mnist) and replace one; each failure is one line naming the file,
/// and nothing is written.
/// </summary>
public sealed class DatasetFaultTests : IDisposable
{
    private const string Installed = "/usr/share/datasets/fashion-mnist";
    private const string Labels = "t10k-labels-idx1-ubyte.gz";
    private readonly string folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "msun-dataset-faults-" + Guid.NewGuid().ToString("N"))).FullName;

    public void Dispose()
    {
        try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
    }

    /// <summary>A root whose files are symbolic links to the installed ones, except <see cref="Labels"/>, which <paramref name="replace"/> writes.</summary>
    private string Root(string name, Action<string>? replace)
    {
        string root = Directory.CreateDirectory(Path.Combine(folder, name)).FullName;
        foreach (string file in Directory.GetFiles(Installed))
            if (replace is null || Path.GetFileName(file) != Labels)
                File.CreateSymbolicLink(Path.Combine(root, Path.GetFileName(file)), file);
        replace?.Invoke(Path.Combine(root, Labels));
        return root;
    }

    /// <summary>Runs a tiny <c>msun scale-cka</c> and <c>msun train</c> on the root (the test split holds the replaced file); asserts one line each and that nothing changed.</summary>
    private void AssertLoadFails(string root, string expected)
    {
        string outDir = Path.Combine(folder, "out-" + Guid.NewGuid().ToString("N"));
        var before = FolderState.Snapshot(folder);
        var run = MsunProcess.Run("scale-cka", "--root", root, "--images", "16", "--batch-size", "8", "--probes", "7");
        MsunProcess.AssertOneLineError(run, "scale-cka", expected);
        var train = MsunProcess.Run("train", "--model", "resnet18-small", "--method", "vanilla", "--epochs", "1", "--train-subset", "32",
            "--test-subset", "32", "--batch-size", "16", "--root", root, "--out", outDir);
        MsunProcess.AssertOneLineError(train, "train", expected);
        FolderState.AssertUnchanged(before, folder);
    }

    [Fact]
    public void ASymlinkedCopyOfTheDatasetVerifies()
    {
        string root = Root("linked", null);
        var run = MsunProcess.Run("scale-cka", "--root", root, "--images", "16", "--batch-size", "8", "--probes", "7", "--json");
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("size and sha256 verified", run.Stdout);
    }

    [Fact]
    public void AMissingFileIsNamedWithHowToGetIt() =>
        AssertLoadFails(Root("missing", _ => { }), $"missing file '{Labels}'");

    [Fact]
    public void ATruncatedFileIsNamedWithBothSizes()
    {
        long size = new FileInfo(Path.Combine(Installed, Labels)).Length;
        AssertLoadFails(Root("truncated", path => File.WriteAllBytes(path, File.ReadAllBytes(Path.Combine(Installed, Labels))[..3000])),
            $"file '{Labels}' has 3000 bytes; the manifest expects {size} bytes (truncated or wrong file)");
    }

    [Fact]
    public void OneFlippedByteIsNamedWithBothDigests()
    {
        byte[] genuine = File.ReadAllBytes(Path.Combine(Installed, Labels));
        byte[] flipped = (byte[])genuine.Clone();
        flipped[100] ^= 0xFF;
        AssertLoadFails(Root("flipped", path => File.WriteAllBytes(path, flipped)),
            $"file '{Labels}' has sha256 {Convert.ToHexStringLower(SHA256.HashData(flipped))}; the manifest expects {Convert.ToHexStringLower(SHA256.HashData(genuine))}");
    }

    [Fact]
    public void AFolderInPlaceOfTheFileIsNamed() =>
        AssertLoadFails(Root("folder-instead", path => Directory.CreateDirectory(path)), $"'{Labels}' is a folder, not a file");

    [Fact]
    public void AnotherDatasetsRootNamesTheFilesItLacks()
    {
        var before = FolderState.Snapshot(folder);
        var run = MsunProcess.Run("scale-cka", "--dataset", "cifar-10", "--root", Installed, "--images", "16", "--batch-size", "8", "--probes", "7");
        MsunProcess.AssertOneLineError(run, "scale-cka", "missing file 'test_batch.bin'");
        FolderState.AssertUnchanged(before, folder);
    }

    [Fact]
    public void ARootThatDoesNotExistIsNamed()
    {
        string root = Path.Combine(folder, "nowhere");
        AssertLoadFails(root, $"folder '{root}' does not exist; install it with: sudo apt-get install dataset-fashion-mnist");
    }
}
