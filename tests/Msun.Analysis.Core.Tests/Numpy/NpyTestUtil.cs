using System.Buffers.Binary;
using System.Text;
using Msun.Analysis.Core.Numpy;

namespace Msun.Analysis.Core.Tests.Numpy;

/// <summary>Hand-built .npy bytes and small helpers, independent of the code under test.</summary>
internal static class NpyTestUtil
{
    public static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Magic + version + length field (2 bytes for 1.x, else 4) + header text + data; no padding.</summary>
    public static byte[] Build(byte major, string header, byte[] data, byte minor = 0, Encoding? encoding = null)
    {
        byte[] text = (encoding ?? Encoding.Latin1).GetBytes(header);
        var ms = new MemoryStream();
        ms.Write(Magic);
        ms.WriteByte(major);
        ms.WriteByte(minor);
        if (major == 1)
        {
            var len = new byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)text.Length);
            ms.Write(len);
        }
        else
        {
            var len = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(len, (uint)text.Length);
            ms.Write(len);
        }

        ms.Write(text);
        ms.Write(data);
        return ms.ToArray();
    }

    public static string Dict(string descr, string shape, bool fortran = false) =>
        $"{{'descr': '{descr}', 'fortran_order': {(fortran ? "True" : "False")}, 'shape': {shape}, }}\n";

    public static byte[] LittleEndianDoubles(params double[] values)
    {
        var bytes = new byte[values.Length * 8];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(i * 8), values[i]);
        }

        return bytes;
    }

    public static byte[] LittleEndianInts(params int[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(i * 4), values[i]);
        }

        return bytes;
    }

    public static NpyArray ReadBytes(byte[] bytes, string name = "test.npy") => Npy.Read(new MemoryStream(bytes), name);

    public static byte[] WriteBytes(NpyArray array)
    {
        var ms = new MemoryStream();
        Npy.Write(ms, array);
        return ms.ToArray();
    }

    /// <summary>Asserts shape, type and elements are equal (NaN equals NaN via Equals).</summary>
    public static void AssertSame(NpyArray expected, NpyArray actual)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        Assert.Equal(expected.ElementType, actual.ElementType);
        Assert.Equal(expected.Data.GetType(), actual.Data.GetType());
        Assert.Equal(expected.Data.Cast<object>(), actual.Data.Cast<object>());
    }

    /// <summary>Deterministic sample data for a type, including the type's extremes.</summary>
    public static Array Sample(NpyElementType type, int count, int seed = 1)
    {
        var rng = new Random(seed * 7919 + count);
        Array a = Array.CreateInstance(NpyArray.ClrTypeOf(type), count);
        for (int i = 0; i < count; i++)
        {
            long r = rng.NextInt64();
            object v = type switch
            {
                NpyElementType.Bool => (r & 1) == 1,
                NpyElementType.Int8 => i == 0 ? sbyte.MinValue : i == 1 ? sbyte.MaxValue : (sbyte)r,
                NpyElementType.UInt8 => i == 0 ? byte.MaxValue : (byte)r,
                NpyElementType.Int16 => i == 0 ? short.MinValue : i == 1 ? short.MaxValue : (short)r,
                NpyElementType.UInt16 => i == 0 ? ushort.MaxValue : (ushort)r,
                NpyElementType.Int32 => i == 0 ? int.MinValue : i == 1 ? int.MaxValue : (int)r,
                NpyElementType.UInt32 => i == 0 ? uint.MaxValue : (uint)r,
                NpyElementType.Int64 => i == 0 ? long.MinValue : i == 1 ? long.MaxValue : r - (long.MaxValue / 2),
                NpyElementType.UInt64 => i == 0 ? ulong.MaxValue : (ulong)r * 3,
                NpyElementType.Float32 => i == 0 ? float.MaxValue : i == 1 ? float.Epsilon : (float)(rng.NextDouble() * 2e4 - 1e4),
                NpyElementType.Float64 => i == 0 ? double.MinValue : i == 1 ? double.Epsilon : rng.NextDouble() * 2e6 - 1e6,
                _ => throw new ArgumentOutOfRangeException(nameof(type)),
            };
            a.SetValue(v, i);
        }

        return a;
    }
}

/// <summary>A unique temporary folder, deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "msun-npy-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Wraps a stream, counting reads and optionally hiding seeking.</summary>
internal sealed class ProbeStream(Stream inner, bool seekable) : Stream
{
    public int ReadCalls { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => seekable;

    public override bool CanWrite => false;

    public override long Length => seekable ? inner.Length : throw new NotSupportedException();

    public override long Position
    {
        get => seekable ? inner.Position : throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        ReadCalls++;
        return inner.Read(buffer);
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
