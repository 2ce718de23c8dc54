using System.Numerics;
using System.Text;

namespace Msun.Analysis.Core.Numpy;

/// <summary>The decoded .npy header dict: element type, byte order, memory order and shape.</summary>
internal sealed record NpyHeader(NpyElementType ElementType, bool SwapBytes, bool FortranOrder, int[] Shape, long Count)
{
    /// <summary>Length of the magic string; version (2 bytes) and the length field (2 or 4) follow it.</summary>
    private const int MagicLength = 6;

    /// <summary>Data starts at a multiple of this, as NumPy does (lets readers memory-map aligned data).</summary>
    private const int Alignment = 64;

    /// <summary>NumPy leaves room for axis 0 to grow to this many digits so headers can be rewritten in place.</summary>
    private const int GrowthAxisMaxDigits = 21;

    internal static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    private const string SupportedList = "b1, i1, u1, i2, u2, i4, u4, i8, u8, f4, f8";

    /// <summary>Validates the parsed header literal; throws <see cref="NpyHeaderException"/> naming the problem.</summary>
    public static NpyHeader FromLiteral(object? literal)
    {
        if (literal is not Dictionary<string, object?> dict)
        {
            throw new NpyHeaderException($"header must be a dict literal, found {Describe(literal)}");
        }

        foreach (string key in new[] { "descr", "fortran_order", "shape" })
        {
            if (!dict.ContainsKey(key))
            {
                throw new NpyHeaderException($"header is missing key '{key}'");
            }
        }

        var (type, swap) = ParseDescr(dict["descr"]);
        if (dict["fortran_order"] is not bool fortran)
        {
            throw new NpyHeaderException($"'fortran_order' must be True or False, found {Describe(dict["fortran_order"])}");
        }

        var (shape, count) = ParseShape(dict["shape"]);
        return new NpyHeader(type, swap, fortran, shape, count);
    }

    /// <summary>Maps a descr such as <c>'&lt;f8'</c> to an element type and whether bytes need swapping on this machine.</summary>
    public static (NpyElementType Type, bool SwapBytes) ParseDescr(object? descr)
    {
        if (descr is PyList)
        {
            throw new NpyHeaderException($"structured dtypes (a list 'descr') are not supported (only plain {SupportedList})");
        }

        if (descr is not string text)
        {
            throw new NpyHeaderException($"'descr' must be a dtype string, found {Describe(descr)}");
        }

        char order = '=';
        string code = text;
        if (text.Length > 0 && text[0] is '<' or '>' or '|' or '=')
        {
            order = text[0];
            code = text[1..];
        }

        NpyElementType? type = code switch
        {
            "b1" or "?" => NpyElementType.Bool,
            "i1" => NpyElementType.Int8,
            "u1" => NpyElementType.UInt8,
            "i2" => NpyElementType.Int16,
            "u2" => NpyElementType.UInt16,
            "i4" => NpyElementType.Int32,
            "u4" => NpyElementType.UInt32,
            "i8" => NpyElementType.Int64,
            "u8" => NpyElementType.UInt64,
            "f4" => NpyElementType.Float32,
            "f8" => NpyElementType.Float64,
            _ => null,
        };
        if (type is not { } t)
        {
            throw new NpyHeaderException($"unsupported dtype '{text}' ({WhyUnsupported(code)}; supported: {SupportedList})");
        }

        bool multiByte = NpyArray.ItemSizeOf(t) > 1;
        if (order == '|' && multiByte)
        {
            throw new NpyHeaderException($"dtype '{text}' has no byte order ('|') but is {NpyArray.ItemSizeOf(t)} bytes wide");
        }

        bool fileLittle = order switch
        {
            '<' => true,
            '>' => false,
            _ => BitConverter.IsLittleEndian,
        };
        return (t, multiByte && fileLittle != BitConverter.IsLittleEndian);
    }

    /// <summary>The descr this machine writes for an element type (native byte order).</summary>
    public static string DescrOf(NpyElementType type)
    {
        string code = type switch
        {
            NpyElementType.Bool => "b1",
            NpyElementType.Int8 => "i1",
            NpyElementType.UInt8 => "u1",
            NpyElementType.Int16 => "i2",
            NpyElementType.UInt16 => "u2",
            NpyElementType.Int32 => "i4",
            NpyElementType.UInt32 => "u4",
            NpyElementType.Int64 => "i8",
            NpyElementType.UInt64 => "u8",
            NpyElementType.Float32 => "f4",
            NpyElementType.Float64 => "f8",
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown element type."),
        };
        char order = NpyArray.ItemSizeOf(type) == 1 ? '|' : BitConverter.IsLittleEndian ? '<' : '>';
        return order + code;
    }

