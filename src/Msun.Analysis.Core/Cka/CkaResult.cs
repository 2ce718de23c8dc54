using System.Text.Json;
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

    /// <summary>
    /// Writes the result's fields into the JSON object being written (the shape <c>msun cka --json</c> prints):
    /// <c>cka</c> (null when undefined), <c>defined</c>, <c>undefined_reason</c>, <c>kernel</c>, <c>sigma_rule</c>,
    /// <c>sigma_fraction</c> (when given), <c>sigma_x</c>, <c>sigma_y</c>, <c>estimator</c>, <c>debiased</c>, <c>form</c>,
    /// <c>precision</c>, <c>n</c>, <c>d1</c>, <c>d2</c>, <c>batch_size</c>/<c>batches</c> (minibatch), <c>hsic_xy</c>,
    /// <c>hsic_xx</c>, <c>hsic_yy</c>, <c>note</c>, <c>blas</c>. JSON has no NaN: an undefined number is null.
    /// </summary>
    /// <param name="writer">A writer inside an object.</param>
    /// <param name="sigmaFraction">The RBF σ fraction the kernel was built with, when it was a fraction rule.</param>
    public void WriteJsonProperties(Utf8JsonWriter writer, double? sigmaFraction = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var w = writer;
        Number(w, "cka", Value);
        w.WriteBoolean("defined", IsDefined);
        w.WriteString("undefined_reason", UndefinedReason);
        w.WriteString("kernel", Kernel);
        w.WriteString("sigma_rule", SigmaRule);
        if (sigmaFraction is double f) Number(w, "sigma_fraction", f);
        Number(w, "sigma_x", SigmaX);
        Number(w, "sigma_y", SigmaY);
        w.WriteString("estimator", Estimator == HsicEstimator.Unbiased ? "unbiased" : "biased");
        w.WriteBoolean("debiased", Estimator == HsicEstimator.Unbiased);
        w.WriteString("form", Form);
        w.WriteString("precision", Precision == CkaPrecision.Float64 ? "float64" : "float32-products");
        w.WriteNumber("n", N);
        w.WriteNumber("d1", DX);
        w.WriteNumber("d2", DY);
        if (BatchSize is int b) { w.WriteNumber("batch_size", b); w.WriteNumber("batches", Batches!.Value); }
        Number(w, "hsic_xy", HsicXY);
        Number(w, "hsic_xx", HsicXX);
        Number(w, "hsic_yy", HsicYY);
        w.WriteString("note", Note);
        w.WriteString("blas", Blas.ToString());
    }

    private static void Number(Utf8JsonWriter w, string name, double? value)
    {
        if (value is double v && double.IsFinite(v)) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }
}
