using System.Buffers.Binary;
using System.IO.Compression;

namespace Msun.Analysis.Torch.Data;

/// <summary>An unsigned-byte IDX array: its dimensions (outermost first) and its payload in row-major order.</summary>
public sealed class IdxArray
{
    internal IdxArray(int[] dimensions, byte[] data)
    {
        Dimensions = dimensions;
        Buffer = data;
    }

    /// <summary>Dimension sizes as stored in the header, outermost (example count) first.</summary>
    public IReadOnlyList<int> Dimensions { get; }

    /// <summary>The payload; its length equals the product of <see cref="Dimensions"/>.</summary>
    public ReadOnlyMemory<byte> Data => Buffer;

    /// <summary>The payload array itself, for readers in this assembly that take it over without a copy.</summary>
    internal byte[] Buffer { get; }
}

/// <summary>
/// Reader for the IDX format of LeCun's MNIST page (also used by Fashion-MNIST), raw or gzip-compressed.
/// Unlike readers that trust the file, it checks the magic number, the data type, the rank and that the
/// payload holds exactly the bytes the header announces.
/// </summary>
/// <remarks>
/// Header: two zero bytes, a data-type byte (0x08 = unsigned byte, the only type supported here), a rank
/// byte, then one big-endian int32 per dimension. Hence the magic numbers 0x00000801 (labels, rank 1)
/// and 0x00000803 (images, rank 3). Gzip is detected from its own magic bytes (0x1F 0x8B), not the name.
/// </remarks>
public static class IdxReader
{
    /// <summary>IDX type code of unsigned bytes, the type of every MNIST-family file.</summary>
    public const byte UnsignedByteType = 0x08;

    /// <summary>Largest payload read into one array (arrays are indexed by int).</summary>
    private const long MaxPayload = int.MaxValue - 64;

    /// <summary>Reads an images file: magic 0x00000803, dimensions N×rows×cols.</summary>
    public static IdxArray ReadImages(string path) => Read(path, expectedRank: 3);

    /// <summary>Reads a labels file: magic 0x00000801, dimension N.</summary>
    public static IdxArray ReadLabels(string path) => Read(path, expectedRank: 1);

    /// <summary>Reads an IDX file of unsigned bytes with the given rank, opening it read-only.</summary>
    public static IdxArray Read(string path, int expectedRank)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        return Read(file, expectedRank, path);
    }

    /// <summary>
    /// Reads an IDX array from a stream (raw or gzip); <paramref name="sourceName"/> names the source in
    /// every error message.
    /// </summary>
    public static IdxArray Read(Stream stream, int expectedRank, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(expectedRank, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(expectedRank, 255);

        var first = new byte[2];
        var got = stream.ReadAtLeast(first, 2, throwOnEndOfStream: false);
        if (got < 2)
            throw new InvalidDataException($"{sourceName}: file has {got} byte(s); an IDX header needs at least 4.");

        // Put the two sniffed bytes back: seek where possible, else replay them.
        Stream body = stream;
        if (stream.CanSeek)
            stream.Seek(-got, SeekOrigin.Current);
        else
            body = new ConcatPrefixStream(first, stream);
        var isGzip = first[0] == 0x1F && first[1] == 0x8B;
        if (isGzip)
            body = new GZipStream(body, CompressionMode.Decompress, leaveOpen: true);

        try
        {
            return ReadBody(body, expectedRank, sourceName, isGzip);
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(sourceName, StringComparison.Ordinal))
        {
            // GZipStream reports corrupt deflate data without naming the file.
            throw new InvalidDataException($"{sourceName}: corrupt gzip data ({e.Message}).", e);
        }
        finally
        {
            if (isGzip)
                body.Dispose();
        }
    }

    private static IdxArray ReadBody(Stream body, int expectedRank, string sourceName, bool isGzip)
    {
        var what = isGzip ? "decompressed data" : "file";
        var header = new byte[4];
        var got = body.ReadAtLeast(header, 4, throwOnEndOfStream: false);
        if (got < 4)
            throw new InvalidDataException($"{sourceName}: {what} has {got} byte(s); an IDX header needs at least 4.");

        var magic = BinaryPrimitives.ReadUInt32BigEndian(header);
        var expectedMagic = (uint)((UnsignedByteType << 8) | expectedRank);
        if (header[0] != 0 || header[1] != 0)
            throw new InvalidDataException(
                $"{sourceName}: not an IDX file: magic number 0x{magic:X8}, expected 0x{expectedMagic:X8}.");
        if (header[2] != UnsignedByteType)
            throw new InvalidDataException(
                $"{sourceName}: IDX data type 0x{header[2]:X2} ({TypeName(header[2])}) is not supported; "
                + $"expected 0x{UnsignedByteType:X2} (unsigned byte), magic 0x{expectedMagic:X8}.");
        if (header[3] != expectedRank)
            throw new InvalidDataException(
                $"{sourceName}: IDX file has {header[3]} dimension(s) (magic 0x{magic:X8}); expected {expectedRank} (magic 0x{expectedMagic:X8}).");

        var dimBytes = new byte[4 * expectedRank];
        got = body.ReadAtLeast(dimBytes, dimBytes.Length, throwOnEndOfStream: false);
        if (got < dimBytes.Length)
            throw new InvalidDataException(
                $"{sourceName}: truncated IDX header: {expectedRank} dimension sizes need {dimBytes.Length} bytes, found {got}.");

        var dims = new int[expectedRank];
        long total = 1;
        for (var i = 0; i < expectedRank; i++)
        {
            var d = BinaryPrimitives.ReadInt32BigEndian(dimBytes.AsSpan(4 * i));
            if (d <= 0)
                throw new InvalidDataException($"{sourceName}: IDX dimension {i} is {d}; sizes must be positive.");
            dims[i] = d;
            total *= d;
            if (total > MaxPayload)
                throw new InvalidDataException(
                    $"{sourceName}: IDX dimensions {string.Join("×", dims.Take(i + 1))} exceed the {MaxPayload}-byte limit of one array.");
        }

        var shape = string.Join("×", dims);
        var data = new byte[total];
        got = body.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
        if (got < data.Length)
            throw new InvalidDataException(
                $"{sourceName}: truncated: dimensions {shape} need {total} payload bytes, the {what} holds {got}.");

        // Count what is left so the message can say how much, without buffering it.
        var extra = 0L;
        var scratch = new byte[8192];
        int n;
        while ((n = body.Read(scratch, 0, scratch.Length)) > 0)
            extra += n;
        if (extra > 0)
            throw new InvalidDataException(
                $"{sourceName}: dimensions {shape} need {total} payload bytes, the {what} holds {total + extra} ({extra} extra).");

        return new IdxArray(dims, data);
    }

    private static string TypeName(byte code) => code switch
    {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0B => "int16",
        0x0C => "int32",
        0x0D => "float32",
        0x0E => "float64",
        _ => "unknown type",
    };

    /// <summary>Replays bytes already consumed from a non-seekable stream before the rest of it.</summary>
    private sealed class ConcatPrefixStream(byte[] prefix, Stream rest) : Stream
    {
        private int _pos;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_pos < prefix.Length)
            {
                var n = Math.Min(count, prefix.Length - _pos);
                Array.Copy(prefix, _pos, buffer, offset, n);
                _pos += n;
                return n;
            }

            return rest.Read(buffer, offset, count);
        }
    }
}