    /// <summary>
    /// Builds the complete preamble + header for a C-order array, byte-compatible with NumPy's writer:
    /// version 1.0 unless the header exceeds 65535 bytes (then 2.0), padded with spaces and ending in '\n'
    /// so the data starts at a multiple of 64.
    /// </summary>
    public static byte[] Build(NpyElementType type, IReadOnlyList<int> shape)
    {
        var dict = new StringBuilder();
        dict.Append("{'descr': '").Append(DescrOf(type)).Append("', 'fortran_order': False, 'shape': ")
            .Append(NpyArray.FormatShape(shape)).Append(", }");
        if (shape.Count > 0)
        {
            int digits = shape[0].ToString(System.Globalization.CultureInfo.InvariantCulture).Length;
            dict.Append(' ', Math.Max(0, GrowthAxisMaxDigits - digits));
        }

        string text = dict.ToString(); // ASCII only
        foreach (int lengthFieldSize in new[] { 2, 4 })
        {
            int prefix = MagicLength + 2 + lengthFieldSize;
            int unpadded = prefix + text.Length + 1; // + '\n'
            int pad = Alignment - (unpadded % Alignment); // 1..64, as NumPy
            long headerLength = text.Length + pad + 1L;
            if (lengthFieldSize == 2 && headerLength > ushort.MaxValue)
            {
                continue;
            }

            var bytes = new byte[prefix + headerLength];
            Magic.CopyTo(bytes);
            bytes[6] = lengthFieldSize == 2 ? (byte)1 : (byte)2;
            bytes[7] = 0;
            if (lengthFieldSize == 2)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)headerLength);
            }
            else
            {
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)headerLength);
            }

            Encoding.ASCII.GetBytes(text, bytes.AsSpan(prefix));
            bytes.AsSpan(prefix + text.Length, pad).Fill((byte)' ');
            bytes[^1] = (byte)'\n';
            return bytes;
        }

        throw new InvalidOperationException("unreachable: a version 2.0 header always fits");
    }

    private static (int[] Shape, long Count) ParseShape(object? value)
    {
        if (value is not PyTuple tuple)
        {
            throw new NpyHeaderException($"'shape' must be a tuple of integers, found {Describe(value)}");
        }

        var shape = new int[tuple.Items.Count];
        BigInteger count = BigInteger.One;
        for (int i = 0; i < shape.Length; i++)
        {
            if (tuple.Items[i] is not BigInteger d)
            {
                throw new NpyHeaderException($"'shape' must be a tuple of integers, found {Describe(tuple.Items[i])} at index {i}");
            }

            if (d.Sign < 0)
            {
                throw new NpyHeaderException($"shape has a negative dimension {d} at index {i}");
            }

            if (d > int.MaxValue)
            {
                throw new NpyHeaderException($"shape dimension {d} at index {i} overflows (largest supported is {int.MaxValue})");
            }

            shape[i] = (int)d;
            count *= d;
        }

        if (count > Array.MaxLength)
        {
            throw new NpyHeaderException(
                $"shape {NpyArray.FormatShape(shape)} has {count} elements, which overflows the largest supported array ({Array.MaxLength} elements)");
        }

        return (shape, (long)count);
    }

    private static string WhyUnsupported(string code)
    {
        if (code.Length == 0)
        {
            return "empty type code";
        }

        return code[0] switch
        {
            'O' => "pickled object arrays are not supported",
            'U' => "unicode string arrays are not supported",
            'S' or 'a' => "byte string arrays are not supported",
            'c' => "complex numbers are not supported",
            'f' when code == "f2" || code == "e" => "half-precision float16 is not supported",
            'f' => "unsupported float width",
            'V' => "void/structured dtypes are not supported",
            'M' or 'm' => "datetime/timedelta dtypes are not supported",
            _ => "unknown dtype",
        };
    }

    private static string Describe(object? value) => value switch
    {
        null => "None",
        string s => $"string '{s}'",
        bool b => b ? "True" : "False",
        BigInteger n => $"integer {n}",
        double d => $"float {d.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
        PyTuple t => $"a tuple of {t.Items.Count} items",
        PyList l => $"a list of {l.Items.Count} items",
        Dictionary<string, object?> => "a dict",
        _ => value.GetType().Name,
    };
}
