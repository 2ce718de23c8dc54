using System.Runtime.CompilerServices;
using Msun.Analysis.Core.LinearAlgebra;
using Msun.Analysis.Core.Numpy;

namespace Msun.Analysis.Core.Cka;

/// <summary>
/// Examples × features, row-major, in float32 or float64 as given (no copy is made of the caller's
/// array). Validated once at construction: at least one row and one column, every value finite.
/// The name goes into every error message ("x", a file name, a layer name).
/// </summary>
public sealed class FeatureMatrix
{
    private readonly float[]? _single;
    private readonly double[]? _double;
    private readonly bool _mayCentreInPlace;

    private FeatureMatrix(string name, int rows, int columns, float[]? single, double[]? dbl, bool mayCentreInPlace = false)
    {
        _mayCentreInPlace = mayCentreInPlace;
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        Rows = rows;
        Columns = columns;
        _single = single;
        _double = dbl;
        long length = single?.LongLength ?? dbl!.LongLength;
        if (rows < 1 || columns < 1)
            throw new ArgumentException($"{name} is empty ({rows}×{columns}): CKA needs at least one example and one feature.", name);
        if (length != (long)rows * columns)
            throw new ArgumentException($"{name}: {length} values cannot be {rows}×{columns}.", name);
        long bad = single is not null ? FirstNonFinite<float>(single) : FirstNonFinite<double>(dbl!);
        if (bad >= 0)
        {
            double value = single is not null ? single[bad] : dbl![bad];
            throw new ArgumentException(
                $"{name} ({rows}×{columns}) contains {value.ToString(System.Globalization.CultureInfo.InvariantCulture)} at row {bad / columns}, column {bad % columns}: every value must be finite.", name);
        }
    }

    /// <summary>Name used in messages and provenance.</summary>
    public string Name { get; }

    /// <summary>Number of examples.</summary>
    public int Rows { get; }

    /// <summary>Number of features per example.</summary>
    public int Columns { get; }

    /// <summary>True when the values are stored as float32.</summary>
    public bool IsSinglePrecision => _single is not null;

    /// <summary>"rows×columns", for messages.</summary>
    public string Shape => $"{Rows}×{Columns}";

    /// <summary>Wraps a row-major float64 array of <paramref name="rows"/> × <paramref name="columns"/>.</summary>
    public static FeatureMatrix FromRowMajor(string name, double[] data, int rows, int columns)
        => new(name, rows, columns, null, data ?? throw new ArgumentNullException(nameof(data)));

    /// <summary>Wraps a row-major float32 array of <paramref name="rows"/> × <paramref name="columns"/>.</summary>
    public static FeatureMatrix FromRowMajor(string name, float[] data, int rows, int columns)
        => new(name, rows, columns, data ?? throw new ArgumentNullException(nameof(data)), null);

    /// <summary>Copies a rectangular float64 array (rows = examples).</summary>
    public static FeatureMatrix From(string name, double[,] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var flat = new double[data.Length];
        Buffer.BlockCopy(data, 0, flat, 0, data.Length * sizeof(double));
        return FromRowMajor(name, flat, data.GetLength(0), data.GetLength(1));
    }

    /// <summary>Copies a rectangular float32 array (rows = examples).</summary>
    public static FeatureMatrix From(string name, float[,] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var flat = new float[data.Length];
        Buffer.BlockCopy(data, 0, flat, 0, data.Length * sizeof(float));
        return FromRowMajor(name, flat, data.GetLength(0), data.GetLength(1));
    }

