namespace Msun.Analysis.Core.Numpy;

/// <summary>Element types the .npy reader and writer support (NumPy's plain numeric dtypes and bool).</summary>
public enum NpyElementType
{
    /// <summary>NumPy <c>b1</c> / <c>bool</c>; CLR <see cref="bool"/>.</summary>
    Bool,

    /// <summary>NumPy <c>i1</c>; CLR <see cref="sbyte"/>.</summary>
    Int8,

    /// <summary>NumPy <c>u1</c>; CLR <see cref="byte"/>.</summary>
    UInt8,

    /// <summary>NumPy <c>i2</c>; CLR <see cref="short"/>.</summary>
    Int16,

    /// <summary>NumPy <c>u2</c>; CLR <see cref="ushort"/>.</summary>
    UInt16,

    /// <summary>NumPy <c>i4</c>; CLR <see cref="int"/>.</summary>
    Int32,

    /// <summary>NumPy <c>u4</c>; CLR <see cref="uint"/>.</summary>
    UInt32,

    /// <summary>NumPy <c>i8</c>; CLR <see cref="long"/>.</summary>
    Int64,

    /// <summary>NumPy <c>u8</c>; CLR <see cref="ulong"/>.</summary>
    UInt64,

    /// <summary>NumPy <c>f4</c>; CLR <see cref="float"/>.</summary>
    Float32,

    /// <summary>NumPy <c>f8</c>; CLR <see cref="double"/>.</summary>
    Float64,
}
