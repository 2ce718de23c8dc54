using System.Buffers.Binary;
using System.Text;
using Msun.Analysis.Core.Numpy;
using static Msun.Analysis.Core.Tests.Numpy.NpyTestUtil;

namespace Msun.Analysis.Core.Tests.Numpy;

/// <summary>Expectations from bytes written by hand in the test, not by <see cref="Npy.Write(Stream, NpyArray)"/>.</summary>
public sealed class NpyHandBuiltTests
{
    [Fact]
    public void Version1LittleEndianFloat64()
    {
        byte[] bytes = Build(1, Dict("<f8", "(2, 3)"), LittleEndianDoubles(1, 2, 3, 4, 5, 6.5));
        var array = ReadBytes(bytes);
        Assert.Equal([2, 3], array.Shape);
        Assert.Equal(NpyElementType.Float64, array.ElementType);
        Assert.Equal([1, 2, 3, 4, 5, 6.5], array.GetData<double>());
    }

    [Fact]
    public void Version2HasAFourByteHeaderLength()
    {
        byte[] bytes = Build(2, Dict("<i4", "(3,)"), LittleEndianInts(-7, 0, 123456));
        var array = ReadBytes(bytes);
        Assert.Equal([3], array.Shape);
        Assert.Equal([-7, 0, 123456], array.GetData<int>());
    }

    [Fact]
    public void Version3HeaderIsUtf8()
    {
        // An extra key with non-Latin-1 text: only a UTF-8 decoder gets through it.
        string header = "{'descr': '<f8', 'note': 'größe ✓ 形状', 'fortran_order': False, 'shape': (2,), }\n";
        byte[] bytes = Build(3, header, LittleEndianDoubles(-1.25, 8), encoding: Encoding.UTF8);
        var array = ReadBytes(bytes);
        Assert.Equal([2], array.Shape);
        Assert.Equal([-1.25, 8], array.GetData<double>());
    }

    [Fact]
    public void Version1HeaderIsLatin1()
    {
        string header = "{'descr': '<f8', 'note': 'caf\u00e9', 'fortran_order': False, 'shape': (1,), }\n";
        byte[] bytes = Build(1, header, LittleEndianDoubles(2.5));
        Assert.Contains((byte)0xE9, bytes); // one Latin-1 byte, invalid on its own as UTF-8
        Assert.Equal([2.5], ReadBytes(bytes).GetData<double>());
    }

    [Fact]
    public void BigEndianFloat64IsByteSwapped()
    {
        double[] values = [1.5, -2.25, Math.PI, 1e300];
        var data = new byte[32];
        for (int i = 0; i < 4; i++)
        {
            BinaryPrimitives.WriteDoubleBigEndian(data.AsSpan(i * 8), values[i]);
        }

        var array = ReadBytes(Build(1, Dict(">f8", "(2, 2)"), data));
        Assert.Equal(NpyElementType.Float64, array.ElementType);
        Assert.Equal(values, array.GetData<double>());
    }

    [Fact]
    public void BigEndianIntegersAndFloat32AreByteSwapped()
    {
        var i2 = new byte[4];
        BinaryPrimitives.WriteInt16BigEndian(i2, -2);
        BinaryPrimitives.WriteInt16BigEndian(i2.AsSpan(2), 0x1234);
        Assert.Equal(new short[] { -2, 0x1234 }, ReadBytes(Build(1, Dict(">i2", "(2,)"), i2)).GetData<short>());

        var u4 = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(u4, 0xDEADBEEF);
        Assert.Equal(new[] { 0xDEADBEEF }, ReadBytes(Build(1, Dict(">u4", "(1,)"), u4)).GetData<uint>());

        var i8 = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(i8, -1234567890123L);
        Assert.Equal(new[] { -1234567890123L }, ReadBytes(Build(1, Dict(">i8", "(1,)"), i8)).GetData<long>());

        var u8 = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(u8, 0x0102030405060708UL);
        Assert.Equal(new[] { 0x0102030405060708UL }, ReadBytes(Build(1, Dict(">u8", "(1,)"), u8)).GetData<ulong>());

        var f4 = new byte[8];
        BinaryPrimitives.WriteSingleBigEndian(f4, 0.1f);
        BinaryPrimitives.WriteSingleBigEndian(f4.AsSpan(4), -3e38f);
        Assert.Equal(new[] { 0.1f, -3e38f }, ReadBytes(Build(1, Dict(">f4", "(2,)"), f4)).GetData<float>());

        var u2 = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(u2, 0xFF01);
        Assert.Equal(new ushort[] { 0xFF01 }, ReadBytes(Build(1, Dict(">u2", "()"), u2)).GetData<ushort>());
    }

