using Msun.Analysis.Core.LinearAlgebra;

namespace Msun.Analysis.Core.Cka;

/// <summary>
/// Centred kernel alignment (Kornblith et al. 2019): CKA = HSIC(K, L) / √(HSIC(K, K) · HSIC(L, L)).
/// One entry point for all-in-memory inputs; <see cref="LinearCkaAccumulator"/> streams linear CKA
/// exactly in O(d²) memory, and <see cref="MinibatchCka"/> averages unbiased HSIC over batches.
/// </summary>
public static class Cka
{
    /// <summary>
    /// CKA between <paramref name="x"/> and <paramref name="y"/> (rows = the same examples).
    /// Form: the feature form for linear kernels when d₁ + d₂ &lt; n (cheaper, O((d₁ + d₂)²) memory),
    /// the Gram form otherwise and for RBF. Every sum is float64 whatever the input type.
    /// </summary>
    /// <exception cref="ArgumentException">Row counts differ, too few rows for the estimator, or an option that does not apply.</exception>
    public static CkaResult Compute(FeatureMatrix x, FeatureMatrix y, CkaOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        options ??= new CkaOptions();
        CheckPair(x, y, options.Estimator);
        CkaForm form = ChooseForm(x, y, options);
        if (form == CkaForm.Feature)
        {
            var (xy, xx, yy) = FeatureForm.Moments(x, y, options.Precision, options.Estimator).Hsic(options.Estimator);
            return Result(x, y, options, "feature", xy, xx, yy);
        }

        var (k, sigmaX, undefinedX) = GramForm.Kernel(x, options.Kernel);
        var (l, sigmaY, undefinedY) = GramForm.Kernel(y, options.Kernel);
        string? bandwidthProblem = undefinedX ?? undefinedY;
        if (bandwidthProblem is not null)
            return Result(x, y, options, "gram", double.NaN, double.NaN, double.NaN, sigmaX, sigmaY) with
            {
                Value = double.NaN,
                UndefinedReason = bandwidthProblem,
            };
        int n = x.Rows;
        var hsic = options.Estimator == HsicEstimator.Biased
            ? GramForm.BiasedHsic(k, l, n)
            : Unbiased(k, l, n);
        return Result(x, y, options, "gram", hsic.XY, hsic.XX, hsic.YY, sigmaX, sigmaY);
    }

    /// <summary>Checks that two inputs can be compared: same examples, enough of them for the estimator.</summary>
    /// <exception cref="ArgumentException">With a message naming both inputs and their shapes.</exception>
    public static void CheckPair(FeatureMatrix x, FeatureMatrix y, HsicEstimator estimator)
    {
        if (x.Rows != y.Rows)
            throw new ArgumentException(
                $"{x.Name} has {x.Rows} rows ({x.Shape}) but {y.Name} has {y.Rows} ({y.Shape}): CKA compares the same examples, row for row.");
        CheckExampleCount(x.Rows, estimator, $"{x.Name} and {y.Name}");
    }

    /// <summary>Debiased CKA needs n ≥ 4 (its normaliser is n(n−3)(n−2)); the biased one n ≥ 2.</summary>
    internal static void CheckExampleCount(long n, HsicEstimator estimator, string what)
    {
        if (estimator == HsicEstimator.Unbiased && n < 4)
            throw new ArgumentException(
                $"debiased CKA (unbiased HSIC, Song et al. 2012) needs at least 4 examples; {what} have {n}.");
        if (n < 2)
            throw new ArgumentException($"CKA needs at least 2 examples; {what} have {n}.");
    }

    private static CkaForm ChooseForm(FeatureMatrix x, FeatureMatrix y, CkaOptions options)
    {
        bool linear = options.Kernel is LinearKernel;
        CkaForm form = options.Form switch
        {
            CkaForm.Auto => linear && (long)x.Columns + y.Columns < x.Rows ? CkaForm.Feature : CkaForm.Gram,
            CkaForm.Feature when !linear => throw new ArgumentException(
                $"the feature form exists for the linear kernel only; the {options.Kernel.Name} kernel needs the Gram form."),
            _ => options.Form,
        };
        if (form == CkaForm.Gram && options.Precision != CkaPrecision.Float64)
            throw new ArgumentException(
                $"{options.Precision} applies to the linear feature form only; this computation uses the Gram form (kernel {options.Kernel.Name}, d₁ + d₂ = {x.Columns + y.Columns}, n = {x.Rows}).");
        return form;
    }

    private static (double XY, double XX, double YY) Unbiased(double[] k, double[] l, int n)
    {
        var gk = new UnbiasedGram(k, n);
        var gl = new UnbiasedGram(l, n);
        return (UnbiasedGram.Hsic(gk, gl), UnbiasedGram.Hsic(gk, gk), UnbiasedGram.Hsic(gl, gl));
    }

    private static CkaResult Result(
        FeatureMatrix x, FeatureMatrix y, CkaOptions options, string form,
        double xy, double xx, double yy, double? sigmaX = null, double? sigmaY = null) =>
        CkaResult.FromHsic(xy, xx, yy, x.Name, y.Name, options.Kernel.Name, options.Estimator, form, x.Rows, x.Columns, y.Columns) with
        {
            SigmaRule = (options.Kernel as RbfKernel)?.Sigma.Describe(),
            SigmaX = sigmaX,
            SigmaY = sigmaY,
            Precision = options.Precision,
        };
}
