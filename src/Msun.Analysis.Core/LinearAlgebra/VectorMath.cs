using System.Numerics;
using System.Runtime.InteropServices;

namespace Msun.Analysis.Core.LinearAlgebra;

/// <summary>SIMD dot products and sums over spans, accumulated in float64.</summary>
internal static class VectorMath
{
    public static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        double sum = 0;
        int i = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<double>.Count)
        {
            var acc = Vector<double>.Zero;
            var vx = MemoryMarshal.Cast<double, Vector<double>>(x);
            var vy = MemoryMarshal.Cast<double, Vector<double>>(y);
            for (int v = 0; v < vx.Length; v++) acc += vx[v] * vy[v];
            sum = Vector.Sum(acc);
            i = vx.Length * Vector<double>.Count;
        }
        for (; i < x.Length; i++) sum += x[i] * y[i];
        return sum;
    }

    /// <summary>Σ c_ij² of a symmetric d×d matrix from its upper triangle.</summary>
    public static double SymmetricFrobenius2<T>(ReadOnlySpan<T> upper, int d) where T : unmanaged, INumber<T>
    {
        double diagonal = 0, offDiagonal = 0;
        for (int i = 0; i < d; i++)
        {
            double cii = double.CreateTruncating(upper[i * d + i]);
            diagonal += cii * cii;
            ReadOnlySpan<T> rest = upper.Slice(i * d + i + 1, d - i - 1);
            offDiagonal += SumOfSquares(rest);
        }
        return diagonal + 2 * offDiagonal;
    }

    public static double SumOfSquares<T>(ReadOnlySpan<T> x) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(double))
        {
            var d = MemoryMarshal.Cast<T, double>(x);
            return Dot(d, d);
        }
        double sum = 0;
        foreach (T value in x)
        {
            double v = double.CreateTruncating(value);
            sum += v * v;
        }
        return sum;
    }
}
