using Msun.Analysis.Core.LinearAlgebra;

namespace Msun.Analysis.Core.Cka;

/// <summary>Kernel (Gram) matrices and HSIC between them: the form every kernel supports.</summary>
internal static class GramForm
{
    /// <summary>
    /// The n×n Gram of one input under a kernel, dense and symmetric (an RBF Gram possibly as K − 1, see below). Features are centred first:
    /// both kernels are invariant to a common shift, and centring keeps float digits (the 1e4-offset case).
    /// </summary>
    public static (double[] Gram, double? Sigma, string? Undefined) Kernel(FeatureMatrix x, CkaKernel kernel)
    {
        int n = x.Rows, d = x.Columns;
        var centred = new double[(long)n * d];
        x.CopyShiftedRows<double>(0, n, x.ColumnMeans(), centred);
        var gram = new double[(long)n * n];
        Blas.SyrkGram(centred, n, d, gram);
        Blas.MirrorUpper<double>(gram, n);
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

    /// <summary>eˣ − 1 to a few ulps for small x (Kahan's trick), where Math.Exp(x) − 1 would cancel.</summary>
    internal static double ExpM1(double x)
    {
        double u = Math.Exp(x);
        if (u == 1.0) return x;
        double um1 = u - 1.0;
        return um1 == -1.0 ? -1.0 : um1 * x / Math.Log(u);
    }

    /// <summary>D_ij = K_ii + K_jj − 2K_ij in place, with an exactly zero diagonal (‖x_i − x_i‖² = 0 by definition).</summary>
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

/// <summary>
/// A Gram with its diagonal set to zero (K̃), its row sums and total: everything the unbiased HSIC
/// estimator needs, so that each HSIC between two prepared Grams costs O(n²) (no n³ products, no
/// dense centring matrix).
/// </summary>
internal sealed class UnbiasedGram
{
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
