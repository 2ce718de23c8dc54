using Msun.Analysis.Core.Cka;

namespace Msun.Analysis.Core.Tests.Cka;

public class BadInputTests
{
    private static CkaResult Compute(FeatureMatrix x, FeatureMatrix y, CkaOptions? options = null) =>
        global::Msun.Analysis.Core.Cka.Cka.Compute(x, y, options);

    [Fact]
    public void RowCountsThatDifferNameBothInputsAndShapes()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            Compute(RandomMatrices.Matrix("layer1@224", 128, 4, 1), RandomMatrices.Matrix("layer1@32", 127, 4, 2)));
        Assert.Contains("layer1@224 has 128 rows (128×4) but layer1@32 has 127 (127×4)", error.Message);
    }

    [Theory]
    [InlineData(0, 3)]
    [InlineData(3, 0)]
    public void EmptyInputIsRejected(int rows, int columns)
    {
        var error = Assert.Throws<ArgumentException>(() => FeatureMatrix.FromRowMajor("acts", new double[0], rows, columns));
        Assert.Contains($"acts is empty ({rows}×{columns})", error.Message);
    }

    [Theory]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "Infinity")]
    public void NonFiniteValuesAreRejectedWithTheirPosition(double bad, string shown)
    {
        var data = new double[12];
        data[7] = bad;
        var error = Assert.Throws<ArgumentException>(() => FeatureMatrix.FromRowMajor("x.npy", data, 4, 3));
        Assert.Contains($"x.npy (4×3) contains {shown} at row 2, column 1", error.Message);
        var single = new float[12];
        single[11] = (float)bad;
        error = Assert.Throws<ArgumentException>(() => FeatureMatrix.FromRowMajor("y.npy", single, 4, 3));
        Assert.Contains("at row 3, column 2", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(500)]
    [InlineData(1022)]
    public void TheFirstNonFiniteValueOfALongMatrixIsFoundWherever(int at)
    {
        // Values are checked a vector at a time: every position (vector start, end, tail) must be found, and the first of two.
        var data = Enumerable.Range(0, 1023).Select(i => Math.Sin(i) * 1e30).ToArray();
        data[at] = double.NegativeInfinity;
        int later = Math.Min(1022, at + 1 + (1022 - at) / 2);
        if (later != at) data[later] = double.NaN;
        var error = Assert.Throws<ArgumentException>(() => FeatureMatrix.FromRowMajor("x", data, 341, 3));
        Assert.Contains($"contains -Infinity at row {at / 3}, column {at % 3}", error.Message);
        var single = data.Select(v => (float)(v / 1e30)).ToArray();
        error = Assert.Throws<ArgumentException>(() => FeatureMatrix.FromRowMajor("y", single, 341, 3));
        Assert.Contains($"contains -Infinity at row {at / 3}, column {at % 3}", error.Message);
        var finite = Enumerable.Range(0, 1023).Select(i => (float)Math.Sin(i) * float.MaxValue).ToArray();
        Assert.Equal(341, FeatureMatrix.FromRowMajor("z", finite, 341, 3).Rows);
    }

    [Fact]
    public void DataThatDoesNotFitTheShapeIsRejected()
    {
        var error = Assert.Throws<ArgumentException>(() => FeatureMatrix.FromRowMajor("x", new double[10], 4, 3));
        Assert.Contains("10 values cannot be 4×3", error.Message);
    }

    [Fact]
    public void DebiasedCkaNeedsFourExamples()
    {
        var x = RandomMatrices.Matrix("x", 3, 2, 1);
        var y = RandomMatrices.Matrix("y", 3, 2, 2);
        var error = Assert.Throws<ArgumentException>(() => Compute(x, y, new CkaOptions(Estimator: HsicEstimator.Unbiased)));
        Assert.Contains("needs at least 4 examples; x and y have 3", error.Message);
        Assert.True(Compute(x, y).IsDefined); // the biased estimator is defined at n = 3
        error = Assert.Throws<ArgumentException>(() => Compute(RandomMatrices.Matrix("x", 1, 2, 1), RandomMatrices.Matrix("y", 1, 2, 2)));
        Assert.Contains("at least 2 examples", error.Message);
    }

    [Fact]
    public void ConstantInputLeavesCkaUndefinedWithAReason()
    {
        var constant = FeatureMatrix.FromRowMajor("dead", Enumerable.Repeat(2.5, 30).ToArray(), 10, 3);
        var y = RandomMatrices.Matrix("y", 10, 3, 1);
        foreach (var kernel in new[] { CkaKernel.Linear, CkaKernel.Rbf(0.5) })
        {
            var result = Compute(constant, y, new CkaOptions(kernel));
            Assert.True(double.IsNaN(result.Value));
            Assert.False(result.IsDefined);
            Assert.Contains("dead", result.UndefinedReason);
        }
    }

    [Theory]
    [InlineData(CkaForm.Feature)]
    [InlineData(CkaForm.Gram)]
    public void ZeroUnbiasedSelfHsicIsReportedNotHidden(CkaForm form)
    {
        // One example apart from three identical ones: the biased self-HSIC is positive, the unbiased one
        // is exactly 0 (dyadic arithmetic), so debiased CKA is undefined rather than 0/0 or clamped.
        var x = FeatureMatrix.FromRowMajor("x", [0, 0, 0, 1], 4, 1);
        var y = RandomMatrices.Matrix("y", 4, 2, 3);
        Assert.True(Compute(x, y, new CkaOptions(Form: form)).IsDefined);
        var result = Compute(x, y, new CkaOptions(Estimator: HsicEstimator.Unbiased, Form: form));
        Assert.Equal(0.0, result.HsicXX);
        Assert.True(double.IsNaN(result.Value));
        Assert.Contains("HSIC(x, x) = 0 is not positive, so CKA is undefined", result.UndefinedReason);
    }

    [Fact]
    public void OptionsThatDoNotApplyAreErrors()
    {
        var x = RandomMatrices.Matrix("x", 20, 3, 1);
        var y = RandomMatrices.Matrix("y", 20, 3, 2);
        var error = Assert.Throws<ArgumentException>(() => Compute(x, y, new CkaOptions(CkaKernel.Rbf(), Form: CkaForm.Feature)));
        Assert.Contains("feature form exists for the linear kernel only", error.Message);
        error = Assert.Throws<ArgumentException>(() => Compute(x, y, new CkaOptions(Form: CkaForm.Gram, Precision: CkaPrecision.Float32Products)));
        Assert.Contains("Float32Products applies to the linear feature form only", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => CkaKernel.Rbf(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => SigmaRule.Fixed(double.NaN));
    }

    [Fact]
    public void RaggedFinalBatchIsAnErrorOrDroppedWithANote()
    {
        var x = RandomMatrices.Matrix("x", 42, 3, 1);
        var y = RandomMatrices.Matrix("y", 42, 3, 2);
        var error = Assert.Throws<ArgumentException>(() => MinibatchCka.Compute(x, y, batchSize: 20));
        Assert.Contains("batch 3 has 2 examples but the earlier ones have 20", error.Message);
        var dropped = MinibatchCka.Compute(x, y, batchSize: 20, ragged: RaggedBatchPolicy.DropFinal);
        Assert.Equal(2, dropped.Batches);
        Assert.Equal(40, dropped.N);
        Assert.Contains("dropped a final batch of 2 examples", dropped.Note);
        Assert.Equal(MinibatchCka.Compute(x.SliceRows(0, 40), y.SliceRows(0, 40), 20).Value, dropped.Value, 1e-15);
        Assert.Throws<ArgumentOutOfRangeException>(() => MinibatchCka.Compute(x, y, batchSize: 3));
    }

    [Fact]
    public void MinibatchGridRejectsBatchesAfterADroppedOne()
    {
        var grid = new MinibatchCka(["a"], ["b"], ragged: RaggedBatchPolicy.DropFinal);
        grid.Add([RandomMatrices.Matrix("a", 8, 2, 1)], [RandomMatrices.Matrix("b", 8, 2, 2)]);
        grid.Add([RandomMatrices.Matrix("a", 5, 2, 3)], [RandomMatrices.Matrix("b", 5, 2, 4)]);
        var error = Assert.Throws<ArgumentException>(() =>
            grid.Add([RandomMatrices.Matrix("a", 8, 2, 5)], [RandomMatrices.Matrix("b", 8, 2, 6)]));
        Assert.Contains("only the final batch may be short", error.Message);
        error = Assert.Throws<ArgumentException>(() =>
            new MinibatchCka(["a"], ["b"]).Add([RandomMatrices.Matrix("a", 8, 2, 1)], [RandomMatrices.Matrix("b", 7, 2, 2)]));
        Assert.Contains("b has 7 rows (7×2) but a has 8", error.Message);
    }
}
