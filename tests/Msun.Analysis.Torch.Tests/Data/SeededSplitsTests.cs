using Msun.Analysis.Torch.Data;

namespace Msun.Analysis.Torch.Tests.Data;

public class SeededSplitsTests
{
    [Fact]
    public void TrainValidationIsDeterministicDisjointAndComplete()
    {
        var a = SeededSplits.TrainValidation(1000, 100, seed: 3);
        var b = SeededSplits.TrainValidation(1000, 100, seed: 3);
        var c = SeededSplits.TrainValidation(1000, 100, seed: 4);

        Assert.Equal(a.Train, b.Train);
        Assert.Equal(a.Validation, b.Validation);
        Assert.NotEqual(a.Validation, c.Validation);
        Assert.Equal(100, a.Validation.Count);
        Assert.Equal(900, a.Train.Count);
        Assert.Empty(a.Train.Intersect(a.Validation));
        Assert.Equal(Enumerable.Range(0, 1000), a.Train.Concat(a.Validation).Order());
        Assert.Equal(a.Validation.Order(), a.Validation);
        Assert.Equal("train/validation split 900/100, seed 3", a.Describe());
    }

    [Fact]
    public void StratifiedSplitKeepsClassBalance()
    {
        var labels = Enumerable.Range(0, 1000).Select(i => (long)(i % 10)).ToArray();

        var s = SeededSplits.TrainValidationStratified(labels, 0.1, seed: 11);
        var again = SeededSplits.TrainValidationStratified(labels, 0.1, seed: 11);

        Assert.Equal(s.Validation, again.Validation);
        Assert.Equal(100, s.Validation.Count);
        Assert.All(s.Validation.GroupBy(i => labels[i]), g => Assert.Equal(10, g.Count()));
        Assert.Empty(s.Train.Intersect(s.Validation));
        Assert.Equal(1000, s.Train.Count + s.Validation.Count);
    }

    [Fact]
    public void RandomSubsetsAreDeterministicDistinctAndPrefixStable()
    {
        var a = SeededSplits.RandomSubsets(10_000, 500, 5, seed: 0);
        var b = SeededSplits.RandomSubsets(10_000, 500, 5, seed: 0);
        var more = SeededSplits.RandomSubsets(10_000, 500, 8, seed: 0);
        var other = SeededSplits.RandomSubsets(10_000, 500, 5, seed: 1);

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(a[i], b[i]);
            Assert.Equal(a[i], more[i]);
            Assert.NotEqual(a[i], other[i]);
            Assert.Equal(500, a[i].Distinct().Count());
            Assert.All(a[i], j => Assert.InRange(j, 0, 9_999));
        }

        Assert.NotEqual(a[0], a[1]);
        // Random order, not sorted: consecutive minibatches must not follow the dataset order.
        Assert.NotEqual(a[0].Order(), a[0]);
    }

    [Fact]
    public void FullSubsetIsAPermutation()
    {
        var p = SeededSplits.RandomSubset(50, 50, seed: 9);
        Assert.Equal(Enumerable.Range(0, 50), p.Order());
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SeededSplits.RandomSubset(10, 11, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => SeededSplits.TrainValidation(10, 10, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => SeededSplits.TrainValidationStratified(new long[] { 0, 1 }, 1.0, 0));
    }
}
