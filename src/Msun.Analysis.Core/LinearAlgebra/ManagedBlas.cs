using System.Numerics;
using System.Runtime.InteropServices;

namespace Msun.Analysis.Core.LinearAlgebra;

/// <summary>
/// Portable fallbacks for <see cref="Blas"/>: row-blocked so that one output row stays in cache while a
/// block of input rows streams past, SIMD along the output row, parallel over output rows.
/// </summary>
internal static class ManagedBlas
{
    private const int RowBlock = 64;

    public static unsafe void SyrkTransposed<T>(ReadOnlySpan<T> a, int n, int d, Span<T> c) where T : unmanaged
    {
        fixed (T* pa = a, pc = c)
        {
            T* aPtr = pa, cPtr = pc;
            for (int k0 = 0; k0 < n; k0 += RowBlock)
            {
                int k1 = Math.Min(n, k0 + RowBlock);
                Parallel.For(0, d, i =>
                {
                    var cRow = new Span<T>(cPtr + (long)i * d + i, d - i);
                    for (int k = k0; k < k1; k++)
                    {
                        T* aRow = aPtr + (long)k * d;
                        Axpy(aRow[i], new ReadOnlySpan<T>(aRow + i, d - i), cRow);
                    }
                });
            }
        }
    }

    public static unsafe void GemmTransposedA<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, int n, int d1, int d2, Span<T> c) where T : unmanaged
    {
        fixed (T* pa = a, pb = b, pc = c)
        {
            T* aPtr = pa, bPtr = pb, cPtr = pc;
            for (int k0 = 0; k0 < n; k0 += RowBlock)
            {
                int k1 = Math.Min(n, k0 + RowBlock);
                Parallel.For(0, d1, i =>
                {
                    var cRow = new Span<T>(cPtr + (long)i * d2, d2);
                    for (int k = k0; k < k1; k++)
                        Axpy(aPtr[(long)k * d1 + i], new ReadOnlySpan<T>(bPtr + (long)k * d2, d2), cRow);
                });
            }
        }
    }

    public static unsafe void SyrkGram(ReadOnlySpan<double> a, int n, int d, Span<double> c)
    {
        fixed (double* pa = a, pc = c)
        {
            double* aPtr = pa, cPtr = pc;
            Parallel.For(0, n, i =>
            {
                var rowI = new ReadOnlySpan<double>(aPtr + (long)i * d, d);
                for (int j = i; j < n; j++)
                    cPtr[(long)i * n + j] += VectorMath.Dot(rowI, new ReadOnlySpan<double>(aPtr + (long)j * d, d));
            });
        }
    }

    public static unsafe void SyrkGram(ReadOnlySpan<float> a, int n, int d, Span<float> c)
    {
        fixed (float* pa = a, pc = c)
        {
            float* aPtr = pa, cPtr = pc;
            Parallel.For(0, n, i =>
            {
                var rowI = new ReadOnlySpan<float>(aPtr + (long)i * d, d);
                for (int j = i; j < n; j++)
                    cPtr[(long)i * n + j] += VectorMath.Dot(rowI, new ReadOnlySpan<float>(aPtr + (long)j * d, d));
            });
        }
    }

    private static void Axpy<T>(T alpha, ReadOnlySpan<T> x, Span<T> y) where T : unmanaged
    {
        if (typeof(T) == typeof(double))
            AxpyTyped((double)(object)alpha, MemoryMarshal.Cast<T, double>(x), MemoryMarshal.Cast<T, double>(y));
        else if (typeof(T) == typeof(float))
            AxpyTyped((float)(object)alpha, MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(y));
        else
            throw new NotSupportedException($"BLAS element type {typeof(T).Name} is not supported.");
    }

    private static void AxpyTyped<TNum>(TNum alpha, ReadOnlySpan<TNum> x, Span<TNum> y) where TNum : unmanaged, INumber<TNum>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<TNum>.Count)
        {
            var va = new Vector<TNum>(alpha);
            var vx = MemoryMarshal.Cast<TNum, Vector<TNum>>(x);
            var vy = MemoryMarshal.Cast<TNum, Vector<TNum>>(y);
            for (int v = 0; v < vx.Length; v++) vy[v] += va * vx[v];
            i = vx.Length * Vector<TNum>.Count;
        }
        for (; i < x.Length; i++) y[i] += alpha * x[i];
    }
}
