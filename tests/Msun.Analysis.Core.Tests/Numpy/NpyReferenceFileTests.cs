using System.Buffers.Binary;
using Msun.Analysis.Core.Numpy;

namespace Msun.Analysis.Core.Tests.Numpy;

/// <summary>Files written by NumPy itself (../shared/cka-reference).</summary>
public sealed class NpyReferenceFileTests
{
    private static string Reference(string name) => Path.Combine(TestPaths.CkaReferenceDirectory, name);

    public static TheoryData<string> AllReferenceFiles =>
        [.. Directory.GetFiles(TestPaths.CkaReferenceDirectory, "*.npy").Select(f => Path.GetFileName(f)).Order()];

    [Fact]
    public void TestPathsFindTheRepository()
    {
        Assert.True(File.Exists(Path.Combine(TestPaths.RepoRoot, "Msun.Analysis.sln")));
        Assert.True(Directory.Exists(TestPaths.SharedDirectory));
        Assert.Equal(Path.Combine(TestPaths.SharedDirectory, "cka-reference"), TestPaths.CkaReferenceDirectory);
    }

    [Theory]
    [InlineData("tiny_n5_x.npy", NpyElementType.Float64, new[] { 5, 3 })]
    [InlineData("conv_4d_vs_pooled_x.npy", NpyElementType.Float64, new[] { 40, 4, 5, 5 })]
    [InlineData("float32_offset_1e4_x.npy", NpyElementType.Float32, new[] { 80, 16 })]
    public void ShapeAndType(string name, NpyElementType type, int[] shape)
    {
        var array = Npy.Read(Reference(name));
        Assert.Equal(type, array.ElementType);
        Assert.Equal(shape, array.Shape);
        Assert.Equal(shape.Aggregate(1L, (a, b) => a * b), array.Length);
    }

    [Fact]
    public void TinyValues()
    {
        // Decoded independently from the file bytes (offset 128, little-endian float64).
        var data = Npy.Read(Reference("tiny_n5_x.npy")).GetData<double>();
        Assert.Equal([0.556072804674505, 0.539107648575966, -0.7856299062040867], data[..3]);
        Assert.Equal([-1.5071214269474498, 0.9793892387971961, 0.9680652034475291], data[3..6]);
    }

    [Fact]
    public void Float32OffsetValues()
    {
        var array = Npy.Read(Reference("float32_offset_1e4_x.npy"));
        Assert.Equal([10001.279296875f, 9999.072265625f, 9999.8505859375f, 10000.8232421875f], array.GetData<float>()[..4]);
        Assert.All(array.ToDoubleArray(), v => Assert.InRange(v, 9000, 11000));
    }

    [Fact]
    public void Conv4dFirstValues()
    {
        var data = Npy.Read(Reference("conv_4d_vs_pooled_x.npy")).GetData<double>();
        Assert.Equal([-0.7720407742509419, -0.7990152238861736, -0.10626258797945462], data[..3]);
    }

    [Theory]
    [MemberData(nameof(AllReferenceFiles))]
    public void RewriteGivesIdenticalBytes(string name)
    {
        byte[] original = File.ReadAllBytes(Reference(name));
        var array = Npy.Read(Reference(name));

        using var dir = new TempDirectory();
        string copy = dir.File(name);
        Npy.Write(copy, array);
        byte[] rewritten = File.ReadAllBytes(copy);

        int originalDataStart = 10 + BinaryPrimitives.ReadUInt16LittleEndian(original.AsSpan(8));
        int rewrittenDataStart = 10 + BinaryPrimitives.ReadUInt16LittleEndian(rewritten.AsSpan(8));
        Assert.Equal(original[originalDataStart..], rewritten[rewrittenDataStart..]);

        // The header layout follows NumPy's writer too, so the whole file matches.
        Assert.Equal(original, rewritten);

        var again = Npy.Read(copy);
        NpyTestUtil.AssertSame(array, again);
    }

    [Fact]
    public void ReferenceFilesRoundTripThroughNpz()
    {
        using var dir = new TempDirectory();
        var arrays = new Dictionary<string, NpyArray>
        {
            ["x"] = Npy.Read(Reference("tiny_n5_x.npy")),
            ["y"] = Npy.Read(Reference("tiny_n5_y.npy")),
        };
        Npy.WriteNpz(dir.File("tiny.npz"), arrays, compress: true);
        var back = Npy.ReadNpz(dir.File("tiny.npz"));
        NpyTestUtil.AssertSame(arrays["x"], back["x"]);
        NpyTestUtil.AssertSame(arrays["y"], back["y"]);
    }
}
