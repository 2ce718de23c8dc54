namespace Msun.Analysis.Core.Cka;

/// <summary>Which HSIC estimator CKA is built from.</summary>
public enum HsicEstimator
{
    /// <summary>tr(KHLH)/(n−1)² (Gretton et al. 2005): the CKA of Kornblith et al. 2019.</summary>
    Biased,
    /// <summary>The unbiased U-statistic of Song et al. 2012 ("debiased CKA"); needs n ≥ 4.</summary>
    Unbiased,
}

/// <summary>How a CKA value is computed. Auto picks by cost and memory (see <see cref="Cka.Compute"/>).</summary>
public enum CkaForm
{
    /// <summary>Feature form for linear kernels when d₁ + d₂ &lt; n, Gram form otherwise.</summary>
    Auto,
    /// <summary>n×n kernel matrices: O(n²(d + 1)) time, O(n²) memory. The only form for RBF.</summary>
    Gram,
    /// <summary>Feature covariances (linear only): O(n(d₁ + d₂)²) time, O((d₁ + d₂)²) memory.</summary>
    Feature,
}

/// <summary>Arithmetic of the matrix products.</summary>
public enum CkaPrecision
{
    /// <summary>Every product and sum in float64, whatever the input type (the default).</summary>
    Float64,
    /// <summary>
    /// Feature-form products in float32 (SSYRK/SGEMM), each summed in float32 over one chunk of 2 048 rows
    /// only; centring and the sums across chunks in float64: about twice as fast as <see cref="Float64"/>,
    /// with products accurate to float32 only. Opt-in, and recorded. Also
    /// accepted by <see cref="MinibatchCka"/> (linear kernel): each Gram's products in float32 per block of
    /// columns, the blocks summed in float64.
    /// </summary>
    Float32Products,
}

/// <summary>A kernel applied to the rows of one input.</summary>
public abstract record CkaKernel
{
    /// <summary>The linear kernel k(x, y) = xᵀy.</summary>
    public static CkaKernel Linear { get; } = new LinearKernel();

    /// <summary>The default f of the RBF bandwidth rule σ² = f² × median squared distance (Kornblith et al. 2019's 0.5).</summary>
    public const double DefaultSigmaFraction = 0.5;

    /// <summary>RBF with σ² = f² × median of all n² squared distances (Kornblith et al. 2019's rule).</summary>
    public static CkaKernel Rbf(double sigmaFraction = DefaultSigmaFraction) => new RbfKernel(SigmaRule.MedianFraction(sigmaFraction));

    /// <summary>Short name for provenance: "linear" or "rbf".</summary>
    public abstract string Name { get; }
}

/// <summary>k(x, y) = xᵀy.</summary>
public sealed record LinearKernel : CkaKernel
{
    /// <inheritdoc />
    public override string Name => "linear";
}

/// <summary>k(x, y) = exp(−‖x − y‖² / (2σ²)), σ chosen per input by <paramref name="Sigma"/>.</summary>
public sealed record RbfKernel(SigmaRule Sigma) : CkaKernel
{
    /// <inheritdoc />
    public override string Name => "rbf";
}

/// <summary>How the RBF bandwidth σ is chosen for each input.</summary>
public abstract record SigmaRule
{
    /// <summary>σ² = f² × median of all n² squared distances, the zero diagonal included, NumPy's median (Kornblith et al. 2019).</summary>
    public static SigmaRule MedianFraction(double fraction) => new MedianSigma(fraction, IncludeDiagonal: true);

    /// <summary>σ² = f² × median of the non-zero squared distances between distinct examples (another convention in use).</summary>
    public static SigmaRule NonZeroMedianFraction(double fraction) => new MedianSigma(fraction, IncludeDiagonal: false);

    /// <summary>A fixed σ for both inputs.</summary>
    public static SigmaRule Fixed(double sigma) => new FixedSigma(sigma);

    /// <summary>Short description for provenance.</summary>
    public abstract string Describe();
}

/// <summary>σ² = fraction² × a median of squared distances.</summary>
public sealed record MedianSigma : SigmaRule
{
    /// <summary>Creates the rule; the fraction must be positive and finite.</summary>
    public MedianSigma(double Fraction, bool IncludeDiagonal)
    {
        if (!double.IsFinite(Fraction) || Fraction <= 0)
            throw new ArgumentOutOfRangeException(nameof(Fraction), Fraction, "the RBF sigma fraction must be a positive finite number.");
        this.Fraction = Fraction;
        this.IncludeDiagonal = IncludeDiagonal;
    }

    /// <summary>f in σ² = f² × median.</summary>
    public double Fraction { get; }

    /// <summary>True: median of all n² entries (zeros of the diagonal included); false: of the non-zero off-diagonal ones.</summary>
    public bool IncludeDiagonal { get; }

    /// <inheritdoc />
    public override string Describe() => IncludeDiagonal
        ? $"sigma^2 = {Fraction}^2 * median of all n^2 squared distances"
        : $"sigma^2 = {Fraction}^2 * median of non-zero squared distances";
}

/// <summary>A fixed bandwidth.</summary>
public sealed record FixedSigma : SigmaRule
{
    /// <summary>Creates the rule; σ must be positive and finite.</summary>
    public FixedSigma(double Sigma)
    {
        if (!double.IsFinite(Sigma) || Sigma <= 0)
            throw new ArgumentOutOfRangeException(nameof(Sigma), Sigma, "a fixed RBF sigma must be a positive finite number.");
        this.Sigma = Sigma;
    }

    /// <summary>The bandwidth.</summary>
    public double Sigma { get; }

    /// <inheritdoc />
    public override string Describe() => $"sigma = {Sigma} (fixed)";
}

/// <summary>Options of one CKA computation; the same record goes into the result's provenance.</summary>
/// <param name="Kernel">Kernel for both inputs (linear by default).</param>
/// <param name="Estimator">HSIC estimator (biased by default).</param>
/// <param name="Form">Gram or feature form, or automatic.</param>
/// <param name="Precision">Arithmetic of the products (float64 by default).</param>
public sealed record CkaOptions(
    CkaKernel? Kernel = null,
    HsicEstimator Estimator = HsicEstimator.Biased,
    CkaForm Form = CkaForm.Auto,
    CkaPrecision Precision = CkaPrecision.Float64)
{
    /// <summary>The kernel, linear when none was given.</summary>
    public CkaKernel Kernel { get; init; } = Kernel ?? CkaKernel.Linear;
}