    /// <summary>
    /// An array read from .npy as examples × features: dimension 0 = examples, the rest flattened in C
    /// order (a 1-D array is one feature per example). float32 stays float32; other types become float64.
    /// </summary>
    /// <param name="array">The array; its values are wrapped, not copied.</param>
    /// <param name="name">Name for messages.</param>
    /// <param name="mayCentreInPlace">
    /// True when nothing else reads the array (it was just read from a file): the linear feature form then centres
    /// the values in place, as a NumPy user would, instead of copying them chunk by chunk. CKA is unchanged (it does
    /// not depend on column shifts), but the values read back afterwards are centred.
    /// </param>
    public static FeatureMatrix FromNpy(NpyArray array, string name, bool mayCentreInPlace = false)
    {
        ArgumentNullException.ThrowIfNull(array);
        string shape = "(" + string.Join(", ", array.Shape) + ")";
        if (array.Shape.Count == 0)
            throw new ArgumentException($"{name} is a 0-dimensional array; dimension 0 must index the examples.", name);
        long columns = 1;
        foreach (int extent in array.Shape.Skip(1)) columns *= extent;
        if (array.Shape[0] < 1 || columns < 1)
            throw new ArgumentException($"{name} is empty (shape {shape}): CKA needs at least one example and one feature.", name);
        if (columns > int.MaxValue)
            throw new ArgumentException($"{name} (shape {shape}) has more than {int.MaxValue} features per example.", name);
        return array.ElementType switch
        {
            NpyElementType.Float32 => new(name, array.Shape[0], (int)columns, (float[])array.Data, null, mayCentreInPlace),
            NpyElementType.Float64 => new(name, array.Shape[0], (int)columns, null, (double[])array.Data, mayCentreInPlace),
            _ => new(name, array.Shape[0], (int)columns, null, array.ToDoubleArray(), mayCentreInPlace: true), // a fresh copy
        };
    }

    /// <summary>Value at (row, column) as float64.</summary>
    public double this[int row, int column] => _single is not null
        ? _single[(long)row * Columns + column]
        : _double![(long)row * Columns + column];

    /// <summary>Column means, summed in float64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-row loops: see VectorMath
    public double[] ColumnMeans()
    {
        var sums = new double[Columns];
        for (int r = 0; r < Rows; r++) AddRow(r, sums);
        for (int c = 0; c < Columns; c++) sums[c] /= Rows;
        return sums;
    }

    /// <summary>Means of columns <paramref name="start"/> .. start + count − 1, summed in float64 row after row (the same sums as <see cref="ColumnMeans()"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-row loops: see VectorMath
    internal void ColumnMeans(int start, int count, Span<double> means)
    {
        var sums = means[..count];
        sums.Clear();
        for (int r = 0; r < Rows; r++)
        {
            long from = (long)r * Columns + start;
            if (_single is not null) VectorMath.AddTo<float>(_single.AsSpan((int)from, count), sums);
            else VectorMath.AddTo<double>(_double!.AsSpan((int)from, count), sums);
        }
        for (int c = 0; c < count; c++) sums[c] /= Rows;
    }

    /// <summary>A row view of the same data (rows <paramref name="start"/> .. start + count − 1).</summary>
    public FeatureMatrix SliceRows(int start, int count)
    {
        if (start < 0 || count < 1 || start + count > Rows)
            throw new ArgumentOutOfRangeException(nameof(count), $"rows {start}..{start + count - 1} are outside {Name} ({Shape}).");
        long from = (long)start * Columns, length = (long)count * Columns;
        string name = $"{Name}[{start}..{start + count - 1}]";
        return _single is not null
            ? FromRowMajor(name, _single.AsSpan((int)from, (int)length).ToArray(), count, Columns)
            : FromRowMajor(name, _double!.AsSpan((int)from, (int)length).ToArray(), count, Columns);
    }

