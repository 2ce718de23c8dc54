using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Msun.Analysis.Core.Cka;
using Msun.Analysis.Core.LinearAlgebra;
using Msun.Analysis.Core.Numpy;
using Msun.Analysis.Torch.Backbones;
using Msun.Analysis.Torch.Capture;
using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Benchmarks;

/// <summary>
/// Layer × layer minibatch CKA (Nguyen et al. 2021) over the 18 representational layers of two ResNet-18s
/// (conv1, the 16 convolutions of the 8 BasicBlocks, fc), ours against a PyTorch implementation of the
/// same estimator, in one run.
/// </summary>
/// <remarks>
/// <para>Protocol. Two ResNet-18s in torchvision's layout with random weights (torch seeds 1 and 2, eval
/// mode), the same seeded Gaussian 32×32 images for both, <c>batches</c> × <c>batch-size</c> examples.
/// The registry's ImageNet <c>resnet18</c> (3 channels, 7×7/2 stem + max-pool, 1000 classes) is the
/// default: at 32 px its feature maps are 16×16 (conv1) down to 1×1 (layer4); <c>resnet18-small</c> (CIFAR
/// stem, widths 16–128, 1 channel) is the other choice.</para>
/// <para>(a) CKA only, the headline: the activations of all 18 layers of both models are captured once
/// with our TorchSharp capture and written to .npy, one file per layer and batch. Each side then runs in
/// its own process (so that each one's peak RSS is its own): per batch it reads that batch's 36 files
/// (not timed) and adds them to its grid (timed); batch 0 is first run once through a throw-away grid on
/// both sides as a warm-up. Ours is <see cref="MinibatchCka"/>; theirs is
/// <c>peers/torch_minibatch_cka.py</c> (zero-diagonal Grams in the arithmetic asked for, unbiased HSIC of all
/// pairs in O(b²) each).</para>
/// <para>(b) End to end: forward of both models + hooks + CKA, timed together, in each framework
/// (PyTorch loads our weights from .npy, so the grids must agree too).</para>
/// <para>Each case runs in alternating rounds (<see cref="Rounds"/>): median of the per-round ratios, the range, the raw log.</para>
/// </remarks>
internal static class GridCkaBenchmark
{
    private const int SeedA = 1, SeedB = 2, ImageSeed = 42;

    public static int Run(string model, int size, int batches, int batchSize, IReadOnlyList<int> threadCounts, int rounds, string python,
        string results, bool glibcDefaults, bool endToEnd, string? keep)
    {
        string peer = Path.Combine(AppContext.BaseDirectory, "peers", "torch_minibatch_cka.py");
        string dir = keep ?? Directory.CreateTempSubdirectory("msun-gridbench-").FullName;
        Directory.CreateDirectory(dir);
        try
        {
            var layers = Dump(model, size, batches, batchSize, dir);
            using var rows = new Rounds("grid-cka", results, glibcDefaults);
            // (part, mode, ours, peer arithmetic, tolerance on max |Δ CKA| over the grid)
            var cases = new List<(string Part, string Mode, string Ours, string Theirs, double Tolerance)>
            {
                ("CKA", "cka", "float64", "float64", 1e-9),
                ("CKA", "cka", "float32-products", "float32-products", 1e-5),
                ("CKA", "cka", "float32-products", "float32", 1e-5),
            };
            if (endToEnd)
            {
                cases.Add(("end to end", "e2e", "float64", "float64", 1e-6));
                cases.Add(("end to end", "e2e", "float32-products", "float32", 1e-5));
            }
            foreach (int threads in threadCounts)
                foreach (var c in cases)
                {
                    string t = Invariant($"{threads}");
                    rows.Row($"{c.Part} {model} {size}px {batches}×{batchSize}: ours {c.Ours} vs torch {c.Theirs}", threads, rounds,
                        SideCommand.Self("ours", ["grid-cka-worker", "--mode", c.Mode, "--dir", dir, "--batches", Invariant($"{batches}"), "--model", model,
                            "--size", Invariant($"{size}"), "--batch-size", Invariant($"{batchSize}"), "--precision", c.Ours, "--threads", t]),
                        new SideCommand("pytorch", python, [peer, c.Mode, dir, Invariant($"{batches}"), c.Theirs, t]), wholeProcess: false,
                        (o, p) => Agree(o, p, c.Tolerance));
                }
            rows.Note($"layers ({layers.Count}): {string.Join(", ", layers)}. Peer: Debian python3-torch {TorchVersion(python)} (float64/float32-products Grams " +
                "through SciPy's DSYRK/SSYRK on the same OpenBLAS as ours; float32: torch.mm). Tolerances: float64 1e-9 (CKA only), 1e-6 (end to end: " +
                "two libtorch builds' forward passes); float32 products on both sides 1e-5; against the peer's plain float32 Grams 2e-2, the peer's " +
                "own float32 error (no centring, float32 sums over b² terms), not ours.");
            return 0;
        }
        finally
        {
            if (keep is null) Directory.Delete(dir, recursive: true);
        }
    }

