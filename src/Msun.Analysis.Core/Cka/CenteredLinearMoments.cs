namespace Msun.Analysis.Core.Cka;

/// <summary>
/// What linear CKA needs from centred data X̂ (n×d₁), Ŷ (n×d₂), with a_i = ‖x̂_i‖², b_i = ‖ŷ_i‖²:
/// the squared Frobenius norms of X̂ᵀŶ, X̂ᵀX̂, ŶᵀŶ, the traces Σa, Σb, and Σab, Σa², Σb².
/// Both the in-memory feature form and the streaming accumulator reduce to this, then to HSIC here.
/// </summary>
internal readonly record struct CenteredLinearMoments(
    long N, double CrossFrobenius2, double SelfXFrobenius2, double SelfYFrobenius2,
    double TraceX, double TraceY, double SumAB, double SumAA, double SumBB)
{
    public (double XY, double XX, double YY) Hsic(HsicEstimator estimator) => (
        Hsic(estimator, CrossFrobenius2, TraceX, TraceY, SumAB),
        Hsic(estimator, SelfXFrobenius2, TraceX, TraceX, SumAA),
        Hsic(estimator, SelfYFrobenius2, TraceY, TraceY, SumBB));

    /// <summary>
    /// With centred features K = X̂X̂ᵀ is already double-centred, so tr(KHLH) = tr(KL) = ‖X̂ᵀŶ‖²_F.
    /// For the unbiased form (Song et al. 2012) with K̃ = K − diag(a): tr(K̃L̃) = ‖X̂ᵀŶ‖²_F − Σab;
    /// K̃1 = X̂(X̂ᵀ1) − a = −a, so 1ᵀK̃1 = −Σa and 1ᵀK̃L̃1 = Σab.
    /// </summary>
    private double Hsic(HsicEstimator estimator, double frobenius2, double traceK, double traceL, double sumKL)
    {
        double n = N;
        return estimator == HsicEstimator.Biased
            ? frobenius2 / ((n - 1) * (n - 1))
            : (frobenius2 - sumKL + traceK * traceL / ((n - 1) * (n - 2)) - 2 * sumKL / (n - 2)) / (n * (n - 3));
    }
}