    /// <summary>
    /// A copy holding rows <paramref name="indices"/>[0], [1], … in that order; repeats are allowed (a
    /// bootstrap resample) and so is any order (a permutation). Same element type as this matrix.
    /// </summary>
    /// <exception cref="ArgumentException">No indices, or an index outside 0 .. Rows − 1 (named with its position).</exception>
    public FeatureMatrix SelectRows(int[] indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.Length == 0)
            throw new ArgumentException($"selecting rows of {Name} ({Shape}) needs at least one index.", nameof(indices));
        for (int i = 0; i < indices.Length; i++)
            if ((uint)indices[i] >= (uint)Rows)
                throw new ArgumentException($"index {i} is row {indices[i]}, outside {Name} ({Shape}).", nameof(indices));
        int d = Columns;
        string name = $"{Name}[{indices.Length} selected rows]";
        if (_single is not null)
        {
            var copy = new float[(long)indices.Length * d];
            for (int i = 0; i < indices.Length; i++)
                _single.AsSpan(indices[i] * d, d).CopyTo(copy.AsSpan(i * d, d));
            return FromRowMajor(name, copy, indices.Length, d);
        }
        var values = new double[(long)indices.Length * d];
        for (int i = 0; i < indices.Length; i++)
            _double!.AsSpan(indices[i] * d, d).CopyTo(values.AsSpan(i * d, d));
        return FromRowMajor(name, values, indices.Length, d);
    }

    /// <summary>
    /// Writes rows start..start+count−1 minus <paramref name="shift"/> into <paramref name="destination"/>
    /// (row-major). Subtracting in float64 before any product is what keeps a 1e4 offset on float32
    /// data from eating the significant digits of the Gram or covariance.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-row loops: see VectorMath
    internal void CopyShiftedRows<T>(int start, int count, ReadOnlySpan<double> shift, Span<T> destination) where T : unmanaged, System.Numerics.INumber<T>
    {
        int d = Columns;
        for (int r = 0; r < count; r++)
        {
            Span<T> row = destination.Slice(r * d, d);
            if (_single is not null) VectorMath.Subtract<float, T>(_single.AsSpan((start + r) * d, d), shift, row);
            else VectorMath.Subtract<double, T>(_double!.AsSpan((start + r) * d, d), shift, row);
        }
    }

    /// <summary>
    /// When the matrix may be centred in place and is stored as <typeparamref name="T"/>: subtracts the column means
    /// from every value (the same float64 subtraction as <see cref="CopyShiftedRows{T}"/>), returns the values, and
    /// true. Otherwise changes nothing and returns false.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-row loops: see VectorMath
    internal bool TryCentreInPlace<T>(out Span<T> centred) where T : unmanaged, System.Numerics.INumber<T>
    {
        centred = default;
        if (!_mayCentreInPlace || (typeof(T) == typeof(float) ? _single is null : typeof(T) != typeof(double) || _double is null))
            return false;
        double[] means = ColumnMeans();
        centred = _single is not null
            ? System.Runtime.InteropServices.MemoryMarshal.Cast<float, T>(_single.AsSpan())
            : System.Runtime.InteropServices.MemoryMarshal.Cast<double, T>(_double!.AsSpan());
        for (int r = 0; r < Rows; r++)
        {
            Span<T> row = centred.Slice(r * Columns, Columns);
            VectorMath.Subtract<T, T>(row, means, row);
        }
        return true;
    }

    /// <summary>
    /// Writes columns <paramref name="start"/> .. start + count − 1 of every row minus <paramref name="shift"/>
    /// into <paramref name="destination"/>, as a row-major Rows × count block (subtraction in float64, as in
    /// <see cref="CopyShiftedRows{T}"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-row loops: see VectorMath
    internal void CopyShiftedColumns<T>(int start, int count, ReadOnlySpan<double> shift, Span<T> destination) where T : unmanaged, System.Numerics.INumber<T>
    {
        for (int r = 0; r < Rows; r++)
        {
            int from = r * Columns + start;
            Span<T> row = destination.Slice(r * count, count);
            if (_single is not null) VectorMath.Subtract<float, T>(_single.AsSpan(from, count), shift, row);
            else VectorMath.Subtract<double, T>(_double!.AsSpan(from, count), shift, row);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-row loops: see VectorMath
    private void AddRow(int row, double[] sums)
    {
        if (_single is not null) VectorMath.AddTo<float>(_single.AsSpan(row * Columns, Columns), sums);
        else VectorMath.AddTo<double>(_double!.AsSpan(row * Columns, Columns), sums);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-row loops: see VectorMath
    private static long FirstNonFinite<T>(T[] data) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        // x − x is 0 for every finite x and NaN for ±Inf and NaN: whole vectors are checked at once, the scalar
        // loop finds the position once a vector fails (every captured activation passes through here).
        int width = System.Numerics.Vector<T>.Count, i = 0;
        var span = data.AsSpan();
        for (; i <= span.Length - width; i += width)
        {
            var v = new System.Numerics.Vector<T>(span.Slice(i, width));
            if (!System.Numerics.Vector.EqualsAll(v - v, System.Numerics.Vector<T>.Zero)) break;
        }
        for (; i < span.Length; i++)
            if (!T.IsFinite(span[i])) return i;
        return -1;
    }
}
