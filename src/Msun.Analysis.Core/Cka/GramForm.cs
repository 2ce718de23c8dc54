using System.Runtime.CompilerServices;
using Msun.Analysis.Core.LinearAlgebra;

namespace Msun.Analysis.Core.Cka;

/// <summary>Kernel (Gram) matrices and HSIC between them: the form every kernel supports.</summary>
internal static class GramForm
{
    /// <summary>
    /// The n×n Gram of one input under a kernel, dense and symmetric (an RBF Gram possibly as K − 1, see below). Features are centred first:
    /// both kernels are invariant to a common shift, and centring keeps float digits (the 1e4-offset case).
    /// </summary>
    /// <param name="x">The input.</param>
    /// <param name="kernel">Linear or RBF.</param>
    /// <param name="gram">Where to put the n×n Gram (any contents; overwritten), or null for a new array.</param>
    /// <param name="scratch">A buffer for the centred column blocks, kept by a caller that builds many Grams (grown when too small), or null.</param>
    /// <param name="precision">Arithmetic of the Gram's products: float64, or float32 within each column block (linear kernel only; callers check).</param>
    public static (double[] Gram, double? Sigma, string? Undefined) Kernel(FeatureMatrix x, CkaKernel kernel, double[]? gram = null, GramScratch? scratch = null,
        CkaPrecision precision = CkaPrecision.Float64)
    {
        int n = x.Rows;
        if (gram is null || gram.LongLength != (long)n * n) gram = new double[(long)n * n];
        if (precision == CkaPrecision.Float64) CentredLinearGram(x, gram, scratch ?? new GramScratch());
        else CentredLinearGramSingle(x, gram, scratch ?? new GramScratch());
        if (kernel is LinearKernel) return (gram, null, null);
        var rbf = (RbfKernel)kernel;
        ToSquaredDistances(gram, n);
        double sigma2;
        if (rbf.Sigma is FixedSigma fixedSigma)
            sigma2 = fixedSigma.Sigma * fixedSigma.Sigma;
        else
        {
            var median = (MedianSigma)rbf.Sigma;
            double m = Median.OfSquaredDistances(gram, n, median.IncludeDiagonal);
            if (!(m > 0))
                return (gram, null, $"the median squared distance between the rows of {x.Name} is {m}, so the RBF bandwidth ({rbf.Sigma.Describe()}) is undefined");
            sigma2 = median.Fraction * median.Fraction * m;
        }
        // Both HSIC estimators ignore a constant added to every kernel value (centring removes it; the
        // unbiased terms cancel it), so store whichever of K and K − 1 (via expm1) keeps the values near 0:
        // K for a narrow bandwidth (K ≈ 0 off the diagonal), K − 1 for a wide one (K ≈ 1 − D/(2σ²)),
        // where the digits that matter would otherwise sit below the 1.
        double scale = -1 / (2 * sigma2), meanK = 0;
        for (long i = 0; i < gram.LongLength; i++) meanK += Math.Exp(gram[i] * scale);
        meanK /= gram.LongLength;
        if (meanK > 0.5)
            for (long i = 0; i < gram.LongLength; i++) gram[i] = ExpM1(gram[i] * scale);
        else
            for (long i = 0; i < gram.LongLength; i++) gram[i] = Math.Exp(gram[i] * scale);
        return (gram, Math.Sqrt(sigma2), null);
    }

    /// <summary>
    /// gram = (X − 1μᵀ)(X − 1μᵀ)ᵀ, μ the column means, summed in float64. Built one block of columns at a
    /// time: each block's means are taken, the block is centred (and widened) into a small float64 buffer
    /// that stays in cache, and SYRK adds its product to the Gram. The n×d float64 copy of the whole input
    /// is never made: no large allocation per Gram, no pass over memory that does not fit in cache.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called per batch and layer: see VectorMath
    internal static void CentredLinearGram(FeatureMatrix x, double[] gram, GramScratch scratch)
    {
        int n = x.Rows, d = x.Columns;
        int block = ColumnBlock(n, d);
        var centred = scratch.Centred((long)n * block);
        var means = scratch.Means(block);
        Array.Clear(gram);
        for (int start = 0; start < d; start += block)
        {
            int width = Math.Min(block, d - start);
            x.ColumnMeans(start, width, means);
            x.CopyShiftedColumns<double>(start, width, means[..width], centred);
            Blas.SyrkGram(centred[..(n * width)], n, width, gram);
        }
        Blas.MirrorUpper<double>(gram, n);
    }

    /// <summary>
    /// <see cref="CentredLinearGram"/> with float32 products (<see cref="CkaPrecision.Float32Products"/>): each block is
    /// centred in float64 and rounded to float32, its Gram is formed in float32 (SSYRK, about twice as fast), and
    /// the blocks' Grams are summed in float64.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called per batch and layer: see VectorMath
    internal static void CentredLinearGramSingle(FeatureMatrix x, double[] gram, GramScratch scratch)
    {
        int n = x.Rows, d = x.Columns;
        int block = ColumnBlock(n, d);
        var centred = scratch.CentredSingle((long)n * block);
        var blockGram = scratch.GramSingle((long)n * n);
        var means = scratch.Means(block);
        Array.Clear(gram);
        for (int start = 0; start < d; start += block)
        {
            int width = Math.Min(block, d - start);
            x.ColumnMeans(start, width, means);
            x.CopyShiftedColumns<float>(start, width, means[..width], centred);
            blockGram.Clear();
            Blas.SyrkGram(centred[..(n * width)], n, width, blockGram);
            for (int i = 0; i < n; i++)
                for (int j = i; j < n; j++)
                    gram[i * n + j] += blockGram[i * n + j];
        }
        Blas.MirrorUpper<double>(gram, n);
    }

