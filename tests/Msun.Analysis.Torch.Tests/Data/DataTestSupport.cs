using System.Buffers.Binary;
using System.IO.Compression;

namespace Msun.Analysis.Torch.Tests.Data;

/// <summary>A temporary folder removed at the end of a test.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "msun-data-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Writers of small synthetic files in the formats under test.</summary>
public static class SyntheticFiles
{
    /// <summary>IDX bytes: header with the given type and dims, then the payload as given (may disagree on purpose).</summary>
    public static byte[] Idx(byte dtype, int[] dims, byte[] payload, byte zero0 = 0, byte zero1 = 0)
    {
        var bytes = new byte[4 + 4 * dims.Length + payload.Length];
        bytes[0] = zero0;
        bytes[1] = zero1;
        bytes[2] = dtype;
        bytes[3] = (byte)dims.Length;
        for (var i = 0; i < dims.Length; i++)
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        payload.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    public static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Optimal, leaveOpen: true))
            gz.Write(data);
        return ms.ToArray();
    }

    /// <summary>Images whose pixel (n, r, c) is (n*7 + r*3 + c) mod 256.</summary>
    public static byte[] ImagePayload(int n, int rows, int cols)
    {
        var p = new byte[n * rows * cols];
        for (var i = 0; i < n; i++)
            for (var r = 0; r < rows; r++)
                for (var c = 0; c < cols; c++)
                    p[(i * rows + r) * cols + c] = (byte)((i * 7 + r * 3 + c) % 256);
        return p;
    }

    /// <summary>CIFAR records: label bytes, then pixel k of record i = (i + k) mod 256.</summary>
    public static byte[] Cifar(int records, bool cifar100, Func<int, (byte Coarse, byte Fine)> labels)
    {
        var size = cifar100 ? 3074 : 3073;
        var bytes = new byte[records * size];
        for (var i = 0; i < records; i++)
        {
            var o = i * size;
            var (coarse, fine) = labels(i);
            if (cifar100)
            {
                bytes[o++] = coarse;
                bytes[o++] = fine;
            }
            else
            {
                bytes[o++] = fine;
            }

            for (var k = 0; k < 3072; k++)
                bytes[o + k] = (byte)((i + k) % 256);
        }

        return bytes;
    }
}
