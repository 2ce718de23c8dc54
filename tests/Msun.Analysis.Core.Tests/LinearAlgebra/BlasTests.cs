using Msun.Analysis.Core.LinearAlgebra;

namespace Msun.Analysis.Core.Tests.LinearAlgebra;

public class BlasTests
{
    /// <summary>Whether Debian's OpenBLAS package is installed here (CI installs it: .ci/run).</summary>
    public static bool OpenBlasPackageInstalled()
    {
        var info = new System.Diagnostics.ProcessStartInfo("dpkg-query", ["-W", "-f=${Status}", "libopenblas0-pthread"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        try
        {
            using var p = System.Diagnostics.Process.Start(info)!;
            string status = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return status.Contains("install ok installed", StringComparison.Ordinal);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // no dpkg: not a Debian machine, so not the package
        }
    }

    [Fact]
    public void OpenBlasIsTheBackendWhereThePackageIsInstalled()
    {
        // Unless forced (MSUN_BLAS), the loader must find the installed library: a silent fall-back to the managed loops
        // would make the "both backends" tests below run the managed code twice.
        var forced = Environment.GetEnvironmentVariable("MSUN_BLAS")?.Trim().ToLowerInvariant();
        var expected = forced switch
        {
            "managed" => BlasBackend.Managed,
            "openblas" => BlasBackend.OpenBlas,
            _ => OpenBlasPackageInstalled() ? BlasBackend.OpenBlas : BlasBackend.Managed,
        };
        Assert.Equal(expected, Blas.Backend);
    }

    private static double[] Naive(double[] a, double[] b, int n, int d1, int d2)
    {
        var c = new double[d1 * d2];
        for (int i = 0; i < d1; i++)
            for (int j = 0; j < d2; j++)
                for (int k = 0; k < n; k++)
                    c[i * d2 + j] += a[k * d1 + i] * b[k * d2 + j];
        return c;
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(70, 13, 9)]
    [InlineData(130, 33, 17)]
    public void ProductsMatchATripleLoopOnBothBackends(int n, int d1, int d2)
    {
        double[] a = RandomMatrices.Gaussian(n, d1, 1), b = RandomMatrices.Gaussian(n, d2, 2);
        double[] gemm = Naive(a, b, n, d1, d2), syrk = Naive(a, a, n, d1, d1);
        double[] gram = Naive(Transpose(a, n, d1), Transpose(a, n, d1), d1, n, n);

        var c = new double[d1 * d2];
        Blas.GemmTransposedA<double>(a, b, n, d1, d2, c);
        AssertClose(gemm, c);
        c = new double[d1 * d2];
        ManagedBlas.GemmTransposedA<double>(a, b, n, d1, d2, c);
        AssertClose(gemm, c);

        foreach (bool managed in new[] { false, true })
        {
            var s = new double[d1 * d1];
            if (managed) ManagedBlas.SyrkTransposed<double>(a, n, d1, s); else Blas.SyrkTransposed<double>(a, n, d1, s);
            Blas.MirrorUpper<double>(s, d1);
            AssertClose(syrk, s);
            var g = new double[n * n];
            if (managed) ManagedBlas.SyrkGram(a, n, d1, g); else Blas.SyrkGram(a, n, d1, g);
            Blas.MirrorUpper<double>(g, n);
            AssertClose(gram, g);
        }
    }

    [Fact]
    public void SinglePrecisionProductsAccumulate()
    {
        float[] a = RandomMatrices.Gaussian(50, 6, 3).Select(v => (float)v).ToArray();
        double[] expected = Naive(a.Select(v => (double)v).ToArray(), a.Select(v => (double)v).ToArray(), 50, 6, 6);
        foreach (bool managed in new[] { false, true })
        {
            var c = new float[36];
            if (managed) ManagedBlas.SyrkTransposed<float>(a, 50, 6, c); else Blas.SyrkTransposed<float>(a, 50, 6, c);
            if (managed) ManagedBlas.SyrkTransposed<float>(a, 50, 6, c); else Blas.SyrkTransposed<float>(a, 50, 6, c); // C += AᵀA twice
            Blas.MirrorUpper<float>(c, 6);
            for (int i = 0; i < 36; i++) Assert.Equal(2 * expected[i], c[i], 1e-3);
        }
    }

    private static double[] Transpose(double[] a, int rows, int columns)
    {
        var t = new double[a.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++) t[c * rows + r] = a[r * columns + c];
        return t;
    }

    private static void AssertClose(double[] expected, double[] actual)
    {
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-10);
    }
}
