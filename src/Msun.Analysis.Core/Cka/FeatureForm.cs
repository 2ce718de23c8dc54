using System.Numerics;
using Msun.Analysis.Core.LinearAlgebra;

namespace Msun.Analysis.Core.Cka;

/// <summary>
/// Linear CKA from feature covariances of the centred data, in one pass over row chunks so that the
/// only n-sized temporary is one chunk. Cost O(n(d₁² + d₂²)/2 + n d₁d₂) with SYRK for the self terms.
/// </summary>
internal static class FeatureForm
{
    private const int ChunkRows = 2048;

    public static CenteredLinearMoments Moments(FeatureMatrix x, FeatureMatrix y, CkaPrecision precision) =>
        precision == CkaPrecision.Float64 ? Moments<double>(x, y) : Moments<float>(x, y);

    private static CenteredLinearMoments Moments<T>(FeatureMatrix x, FeatureMatrix y) where T : unmanaged, INumber<T>
    {
        int n = x.Rows, d1 = x.Columns, d2 = y.Columns, chunk = Math.Min(n, ChunkRows);
        double[] meanX = x.ColumnMeans(), meanY = y.ColumnMeans();
        using var cxxBuffer = new NativeBuffer<T>((long)d1 * d1);
        using var cyyBuffer = new NativeBuffer<T>((long)d2 * d2);
        using var cxyBuffer = new NativeBuffer<T>((long)d1 * d2);
        using var bxBuffer = new NativeBuffer<T>((long)chunk * d1);
        using var byBuffer = new NativeBuffer<T>((long)chunk * d2);
        Span<T> cxx = cxxBuffer.Span, cyy = cyyBuffer.Span, cxy = cxyBuffer.Span, bx = bxBuffer.Span, by = byBuffer.Span;
        double traceX = 0, traceY = 0, sumAB = 0, sumAA = 0, sumBB = 0;
        for (int start = 0; start < n; start += chunk)
        {
            int count = Math.Min(chunk, n - start);
            x.CopyShiftedRows<T>(start, count, meanX, bx);
            y.CopyShiftedRows<T>(start, count, meanY, by);
            Blas.SyrkTransposed<T>(bx[..(count * d1)], count, d1, cxx);
            Blas.SyrkTransposed<T>(by[..(count * d2)], count, d2, cyy);
            Blas.GemmTransposedA<T>(bx[..(count * d1)], by[..(count * d2)], count, d1, d2, cxy);
            for (int r = 0; r < count; r++)
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
            n, VectorMath.SumOfSquares<T>(cxy), VectorMath.SymmetricFrobenius2<T>(cxx, d1), VectorMath.SymmetricFrobenius2<T>(cyy, d2),
            traceX, traceY, sumAB, sumAA, sumBB);
    }
}
