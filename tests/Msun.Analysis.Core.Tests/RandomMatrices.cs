using Msun.Analysis.Core.Cka;

namespace Msun.Analysis.Core.Tests;

/// <summary>Seeded Gaussian test data.</summary>
internal static class RandomMatrices
{
    public static double[] Gaussian(int rows, int columns, int seed, double offset = 0)
    {
        var random = new Random(seed);
        var data = new double[rows * columns];
        for (int i = 0; i < data.Length; i++)
        {
            double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
            data[i] = offset + Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
        }
        return data;
    }

    public static FeatureMatrix Matrix(string name, int rows, int columns, int seed, double offset = 0) =>
        FeatureMatrix.FromRowMajor(name, Gaussian(rows, columns, seed, offset), rows, columns);

    /// <summary>y = x·A + noise·E: partially dependent on x.</summary>
    public static FeatureMatrix Dependent(string name, FeatureMatrix x, int columns, double noise, int seed)
    {
        double[] a = Gaussian(x.Columns, columns, seed), e = Gaussian(x.Rows, columns, seed + 1);
        var y = new double[x.Rows * columns];
        for (int r = 0; r < x.Rows; r++)
            for (int c = 0; c < columns; c++)
            {
                double s = noise * e[r * columns + c];
                for (int k = 0; k < x.Columns; k++) s += x[r, k] * a[k * columns + c];
                y[r * columns + c] = s;
            }
        return FeatureMatrix.FromRowMajor(name, y, x.Rows, columns);
    }

    /// <summary>x·M for a d×d matrix M (row-major).</summary>
    public static FeatureMatrix Times(FeatureMatrix x, double[] m, string name)
    {
        int d = x.Columns;
        var y = new double[x.Rows * d];
        for (int r = 0; r < x.Rows; r++)
            for (int c = 0; c < d; c++)
            {
                double s = 0;
                for (int k = 0; k < d; k++) s += x[r, k] * m[k * d + c];
                y[r * d + c] = s;
            }
        return FeatureMatrix.FromRowMajor(name, y, x.Rows, d);
    }

    /// <summary>A random orthogonal d×d matrix (Gram–Schmidt on Gaussian columns), row-major.</summary>
    public static double[] Orthogonal(int d, int seed)
    {
        double[] g = Gaussian(d, d, seed);
        var q = new double[d * d];
        for (int c = 0; c < d; c++)
        {
            for (int r = 0; r < d; r++) q[r * d + c] = g[r * d + c];
            for (int p = 0; p < c; p++)
            {
                double dot = 0;
                for (int r = 0; r < d; r++) dot += q[r * d + c] * q[r * d + p];
                for (int r = 0; r < d; r++) q[r * d + c] -= dot * q[r * d + p];
            }
            double norm = 0;
            for (int r = 0; r < d; r++) norm += q[r * d + c] * q[r * d + c];
            norm = Math.Sqrt(norm);
            for (int r = 0; r < d; r++) q[r * d + c] /= norm;
        }
        return q;
    }
}
