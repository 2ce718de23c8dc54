using System.Buffers.Binary;
using System.Collections;
using System.IO.Compression;
using Msun.Analysis.Core.Numpy;
using static Msun.Analysis.Core.Tests.Numpy.NpyTestUtil;

namespace Msun.Analysis.Core.Tests.Numpy;

public sealed class NpzTests
{
    private static Dictionary<string, NpyArray> SampleArrays() => new()
    {
        ["x"] = new NpyArray([4, 3], Sample(NpyElementType.Float64, 12)),
        ["y"] = new NpyArray([2, 2, 2], Sample(NpyElementType.Float32, 8)),
        ["labels"] = new NpyArray([5], Sample(NpyElementType.Int64, 5)),
        ["mask"] = new NpyArray([5], Sample(NpyElementType.Bool, 5)),
        ["scalar"] = new NpyArray([], new[] { 0.5 }),
        ["empty"] = new NpyArray([0, 3], new ushort[0]),
        ["layer.3/out"] = new NpyArray([1], new byte[] { 7 }),
    };

    /// <summary>Compression method of every entry, read from the zip central directory by hand.</summary>
    private static List<(string Name, int Method)> Methods(string path)
    {
        byte[] zip = File.ReadAllBytes(path);
        var result = new List<(string, int)>();
        for (int i = 0; i + 46 <= zip.Length; i++)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(i)) != 0x02014b50)
            {
                continue;
            }

            int method = BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(i + 10));
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(i + 28));
            result.Add((System.Text.Encoding.UTF8.GetString(zip, i + 46, nameLength), method));
        }

        return result;
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 8)]
    public void RoundTrip(bool compress, int expectedMethod)
    {
        using var dir = new TempDirectory();
        string path = dir.File("acts.npz");
        var arrays = SampleArrays();
        Npy.WriteNpz(path, arrays, compress);

        var back = Npy.ReadNpz(path);
        Assert.Equal(arrays.Keys.Order(), back.Keys.Order());
        foreach (var (key, array) in arrays)
        {
            AssertSame(array, back[key]);
        }

        var methods = Methods(path);
        Assert.Equal(arrays.Keys.Select(k => k + ".npy").Order(), methods.Select(m => m.Name).Order());
        Assert.All(methods, m => Assert.Equal(expectedMethod, m.Method));
        Assert.Equal(new[] { path }, Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void CompressionShrinksRedundantData()
    {
        using var dir = new TempDirectory();
        var arrays = new Dictionary<string, NpyArray> { ["zeros"] = new NpyArray([100, 100], new double[10000]) };
        Npy.WriteNpz(dir.File("s.npz"), arrays);
        Npy.WriteNpz(dir.File("c.npz"), arrays, compress: true);
        Assert.True(new FileInfo(dir.File("s.npz")).Length > 80000);
        Assert.True(new FileInfo(dir.File("c.npz")).Length < 2000);
        AssertSame(arrays["zeros"], Npy.ReadNpz(dir.File("c.npz"))["zeros"]);
    }

    [Fact]
    public void EmptyArchiveRoundTrips()
    {
        using var dir = new TempDirectory();
        Npy.WriteNpz(dir.File("e.npz"), new Dictionary<string, NpyArray>());
        Assert.Empty(Npy.ReadNpz(dir.File("e.npz")));
    }

    [Fact]
    public void ReadsHandBuiltArchiveWithStoredAndDeflatedMembers()
    {
        using var dir = new TempDirectory();
        string path = dir.File("hand.npz");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            AddEntry(zip, "a.npy", CompressionLevel.NoCompression, Build(1, Dict("<f8", "(3,)"), LittleEndianDoubles(1, 2, 3)));
            AddEntry(zip, "b.npy", CompressionLevel.SmallestSize, Build(1, Dict("<i4", "(2, 2)", fortran: true), LittleEndianInts(1, 3, 2, 4)));
            zip.CreateEntry("sub/");
            AddEntry(zip, "README.txt", CompressionLevel.Optimal, "not an array"u8.ToArray());
        }

        Assert.Equal([0, 8], Methods(path).Where(m => m.Name.EndsWith(".npy")).Select(m => m.Method));
        var arrays = Npy.ReadNpz(path);
        Assert.Equal(["a", "b"], arrays.Keys.Order());
        Assert.Equal([1, 2, 3], arrays["a"].GetData<double>());
        Assert.Equal([1, 2, 3, 4], arrays["b"].GetData<int>());
        Assert.Equal([2, 2], arrays["b"].Shape);
    }

    [Fact]
    public void BadMemberErrorNamesArchiveAndMember()
    {
        using var dir = new TempDirectory();
        string path = dir.File("bad.npz");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            AddEntry(zip, "good.npy", CompressionLevel.Optimal, Build(1, Dict("<f8", "(1,)"), LittleEndianDoubles(1)));
            AddEntry(zip, "bad.npy", CompressionLevel.Optimal, Build(1, Dict("<f8", "(5, 3)"), new byte[64]));
        }

        var e = Assert.Throws<NpyFormatException>(() => Npy.ReadNpz(path));
        Assert.Equal(path, e.Source);
        Assert.Equal("bad.npy", e.Member);
        Assert.Contains(path, e.Message);
        Assert.Contains("member 'bad.npy'", e.Message);
        Assert.Contains("truncated data", e.Message);
        Assert.Contains("needs 120 bytes, only 64 present", e.Message.Replace(" after the header", ""));
    }

    [Fact]
    public void UnsupportedDtypeInMemberNamesMember()
    {
        using var dir = new TempDirectory();
        string path = dir.File("obj.npz");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            AddEntry(zip, "names.npy", CompressionLevel.NoCompression, Build(1, Dict("|O", "(2,)"), new byte[16]));
        }

        var e = Assert.Throws<NpyFormatException>(() => Npy.ReadNpz(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("'names.npy'", e.Message);
        Assert.Contains("pickled object arrays are not supported", e.Message);
    }

    [Fact]
    public void CorruptDeflateDataIsReportedWithMember()
    {
        using var dir = new TempDirectory();
        string path = dir.File("corrupt.npz");
        Npy.WriteNpz(path, new Dictionary<string, NpyArray> { ["x"] = new NpyArray([64], Sample(NpyElementType.Float64, 64)) }, compress: true);
        byte[] bytes = File.ReadAllBytes(path);
        int dataStart = 30 + BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(26)) + BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(28));
        for (int i = dataStart; i < dataStart + 40; i++)
        {
            bytes[i] ^= 0x5A;
        }

        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<NpyFormatException>(() => Npy.ReadNpz(path));
        Assert.Contains(path, e.Message);
        Assert.Equal("x.npy", e.Member);
    }

    [Fact]
    public void NotAZipIsRejected()
    {
        using var dir = new TempDirectory();
        string path = dir.File("plain.npz");
        File.WriteAllBytes(path, Build(1, Dict("<f8", "(1,)"), LittleEndianDoubles(1)));
        var e = Assert.Throws<NpyFormatException>(() => Npy.ReadNpz(path));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains("not a valid .npz (zip) archive", e.Message);
    }

    [Fact]
    public void EmptyFileIsRejected()
    {
        using var dir = new TempDirectory();
        string path = dir.File("empty.npz");
        File.WriteAllBytes(path, []);
        var e = Assert.Throws<NpyFormatException>(() => Npy.ReadNpz(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("file is empty", e.Message);
    }

    [Fact]
    public void MissingFileThrowsFileNotFound()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<FileNotFoundException>(() => Npy.ReadNpz(dir.File("none.npz")));
        Assert.Contains(dir.File("none.npz"), e.Message);
    }

    [Fact]
    public void FailureMidWriteLeavesTheOldFileAndNoTemporaries()
    {
        using var dir = new TempDirectory();
        string path = dir.File("keep.npz");
        var old = new Dictionary<string, NpyArray> { ["old"] = new NpyArray([1], new[] { 1.0 }) };
        Npy.WriteNpz(path, old);
        byte[] before = File.ReadAllBytes(path);

        var failing = new FailingDictionary(new NpyArray([1000], new double[1000]));
        var e = Assert.Throws<InvalidOperationException>(() => Npy.WriteNpz(path, failing, compress: true));
        Assert.Equal("boom", e.Message);
        Assert.True(failing.YieldedOne, "the failure must happen after a member was written");

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(new[] { path }, Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void FailureMidWriteOfNewFileLeavesNothing()
    {
        using var dir = new TempDirectory();
        string path = dir.File("new.npz");
        Assert.Throws<InvalidOperationException>(() => Npy.WriteNpz(path, new FailingDictionary(new NpyArray([1], new[] { 1f }))));
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void EmptyKeyIsRejectedAndNothingIsWritten()
    {
        using var dir = new TempDirectory();
        string path = dir.File("k.npz");
        var arrays = new Dictionary<string, NpyArray> { [""] = new NpyArray([1], new[] { 1.0 }) };
        Assert.Throws<ArgumentException>(() => Npy.WriteNpz(path, arrays));
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    private static void AddEntry(ZipArchive zip, string name, CompressionLevel level, byte[] content)
    {
        using var stream = zip.CreateEntry(name, level).Open();
        stream.Write(content);
    }

    /// <summary>Yields one array, then throws: simulates a failure in the middle of writing an archive.</summary>
    private sealed class FailingDictionary(NpyArray first) : IReadOnlyDictionary<string, NpyArray>
    {
        public bool YieldedOne { get; private set; }

        public int Count => 2;

        public IEnumerable<string> Keys => throw new NotSupportedException();

        public IEnumerable<NpyArray> Values => throw new NotSupportedException();

        public NpyArray this[string key] => throw new NotSupportedException();

        public bool ContainsKey(string key) => throw new NotSupportedException();

        public bool TryGetValue(string key, out NpyArray value) => throw new NotSupportedException();

        public IEnumerator<KeyValuePair<string, NpyArray>> GetEnumerator()
        {
            yield return new("first", first);
            YieldedOne = true;
            throw new InvalidOperationException("boom");
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
