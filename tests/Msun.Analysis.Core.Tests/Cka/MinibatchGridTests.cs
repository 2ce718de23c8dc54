using Msun.Analysis.Core.Cka;

namespace Msun.Analysis.Core.Tests.Cka;

public class MinibatchGridTests
{
    [Fact]
    public void GridEntriesEqualPairwiseMinibatchCka()
    {
        var a1 = RandomMatrices.Matrix("a1", 48, 5, 1);
        var a2 = RandomMatrices.Dependent("a2", a1, 7, 1.0, 2);
        var b1 = RandomMatrices.Dependent("b1", a1, 4, 3.0, 3);
        var b2 = RandomMatrices.Matrix("b2", 48, 6, 4);
        var grid = new MinibatchCka(["a1", "a2"], ["b1", "b2"]);
        for (int s = 0; s < 48; s += 16)
            grid.Add([a1.SliceRows(s, 16), a2.SliceRows(s, 16)], [b1.SliceRows(s, 16), b2.SliceRows(s, 16)]);
        var result = grid.Result();
        var rows = new[] { a1, a2 };
        var columns = new[] { b1, b2 };
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
                Assert.Equal(MinibatchCka.Compute(rows[i], columns[j], 16).Value, result.Values[i, j], 1e-14);
        Assert.Equal(3, result.Batches);
        Assert.Equal(16, result.BatchSize);
    }

    [Fact]
    public void UndefinedLayerIsMarkedNotHidden()
    {
        var live = RandomMatrices.Matrix("live", 16, 3, 1);
        var dead = FeatureMatrix.FromRowMajor("dead", new double[16 * 3], 16, 3);
        var grid = new MinibatchCka(["live"], ["live2", "dead"]);
        grid.Add([live], [RandomMatrices.Dependent("live2", live, 3, 1.0, 2), dead]);
        var result = grid.Result();
        Assert.True(double.IsFinite(result.Values[0, 0]));
        Assert.True(double.IsNaN(result.Values[0, 1]));
        Assert.Contains("dead", result.UndefinedReasons[0, 1]);
    }
}
