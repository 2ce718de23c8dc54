using System.Buffers.Binary;
using System.Text;
using Msun.Analysis.Core.Numpy;
using static Msun.Analysis.Core.Tests.Numpy.NpyTestUtil;

namespace Msun.Analysis.Core.Tests.Numpy;

public sealed class NpyRoundTripTests
{
    private static readonly string[] Shapes = ["", "1", "7", "2,3,4", "3,0,2", "0", "1,1,1,1,5"];

    public static TheoryData<NpyElementType, string> TypesAndShapes()
    {
        var data = new TheoryData<NpyElementType, string>();
        foreach (var type in Enum.GetValues<NpyElementType>())
        {
            foreach (string shape in Shapes)
            {
                data.Add(type, shape);
            }
        }

        return data;
    }

    private static NpyArray Make(NpyElementType type, string shapeText)
    {
        int[] shape = shapeText.Length == 0 ? [] : shapeText.Split(',').Select(int.Parse).ToArray();
        int count = shape.Aggregate(1, (a, b) => a * b);
        return new NpyArray(shape, Sample(type, count));
    }

    [Theory]
    [MemberData(nameof(TypesAndShapes))]
    public void StreamRoundTrip(NpyElementType type, string shape)
    {
        var original = Make(type, shape);
        byte[] bytes = WriteBytes(original);
        var back = ReadBytes(bytes);
        AssertSame(original, back);
    }

    [Theory]
    [MemberData(nameof(TypesAndShapes))]
    public void FileRoundTrip(NpyElementType type, string shape)
    {
        using var dir = new TempDirectory();
        string path = dir.File("a.npy");
        var original = Make(type, shape);
        Npy.Write(path, original);
        AssertSame(original, Npy.Read(path));
        Assert.Equal(new[] { path }, Directory.GetFiles(dir.Path));
    }

    [Theory]
    [InlineData(NpyElementType.Bool, "|b1", 1)]
    [InlineData(NpyElementType.Int8, "|i1", 1)]
    [InlineData(NpyElementType.UInt8, "|u1", 1)]
    [InlineData(NpyElementType.Int16, "<i2", 2)]
    [InlineData(NpyElementType.UInt16, "<u2", 2)]
    [InlineData(NpyElementType.Int32, "<i4", 4)]
    [InlineData(NpyElementType.UInt32, "<u4", 4)]
    [InlineData(NpyElementType.Int64, "<i8", 8)]
    [InlineData(NpyElementType.UInt64, "<u8", 8)]
    [InlineData(NpyElementType.Float32, "<f4", 4)]
    [InlineData(NpyElementType.Float64, "<f8", 8)]
    public void WrittenHeaderMatchesNumPyLayout(NpyElementType type, string descr, int itemSize)
    {
        Assert.True(BitConverter.IsLittleEndian, "these expectations assume a little-endian machine");
        var array = new NpyArray([2, 3], Sample(type, 6));
        byte[] bytes = WriteBytes(array);

        Assert.Equal(Magic, bytes[..6]);
        Assert.Equal(1, bytes[6]);
        Assert.Equal(0, bytes[7]);
        int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
        int dataStart = 10 + headerLength;
        Assert.Equal(0, dataStart % 64);
        Assert.Equal((byte)'\n', bytes[dataStart - 1]);
        Assert.Equal(dataStart + 6 * itemSize, bytes.Length);

        string header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        Assert.StartsWith($"{{'descr': '{descr}', 'fortran_order': False, 'shape': (2, 3), }}", header);
        Assert.Matches(@"^[^\n]*} +\n$", header);
    }

