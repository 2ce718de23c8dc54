using System.Collections.ObjectModel;
using System.Numerics;

namespace Msun.Analysis.Core.Numpy;

/// <summary>
/// An n-dimensional array as stored in a .npy file: a shape plus a flat C-order (row-major) buffer.
/// Kept deliberately simple so the CKA code can consume it without NumPy semantics.
/// </summary>
public sealed class NpyArray
{
    private readonly int[] _shape;

    /// <summary>Wraps float32 data (not copied) with the given shape.</summary>
    /// <exception cref="ArgumentException">The shape has a negative dimension or does not match <c>data.Length</c>.</exception>
    public NpyArray(IReadOnlyList<int> shape, float[] data)
        : this(shape, (Array)data)
    {
    }

    /// <summary>Wraps float64 data (not copied) with the given shape.</summary>
    /// <exception cref="ArgumentException">The shape has a negative dimension or does not match <c>data.Length</c>.</exception>
    public NpyArray(IReadOnlyList<int> shape, double[] data)
        : this(shape, (Array)data)
    {
    }

    /// <summary>
    /// Wraps data (not copied) of any supported element type: <c>bool[]</c>, <c>sbyte[]</c>, <c>byte[]</c>,
    /// <c>short[]</c>, <c>ushort[]</c>, <c>int[]</c>, <c>uint[]</c>, <c>long[]</c>, <c>ulong[]</c>,
    /// <c>float[]</c> or <c>double[]</c>, in C order.
    /// </summary>
    /// <exception cref="ArgumentException">Unsupported array type, negative dimension, or length mismatch.</exception>
    public NpyArray(IReadOnlyList<int> shape, Array data)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        ElementType = ElementTypeOf(data.GetType())
            ?? throw new ArgumentException(
                $"Unsupported data type {data.GetType()}; expected a one-dimensional array of bool, sbyte, byte, short, ushort, int, uint, long, ulong, float or double.",
                nameof(data));
        _shape = shape.ToArray();
        long count = ElementCount(_shape, nameof(shape));
        if (count != data.LongLength)
        {
            throw new ArgumentException(
                $"Shape {FormatShape(_shape)} has {count} elements but data has {data.LongLength}.", nameof(data));
        }

