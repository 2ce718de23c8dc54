using Msun.Analysis.Core.Cka;
using Msun.Analysis.Core.Statistics;

namespace Msun.Analysis.Core.Tests.Statistics;

public class PermutationNullTests
{
    private static double Cka(FeatureMatrix x, FeatureMatrix y, HsicEstimator estimator = HsicEstimator.Biased) =>
        global::Msun.Analysis.Core.Cka.Cka.Compute(x, y, new CkaOptions(Estimator: estimator)).Value;

    [Fact]
    public void BiasedCkaOfIndependentDataSitsWellAboveZeroWhileDebiasedCentresOnZero()
    {
        const int n = 20, permutations = 600;
        var x = RandomMatrices.Matrix("x", n, 6, 1);
        var y = RandomMatrices.Matrix("y", n, 6, 2);
        var options = new PermutationOptions(permutations, seed: 7);
        var biased = PermutationTest.Null(n, p => Cka(x, y.SelectRows(p)), options);
        var debiased = PermutationTest.Null(n, p => Cka(x, y.SelectRows(p), HsicEstimator.Unbiased), options);

        // Averaged over all n! permutations, unbiased HSIC(K, PLPᵀ) is exactly 0 and the self-HSIC terms do
        // not depend on P, so the debiased null mean is 0 up to Monte Carlo error (std/√P).
        double debiasedSe = debiased.StandardDeviation / Math.Sqrt(permutations);
        Assert.InRange(debiased.Mean, -4 * debiasedSe, 4 * debiasedSe);
        // Biased HSIC keeps a positive term of order tr(K)tr(L)/n³ under independence: at d/n = 0.3 the null
        // mean is far above 0 and far above the debiased one.
        double biasedSe = biased.StandardDeviation / Math.Sqrt(permutations);
        Assert.True(biased.Mean > 0.15, biased.ToString());
        Assert.True(biased.Mean - debiased.Mean > 20 * Math.Max(biasedSe, debiasedSe), $"{biased} vs {debiased}");
        Assert.All(biased.Values, v => Assert.InRange(v, 0.0, 1.0));
    }

    [Fact]
    public void PermutingIdenticalInputsDropsCkaFromOneToTheNull()
    {
        const int n = 24, permutations = 500;
        var x = RandomMatrices.Matrix("x", n, 5, 3);
        var independent = RandomMatrices.Matrix("z", n, 5, 4);
        Assert.Equal(1.0, Cka(x, x), 12);
        var options = new PermutationOptions(permutations, seed: 2);
        var self = PermutationTest.Null(n, p => Cka(x, x.SelectRows(p)), options);
        var reference = PermutationTest.Null(n, p => Cka(x, independent.SelectRows(p)), options);

        Assert.True(self.Quantiles.Single(q => q.Probability == 0.99).Value < 0.7, self.ToString());
        // Shuffled against itself, x behaves like an unrelated input of the same shape: both nulls agree
        // within a few standard deviations of one null value.
        Assert.InRange(self.Mean - reference.Mean, -0.5 * reference.StandardDeviation, 0.5 * reference.StandardDeviation);
        // Nothing in the null reaches the observed 1 except the identity itself, if drawn.
        Assert.True(self.PValue(1.0) <= 2.0 / (permutations + 1));
    }

    [Fact]
    public void QuantilesAndPValueFollowTheirDefinitions()
    {
        var result = PermutationTest.Null(5, p => p[0], new PermutationOptions(1000, seed: 1, probabilities: [0.0, 0.5, 1.0]));
        // p[0] is uniform on 0..4.
        Assert.Equal(2.0, result.Mean, 0.15);
        Assert.Equal([(0.0, 0.0), (0.5, 2.0), (1.0, 4.0)], result.Quantiles);
        int atLeast4 = result.Values.Count(v => v >= 4);
        Assert.Equal((1.0 + atLeast4) / 1001, result.PValue(4));
        Assert.Equal(1.0 / 1001, result.PValue(4.5));
        var summary = result.ToSummary();
        Assert.Equal(3, summary.Quantiles.Count);
        Assert.Equal(result.Mean, summary.Mean);
    }

    [Fact]
    public void EachPermutationIsAPermutationAndTheSeedFixesThem()
    {
        var a = new List<int[]>();
        PermutationTest.Null(12, p => { a.Add(p); return 0; }, new PermutationOptions(30, seed: 9));
        Assert.All(a, p => Assert.Equal(Enumerable.Range(0, 12), p.Order()));
        var b = new List<int[]>();
        PermutationTest.Null(12, p => { lock (b) b.Add((int[])p.Clone()); return p[0] * 100 + p[1]; }, new PermutationOptions(30, seed: 9));
        var seq = PermutationTest.Null(12, p => p[0] * 100 + p[1], new PermutationOptions(30, seed: 9));
        var par = PermutationTest.Null(12, p => p[0] * 100 + p[1], new PermutationOptions(30, seed: 9, maxDegreeOfParallelism: -1));
        Assert.Equal(seq.Values, par.Values);
        Assert.Equal(a.Select(p => p[0] * 100.0 + p[1]), seq.Values);
    }

    [Fact]
    public void NaNNullValuesAreCounted()
    {
        var result = PermutationTest.Null(6, p => p[0] == 0 ? double.NaN : 1, new PermutationOptions(120, seed: 1));
        Assert.True(double.IsNaN(result.Mean));
        Assert.True(result.Summary.NonFiniteCount > 0);
        Assert.All(result.Quantiles, q => Assert.True(double.IsNaN(q.Value)));
        var excluded = PermutationTest.Null(6, p => p[0] == 0 ? double.NaN : 1,
            new PermutationOptions(120, seed: 1, nonFinite: NonFinitePolicy.Exclude));
        Assert.Equal(1.0, excluded.Mean);
        Assert.Equal(result.Summary.NonFiniteCount, excluded.Summary.NonFiniteCount);
    }

    [Fact]
    public void OptionsAreValidated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PermutationOptions(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PermutationOptions(probabilities: [1.2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => PermutationTest.Null(1, _ => 0));
    }
}
