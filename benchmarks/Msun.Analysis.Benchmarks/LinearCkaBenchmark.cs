using System.Globalization;
using System.Text.Json.Nodes;
using Msun.Analysis.Core.Cka;
using Msun.Analysis.Core.LinearAlgebra;
using Msun.Analysis.Core.Numpy;

namespace Msun.Analysis.Benchmarks;

/// <summary>
/// Linear CKA (biased, feature form) against NumPy + SciPy's BLAS wrappers on the same .npy files, in alternating
/// rounds (<see cref="Rounds"/>). Two kinds of row:
/// <list type="bullet">
/// <item>kernel: each side loads the files (untimed), warms up on the first 4 096 rows, then times one CKA;</item>
/// <item>whole process: <c>msun cka X Y --json</c> against <c>numpy_linear_cka.py X Y</c>, timed from outside
/// (start-up, loading, checking and all) — what a user waits for.</item>
/// </list>
/// float64 files: ours float64 against NumPy float64; float32 files: ours <c>float32-products</c> against the peer's
/// float32 chunk products summed in float64 (the same arithmetic). Agreement: |Δ CKA| ≤ 1e-9 (float64), ≤ 1e-5 (float32).
/// </summary>
internal static class LinearCkaBenchmark
{
    private const double Float64Tolerance = 1e-9, Float32Tolerance = 1e-5;

    public static int Run(string sizes, IReadOnlyList<int> threadCounts, int rounds, string python, string results, bool glibcDefaults, bool kernelOnly)
    {
        string peer = Path.Combine(AppContext.BaseDirectory, "peers", "numpy_linear_cka.py");
        string msun = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "Msun.Analysis.Cli", "release", "msun.dll"));
        if (!kernelOnly && !File.Exists(msun))
        {
            Console.Error.WriteLine($"the whole-process rows run {msun}: build it first (dotnet build -c Release src/Msun.Analysis.Cli), or pass --kernel-only");
            return 2;
        }
        string dir = Directory.CreateTempSubdirectory("msun-linear-bench-").FullName;
        using var rows = new Rounds("linear-cka", results, glibcDefaults);
        try
        {
            foreach (string size in sizes.Split(','))
            {
                string[] parts = size.Split('x');
                int n = int.Parse(parts[0], CultureInfo.InvariantCulture), d = int.Parse(parts[1], CultureInfo.InvariantCulture);
                var (x64, y64) = Data(n, d);
                string Write(string name, Array data)
                {
                    string path = Path.Combine(dir, $"{name}-{n}x{d}.npy");
                    Npy.Write(path, data is double[] f8 ? new NpyArray([n, d], f8) : new NpyArray([n, d], (float[])data));
                    return path;
                }
                string fx64 = Write("x64", x64), fy64 = Write("y64", y64);
                string fx32 = Write("x32", Array.ConvertAll(x64, v => (float)v)), fy32 = Write("y32", Array.ConvertAll(y64, v => (float)v));
                foreach (int threads in threadCounts)
                {
                    foreach (var (label, x, y, precision, tolerance) in new[]
                    {
                        ("float64", fx64, fy64, "float64", Float64Tolerance),
                        ("float32 products", fx32, fy32, "float32-products", Float32Tolerance),
                    })
                    {
                        rows.Row($"kernel n={n} d={d} {label}", threads, rounds,
                            SideCommand.Self("ours", ["linear-cka-worker", x, y, precision]),
                            new SideCommand("numpy", python, [peer, x, y, "--warm-up"]), wholeProcess: false, Agree(tolerance));
                        if (!kernelOnly)
                            rows.Row($"whole process n={n} d={d} {label}", threads, rounds,
                                new SideCommand("ours", "dotnet", [msun, "cka", x, y, "--json", "--precision", precision]),
                                new SideCommand("numpy", python, [peer, x, y]), wholeProcess: true, Agree(tolerance));
                    }
                }
            }
            rows.Note("ours: " + Worker.Describe() + "; peer: " + PeerDescription(python));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
        return 0;
    }

    private static Func<JsonObject, JsonObject, string> Agree(double tolerance) => (ours, peer) =>
    {
        double a = (double)ours["cka"]!, b = (double)peer["cka"]!, delta = Math.Abs(a - b);
        if (!(delta <= tolerance))
            throw new InvalidOperationException(FormattableString.Invariant($"the two sides disagree: CKA {a} against {b} (|Δ| {delta:0.0e+0} > {tolerance:0e+0})"));
        return FormattableString.Invariant($"|ΔCKA| {delta:0.0e+0} ≤ {tolerance:0e+0}");
    };

    private static string PeerDescription(string python) =>
        new SideCommand("numpy", python, ["-c", "import numpy, scipy; print('NumPy', numpy.__version__, 'SciPy', scipy.__version__)"]).RunOnce().Trim()
        + " (Debian python3-numpy/python3-scipy), BLAS and threads per round in the raw log";

    /// <summary>Our side of a kernel row, in its own process: prints one JSON line like the peer's.</summary>
    public static class Worker
    {
        public static int Run(string x, string y, string precision)
        {
            var p = precision switch
            {
                "float64" => CkaPrecision.Float64,
                "float32-products" => CkaPrecision.Float32Products,
                _ => throw new ArgumentException($"precision must be float64 or float32-products, not '{precision}'"),
            };
            NpyArray ax = Npy.Read(x), ay = Npy.Read(y);
            // Centred in place, as msun cka and the peer do with the arrays they read.
            var fx = FeatureMatrix.FromNpy(ax, "x", mayCentreInPlace: true);
            var fy = FeatureMatrix.FromNpy(ay, "y", mayCentreInPlace: true);
            var options = new CkaOptions(Form: CkaForm.Feature, Precision: p);
            _ = Cka.Compute(FirstRows(ax, "x"), FirstRows(ay, "y"), options); // JIT and BLAS warm-up on copies, as the peer's --warm-up
            GC.Collect();
            var timed = TimedSection.Start();
            double value = Cka.Compute(fx, fy, options).Value;
            var output = timed.Stop();
            output["cka"] = value;
            output["blas"] = Describe();
            Console.WriteLine(output.ToJsonString());
            return 0;
        }

        private static FeatureMatrix FirstRows(NpyArray a, string name)
        {
            int rows = Math.Min(a.Shape[0], 4096), length = rows * a.Shape[1];
            var copy = a.Data is float[] f ? new NpyArray([rows, a.Shape[1]], f[..length]) : new NpyArray([rows, a.Shape[1]], ((double[])a.Data)[..length]);
            return FeatureMatrix.FromNpy(copy, name, mayCentreInPlace: true);
        }

        public static string Describe() => $"{Blas.Backend}, OpenBLAS threads {Blas.OpenBlasThreads?.ToString(CultureInfo.InvariantCulture) ?? "n/a"}";
    }

    /// <summary>x Gaussian; y = x with its columns mixed in blocks of 8, plus noise: CKA far from 0 and 1.</summary>
    private static (double[] X, double[] Y) Data(int n, int d)
    {
        var random = new Random(42);
        double Gaussian() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        var x = new double[(long)n * d];
        for (long i = 0; i < x.LongLength; i++) x[i] = Gaussian();
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
