using Msun.Analysis.Core.Cka;

namespace Msun.Analysis.Core.Tests.Cka;

public class StreamingCkaTests
{
    public static TheoryData<double, HsicEstimator> Cases => new()
    {
        { 0.0, HsicEstimator.Biased },
        { 0.0, HsicEstimator.Unbiased },
        { 1e4, HsicEstimator.Biased },
        { 1e4, HsicEstimator.Unbiased },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void AllAtOnceEqualsBatchByBatchEqualsCombinedShards(double offset, HsicEstimator estimator)
    {
        var x = RandomMatrices.Matrix("x", 203, 9, seed: 11, offset);
        var y = RandomMatrices.Dependent("y", x, 5, noise: 3.0, seed: 12);
        double inMemory = global::Msun.Analysis.Core.Cka.Cka.Compute(x, y, new CkaOptions(Estimator: estimator, Form: CkaForm.Feature)).Value;
        double gram = global::Msun.Analysis.Core.Cka.Cka.Compute(x, y, new CkaOptions(Estimator: estimator, Form: CkaForm.Gram)).Value;

        var whole = new LinearCkaAccumulator(9, 5);
        whole.Add(x, y);

        var streamed = new LinearCkaAccumulator(9, 5);
        foreach (var (start, count) in Batches(203, 17))
            streamed.Add(x.SliceRows(start, count), y.SliceRows(start, count));

        // Three shards of uneven size, each with its own shift, merged in a different order.
        var shards = new[] { (0, 50), (50, 120), (170, 33) }.Select(s =>
        {
            var a = new LinearCkaAccumulator(9, 5);
            foreach (var (start, count) in Batches(s.Item2, 16))
                a.Add(x.SliceRows(s.Item1 + start, count), y.SliceRows(s.Item1 + start, count));
            return a;
        }).ToArray();
        var combined = new LinearCkaAccumulator(9, 5);
        combined.Combine(shards[2]);
        combined.Combine(shards[0]);
        combined.Combine(shards[1]);

        Assert.Equal(203, combined.Count);
        Assert.Equal(inMemory, gram, 1e-12);
        Assert.Equal(inMemory, whole.Result(estimator).Value, 1e-12);
        Assert.Equal(inMemory, streamed.Result(estimator).Value, 1e-12);
        Assert.Equal(inMemory, combined.Result(estimator).Value, 1e-12);
        Assert.Equal("streaming", combined.Result(estimator).Form);
    }

    [Fact]
    public void ResultCanBeReadMidStreamAndStreamingContinues()
    {
        var x = RandomMatrices.Matrix("x", 80, 4, seed: 21, offset: 50);
        var y = RandomMatrices.Dependent("y", x, 3, noise: 1.0, seed: 22);
        var acc = new LinearCkaAccumulator(4, 3);
        acc.Add(x.SliceRows(0, 40), y.SliceRows(0, 40));
        double half = acc.Result(HsicEstimator.Unbiased).Value;
        Assert.Equal(global::Msun.Analysis.Core.Cka.Cka.Compute(x.SliceRows(0, 40), y.SliceRows(0, 40), new CkaOptions(Estimator: HsicEstimator.Unbiased)).Value, half, 1e-12);
        acc.Add(x.SliceRows(40, 40), y.SliceRows(40, 40));
        Assert.Equal(global::Msun.Analysis.Core.Cka.Cka.Compute(x, y, new CkaOptions(Estimator: HsicEstimator.Unbiased)).Value,
            acc.Result(HsicEstimator.Unbiased).Value, 1e-12);
    }

    [Fact]
    public void RejectsBatchesOfTheWrongShape()
    {
        var acc = new LinearCkaAccumulator(4, 3, "conv1@28", "conv1@14");
        var error = Assert.Throws<ArgumentException>(() => acc.Add(RandomMatrices.Matrix("a", 10, 5, 1), RandomMatrices.Matrix("b", 10, 3, 2)));
        Assert.Contains("4 features for conv1@28", error.Message);
        Assert.Contains("a 10×5", error.Message);
        error = Assert.Throws<ArgumentException>(() => acc.Add(RandomMatrices.Matrix("a", 10, 4, 1), RandomMatrices.Matrix("b", 9, 3, 2)));
        Assert.Contains("a has 10 rows (10×4) but b has 9 (9×3)", error.Message);
        var tooFew = new LinearCkaAccumulator(4, 3);
        tooFew.Add(RandomMatrices.Matrix("a", 3, 4, 1), RandomMatrices.Matrix("b", 3, 3, 2));
        error = Assert.Throws<ArgumentException>(() => tooFew.Result(HsicEstimator.Unbiased));
        Assert.Contains("at least 4 examples", error.Message);
    }

    private static IEnumerable<(int Start, int Count)> Batches(int n, int size)
    {
        for (int s = 0; s < n; s += size) yield return (s, Math.Min(size, n - s));
    }
}
