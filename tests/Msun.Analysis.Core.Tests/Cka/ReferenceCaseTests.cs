using System.Globalization;
using Msun.Analysis.Core.Cka;
using Msun.Analysis.Core.Numpy;

namespace Msun.Analysis.Core.Tests.Cka;

/// <summary>Every row of ../shared/cka-reference/expected.csv (an independent float64 implementation) to 1e-9.</summary>
public class ReferenceCaseTests
{
    public static TheoryData<string, string, string, string, string, string> Rows()
    {
        var rows = new TheoryData<string, string, string, string, string, string>();
        string[] lines = File.ReadAllLines(Path.Combine(TestPaths.CkaReferenceDirectory, "expected.csv"));
        Assert.Equal("case,x,y,kernel,sigma_fraction,debiased,cka", lines[0]);
        foreach (string line in lines.Skip(1).Where(l => l.Length > 0))
        {
            string[] f = line.Split(',');
            rows.Add(f[0], f[1], f[2], f[3] + (f[4].Length > 0 ? "@" + f[4] : ""), f[5], f[6]);
        }
        return rows;
    }

    [Fact]
    public void TheReferenceHasEveryCaseTheReadmeNames()
    {
        var cases = Rows().Select(r => (string)r[0]).Distinct().ToArray();
        Assert.Equal(9, cases.Length);
        Assert.Equal(90, Rows().Count());
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void MatchesTheReference(string name, string xFile, string yFile, string kernel, string debiased, string expected)
    {
        var x = FeatureMatrix.FromNpy(Npy.Read(Path.Combine(TestPaths.CkaReferenceDirectory, xFile)), xFile);
        var y = FeatureMatrix.FromNpy(Npy.Read(Path.Combine(TestPaths.CkaReferenceDirectory, yFile)), yFile);
        CkaKernel k = kernel == "linear"
            ? CkaKernel.Linear
            : CkaKernel.Rbf(double.Parse(kernel["rbf@".Length..], CultureInfo.InvariantCulture));
        var estimator = debiased == "true" ? HsicEstimator.Unbiased : HsicEstimator.Biased;
        double want = double.Parse(expected, CultureInfo.InvariantCulture);

        CkaForm[] forms = kernel == "linear" ? [CkaForm.Auto, CkaForm.Gram, CkaForm.Feature] : [CkaForm.Auto];
        foreach (var form in forms)
        {
            var result = global::Msun.Analysis.Core.Cka.Cka.Compute(x, y, new CkaOptions(k, estimator, form));
            Assert.True(Math.Abs(result.Value - want) <= 1e-9,
                $"{name} {kernel} debiased={debiased} form={result.Form}: {result.Value:R} vs {want:R} (|Δ| = {Math.Abs(result.Value - want):E2})");
        }
        if (kernel == "linear")
        {
            // Arrays the computation may centre in place (what msun cka reads): the same value.
            var ownedX = FeatureMatrix.FromNpy(Npy.Read(Path.Combine(TestPaths.CkaReferenceDirectory, xFile)), xFile, mayCentreInPlace: true);
            var ownedY = FeatureMatrix.FromNpy(Npy.Read(Path.Combine(TestPaths.CkaReferenceDirectory, yFile)), yFile, mayCentreInPlace: true);
            double inPlace = global::Msun.Analysis.Core.Cka.Cka.Compute(ownedX, ownedY, new CkaOptions(k, estimator, CkaForm.Feature)).Value;
            Assert.True(Math.Abs(inPlace - want) <= 1e-9, $"{name} feature form centred in place: {inPlace:R} vs {want:R}");
            var streamed = new LinearCkaAccumulator(x.Columns, y.Columns);
            int half = x.Rows / 2;
            streamed.Add(x.SliceRows(0, half), y.SliceRows(0, half));
            streamed.Add(x.SliceRows(half, x.Rows - half), y.SliceRows(half, x.Rows - half));
            Assert.True(Math.Abs(streamed.Result(estimator).Value - want) <= 1e-9, $"{name} streaming: {streamed.Result(estimator).Value:R} vs {want:R}");
        }
    }
}