    private static string Agree(System.Text.Json.Nodes.JsonObject ours, System.Text.Json.Nodes.JsonObject peer, double tolerance)
    {
        var a = ours["grid"]!.AsArray();
        var b = peer["grid"]!.AsArray();
        double max = 0;
        for (int i = 0; i < a.Count; i++)
            for (int j = 0; j < a[i]!.AsArray().Count; j++)
            {
                double x = (double)a[i]![j]!, y = (double)b[i]![j]!;
                double delta = Math.Abs(x - y);
                if (double.IsNaN(delta)) throw new InvalidOperationException($"grid entry ({i}, {j}) is {x} against {y}");
                max = Math.Max(max, delta);
            }
        if (!(max <= tolerance))
            throw new InvalidOperationException(Invariant($"the two grids differ by up to {max:0.0e+0} (> {tolerance:0e+0})"));
        return Invariant($"max|ΔCKA| {max:0.0e+0} ≤ {tolerance:0e+0}");
    }

    private static string TorchVersion(string python) =>
        new SideCommand("pytorch", python, ["-c", "import torch; print(torch.__version__)"]).RunOnce().Trim();

    /// <summary>The 18 representational layers of a ResNet-18: conv1, every BasicBlock convolution, fc.</summary>
    public static IReadOnlyList<string> Layers()
    {
        var names = new List<string> { "conv1" };
        for (int stage = 1; stage <= 4; stage++)
            for (int block = 0; block < 2; block++)
                for (int conv = 1; conv <= 2; conv++)
                    names.Add($"layer{stage}.{block}.conv{conv}");
        names.Add("fc");
        return names;
    }

    // ---------------------------------------------------------------- data

    private static Backbone CreateModel(string model, int seed)
    {
        torch.InitializeDeviceType(DeviceType.CPU);
        torch.manual_seed(seed);
        var backbone = BackboneRegistry.Get(model).Create();
        backbone.eval();
        return backbone;
    }

    private static (int Channels, int Classes, int[] Widths, bool ImageNetStem) Config(string model) => model switch
    {
        "resnet18" => (3, 1000, [64, 128, 256, 512], true),
        "resnet18-small" => (1, 10, [16, 32, 64, 128], false),
        _ => throw new ArgumentException($"grid-cka knows resnet18 and resnet18-small, not '{model}'."),
    };

    /// <summary>Seeded Gaussian images, [batches·b, C, size, size], float32.</summary>
    private static float[] Images(int count, int channels, int size)
    {
        var random = new Random(ImageSeed);
        var data = new float[(long)count * channels * size * size];
        for (long i = 0; i < data.LongLength; i++)
            data[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        return data;
    }

    /// <summary>Writes images, weights, model config and every layer's activations of every batch to <paramref name="dir"/>.</summary>
    private static IReadOnlyList<string> Dump(string model, int size, int batches, int batchSize, string dir)
    {
        var config = Config(model);
        var layers = Layers();
        File.WriteAllLines(Path.Combine(dir, "layers.txt"), layers);
        File.WriteAllText(Path.Combine(dir, "model.json"), JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["in_channels"] = config.Channels, ["classes"] = config.Classes, ["widths"] = config.Widths,
            ["imagenet_stem"] = config.ImageNetStem, ["batch_size"] = batchSize,
        }));
        var images = Images(batches * batchSize, config.Channels, size);
        Npy.Write(Path.Combine(dir, "images.npy"), new NpyArray([batches * batchSize, config.Channels, size, size], images));

