using Msun.Analysis.Core.Cka;
using Msun.Analysis.Torch.Cka;
using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Tests.Cka;

[Collection("Torch")]
public class TensorCkaTests
{
    [Fact]
    public void FourDimensionalActivationsFlattenPerExampleInCOrder()
    {
        using var t = arange(2 * 3 * 2 * 2, dtype: ScalarType.Float32).reshape(2, 3, 2, 2);
        var m = TensorCka.ToFeatureMatrix(t, "conv");
        Assert.Equal(2, m.Rows);
        Assert.Equal(12, m.Columns);
        Assert.True(m.IsSinglePrecision);
        Assert.Equal(12 + 1 * 4 + 0 * 2 + 1, m[1, 5]); // element [1, 1, 0, 1]
    }

    [Fact]
    public void NonContiguousTensorsAreReadInLogicalOrder()
    {
        using var t = arange(6, dtype: ScalarType.Float64).reshape(2, 3).t(); // 3×2, strides (1, 3)
        var m = TensorCka.ToFeatureMatrix(t, "transposed");
        Assert.Equal(new[] { 0.0, 3, 1, 4, 2, 5 }, Enumerable.Range(0, 6).Select(i => m[i / 2, i % 2]));
    }

    [Fact]
    public void TensorCkaEqualsArrayCka()
    {
        manual_seed(7);
        using var x = randn(50, 4, 3, 3);
        using var y = x.flatten(1).matmul(randn(36, 5)) + 0.5 * randn(50, 5);
        var fromTensors = TensorCka.Compute(x, y, new CkaOptions(Estimator: HsicEstimator.Unbiased));
        var fromArrays = Core.Cka.Cka.Compute(
            FeatureMatrix.FromRowMajor("x", x.reshape(50, 36).data<float>().ToArray(), 50, 36),
            FeatureMatrix.FromRowMajor("y", y.data<float>().ToArray(), 50, 5),
            new CkaOptions(Estimator: HsicEstimator.Unbiased));
        Assert.Equal(fromArrays.Value, fromTensors.Value, 1e-15);
        Assert.Equal(36, fromTensors.DX);

        var acc = new LinearCkaAccumulator(36, 5);
        acc.Add(x[..20], y[..20]);
        acc.Add(x[20..], y[20..]);
        Assert.Equal(fromArrays.Value, acc.Result(HsicEstimator.Unbiased).Value, 1e-12);
    }

    [Fact]
    public void UnsupportedTensorsAreRejectedByName()
    {
        using var ints = ones(4, 3, dtype: ScalarType.Int64);
        var error = Assert.Throws<ArgumentException>(() => TensorCka.ToFeatureMatrix(ints, "labels"));
        Assert.Contains("labels is a Int64 tensor [4, 3]", error.Message);
        using var empty = zeros(0, 3);
        error = Assert.Throws<ArgumentException>(() => TensorCka.ToFeatureMatrix(empty, "acts"));
        Assert.Contains("acts is empty ([0, 3])", error.Message);
        using var nan = ones(2, 2);
        nan[1, 0] = tensor(float.NaN);
        error = Assert.Throws<ArgumentException>(() => TensorCka.ToFeatureMatrix(nan, "layer3"));
        Assert.Contains("layer3 (2×2) contains NaN at row 1, column 0", error.Message);
    }
}