    /// <summary>
    /// Columns per block: about 64 Ki float64 values (512 KiB, a core's L2) per block, but never fewer columns
    /// than rows, so that re-reading the n×n Gram for each block costs no more than the block itself; all of d
    /// when that is no more. A multiple of 8 (SIMD width) unless it is d.
    /// </summary>
    internal static int ColumnBlock(int n, int d)
    {
        long block = Math.Max(n, (1 << 16) / Math.Max(n, 1));
        block = (block + 7) / 8 * 8;
        return (int)Math.Min(block, d);
    }

    /// <summary>eˣ − 1 to a few ulps for small x (Kahan's trick), where Math.Exp(x) − 1 would cancel.</summary>
    internal static double ExpM1(double x)
    {
        double u = Math.Exp(x);
        if (u == 1.0) return x;
        double um1 = u - 1.0;
        return um1 == -1.0 ? -1.0 : um1 * x / Math.Log(u);
    }

    /// <summary>D_ij = K_ii + K_jj − 2K_ij in place, with an exactly zero diagonal (‖x_i − x_i‖² = 0 by definition).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called per batch and layer: see VectorMath
    private static void ToSquaredDistances(double[] gram, int n)
    {
        var norms = new double[n];
        for (int i = 0; i < n; i++) norms[i] = gram[(long)i * n + i];
        for (int i = 0; i < n; i++)
        {
            long row = (long)i * n;
            for (int j = 0; j < n; j++) gram[row + j] = norms[i] + norms[j] - 2 * gram[row + j];
            gram[row + i] = 0;
        }
    }

    /// <summary>Biased HSIC pieces: centres each Gram in place (HKH), then HSIC = ⟨HKH, HLH⟩_F/(n−1)².</summary>
    public static (double XY, double XX, double YY) BiasedHsic(double[] k, double[] l, int n)
    {
        CentreInPlace(k, n);
        CentreInPlace(l, n);
        double norm = (double)(n - 1) * (n - 1);
        return (VectorMath.Dot(k, l) / norm, VectorMath.Dot(k, k) / norm, VectorMath.Dot(l, l) / norm);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called per batch and layer: see VectorMath
    private static void CentreInPlace(double[] k, int n)
    {
        var rowMeans = new double[n];
        double grand = 0;
        for (int i = 0; i < n; i++)
        {
            double s = 0;
            for (int j = 0; j < n; j++) s += k[(long)i * n + j];
            rowMeans[i] = s / n;
            grand += s;
        }
        grand /= (double)n * n;
        // K symmetric: column means equal row means.
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                k[(long)i * n + j] += grand - rowMeans[i] - rowMeans[j];
    }
}

/// <summary>Buffers reused from Gram to Gram by a caller that builds many (the minibatch grid): a centred column block, its means, a float32 block Gram.</summary>
internal sealed class GramScratch
{
    private double[] _centred = [], _means = [];
    private float[] _centredSingle = [], _gramSingle = [];

    public Span<double> Centred(long length)
    {
        if (_centred.LongLength < length) _centred = GC.AllocateUninitializedArray<double>(checked((int)length));
        return _centred.AsSpan(0, (int)length);
    }

    public Span<float> CentredSingle(long length)
    {
        if (_centredSingle.LongLength < length) _centredSingle = GC.AllocateUninitializedArray<float>(checked((int)length));
        return _centredSingle.AsSpan(0, (int)length);
    }

    public Span<float> GramSingle(long length)
    {
        if (_gramSingle.LongLength < length) _gramSingle = new float[checked((int)length)];
        return _gramSingle.AsSpan(0, (int)length);
    }

    public Span<double> Means(int length)
    {
        if (_means.Length < length) _means = new double[length];
        return _means.AsSpan(0, length);
    }
}

/// <summary>
/// A Gram with its diagonal set to zero (K̃), its row sums and total: everything the unbiased HSIC
/// estimator needs, so that each HSIC between two prepared Grams costs O(n²) (no n³ products, no
/// dense centring matrix).
/// </summary>
internal sealed class UnbiasedGram
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called per batch and layer: see VectorMath
    public UnbiasedGram(double[] gram, int n)
    {
        N = n;
        Values = gram;
        RowSums = new double[n];
        for (int i = 0; i < n; i++)
        {
            long row = (long)i * n;
            gram[row + i] = 0; // K̃: the diagonal replaced by zeros, not K − diag(K) of a centred K.
            double s = 0;
            for (int j = 0; j < n; j++) s += gram[row + j];
            RowSums[i] = s;
            Total += s;
        }
    }

    public int N { get; }
    public double[] Values { get; }
    public double[] RowSums { get; }
    public double Total { get; }

    /// <summary>Song et al. 2012: [tr(K̃L̃) + 1ᵀK̃1·1ᵀL̃1/((n−1)(n−2)) − 2/(n−2)·1ᵀK̃L̃1] / (n(n−3)).</summary>
    public static double Hsic(UnbiasedGram k, UnbiasedGram l)
    {
        double n = k.N;
        double trace = VectorMath.Dot(k.Values, l.Values); // K̃, L̃ symmetric: tr(K̃L̃) = Σ K̃∘L̃
        double sums = k.Total * l.Total / ((n - 1) * (n - 2));
        double cross = VectorMath.Dot(k.RowSums, l.RowSums) * 2 / (n - 2);
        return (trace + sums - cross) / (n * (n - 3));
    }
}
