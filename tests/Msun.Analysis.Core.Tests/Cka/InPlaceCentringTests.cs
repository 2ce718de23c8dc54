using Msun.Analysis.Core.Cka;
using Msun.Analysis.Core.Numpy;

namespace Msun.Analysis.Core.Tests.Cka;

/// <summary>
/// The feature form centres arrays it may overwrite in place instead of copying them chunk by chunk: the same
/// float64 subtraction, so the same CKA to the last bit; arrays it may not overwrite stay as they were.
/// </summary>
public class InPlaceCentringTests
{
    // More rows than one 2 048-row chunk, and a large offset: centring is what keeps its digits.
    private const int Rows = 5000, ColumnsX = 12, ColumnsY = 7;

    private static double[] Data(int columns, int seed, double offset)
    {
        var random = new Random(seed);
        var values = new double[Rows * columns];
        for (int i = 0; i < values.Length; i++) values[i] = offset + random.NextDouble() * (1 + i % columns);
        return values;
    }

    public static TheoryData<bool, bool> Cases() => new() { { false, false }, { false, true }, { true, false }, { true, true } };

    [Theory]
    [MemberData(nameof(Cases))]
    public void CentringInPlaceGivesTheSameCkaBitForBit(bool float32, bool unbiased)
    {
        double[] x = Data(ColumnsX, 1, 1e4), y = Data(ColumnsY, 2, -3e3);
        for (int r = 0; r < Rows; r++)
            for (int c = 0; c < ColumnsY; c++) y[r * ColumnsY + c] += 3 * x[r * ColumnsX + c]; // related, not equal
        var options = new CkaOptions(Form: CkaForm.Feature, Estimator: unbiased ? HsicEstimator.Unbiased : HsicEstimator.Biased,
            Precision: float32 ? CkaPrecision.Float32Products : CkaPrecision.Float64);
        FeatureMatrix Wrap(double[] v, int columns, string name, bool owned) => float32
            ? FeatureMatrix.FromNpy(new NpyArray([Rows, columns], Array.ConvertAll(v, d => (float)d)), name, owned)
            : FeatureMatrix.FromNpy(new NpyArray([Rows, columns], (double[])v.Clone()), name, owned);

        double copied = Analysis.Core.Cka.Cka.Compute(Wrap(x, ColumnsX, "x", false), Wrap(y, ColumnsY, "y", false), options).Value;
        double centredInPlace = Analysis.Core.Cka.Cka.Compute(Wrap(x, ColumnsX, "x", true), Wrap(y, ColumnsY, "y", true), options).Value;
        double mixed = Analysis.Core.Cka.Cka.Compute(Wrap(x, ColumnsX, "x", true), Wrap(y, ColumnsY, "y", false), options).Value;

        Assert.InRange(copied, 0.01, 0.99);
        Assert.Equal(copied, centredInPlace);
        Assert.Equal(copied, mixed);
    }

    [Fact]
    public void OnlyAnArrayGivenUpIsOverwritten()
    {
        double[] kept = Data(ColumnsX, 3, 50), givenUp = (double[])kept.Clone(), y = Data(ColumnsY, 4, 0);
        var options = new CkaOptions(Form: CkaForm.Feature);
        Analysis.Core.Cka.Cka.Compute(FeatureMatrix.FromNpy(new NpyArray([Rows, ColumnsX], kept), "kept"), FeatureMatrix.FromRowMajor("y", y, Rows, ColumnsY), options);
        Assert.Equal(Data(ColumnsX, 3, 50), kept);

        var owned = FeatureMatrix.FromNpy(new NpyArray([Rows, ColumnsX], givenUp), "owned", mayCentreInPlace: true);
        double first = Analysis.Core.Cka.Cka.Compute(owned, FeatureMatrix.FromRowMajor("y", y, Rows, ColumnsY), options).Value;
        foreach (double mean in owned.ColumnMeans()) Assert.True(Math.Abs(mean) < 1e-12, $"column mean {mean} after centring in place");
        // Centred values give the same CKA again (it does not depend on column shifts).
        double again = Analysis.Core.Cka.Cka.Compute(owned, FeatureMatrix.FromRowMajor("y", y, Rows, ColumnsY), options).Value;
        Assert.Equal(first, again, 12);
    }
}
