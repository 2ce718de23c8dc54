using Msun.Analysis.Core.Cka;

namespace Msun.Analysis.Core.Tests.Statistics;

public class SelectRowsTests
{
    [Fact]
    public void RowsComeInTheGivenOrderWithRepeats()
    {
        var m = FeatureMatrix.FromRowMajor("a", new double[] { 1, 2, 3, 4, 5, 6 }, 3, 2);
        var s = m.SelectRows([2, 0, 2]);
        Assert.Equal("3×2", s.Shape);
        Assert.Equal([5.0, 6, 1, 2, 5, 6], [s[0, 0], s[0, 1], s[1, 0], s[1, 1], s[2, 0], s[2, 1]]);
        var f = FeatureMatrix.FromRowMajor("f", new float[] { 1, 2, 3, 4 }, 2, 2).SelectRows([1]);
        Assert.True(f.IsSinglePrecision);
        Assert.Equal(3.0, f[0, 0]);
    }

    [Fact]
    public void BadIndicesAreNamed()
    {
        var m = FeatureMatrix.FromRowMajor("acts", new double[6], 3, 2);
        Assert.Contains("index 1 is row 3, outside acts (3×2)", Assert.Throws<ArgumentException>(() => m.SelectRows([0, 3])).Message);
        Assert.Contains("row -1", Assert.Throws<ArgumentException>(() => m.SelectRows([-1])).Message);
        Assert.Throws<ArgumentException>(() => m.SelectRows([]));
    }
}
