using Msun.Analysis.Core.LinearAlgebra;

namespace Msun.Analysis.Core.Cka;

/// <summary>
/// A CKA value with the HSIC terms it came from and how it was computed. When the value is undefined
/// (a self-HSIC that is zero, or negative under the unbiased estimator) <see cref="Value"/> is NaN and
/// <see cref="UndefinedReason"/> says why; it is never clamped or nudged with an epsilon.
/// </summary>
public sealed record CkaResult
{
    /// <summary>CKA = HSIC(K, L) / √(HSIC(K, K) · HSIC(L, L)), or NaN when undefined.</summary>
    public required double Value { get; init; }

    /// <summary>Why <see cref="Value"/> is NaN; null when it is defined.</summary>
    public string? UndefinedReason { get; init; }

    /// <summary>True when <see cref="Value"/> is a number.</summary>
    public bool IsDefined => UndefinedReason is null;

    /// <summary>HSIC between the two inputs (the estimator's normalisation).</summary>
    public required double HsicXY { get; init; }

    /// <summary>HSIC of the first input with itself.</summary>
    public required double HsicXX { get; init; }

    /// <summary>HSIC of the second input with itself.</summary>
    public required double HsicYY { get; init; }

    /// <summary>Kernel name: "linear" or "rbf".</summary>
    public required string Kernel { get; init; }

    /// <summary>The RBF bandwidth rule, or null for linear.</summary>
    public string? SigmaRule { get; init; }

    /// <summary>σ used for the first input (RBF; per batch rules report null).</summary>
    public double? SigmaX { get; init; }

    /// <summary>σ used for the second input.</summary>
    public double? SigmaY { get; init; }

    /// <summary>The HSIC estimator.</summary>
    public required HsicEstimator Estimator { get; init; }

    /// <summary>"gram", "feature", "streaming" or "minibatch".</summary>
    public required string Form { get; init; }

    /// <summary>Arithmetic of the products.</summary>
    public CkaPrecision Precision { get; init; } = CkaPrecision.Float64;

    /// <summary>Number of examples used.</summary>
    public required long N { get; init; }

    /// <summary>Features of the first input.</summary>
    public required int DX { get; init; }

    /// <summary>Features of the second input.</summary>
    public required int DY { get; init; }

    /// <summary>Minibatch form: the batch size; otherwise null.</summary>
    public int? BatchSize { get; init; }

    /// <summary>Minibatch form: how many batches were averaged.</summary>
    public int? Batches { get; init; }

    /// <summary>Anything the reader should know (e.g. a dropped ragged batch).</summary>
    public string? Note { get; init; }

    /// <summary>The BLAS backend that ran the products.</summary>
    public BlasBackend Blas { get; init; } = LinearAlgebra.Blas.Backend;

    /// <summary>A result from its three HSIC terms; the caller adds what else it knows with <c>with</c>.</summary>
    internal static CkaResult FromHsic(double xy, double xx, double yy, string nameX, string nameY,
        string kernel, HsicEstimator estimator, string form, long n, int dx, int dy)
    {
        var (value, reason) = Ratio(xy, xx, yy, nameX, nameY);
        return new CkaResult
        {
            Value = value,
            UndefinedReason = reason,
            HsicXY = xy,
            HsicXX = xx,
            HsicYY = yy,
            Kernel = kernel,
            Estimator = estimator,
            Form = form,
            N = n,
            DX = dx,
            DY = dy,
        };
    }

    /// <summary>
    /// Forms CKA from its three HSIC terms. A self-HSIC that is not positive leaves CKA undefined:
    /// biased self-HSIC is 0 only for a constant input; unbiased self-HSIC is a squared norm of the U-centred
    /// Gram (Székely and Rizzo 2014), so ≥ 0 in exact arithmetic, and 0 for degenerate inputs at small n.
    /// </summary>
    internal static (double Value, string? Reason) Ratio(double xy, double xx, double yy, string nameX, string nameY)
    {
        string? reason = null;
        if (!(xx > 0)) reason = SelfReason(nameX, xx);
        else if (!(yy > 0)) reason = SelfReason(nameY, yy);
        if (reason is null && !double.IsFinite(xy)) reason = $"HSIC({nameX}, {nameY}) is {xy}";
        return reason is null ? (xy / Math.Sqrt(xx * yy), null) : (double.NaN, reason);
    }

    private static string SelfReason(string name, double value) =>
        FormattableString.Invariant($"HSIC({name}, {name}) = {value:R} is not positive, so CKA is undefined")
        + (value == 0 ? $" ({name} shows no variation this kernel and estimator can measure)" : " (rounding or a degenerate input)");
}