    [Fact]
    public void NativeAndPipeByteOrders()
    {
        Assert.True(BitConverter.IsLittleEndian, "'=' means little-endian on this machine");
        Assert.Equal([7], ReadBytes(Build(1, Dict("=i4", "(1,)"), LittleEndianInts(7))).GetData<int>());
        Assert.Equal([7], ReadBytes(Build(1, Dict("i4", "(1,)"), LittleEndianInts(7))).GetData<int>());
        Assert.Equal(new sbyte[] { -1, 5 }, ReadBytes(Build(1, Dict("|i1", "(2,)"), [0xFF, 5])).GetData<sbyte>());
        Assert.Equal(new byte[] { 0xFF, 5 }, ReadBytes(Build(1, Dict("|u1", "(2,)"), [0xFF, 5])).GetData<byte>());
        Assert.Equal(new byte[] { 9 }, ReadBytes(Build(1, Dict("<u1", "(1,)"), [9])).GetData<byte>());
    }

    [Fact]
    public void BoolBytesNonZeroAreTrue()
    {
        var array = ReadBytes(Build(1, Dict("|b1", "(4,)"), [0, 1, 0, 2]));
        Assert.Equal(NpyElementType.Bool, array.ElementType);
        Assert.Equal([false, true, false, true], array.GetData<bool>());
    }

    [Fact]
    public void FortranOrder2x3IsTransposedToCOrder()
    {
        // C view [[1, 2, 3], [4, 5, 6]]; Fortran memory walks the first axis fastest.
        byte[] bytes = Build(1, Dict("<i4", "(2, 3)", fortran: true), LittleEndianInts(1, 4, 2, 5, 3, 6));
        var array = ReadBytes(bytes);
        Assert.Equal([2, 3], array.Shape);
        Assert.Equal([1, 2, 3, 4, 5, 6], array.GetData<int>());
    }

    [Fact]
    public void FortranOrder2x3x4IsTransposedToCOrder()
    {
        var fortranMemory = new List<double>();
        for (int k = 0; k < 4; k++)
        {
            for (int j = 0; j < 3; j++)
            {
                for (int i = 0; i < 2; i++)
                {
                    fortranMemory.Add(100 * i + 10 * j + k);
                }
            }
        }

        var expected = new List<double>();
        for (int i = 0; i < 2; i++)
        {
            for (int j = 0; j < 3; j++)
            {
                for (int k = 0; k < 4; k++)
                {
                    expected.Add(100 * i + 10 * j + k);
                }
            }
        }

        var array = ReadBytes(Build(1, Dict("<f8", "(2, 3, 4)", fortran: true), LittleEndianDoubles([.. fortranMemory])));
        Assert.Equal([2, 3, 4], array.Shape);
        Assert.Equal(expected, array.GetData<double>());
    }

    [Fact]
    public void FortranOrderBigEndian()
    {
        var data = new byte[6 * 8];
        double[] fortranMemory = [1, 4, 2, 5, 3, 6];
        for (int i = 0; i < 6; i++)
        {
            BinaryPrimitives.WriteDoubleBigEndian(data.AsSpan(i * 8), fortranMemory[i]);
        }

        var array = ReadBytes(Build(1, Dict(">f8", "(2, 3)", fortran: true), data));
        Assert.Equal([1, 2, 3, 4, 5, 6], array.GetData<double>());
    }

    [Fact]
    public void FortranOrderOneDimensionalAndEmpty()
    {
        Assert.Equal([1, 2, 3], ReadBytes(Build(1, Dict("<i4", "(3,)", fortran: true), LittleEndianInts(1, 2, 3))).GetData<int>());
        var empty = ReadBytes(Build(1, Dict("<i4", "(2, 0, 3)", fortran: true), []));
        Assert.Equal([2, 0, 3], empty.Shape);
        Assert.Equal(0, empty.Length);
    }

    [Fact]
    public void ZeroDimensionalArrayHasOneElement()
    {
        var array = ReadBytes(Build(1, Dict("<f8", "()"), LittleEndianDoubles(3.75)));
        Assert.Empty(array.Shape);
        Assert.Equal(1, array.Length);
        Assert.Equal([3.75], array.ToDoubleArray());
    }

    [Theory]
    [InlineData("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }")]
    [InlineData("{'shape': (2,), 'descr': '<i4', 'fortran_order': False}")]
    [InlineData("{\"descr\": \"<i4\", \"fortran_order\": False, \"shape\": (2,)}")]
    [InlineData("{'fortran_order':False,'shape':(2,),'descr':'<i4',}")]
    [InlineData("  {\n 'descr' : '<i4' ,\n 'fortran_order' : False ,\n 'shape' : ( 2 , ) ,\n }  ")]
    [InlineData("{'descr': '<i4', 'fortran_order': False, 'shape': (2L,), }")]
    [InlineData("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), 'extra': {'a': [1, 2.5, None, True]}}")]
    public void HeaderDictVariants(string dict)
    {
        var array = ReadBytes(Build(1, dict + "\n", LittleEndianInts(10, 20)));
        Assert.Equal([2], array.Shape);
        Assert.Equal([10, 20], array.GetData<int>());
    }

    [Fact]
    public void ParenthesisedShapesAreTuples()
    {
        Assert.Equal([2, 1], ReadBytes(Build(1, Dict("<i4", "(2, 1,)"), LittleEndianInts(1, 2))).Shape);
        Assert.Equal([1, 1, 1], ReadBytes(Build(1, Dict("<i4", "(1,1,1)"), LittleEndianInts(1))).Shape);
    }
}
