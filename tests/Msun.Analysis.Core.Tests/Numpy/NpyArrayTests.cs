using Msun.Analysis.Core.Numpy;

namespace Msun.Analysis.Core.Tests.Numpy;

public sealed class NpyArrayTests
{
    public static TheoryData<Array, NpyElementType> TypedArrays => new()
    {
        { new bool[] { true }, NpyElementType.Bool },
        { new sbyte[] { -1 }, NpyElementType.Int8 },
        { new byte[] { 1 }, NpyElementType.UInt8 },
        { new short[] { -1 }, NpyElementType.Int16 },
        { new ushort[] { 1 }, NpyElementType.UInt16 },
        { new int[] { -1 }, NpyElementType.Int32 },
        { new uint[] { 1 }, NpyElementType.UInt32 },
        { new long[] { -1 }, NpyElementType.Int64 },
        { new ulong[] { 1 }, NpyElementType.UInt64 },
        { new float[] { 1 }, NpyElementType.Float32 },
        { new double[] { 1 }, NpyElementType.Float64 },
    };

    [Theory]
    [MemberData(nameof(TypedArrays))]
    public void ElementTypeFollowsTheExactClrType(Array data, NpyElementType expected)
    {
        // sbyte[]/byte[], int[]/uint[] etc. are interchangeable to the CLR's "is" test; the type must not be.
        var array = new NpyArray([1], data);
        Assert.Equal(expected, array.ElementType);
        Assert.Same(data, array.Data);
        Assert.Equal(NpyArray.ClrTypeOf(expected), data.GetType().GetElementType());
    }

    [Fact]
    public void TypedConstructorsKeepTheirData()
    {
        var f = new float[] { 1, 2, 3, 4, 5, 6 };
        var d = new double[] { 1, 2 };
        Assert.Equal(NpyElementType.Float32, new NpyArray([2, 3], f).ElementType);
        Assert.Same(f, new NpyArray([2, 3], f).GetData<float>());
        Assert.Equal(NpyElementType.Float64, new NpyArray([2], d).ElementType);
    }

    [Fact]
    public void LengthMismatchIsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new NpyArray([2, 3], new double[5]));
        Assert.Contains("(2, 3)", e.Message);
        Assert.Contains("6", e.Message);
        Assert.Contains("5", e.Message);
    }

    [Fact]
    public void NegativeDimensionIsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new NpyArray([-1, 0], new double[0]));
        Assert.Contains("negative", e.Message);
    }

    [Fact]
    public void OverflowingShapeIsRejected()
    {
        Assert.Throws<ArgumentException>(() => new NpyArray([65536, 65536], new double[0]));
    }

    [Fact]
    public void UnsupportedDataTypesAreRejected()
    {
        Assert.Throws<ArgumentException>(() => new NpyArray([1], new string[1]));
        Assert.Throws<ArgumentException>(() => new NpyArray([1], new decimal[1]));
        Assert.Throws<ArgumentException>(() => new NpyArray([1, 1], new double[1, 1]));
        Assert.Throws<ArgumentException>(() => new NpyArray([1], new char[1]));
    }

    [Fact]
    public void ScalarAndEmptyShapes()
    {
        var scalar = new NpyArray([], new double[] { 4.5 });
        Assert.Empty(scalar.Shape);
        Assert.Equal(1, scalar.Length);
        Assert.Equal(0, scalar.Rank);

        var empty = new NpyArray([3, 0, 2], new int[0]);
        Assert.Equal(0, empty.Length);
        Assert.Equal([3, 0, 2], empty.Shape);
        Assert.Throws<ArgumentException>(() => new NpyArray([], new double[0]));
    }

    [Fact]
    public void ShapeIsCopied()
    {
        var shape = new List<int> { 2, 2 };
        var array = new NpyArray(shape, new double[4]);
        shape[0] = 4;
        Assert.Equal([2, 2], array.Shape);
        Assert.False(array.Shape is int[], "Shape must not expose a mutable array");
    }

    [Fact]
    public void GetDataChecksTheType()
    {
        var array = new NpyArray([2], new sbyte[] { 1, 2 });
        Assert.Equal(new sbyte[] { 1, 2 }, array.GetData<sbyte>());
        Assert.Throws<InvalidOperationException>(() => array.GetData<byte>());
    }

    [Fact]
    public void ToDoubleArrayConvertsEveryType()
    {
        Assert.Equal([1, 0], new NpyArray([2], new[] { true, false }).ToDoubleArray());
        Assert.Equal([-128, 127], new NpyArray([2], new sbyte[] { -128, 127 }).ToDoubleArray());
        Assert.Equal([255], new NpyArray([1], new byte[] { 255 }).ToDoubleArray());
        Assert.Equal([-32768], new NpyArray([1], new short[] { short.MinValue }).ToDoubleArray());
        Assert.Equal([65535], new NpyArray([1], new ushort[] { ushort.MaxValue }).ToDoubleArray());
        Assert.Equal([int.MinValue], new NpyArray([1], new[] { int.MinValue }).ToDoubleArray());
        Assert.Equal([uint.MaxValue], new NpyArray([1], new[] { uint.MaxValue }).ToDoubleArray());
        Assert.Equal([-(1L << 53)], new NpyArray([1], new[] { -(1L << 53) }).ToDoubleArray());
        Assert.Equal([1UL << 53], new NpyArray([1], new[] { 1UL << 53 }).ToDoubleArray());
        Assert.Equal([0.1f], new NpyArray([1], new[] { 0.1f }).ToDoubleArray());
        var d = new[] { 0.1, double.NaN };
        var copy = new NpyArray([2], d).ToDoubleArray();
        Assert.Equal(d, copy);
        Assert.NotSame(d, copy);
    }

    [Fact]
    public void ToDoubleArrayRoundsLargeInt64AsDocumented()
    {
        // 2^53 + 1 has no double; it rounds to 2^53 (ties to even).
        var array = new NpyArray([2], new[] { (1L << 53) + 1, long.MaxValue });
        Assert.Equal([9007199254740992.0, 9223372036854775808.0], array.ToDoubleArray());
    }
}
