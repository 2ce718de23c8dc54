using Msun.Analysis.Core.Cka;

namespace Msun.Analysis.Core.Tests.Cka;

public class CkaPropertyTests
{
    private static readonly FeatureMatrix X = RandomMatrices.Matrix("x", 60, 8, seed: 1);
    private static readonly FeatureMatrix Y = RandomMatrices.Dependent("y", X, 6, noise: 2.0, seed: 2);

    private static double Value(FeatureMatrix x, FeatureMatrix y, CkaKernel kernel, HsicEstimator estimator, CkaForm form = CkaForm.Auto) =>
        global::Msun.Analysis.Core.Cka.Cka.Compute(x, y, new CkaOptions(kernel, estimator, form)).Value;

    [Theory]
    [InlineData(HsicEstimator.Biased)]
    [InlineData(HsicEstimator.Unbiased)]
    public void GramFormEqualsFeatureForm(HsicEstimator estimator)
    {
        var gram = global::Msun.Analysis.Core.Cka.Cka.Compute(X, Y, new CkaOptions(CkaKernel.Linear, estimator, CkaForm.Gram));
        var feature = global::Msun.Analysis.Core.Cka.Cka.Compute(X, Y, new CkaOptions(CkaKernel.Linear, estimator, CkaForm.Feature));
        Assert.Equal("gram", gram.Form);
        Assert.Equal("feature", feature.Form);
        Assert.Equal(gram.Value, feature.Value, 1e-12);
        Assert.Equal(gram.HsicXY, feature.HsicXY, 1e-9 * Math.Abs(gram.HsicXY));
        Assert.InRange(gram.Value, 0.1, 0.99); // a partially dependent pair, not a degenerate one
    }

    [Fact]
    public void AutoPicksFeatureFormOnlyWhenFeaturesAreFewerThanExamples()
    {
        Assert.Equal("feature", global::Msun.Analysis.Core.Cka.Cka.Compute(X, Y).Form); // 8 + 6 < 60
        var wide = RandomMatrices.Matrix("wide", 10, 8, seed: 3);
        var wide2 = RandomMatrices.Matrix("wide2", 10, 6, seed: 4);
        Assert.Equal("gram", global::Msun.Analysis.Core.Cka.Cka.Compute(wide, wide2).Form); // 14 ≥ 10
    }

    [Theory]
    [InlineData("linear", HsicEstimator.Biased)]
    [InlineData("linear", HsicEstimator.Unbiased)]
    [InlineData("rbf", HsicEstimator.Biased)]
    [InlineData("rbf", HsicEstimator.Unbiased)]
    public void InvariantToOrthogonalTransformAndIsotropicScaling(string kernelName, HsicEstimator estimator)
    {
        CkaKernel kernel = kernelName == "linear" ? CkaKernel.Linear : CkaKernel.Rbf(0.8);
        double[] q = RandomMatrices.Orthogonal(8, seed: 5);
        for (int i = 0; i < q.Length; i++) q[i] *= 3.7;
        var rotated = RandomMatrices.Times(X, q, "x·3.7Q");
        Assert.Equal(Value(X, Y, kernel, estimator), Value(rotated, Y, kernel, estimator), 1e-10);
        Assert.Equal(1.0, Value(X, rotated, kernel, estimator), 1e-10);
    }

    [Theory]
    [InlineData(HsicEstimator.Biased)]
    [InlineData(HsicEstimator.Unbiased)]
    public void NotInvariantToAGeneralLinearMap(HsicEstimator estimator)
    {
        var a = RandomMatrices.Gaussian(8, 8, seed: 6);
        for (int i = 0; i < 8; i++) a[i * 8 + i] += i == 0 ? 10 : 0; // anisotropic: stretches one direction
        var mapped = RandomMatrices.Times(X, a, "x·A");
        double before = Value(X, Y, CkaKernel.Linear, estimator), after = Value(mapped, Y, CkaKernel.Linear, estimator);
        Assert.True(Math.Abs(before - after) > 1e-2, $"CKA {before} vs {after} after a general linear map");
    }

    [Theory]
    [InlineData(HsicEstimator.Biased)]
    [InlineData(HsicEstimator.Unbiased)]
    public void RbfApproachesLinearAsSigmaFractionGrows(HsicEstimator estimator)
    {
        double linear = Value(X, Y, CkaKernel.Linear, estimator);
        double[] gaps = new[] { 10.0, 100.0, 1000.0 }.Select(f => Math.Abs(Value(X, Y, CkaKernel.Rbf(f), estimator) - linear)).ToArray();
        Assert.True(gaps[0] > gaps[1] && gaps[1] > gaps[2], $"gaps {string.Join(", ", gaps)} do not shrink");
        Assert.True(gaps[2] < 1e-5, $"RBF(f = 1000) is {gaps[2]} away from linear CKA");
        Assert.True(Math.Abs(Value(X, Y, CkaKernel.Rbf(0.3), estimator) - linear) > 1e-3);
    }

