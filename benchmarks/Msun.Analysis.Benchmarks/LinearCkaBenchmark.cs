using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Msun.Analysis.Core.Cka;
using Msun.Analysis.Core.LinearAlgebra;
using Msun.Analysis.Core.Numpy;

namespace Msun.Analysis.Benchmarks;

/// <summary>
/// Linear CKA (feature form) on the same arrays here and in NumPy + OpenBLAS, in one run; prints the
/// best of a few repeats for each and the ratio (NumPy time / our time: above 1 means we are faster).
/// </summary>
internal static class LinearCkaBenchmark
{
    public static int Run(string sizes, int repeats, string python)
    {
        string peer = Path.Combine(AppContext.BaseDirectory, "peers", "numpy_linear_cka.py");
        Console.WriteLine($"linear CKA, feature form; best of {repeats}; our BLAS: {Blas.Backend}; threads: {Environment.ProcessorCount}");
        Console.WriteLine($"{"n",6} {"d",5} {"input",6} {"ours: precision",-22} {"ours s",8} {"numpy s",8} {"numpy/ours",10} {"|Δcka|",9}");
        string dir = Directory.CreateTempSubdirectory("msun-bench-").FullName;
        try
        {
            foreach (string size in sizes.Split(','))
            {
                string[] parts = size.Split('x');
                int n = int.Parse(parts[0], CultureInfo.InvariantCulture), d = int.Parse(parts[1], CultureInfo.InvariantCulture);
                var (x64, y64) = Data(n, d);
                float[] x32 = Array.ConvertAll(x64, v => (float)v), y32 = Array.ConvertAll(y64, v => (float)v);
                Npy.Write(Path.Combine(dir, "x64.npy"), new NpyArray([n, d], x64));
                Npy.Write(Path.Combine(dir, "y64.npy"), new NpyArray([n, d], y64));
                Npy.Write(Path.Combine(dir, "x32.npy"), new NpyArray([n, d], x32));
                Npy.Write(Path.Combine(dir, "y32.npy"), new NpyArray([n, d], y32));
                var fx64 = FeatureMatrix.FromRowMajor("x", x64, n, d);
                var fy64 = FeatureMatrix.FromRowMajor("y", y64, n, d);
                var fx32 = FeatureMatrix.FromRowMajor("x", x32, n, d);
                var fy32 = FeatureMatrix.FromRowMajor("y", y32, n, d);
                string nx64 = Path.Combine(dir, "x64.npy"), ny64 = Path.Combine(dir, "y64.npy");
                string nx32 = Path.Combine(dir, "x32.npy"), ny32 = Path.Combine(dir, "y32.npy");
                // Interleaved, best of each: a busy moment of the machine costs both sides alike.
                var cases = new (string Input, string Precision, Func<(double, double)> Ours, Func<(double, double, double)> Numpy, string Against)[]
                {
                    ("f8", "float64", () => Time(fx64, fy64, CkaPrecision.Float64), () => Peer(python, peer, nx64, ny64), "numpy f8"),
                    ("f4", "float32 products", () => Time(fx32, fy32, CkaPrecision.Float32Products), () => Peer(python, peer, nx32, ny32), "numpy f4"),
                    ("f4", "float64 (default)", () => Time(fx32, fy32, CkaPrecision.Float64), () => Peer(python, peer, nx32, ny32), "numpy f4, lower precision"),
                };
                foreach (var c in cases)
                {
                    (double Seconds, double Value) ours = (double.MaxValue, double.NaN);
                    (double Seconds, double Value, double PeakMb) numpy = (double.MaxValue, double.NaN, 0);
                    for (int r = 0; r < repeats; r++)
                    {
                        var o = c.Ours();
                        if (o.Item1 < ours.Seconds) ours = o;
                        var p = c.Numpy();
                        if (p.Item1 < numpy.Seconds) numpy = p;
                    }
                    Row(n, d, c.Input, c.Precision, ours, numpy, c.Against);
                }
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
        Console.WriteLine($"peak working set of this process: {Process.GetCurrentProcess().PeakWorkingSet64 / (1 << 20)} MB");
        return 0;
    }

    private static void Row(int n, int d, string input, string precision, (double Seconds, double Value) ours, (double Seconds, double Value, double PeakMb) numpy, string against)
    {
        Console.WriteLine(FormattableString.Invariant(
            $"{n,6} {d,5} {input,6} {precision,-22} {ours.Seconds,8:F3} {numpy.Seconds,8:F3} {numpy.Seconds / ours.Seconds,10:F2} {Math.Abs(ours.Value - numpy.Value),9:E1}  vs {against} (numpy peak RSS {numpy.PeakMb:F0} MB)"));
    }

    private static (double Seconds, double Value) Time(FeatureMatrix x, FeatureMatrix y, CkaPrecision precision)
    {
        var watch = Stopwatch.StartNew();
        double value = Cka.Compute(x, y, new CkaOptions(Form: CkaForm.Feature, Precision: precision)).Value;
        return (watch.Elapsed.TotalSeconds, value);
    }

    private static (double Seconds, double Value, double PeakMb) Peer(string python, string script, string x, string y, int repeats = 1)
    {
        var info = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { script, x, y, repeats.ToString(CultureInfo.InvariantCulture) }) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {python}");
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"the NumPy peer failed ({python} {script}): {error}\nInstall it with: sudo apt-get install python3-numpy libopenblas0-pthread");
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        return (root.GetProperty("seconds_best").GetDouble(), root.GetProperty("cka").GetDouble(), root.GetProperty("peak_rss_mb").GetDouble());
    }

    /// <summary>x Gaussian; y = x·A/√d + noise, so CKA is far from 0 and 1.</summary>
    private static (double[] X, double[] Y) Data(int n, int d)
    {
        var random = new Random(42);
        double Gaussian() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        var x = new double[(long)n * d];
        for (long i = 0; i < x.LongLength; i++) x[i] = Gaussian();
        // y = x with its columns mixed in blocks of 8 plus noise: cheap to make, clearly dependent.
        var y = new double[(long)n * d];
        for (int r = 0; r < n; r++)
            for (int c = 0; c < d; c++)
            {
                long row = (long)r * d;
                int block = c / 8 * 8;
                double s = 0;
                for (int k = block; k < Math.Min(d, block + 8); k++) s += x[row + k] * ((k * 31 + c * 17) % 7 - 3);
                y[row + c] = s / 8 + Gaussian();
            }
        return (x, y);
    }
}