    [Theory]
    [InlineData(new int[0], "()")]
    [InlineData(new[] { 5 }, "(5,)")]
    [InlineData(new[] { 5, 3 }, "(5, 3)")]
    [InlineData(new[] { 40, 4, 5, 5 }, "(40, 4, 5, 5)")]
    public void ShapeIsWrittenAsAPythonTuple(int[] shape, string expected)
    {
        int count = shape.Aggregate(1, (a, b) => a * b);
        byte[] bytes = WriteBytes(new NpyArray(shape, new double[count]));
        string header = Encoding.ASCII.GetString(bytes, 10, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)));
        Assert.Contains($"'shape': {expected}, }}", header);
    }

    [Fact]
    public void AlreadyAlignedHeaderGetsAFull64BytesOfPaddingLikeNumPy()
    {
        // Dict text for this shape is 117 bytes: 10 + 117 + '\n' = 128 is aligned, and NumPy still pads 64.
        int[] shape = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 10, 10];
        byte[] bytes = WriteBytes(new NpyArray(shape, new double[100]));
        int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
        string header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        Assert.Equal(117, header.IndexOf('}') + 1 + 20); // + 20 growth spaces for axis 0
        Assert.Equal(182, headerLength);
        Assert.EndsWith(new string(' ', 64 + 20) + "\n", header);
    }

    [Fact]
    public void HugeHeaderFallsBackToVersion2()
    {
        // 22000 dimensions of 1 need a header over 65535 bytes.
        var shape = Enumerable.Repeat(1, 22000).ToArray();
        var array = new NpyArray(shape, new double[] { 42.5 });
        byte[] bytes = WriteBytes(array);

        Assert.Equal(2, bytes[6]);
        Assert.Equal(0, bytes[7]);
        long headerLength = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        Assert.True(headerLength > ushort.MaxValue);
        Assert.Equal(0, (12 + headerLength) % 64);
        Assert.Equal(12 + headerLength + 8, bytes.Length);

        var back = ReadBytes(bytes);
        Assert.Equal(shape, back.Shape);
        Assert.Equal([42.5], back.GetData<double>());
    }

    [Fact]
    public void SpecialFloatValuesKeepTheirBits()
    {
        var doubles = new[] { double.NaN, -0.0, double.PositiveInfinity, double.NegativeInfinity, double.Epsilon, BitConverter.Int64BitsToDouble(0x7FF8_0000_0000_1234) };
        var floats = new[] { float.NaN, -0.0f, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon, BitConverter.Int32BitsToSingle(0x7FC0_1234) };
        var d = ReadBytes(WriteBytes(new NpyArray([6], doubles))).GetData<double>();
        var f = ReadBytes(WriteBytes(new NpyArray([6], floats))).GetData<float>();
        Assert.Equal(doubles.Select(BitConverter.DoubleToInt64Bits), d.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(floats.Select(BitConverter.SingleToInt32Bits), f.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void ReadsSeveralArraysFromOneStream()
    {
        var a = new NpyArray([2], new[] { 1.0, 2.0 });
        var b = new NpyArray([3], new short[] { 1, -2, 3 });
        var ms = new MemoryStream();
        Npy.Write(ms, a);
        Npy.Write(ms, b);
        ms.Position = 0;
        AssertSame(a, Npy.Read(ms, "pair"));
        AssertSame(b, Npy.Read(ms, "pair"));
        Assert.Equal(ms.Length, ms.Position);
    }

    [Fact]
    public void LargeArrayIsReadInBulk()
    {
        // 1000 x 2048 float32 = 8 MB: a per-element reader would make millions of Read calls.
        var data = (float[])Sample(NpyElementType.Float32, 1000 * 2048);
        byte[] bytes = WriteBytes(new NpyArray([1000, 2048], data));
        foreach (bool seekable in new[] { true, false })
        {
            var probe = new ProbeStream(new MemoryStream(bytes), seekable);
            var back = Npy.Read(probe, "big.npy");
            Assert.Equal(data, back.GetData<float>());
            Assert.InRange(probe.ReadCalls, 1, 10);
        }
    }

    [Fact]
    public void WriteReplacesAnExistingFileAndLeavesNoTemporaryFiles()
    {
        using var dir = new TempDirectory();
        string path = dir.File("x.npy");
        File.WriteAllText(path, "old content");
        var array = new NpyArray([2, 2], new[] { 1f, 2f, 3f, 4f });
        Npy.Write(path, array);
        AssertSame(array, Npy.Read(path));
        Assert.Equal(new[] { path }, Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void WriteToMissingFolderFailsWithoutCreatingAnything()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "missing", "x.npy");
        Assert.ThrowsAny<IOException>(() => Npy.Write(path, new NpyArray([1], new[] { 1.0 })));
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }
}
