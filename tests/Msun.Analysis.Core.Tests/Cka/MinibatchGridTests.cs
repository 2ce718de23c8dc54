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
    public void GridsSharingRowGramsEqualIndependentGridsAndFormEachRowGramOnce()
    {
        // A reference batch against two probe batches, as a scale study feeds one grid per probe.
        var reference = new[] { RandomMatrices.Matrix("r1", 64, 40, 11), RandomMatrices.Matrix("r2", 64, 9, 12) };
        var probes = new[] { 13, 14 }.Select(seed => new[]
        {
            RandomMatrices.Dependent("p1", reference[0], 30, 1.5, seed), RandomMatrices.Dependent("p2", reference[1], 7, 0.5, seed + 10),
        }).ToArray();
        var shared = new SharedRowGrams();
        var sharing = probes.Select(_ => new MinibatchCka(["r1", "r2"], ["p1", "p2"], sharedRows: shared)).ToArray();
        var alone = probes.Select(_ => new MinibatchCka(["r1", "r2"], ["p1", "p2"])).ToArray();
        for (int s = 0; s < 64; s += 16)
        {
            var rows = reference.Select(r => r.SliceRows(s, 16)).ToArray(); // one batch object per layer, seen by both grids
            for (int p = 0; p < probes.Length; p++)
            {
                var columns = probes[p].Select(c => c.SliceRows(s, 16)).ToArray();
                sharing[p].Add(rows, columns);
                alone[p].Add(reference.Select(r => r.SliceRows(s, 16)).ToArray(), columns);
            }
        }
        Assert.Equal(4 * 2, shared.GramsFormed); // 4 batches × 2 row layers, not × 2 probes as well
        for (int p = 0; p < probes.Length; p++)
        {
            var (x, y) = (sharing[p].Result(), alone[p].Result());
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 2; j++)
                    Assert.Equal(y.Values[i, j], x.Values[i, j]);
            Assert.Equal(MinibatchCka.Compute(reference[0], probes[p][0], 16).Value, x.Values[0, 0], 1e-14);
        }
    }

    [Fact]
    public void SharedRowGramsAreFormedAgainForAnotherKernel()
    {
        var x = RandomMatrices.Matrix("x", 32, 12, 21);
        var y = RandomMatrices.Dependent("y", x, 6, 1.0, 22);
        var shared = new SharedRowGrams();
        var linear = new MinibatchCka(["x"], ["y"], sharedRows: shared);
        var rbf = new MinibatchCka(["x"], ["y"], CkaKernel.Rbf(), sharedRows: shared);
        linear.Add([x], [y]);
        rbf.Add([x], [y]);
        Assert.Equal(2, shared.GramsFormed);
        Assert.Equal(MinibatchCka.Compute(x, y, 32, CkaKernel.Rbf()).Value, rbf.Result().Values[0, 0], 1e-14);
        Assert.Equal(MinibatchCka.Compute(x, y, 32).Value, linear.Result().Values[0, 0], 1e-14);
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

    [Fact]
    public void GramBuiltInColumnBlocksMatchesTheFeatureForm()
    {
        // 16 rows: blocks of 4096 columns, so 9000 columns make three blocks (the last one short).
        Assert.Equal(4096, GramForm.ColumnBlock(16, 9000));
        var x = RandomMatrices.Matrix("x", 16, 9000, 5, offset: 1e4);
        var y = RandomMatrices.Matrix("y", 16, 9000, 6);
        var z = FeatureMatrix.FromRowMajor("x+y", Sum(x, y), 16, 9000);
        var reference = Msun.Analysis.Core.Cka.Cka.Compute(x, z, new CkaOptions(Estimator: HsicEstimator.Unbiased, Form: CkaForm.Feature));
        var minibatch = MinibatchCka.Compute(x, z, 16);
        Assert.Equal(reference.Value, minibatch.Value, 1e-10);
    }

    [Fact]
    public void BuffersReusedAcrossBatchesGiveTheSameGridAsFreshAccumulators()
    {
        var a = RandomMatrices.Matrix("a", 64, 300, 7);
        var b = RandomMatrices.Dependent("b", a, 20, 2.0, 8);
        var reused = new MinibatchCka(["a"], ["b"]);
        for (int s = 0; s < 64; s += 16)
            reused.Add([a.SliceRows(s, 16)], [b.SliceRows(s, 16)]);
        // Fresh accumulators per batch: the HSIC sums of independent one-batch grids.
        double xy = 0, xx = 0, yy = 0;
        for (int s = 0; s < 64; s += 16)
        {
            var one = Msun.Analysis.Core.Cka.Cka.Compute(a.SliceRows(s, 16), b.SliceRows(s, 16), new CkaOptions(Estimator: HsicEstimator.Unbiased, Form: CkaForm.Gram));
            xy += one.HsicXY;
            xx += one.HsicXX;
            yy += one.HsicYY;
        }
        Assert.Equal(xy / Math.Sqrt(xx * yy), reused.Result().Values[0, 0], 1e-13);
    }

    [Fact]
    public void Float32ProductsAreCloseAndRecorded()
    {
        var a1 = RandomMatrices.Matrix("a1", 64, 700, 11, offset: 100);
        var b1 = RandomMatrices.Dependent("b1", RandomMatrices.Matrix("s", 64, 30, 12), 40, 1.0, 13);
        var exact = new MinibatchCka(["a1"], ["a1", "b1"]);
        var fast = new MinibatchCka(["a1"], ["a1", "b1"], precision: CkaPrecision.Float32Products);
        for (int s = 0; s < 64; s += 32)
        {
            exact.Add([a1.SliceRows(s, 32)], [a1.SliceRows(s, 32), b1.SliceRows(s, 32)]);
            fast.Add([a1.SliceRows(s, 32)], [a1.SliceRows(s, 32), b1.SliceRows(s, 32)]);
        }
        var e = exact.Result();
        var f = fast.Result();
        Assert.Equal(CkaPrecision.Float64, e.Precision);
        Assert.Equal(CkaPrecision.Float32Products, f.Precision);
        for (int j = 0; j < 2; j++)
            Assert.Equal(e.Values[0, j], f.Values[0, j], 1e-5);
    }

    [Fact]
    public void Float32ProductsAreRefusedForRbf()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            new MinibatchCka(["a"], ["b"], CkaKernel.Rbf(), precision: CkaPrecision.Float32Products));
        Assert.Contains("linear kernel only", error.Message);
    }

    private static double[] Sum(FeatureMatrix x, FeatureMatrix y)
    {
        var values = new double[x.Rows * x.Columns];
        for (int r = 0; r < x.Rows; r++)
            for (int c = 0; c < x.Columns; c++)
                values[r * x.Columns + c] = x[r, c] + 0.5 * y[r, c];
        return values;
    }
}