        var watch = Stopwatch.StartNew();
        foreach (var (side, seed) in new[] { ("a", SeedA), ("b", SeedB) })
        {
            using var net = CreateModel(model, seed);
            PeerFiles.WriteStateDict(net, Path.Combine(dir, "weights_" + side));
            var capture = ActivationCapture.Create(net, layers);
            for (int k = 0; k < batches; k++)
            {
                using var input = BatchTensor(images, k, batchSize, config.Channels, size);
                var batch = capture.Run(input);
                for (int i = 0; i < layers.Count; i++)
                {
                    var m = batch[i].Matrix;
                    var values = new float[(long)m.Rows * m.Columns];
                    for (int row = 0; row < m.Rows; row++)
                        for (int col = 0; col < m.Columns; col++)
                            values[(long)row * m.Columns + col] = (float)m[row, col];
                    Npy.Write(Path.Combine(dir, Invariant($"{side}{k:000}_{i:00}.npy")), new NpyArray([m.Rows, m.Columns], values));
                }
            }
        }
        Console.WriteLine(Invariant($"(captured and wrote the activations in {watch.Elapsed.TotalSeconds:F1} s)"));
        return layers;
    }

    private static Tensor BatchTensor(float[] images, int k, int batchSize, int channels, int size)
    {
        long per = (long)channels * size * size;
        var slice = images.AsSpan((int)(k * batchSize * per), (int)(batchSize * per)).ToArray();
        return torch.tensor(slice, [batchSize, channels, size, size]);
    }

    // ---------------------------------------------------------------- workers (each in its own process)

    /// <summary>Our side, run as <c>grid-cka-worker</c> in a child process; prints one JSON line.</summary>
    public static int Worker(string mode, string dir, int batches, string model, int size, int batchSize, string precision, int threads)
    {
        torch.InitializeDeviceType(DeviceType.CPU);
        torch.set_num_threads(threads);
        var mode64 = precision switch
        {
            "float64" => CkaPrecision.Float64,
            "float32-products" => CkaPrecision.Float32Products,
            _ => throw new ArgumentException($"unknown precision '{precision}' (float64 or float32-products)."),
        };
        MinibatchCka NewGrid(string[] names) => new(names, names, precision: mode64);
        var layers = File.ReadAllLines(Path.Combine(dir, "layers.txt")).Where(l => l.Length > 0).ToArray();
        var times = new List<double>();
        var cpu = TimeSpan.Zero;
        var self = Process.GetCurrentProcess();
        double baseline;
        CkaGrid result;
        if (mode == "cka")
        {
            void WarmUp()
            {
                var (a0, b0) = LoadBatch(dir, 0, layers.Length);
                NewGrid(layers).Add(a0, b0); // warm-up (JIT, BLAS threads), thrown away
            }
            WarmUp();
            GC.Collect();
            File.WriteAllText("/proc/self/clear_refs", "5"); // peak RSS from here on
            baseline = Rss().Current;
            var grid = NewGrid(layers);
            for (int k = 0; k < batches; k++)
            {
                var (a, b) = LoadBatch(dir, k, layers.Length);
                self.Refresh();
                var cpu0 = self.TotalProcessorTime;
                var watch = Stopwatch.StartNew();
                grid.Add(a, b);
                times.Add(watch.Elapsed.TotalSeconds);
                self.Refresh();
                cpu += self.TotalProcessorTime - cpu0;
                // The batch's arrays came from the file reader, not the engine: drop them now, as Python's
                // reference counting does on the other side (untimed), so that peak RSS compares engines.
                a = b = null;
                GC.Collect();
            }
            var last = Stopwatch.StartNew();
            result = grid.Result();
            times[^1] += last.Elapsed.TotalSeconds;
        }
        else
        {
            var config = Config(model);
            var images = Npy.Read(Path.Combine(dir, "images.npy")).GetData<float>();
            using var netA = CreateModel(model, SeedA);
            using var netB = CreateModel(model, SeedB);
            var captureA = ActivationCapture.Create(netA, layers);
            var captureB = ActivationCapture.Create(netB, layers);
            void Step(MinibatchCka grid, int k)
            {
                using var input = BatchTensor(images, k, batchSize, config.Channels, size);
                grid.Add(captureA.Run(input).Matrices, captureB.Run(input).Matrices);
            }
            Step(NewGrid(layers), 0); // warm-up
            GC.Collect();
            File.WriteAllText("/proc/self/clear_refs", "5"); // peak RSS from here on
            baseline = Rss().Current;
            var grid = NewGrid(layers);
            self.Refresh();
            var cpu0 = self.TotalProcessorTime;
            for (int k = 0; k < batches; k++)
            {
                var watch = Stopwatch.StartNew();
                Step(grid, k);
                times.Add(watch.Elapsed.TotalSeconds);
            }
            self.Refresh();
            cpu = self.TotalProcessorTime - cpu0;
            result = grid.Result();
        }
        var values = new double[layers.Length][];
        for (int i = 0; i < layers.Length; i++)
            values[i] = Enumerable.Range(0, layers.Length).Select(j => result.Values[i, j]).ToArray();
        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["seconds"] = times.Sum(), ["cpu_seconds"] = cpu.TotalSeconds, ["per_batch"] = times, ["baseline_rss_mb"] = baseline,
            ["peak_above_baseline_mb"] = Rss().Peak - baseline, ["grid"] = values, ["torch_threads"] = torch.get_num_threads(),
            ["blas"] = LinearCkaBenchmark.Worker.Describe(),
        }));
        return 0;
    }

    private static (FeatureMatrix[] A, FeatureMatrix[] B) LoadBatch(string dir, int k, int layers)
    {
        FeatureMatrix Load(string side, int i) =>
            FeatureMatrix.FromNpy(Npy.Read(Path.Combine(dir, Invariant($"{side}{k:000}_{i:00}.npy"))), Invariant($"{side}{k}.{i}"));
        return (Enumerable.Range(0, layers).Select(i => Load("a", i)).ToArray(), Enumerable.Range(0, layers).Select(i => Load("b", i)).ToArray());
    }

    /// <summary>VmRSS and VmHWM (peak) of this process, MB.</summary>
    private static (double Current, double Peak) Rss()
    {
        double current = double.NaN, peak = double.NaN;
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) current = Kb(line) / 1024;
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) peak = Kb(line) / 1024;
        }
        return (current, peak);
        static double Kb(string line) => double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    private static string Invariant(FormattableString s) => FormattableString.Invariant(s);
}
