using System.Numerics;
using System.Runtime.InteropServices;
using Msun.Analysis.Core.LinearAlgebra;

namespace Msun.Analysis.Core.Cka;

/// <summary>
/// Linear CKA from feature covariances of the centred data, in one pass over row chunks so that the
/// only n-sized temporary is one chunk. Cost O(n(d₁² + d₂²)/2 + n d₁d₂) with SYRK for the self terms.
/// </summary>
internal static class FeatureForm
{
    private const int ChunkRows = 2048;

    public static CenteredLinearMoments Moments(FeatureMatrix x, FeatureMatrix y, CkaPrecision precision, HsicEstimator estimator) =>
        precision == CkaPrecision.Float64 ? Moments<double>(x, y, estimator) : Moments<float>(x, y, estimator);

    /// <summary>
    /// In float64 the products accumulate straight into the d×d sums. In float32 each chunk's products go into
    /// float32 buffers cleared per chunk and are then added into float64 sums, so only sums over one chunk's
    /// rows are float32: a float32 running sum over all n rows would lose digits as n grows. A matrix that may be
    /// centred in place is (one pass for the means, one to subtract them, as NumPy does); otherwise each chunk is
    /// copied centred. The row norms (traces and fourth moments) are summed only for the unbiased estimator.
    /// </summary>
    private static CenteredLinearMoments Moments<T>(FeatureMatrix x, FeatureMatrix y, HsicEstimator estimator) where T : unmanaged, INumber<T>
    {
        int n = x.Rows, d1 = x.Columns, d2 = y.Columns;
        bool productsAreSums = typeof(T) == typeof(double), norms = estimator == HsicEstimator.Unbiased;
        bool xInPlace = x.TryCentreInPlace<T>(out Span<T> centredX), yInPlace = y.TryCentreInPlace<T>(out Span<T> centredY);
        // Chunks exist for the copies and the float32 sums; float64 products of data centred in place take all rows at once.
        int chunk = productsAreSums && xInPlace && yInPlace ? n : Math.Min(n, ChunkRows);
        double[]? meanX = xInPlace ? null : x.ColumnMeans(), meanY = yInPlace ? null : y.ColumnMeans();
        using var sxxBuffer = new NativeBuffer<double>((long)d1 * d1);
        using var syyBuffer = new NativeBuffer<double>((long)d2 * d2);
        using var sxyBuffer = new NativeBuffer<double>((long)d1 * d2);
        using var cxxBuffer = productsAreSums ? null : new NativeBuffer<T>((long)d1 * d1);
        using var cyyBuffer = productsAreSums ? null : new NativeBuffer<T>((long)d2 * d2);
        using var cxyBuffer = productsAreSums ? null : new NativeBuffer<T>((long)d1 * d2);
        using var bxBuffer = xInPlace ? null : new NativeBuffer<T>((long)chunk * d1);
        using var byBuffer = yInPlace ? null : new NativeBuffer<T>((long)chunk * d2);
        Span<double> sxx = sxxBuffer.Span, syy = syyBuffer.Span, sxy = sxyBuffer.Span;
        Span<T> cxx = productsAreSums ? MemoryMarshal.Cast<double, T>(sxx) : cxxBuffer!.Span;
        Span<T> cyy = productsAreSums ? MemoryMarshal.Cast<double, T>(syy) : cyyBuffer!.Span;
        Span<T> cxy = productsAreSums ? MemoryMarshal.Cast<double, T>(sxy) : cxyBuffer!.Span;
        double traceX = 0, traceY = 0, sumAB = 0, sumAA = 0, sumBB = 0;
        for (int start = 0; start < n; start += chunk)
        {
            int count = Math.Min(chunk, n - start);
            Span<T> bx = xInPlace ? centredX.Slice(start * d1, count * d1) : bxBuffer!.Span[..(count * d1)];
            Span<T> by = yInPlace ? centredY.Slice(start * d2, count * d2) : byBuffer!.Span[..(count * d2)];
            if (!xInPlace) x.CopyShiftedRows<T>(start, count, meanX!, bx);
            if (!yInPlace) y.CopyShiftedRows<T>(start, count, meanY!, by);
            if (!productsAreSums)
            {
                cxx.Clear();
                cyy.Clear();
                cxy.Clear();
            }
            Blas.SyrkTransposed<T>(bx, count, d1, cxx);
            Blas.SyrkTransposed<T>(by, count, d2, cyy);
            Blas.GemmTransposedA<T>(bx, by, count, d1, d2, cxy);
            if (!productsAreSums)
            {
                VectorMath.AddTo<T>(cxx, sxx);
                VectorMath.AddTo<T>(cyy, syy);
                VectorMath.AddTo<T>(cxy, sxy);
            }
            for (int r = 0; norms && r < count; r++)
            {
                double a = VectorMath.SumOfSquares<T>(bx.Slice(r * d1, d1));
                double b = VectorMath.SumOfSquares<T>(by.Slice(r * d2, d2));
                traceX += a;
                traceY += b;
                sumAB += a * b;
                sumAA += a * a;
                sumBB += b * b;
            }
        }
        return new CenteredLinearMoments(
            n, VectorMath.SumOfSquares<double>(sxy), VectorMath.SymmetricFrobenius2<double>(sxx, d1), VectorMath.SymmetricFrobenius2<double>(syy, d2),
            traceX, traceY, sumAB, sumAA, sumBB);
    }
}