        Data = data;
        Shape = new ReadOnlyCollection<int>(_shape);
    }

    /// <summary>Dimensions, outermost first; empty for a 0-d (scalar) array.</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>Element type, matching the CLR element type of <see cref="Data"/>.</summary>
    public NpyElementType ElementType { get; }

    /// <summary>The elements in C (row-major) order; a one-dimensional CLR array matching <see cref="ElementType"/>.</summary>
    public Array Data { get; }

    /// <summary>Number of elements (product of <see cref="Shape"/>; 1 for a 0-d array).</summary>
    public long Length => Data.LongLength;

    /// <summary>Number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>Typed view of <see cref="Data"/> (the same array, not a copy), so callers avoid casts.</summary>
    /// <exception cref="InvalidOperationException"><typeparamref name="T"/> does not match <see cref="ElementType"/>.</exception>
    public T[] GetData<T>()
    {
        // Compare exact types: the CLR lets sbyte[] pass an "is byte[]" test (and int[]/uint[] likewise).
        if (Data.GetType() != typeof(T[]))
        {
            throw new InvalidOperationException($"Array holds {ElementType} ({Data.GetType().Name}), not {typeof(T).Name}[].");
        }

        return (T[])Data;
    }

    /// <summary>
    /// Copies the elements to a new double array in C order. Exact for every element type except
    /// <see cref="NpyElementType.Int64"/>/<see cref="NpyElementType.UInt64"/> values beyond ±2^53, which round
    /// to the nearest double. Bool becomes 0 or 1.
    /// </summary>
    public double[] ToDoubleArray()
    {
        var result = new double[Data.LongLength];
        switch (ElementType)
        {
            case NpyElementType.Bool:
                var bools = (bool[])Data;
                for (long i = 0; i < bools.LongLength; i++)
                {
                    result[i] = bools[i] ? 1.0 : 0.0;
                }

                break;
            case NpyElementType.Int8: Convert((sbyte[])Data, result); break;
            case NpyElementType.UInt8: Convert((byte[])Data, result); break;
            case NpyElementType.Int16: Convert((short[])Data, result); break;
            case NpyElementType.UInt16: Convert((ushort[])Data, result); break;
            case NpyElementType.Int32: Convert((int[])Data, result); break;
            case NpyElementType.UInt32: Convert((uint[])Data, result); break;
            case NpyElementType.Int64: Convert((long[])Data, result); break;
            case NpyElementType.UInt64: Convert((ulong[])Data, result); break;
            case NpyElementType.Float32: Convert((float[])Data, result); break;
            case NpyElementType.Float64: Array.Copy(Data, result, Data.LongLength); break;
            default: throw new InvalidOperationException($"Unknown element type {ElementType}.");
        }

        return result;
    }

    /// <summary>CLR element type for an <see cref="NpyElementType"/>.</summary>
    public static Type ClrTypeOf(NpyElementType elementType) => elementType switch
    {
        NpyElementType.Bool => typeof(bool),
        NpyElementType.Int8 => typeof(sbyte),
        NpyElementType.UInt8 => typeof(byte),
        NpyElementType.Int16 => typeof(short),
        NpyElementType.UInt16 => typeof(ushort),
        NpyElementType.Int32 => typeof(int),
        NpyElementType.UInt32 => typeof(uint),
        NpyElementType.Int64 => typeof(long),
        NpyElementType.UInt64 => typeof(ulong),
        NpyElementType.Float32 => typeof(float),
        NpyElementType.Float64 => typeof(double),
        _ => throw new ArgumentOutOfRangeException(nameof(elementType), elementType, "Unknown element type."),
    };

    /// <summary>Bytes per element in a .npy file.</summary>
    public static int ItemSizeOf(NpyElementType elementType) => elementType switch
    {
        NpyElementType.Bool or NpyElementType.Int8 or NpyElementType.UInt8 => 1,
        NpyElementType.Int16 or NpyElementType.UInt16 => 2,
        NpyElementType.Int32 or NpyElementType.UInt32 or NpyElementType.Float32 => 4,
        NpyElementType.Int64 or NpyElementType.UInt64 or NpyElementType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(elementType), elementType, "Unknown element type."),
    };

    /// <inheritdoc/>
    public override string ToString() => $"NpyArray {ElementType} {FormatShape(_shape)}";

    internal static NpyElementType? ElementTypeOf(Type arrayType)
    {
        if (arrayType == typeof(bool[])) return NpyElementType.Bool;
        if (arrayType == typeof(sbyte[])) return NpyElementType.Int8;
        if (arrayType == typeof(byte[])) return NpyElementType.UInt8;
        if (arrayType == typeof(short[])) return NpyElementType.Int16;
        if (arrayType == typeof(ushort[])) return NpyElementType.UInt16;
        if (arrayType == typeof(int[])) return NpyElementType.Int32;
        if (arrayType == typeof(uint[])) return NpyElementType.UInt32;
        if (arrayType == typeof(long[])) return NpyElementType.Int64;
        if (arrayType == typeof(ulong[])) return NpyElementType.UInt64;
        if (arrayType == typeof(float[])) return NpyElementType.Float32;
        if (arrayType == typeof(double[])) return NpyElementType.Float64;
        return null;
    }

    /// <summary>Python-style tuple text, e.g. <c>()</c>, <c>(5,)</c>, <c>(5, 3)</c>, as NumPy writes it.</summary>
    internal static string FormatShape(IReadOnlyList<int> shape) => shape.Count switch
    {
        0 => "()",
        1 => $"({shape[0]},)",
        _ => "(" + string.Join(", ", shape) + ")",
    };

    private static long ElementCount(int[] shape, string paramName)
    {
        long count = 1;
        foreach (int d in shape)
        {
            if (d < 0)
            {
                throw new ArgumentException($"Shape {FormatShape(shape)} has a negative dimension.", paramName);
            }

            // Cannot overflow: count <= Array.MaxLength before the multiply and d < 2^31.
            count *= d;
            if (count > Array.MaxLength)
            {
                count = Array.MaxLength + 1L;
            }
        }

        return count;
    }

    private static void Convert<T>(T[] source, double[] target)
        where T : struct, INumberBase<T>
    {
        for (long i = 0; i < source.LongLength; i++)
        {
            target[i] = double.CreateTruncating(source[i]);
        }
    }
}
