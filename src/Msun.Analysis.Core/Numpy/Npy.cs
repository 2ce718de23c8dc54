using System.Buffers.Binary;
using System.Collections.ObjectModel;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Msun.Analysis.Core.IO;
using Msun.Analysis.Core.LinearAlgebra;

namespace Msun.Analysis.Core.Numpy;

/// <summary>
/// Reads and writes NumPy .npy and .npz files, so activations saved from Python can be analysed here
/// and results can go back to Python. Reads format versions 1.0–3.0; writes 1.0 (2.0 for huge headers).
/// </summary>
public static class Npy
{
    /// <summary>Largest chunk handed to a single stream read/write, keeping byte spans well under 2 GiB.</summary>
    private const int ChunkBytes = 1 << 30;

    /// <summary>Upper bound on a header length field; real headers are a few hundred bytes.</summary>
    private const uint MaxHeaderLength = 1 << 24;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Reads a .npy file.</summary>
    /// <exception cref="NpyFormatException">The file is not a valid or supported .npy; the message names the path.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static NpyArray Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return ReadCore(stream, path, member: null);
    }

    /// <summary>Reads one .npy array from the current position of <paramref name="stream"/> (need not be seekable).</summary>
    /// <param name="stream">Positioned at the magic string; left just after the array data.</param>
    /// <param name="sourceName">Name used in every error message (e.g. the file path).</param>
    /// <exception cref="NpyFormatException">The data is not a valid or supported .npy.</exception>
    public static NpyArray Read(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        return ReadCore(stream, sourceName, member: null);
    }

    /// <summary>
    /// Writes a .npy file atomically: the data goes to a temporary file in the same folder which then
    /// replaces <paramref name="path"/>, so readers never see a half-written file.
    /// </summary>
    public static void Write(string path, NpyArray array)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(array);
        AtomicFile.Write(path, stream => Write(stream, array));
    }

    /// <summary>Writes <paramref name="array"/> as .npy (format 1.0, C order, native byte order) to a stream.</summary>
    public static void Write(Stream stream, NpyArray array)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(array);
        stream.Write(NpyHeader.Build(array.ElementType, array.Shape));
        switch (array.ElementType)
        {
            case NpyElementType.Bool: WriteData<bool>(stream, array.Data); break;
            case NpyElementType.Int8: WriteData<sbyte>(stream, array.Data); break;
            case NpyElementType.UInt8: WriteData<byte>(stream, array.Data); break;
            case NpyElementType.Int16: WriteData<short>(stream, array.Data); break;
            case NpyElementType.UInt16: WriteData<ushort>(stream, array.Data); break;
            case NpyElementType.Int32: WriteData<int>(stream, array.Data); break;
            case NpyElementType.UInt32: WriteData<uint>(stream, array.Data); break;
            case NpyElementType.Int64: WriteData<long>(stream, array.Data); break;
            case NpyElementType.UInt64: WriteData<ulong>(stream, array.Data); break;
            case NpyElementType.Float32: WriteData<float>(stream, array.Data); break;
            case NpyElementType.Float64: WriteData<double>(stream, array.Data); break;
            default: throw new InvalidOperationException($"Unknown element type {array.ElementType}.");
        }
    }

    /// <summary>
    /// Reads every array in an .npz archive (stored or deflated members). Keys are member names with
    /// the trailing ".npy" removed, as <c>numpy.load</c> does. Members not ending in ".npy" are skipped.
    /// </summary>
    /// <exception cref="NpyFormatException">Not a zip archive, or a member is not a valid .npy; the message names the path and member.</exception>
    public static IReadOnlyDictionary<string, NpyArray> ReadNpz(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        if (file.Length == 0)
        {
            throw new NpyFormatException(path, null, "file is empty (expected an .npz zip archive)");
        }

        ZipArchive zip;
        try
        {
            zip = new ZipArchive(file, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw new NpyFormatException(path, null, $"not a valid .npz (zip) archive: {e.Message}", e);
        }

        using (zip)
        {
            var result = new Dictionary<string, NpyArray>(StringComparer.Ordinal);
            foreach (var entry in zip.Entries)
            {
                string name = entry.FullName;
                if (!name.EndsWith(".npy", StringComparison.Ordinal))
                {
                    continue; // folders and non-array files; numpy.savez writes only *.npy
                }

                string key = name[..^4];
                NpyArray array;
                try
                {
                    using var member = entry.Open();
                    array = ReadCore(member, path, name);
                }
                catch (InvalidDataException e)
                {
                    throw new NpyFormatException(path, name, $"cannot decompress member: {e.Message}", e);
                }

                if (!result.TryAdd(key, array))
                {
                    throw new NpyFormatException(path, name, $"duplicate array name '{key}' in archive");
                }
            }

            return new ReadOnlyDictionary<string, NpyArray>(result);
        }
    }

    /// <summary>
    /// Writes arrays to an .npz archive (member <c>key + ".npy"</c> each), atomically like <see cref="Write(string, NpyArray)"/>.
    /// </summary>
    /// <param name="path">Target file, replaced if it exists.</param>
    /// <param name="arrays">Arrays by name; names must be non-empty.</param>
    /// <param name="compress">Deflate members (<c>numpy.savez_compressed</c>) instead of storing them (<c>numpy.savez</c>).</param>
    public static void WriteNpz(string path, IReadOnlyDictionary<string, NpyArray> arrays, bool compress = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(arrays);
        var level = compress ? CompressionLevel.Optimal : CompressionLevel.NoCompression;
        AtomicFile.Write(path, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            foreach (var (key, array) in arrays)
            {
                if (string.IsNullOrEmpty(key))
                {
                    throw new ArgumentException("Array names in an .npz must be non-empty.", nameof(arrays));
                }

                ArgumentNullException.ThrowIfNull(array, $"{nameof(arrays)}[\"{key}\"]");
                var entry = zip.CreateEntry(key + ".npy", level);
                using var member = entry.Open();
                Write(member, array);
            }
        });
    }

    private static NpyArray ReadCore(Stream stream, string source, string? member)
    {
        try
        {
            var header = ReadHeader(stream);
            long expected = header.Count * NpyArray.ItemSizeOf(header.ElementType);
            if (stream.CanSeek && stream.Length - stream.Position < expected)
            {
                // Fail before allocating what a corrupt shape may claim.
                throw Truncated(header, expected, Math.Max(0, stream.Length - stream.Position));
            }

            Array data = header.ElementType switch
            {
                NpyElementType.Bool => ReadBools(stream, header),
                NpyElementType.Int8 => ReadData<sbyte>(stream, header),
                NpyElementType.UInt8 => ReadData<byte>(stream, header),
                NpyElementType.Int16 => ReadData<short>(stream, header),
                NpyElementType.UInt16 => ReadData<ushort>(stream, header),
                NpyElementType.Int32 => ReadData<int>(stream, header),
                NpyElementType.UInt32 => ReadData<uint>(stream, header),
                NpyElementType.Int64 => ReadData<long>(stream, header),
                NpyElementType.UInt64 => ReadData<ulong>(stream, header),
                NpyElementType.Float32 => ReadData<float>(stream, header),
                NpyElementType.Float64 => ReadData<double>(stream, header),
                _ => throw new NpyHeaderException($"unknown element type {header.ElementType}"),
            };
            return new NpyArray(header.Shape, data);
        }
        catch (NpyHeaderException e)
        {
            throw new NpyFormatException(source, member, e.Message, e);
        }
    }

    private static NpyHeader ReadHeader(Stream stream)
    {
        Span<byte> preamble = stackalloc byte[12];
        int n = ReadUpTo(stream, preamble[..10]);
        if (n == 0)
        {
            throw new NpyHeaderException("file is empty (expected a .npy file starting with \"\\x93NUMPY\")");
        }

        var magic = NpyHeader.Magic;
        int compared = Math.Min(n, magic.Length);
        if (!preamble[..compared].SequenceEqual(magic[..compared]))
        {
            string hint = preamble[..compared].StartsWith("PK"u8) ? " (this looks like a zip/.npz archive; use ReadNpz)" : "";
            throw new NpyHeaderException(
                $"bad magic: expected \"\\x93NUMPY\" at the start, found {Convert.ToHexString(preamble[..compared])}{hint}");
        }

        if (n < 10)
        {
            throw new NpyHeaderException($"truncated header: file ends after {n} bytes, inside the 10-byte preamble");
        }

        byte major = preamble[6], minor = preamble[7];
        uint headerLength;
        Encoding encoding;
        if (major == 1 && minor == 0)
        {
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(preamble[8..]);
            encoding = Encoding.Latin1;
        }
        else if (major is 2 or 3 && minor == 0)
        {
            int more = ReadUpTo(stream, preamble[10..12]);
            if (more < 2)
            {
                throw new NpyHeaderException($"truncated header: file ends after {10 + more} bytes, inside the 12-byte preamble of format {major}.0");
            }

            headerLength = BinaryPrimitives.ReadUInt32LittleEndian(preamble[8..]);
            encoding = major == 2 ? Encoding.Latin1 : StrictUtf8;
        }
        else
        {
            throw new NpyHeaderException($"unsupported format version {major}.{minor} (supported: 1.0, 2.0, 3.0)");
        }

        if (headerLength > MaxHeaderLength)
        {
            throw new NpyHeaderException($"header length {headerLength} bytes is implausibly large (limit {MaxHeaderLength})");
        }

        var headerBytes = new byte[headerLength];
        int got = ReadUpTo(stream, headerBytes);
        if (got < headerLength)
        {
            throw new NpyHeaderException($"truncated header: header length field says {headerLength} bytes, only {got} present");
        }

        string text;
        try
        {
            text = encoding.GetString(headerBytes);
        }
        catch (DecoderFallbackException)
        {
            throw new NpyHeaderException($"header of format {major}.0 is not valid UTF-8");
        }

        object? literal;
        try
        {
            literal = PyLiteralParser.Parse(text);
        }
        catch (NpyHeaderException e)
        {
            throw new NpyHeaderException($"header is not parseable as a Python dict literal: {e.Message}: {Abbreviate(text)}");
        }

        return NpyHeader.FromLiteral(literal);
    }

    private static T[] ReadData<T>(Stream stream, NpyHeader header)
        where T : unmanaged
    {
        var data = HugePages.ArrayToFill<T>(checked((int)header.Count)); // ReadBulk fills every element or throws
        ReadBulk(stream, data, header);
        if (header.SwapBytes)
        {
            SwapInPlace(data.AsSpan());
        }

        return header.FortranOrder && header.Shape.Length > 1 ? FortranToC(data, header.Shape) : data;
    }

    private static bool[] ReadBools(Stream stream, NpyHeader header)
    {
        // Read as bytes: any non-zero byte is True, and a bool must hold exactly 0 or 1.
        var raw = ReadData<byte>(stream, header);
        var result = new bool[raw.Length];
        for (int i = 0; i < raw.Length; i++)
        {
            result[i] = raw[i] != 0;
        }

        return result;
    }

    /// <summary>Fills <paramref name="data"/> straight from the stream in large chunks (no per-element calls).</summary>
    private static void ReadBulk<T>(Stream stream, T[] data, NpyHeader header)
        where T : unmanaged
    {
        int size = Unsafe.SizeOf<T>();
        int chunkElements = ChunkBytes / size;
        long expected = (long)data.Length * size;
        long total = 0;
        for (int offset = 0; offset < data.Length; offset += chunkElements)
        {
            var bytes = MemoryMarshal.AsBytes(data.AsSpan(offset, Math.Min(chunkElements, data.Length - offset)));
            int got = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
            total += got;
            if (got < bytes.Length)
            {
                throw Truncated(header, expected, total);
            }
        }
    }

    private static NpyHeaderException Truncated(NpyHeader header, long expected, long present) =>
        new($"truncated data: shape {NpyArray.FormatShape(header.Shape)} of {header.ElementType} needs {expected} bytes after the header, only {present} present");

    private static void WriteData<T>(Stream stream, Array array)
        where T : unmanaged
    {
        var data = (T[])array;
        int chunkElements = ChunkBytes / Unsafe.SizeOf<T>();
        for (int offset = 0; offset < data.Length; offset += chunkElements)
        {
            stream.Write(MemoryMarshal.AsBytes(data.AsSpan(offset, Math.Min(chunkElements, data.Length - offset))));
        }
    }

    private static void SwapInPlace<T>(Span<T> data)
        where T : unmanaged
    {
        switch (Unsafe.SizeOf<T>())
        {
            case 2:
                var s = MemoryMarshal.Cast<T, ushort>(data);
                BinaryPrimitives.ReverseEndianness(s, s);
                break;
            case 4:
                var i = MemoryMarshal.Cast<T, uint>(data);
                BinaryPrimitives.ReverseEndianness(i, i);
                break;
            case 8:
                var l = MemoryMarshal.Cast<T, ulong>(data);
                BinaryPrimitives.ReverseEndianness(l, l);
                break;
        }
    }

    /// <summary>Reorders Fortran-order (first axis fastest) data into C order (last axis fastest).</summary>
    internal static T[] FortranToC<T>(T[] source, int[] shape)
    {
        var result = new T[source.Length];
        if (source.Length == 0)
        {
            return result;
        }

        int rank = shape.Length;
        var fortranStride = new long[rank];
        fortranStride[0] = 1;
        for (int k = 1; k < rank; k++)
        {
            fortranStride[k] = fortranStride[k - 1] * shape[k - 1];
        }

        var index = new int[rank];
        int lastLength = shape[rank - 1];
        long lastStride = fortranStride[rank - 1];
        long rowStart = 0; // Fortran offset of (index[0..rank-2], 0)
        long c = 0;
        while (c < result.Length)
        {
            long f = rowStart;
            for (int j = 0; j < lastLength; j++, f += lastStride)
            {
                result[c++] = source[f];
            }

            // Advance the multi-index over all axes but the last, rightmost first (odometer).
            for (int k = rank - 2; k >= 0; k--)
            {
                rowStart += fortranStride[k];
                if (++index[k] < shape[k])
                {
                    break;
                }

                rowStart -= fortranStride[k] * shape[k];
                index[k] = 0;
            }
        }

        return result;
    }

    private static int ReadUpTo(Stream stream, Span<byte> buffer) =>
        stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);

    private static string Abbreviate(string text)
    {
        string trimmed = text.TrimEnd();
        return trimmed.Length <= 200 ? trimmed : trimmed[..200] + "…";
    }
}