    [Theory]
    [InlineData("linear")]
    [InlineData("rbf")]
    public void MinibatchOverOneBatchEqualsDebiasedCka(string kernelName)
    {
        CkaKernel kernel = kernelName == "linear" ? CkaKernel.Linear : CkaKernel.Rbf(0.5);
        var minibatch = MinibatchCka.Compute(X, Y, batchSize: X.Rows, kernel);
        Assert.Equal(Value(X, Y, kernel, HsicEstimator.Unbiased), minibatch.Value, 1e-12);
        Assert.Equal(1, minibatch.Batches);
    }

    [Fact]
    public void MinibatchAveragesHsicNotCka()
    {
        var result = MinibatchCka.Compute(X, Y, batchSize: 20);
        double xy = 0, xx = 0, yy = 0, meanOfCka = 0;
        for (int b = 0; b < 3; b++)
        {
            var batch = global::Msun.Analysis.Core.Cka.Cka.Compute(X.SliceRows(b * 20, 20), Y.SliceRows(b * 20, 20),
                new CkaOptions(CkaKernel.Linear, HsicEstimator.Unbiased));
            xy += batch.HsicXY;
            xx += batch.HsicXX;
            yy += batch.HsicYY;
            meanOfCka += batch.Value / 3;
        }
        Assert.Equal(3, result.Batches);
        Assert.Equal(xy / Math.Sqrt(xx * yy), result.Value, 1e-12);
        Assert.NotEqual(meanOfCka, result.Value, 1e-6);
    }

    [Fact]
    public void ScaleInvariantInFloat32FarFromZero()
    {
        // The same data as float32 with a 1e4 offset: centring in float64 before any product keeps all digits
        // that float32 stores.
        var shifted = new float[X.Rows * X.Columns];
        var original = new double[shifted.Length];
        for (int r = 0; r < X.Rows; r++)
            for (int c = 0; c < X.Columns; c++)
            {
                shifted[r * X.Columns + c] = (float)(1e4 + X[r, c]);
                original[r * X.Columns + c] = shifted[r * X.Columns + c] - 1e4; // exactly what float32 kept
            }
        var far = FeatureMatrix.FromRowMajor("x32", shifted, X.Rows, X.Columns);
        var near = FeatureMatrix.FromRowMajor("x64", original, X.Rows, X.Columns);
        foreach (var estimator in new[] { HsicEstimator.Biased, HsicEstimator.Unbiased })
        {
            Assert.Equal(Value(near, Y, CkaKernel.Linear, estimator), Value(far, Y, CkaKernel.Linear, estimator), 1e-12);
            Assert.Equal(Value(near, Y, CkaKernel.Linear, estimator, CkaForm.Gram), Value(far, Y, CkaKernel.Linear, estimator, CkaForm.Gram), 1e-12);
            Assert.Equal(Value(near, Y, CkaKernel.Rbf(0.5), estimator), Value(far, Y, CkaKernel.Rbf(0.5), estimator), 1e-12);
        }
    }

    [Fact]
    public void Float32ProductsAreCloseToFloat64AndRecorded()
    {
        var precise = global::Msun.Analysis.Core.Cka.Cka.Compute(X, Y);
        var fast = global::Msun.Analysis.Core.Cka.Cka.Compute(X, Y, new CkaOptions(Precision: CkaPrecision.Float32Products));
        Assert.Equal(CkaPrecision.Float32Products, fast.Precision);
        Assert.Equal(precise.Value, fast.Value, 1e-5);
    }

    [Theory]
    [InlineData(HsicEstimator.Biased)]
    [InlineData(HsicEstimator.Unbiased)]
    public void Float32ProductsSumChunksInFloat64(HsicEstimator estimator)
    {
        // Small integers with column means exactly 0: every product of one 2048-row chunk is an integer
        // below 2^24, exact in float32, while the diagonal sums over all 65 536 rows (~4.5e7) are not. So
        // float32 products summed across chunks in float64 equal the float64 oracle to rounding, and a
        // float32 running sum across chunks is off by about 1e-7.
        const int n = 32 * 2048, d = 6;
        var random = new Random(7);
        float[] x = new float[n * d], y = new float[n * d];
        for (int r = 0; r < n / 2; r++)
            for (int c = 0; c < d; c++)
            {
                int a = random.Next(-45, 46), b = a + random.Next(-5, 6);
                x[r * d + c] = a;
                y[r * d + c] = b;
                x[(r + n / 2) * d + c] = -a;
                y[(r + n / 2) * d + c] = -b;
            }
        var xm = FeatureMatrix.FromRowMajor("x", x, n, d);
        var ym = FeatureMatrix.FromRowMajor("y", y, n, d);
        var oracle = global::Msun.Analysis.Core.Cka.Cka.Compute(xm, ym, new CkaOptions(Estimator: estimator, Form: CkaForm.Feature));
        var fast = global::Msun.Analysis.Core.Cka.Cka.Compute(
            xm, ym, new CkaOptions(Estimator: estimator, Form: CkaForm.Feature, Precision: CkaPrecision.Float32Products));
        Assert.InRange(oracle.Value, 0.5, 0.999);
        Assert.Equal(oracle.HsicXX, fast.HsicXX, 1e-13 * oracle.HsicXX);
        Assert.Equal(oracle.HsicXY, fast.HsicXY, 1e-13 * oracle.HsicXY);
        Assert.Equal(oracle.Value, fast.Value, 1e-13);
    }
}
