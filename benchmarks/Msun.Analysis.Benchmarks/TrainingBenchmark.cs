using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Msun.Analysis.Core.Numpy;
using Msun.Analysis.Torch;
using Msun.Analysis.Torch.Backbones;
using Msun.Analysis.Torch.Data;
using Msun.Analysis.Torch.Training;
using TorchSharp;

namespace Msun.Analysis.Benchmarks;

/// <summary>
/// Training speed and memory: our <see cref="Trainer"/> (Vanilla, batch 128, SGD momentum 0.9, weight decay 5e-4,
/// gradient clipping at 1, cosine learning rate over one epoch) against the same network and loop in PyTorch
/// (<c>peers/pytorch_training.py</c>), in alternating rounds (<see cref="Rounds"/>), each side in its own process. Each
/// configuration has two rows: against the peer in PyTorch's default layout, and against the peer with PyTorch's
/// channels-last recipe (ours holds its convolution weights channels-last while it trains).
/// </summary>
/// <remarks>
/// Both sides train the same numbers: a preparation run of ours writes its initial weights, the order of its training
/// images and its learning rate per step to a folder, and the peer loads them. Float32 training amplifies rounding, so a
/// fixed tolerance on later losses cannot tell a different computation from different kernels: the preparation also
/// trains each side once more with its convolutions on libtorch's native kernels instead of oneDNN (the same arithmetic,
/// other rounding) and takes the largest relative loss gap each stack shows against itself. Every round then checks the
/// first step's loss (same weights, same batch: ≤ 1e-4 relative), the second's (one SGD update later: ≤ 1e-3, or twice
/// the own-stack gap at step 2 if larger: channels-last BatchNorm gradients are rounded more coarsely, see
/// ChannelsLastWeights, so against the channels-last peer the own-stack gap also takes the peer against itself in the
/// default layout), and that at no step the two sides are further apart than twice the own-stack gap (or 5e-2, if
/// larger). Timed: the steps after
/// the warm-up batches.
/// Memory: peak RSS of the whole process, and its peak above the RSS once the runtime (.NET + TorchSharp, or
/// Python + torch) is loaded and before the data is read.
/// </remarks>
internal static class TrainingBenchmark
{
    private const double FirstLossTolerance = 1e-4, SecondLossTolerance = 1e-3, DriftFloor = 5e-2;

    public static int Run(IReadOnlyList<string> backbones, int batches, int warmup, int batchSize, IReadOnlyList<int> threadCounts, int rounds,
        string python, string results, bool glibcDefaults)
    {
        string peer = Path.Combine(AppContext.BaseDirectory, "peers", "pytorch_training.py");
        using var rows = new Rounds("training", results, glibcDefaults);
        foreach (string backbone in backbones)
        {
            string dir = Directory.CreateTempSubdirectory("msun-train-bench-").FullName;
            try
            {
                foreach (int threads in threadCounts)
                {
                    var common = new[] { "--backbone", backbone, "--dir", dir, "--batches", Inv(batches), "--warmup", Inv(warmup),
                        "--batch-size", Inv(batchSize), "--threads", Inv(threads) };
                    var ours = SideCommand.Self("ours", ["training-worker", .. common, .. glibcDefaults ? new[] { "--glibc-defaults" } : []]);
                    string[] peerArgs = [peer, dir, Inv(batchSize), Inv(warmup), Inv(batches), Inv(threads)];
                    var env = rows.Environment(threads);
                    if (!File.Exists(Path.Combine(dir, "order.npy")))
                        RunSide(ours, env, "--export");
                    var spread = OwnStackGap.Of(Losses(RunSide(ours, env)), Losses(RunSide(ours, env, "--onednn-off")));
                    double[]? peerDefault = null; // the peer's losses in the default layout (the first of PeerLayouts)
                    foreach (var (layout, label) in SideCommand.PeerLayouts)
                    {
                        var peerSide = new SideCommand("pytorch", python, [.. peerArgs, .. layout]);
                        var peerLosses = Losses(RunSide(peerSide, env));
                        var both = spread.Max(OwnStackGap.Of(peerLosses, Losses(RunSide(peerSide, env, "--mkldnn-off"))));
                        // The layout changes BatchNorm's rounding too, which the kernel switch does not: the peer against itself
                        // in the other layout.
                        if (peerDefault is null) peerDefault = peerLosses;
                        else both = both.Max(OwnStackGap.Of(peerLosses, peerDefault));
                        rows.Note(FormattableString.Invariant(
                            $"{backbone}{label}, {threads} thread(s): largest relative loss gap of one stack against itself with its convolutions on the native kernels: {both.Largest:0.0e+0} (step 2: {both.Second:0.0e+0})"));
                        rows.Row($"training {backbone}, batch {batchSize}, {batches} steps{label}", threads, rounds, ours, peerSide,
                            wholeProcess: false, (o, p) => Agree(o, p, both));
                    }
                }
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        rows.Note("ours: TorchSharp " + typeof(torch).Assembly.GetName().Version + " on libtorch 2.10 (NuGet libtorch-cpu); peer: Debian's python3-torch " +
            "1.13 with its own oneDNN build, the only PyTorch installable on this machine (not PyPI). Different libtorch builds: the ratio " +
            "compares the two stacks as a user gets them, not the same kernels. s = wall time of the timed steps; MB = peak RSS above the " +
            "process's RSS after its runtime was loaded (see the raw log for each process's total peak RSS).");
        return 0;
    }

    /// <summary>Runs one side once outside the timed rounds (with extra arguments) and returns its JSON line.</summary>
    private static JsonObject RunSide(SideCommand side, IReadOnlyDictionary<string, string> env, params string[] extra) =>
        JsonNode.Parse(side.RunOnce(env, extra).Trim().Split('\n')[^1])!.AsObject();

    private static double[] Losses(JsonObject side) => side["losses"]!.AsArray().Select(v => (double)v!).ToArray();

    /// <summary>The largest relative gap between two loss curves over their steps.</summary>
    private static double LargestGap(double[] a, double[] b)
    {
        if (a.Length != b.Length) throw new InvalidOperationException($"{a.Length} steps against {b.Length}");
        return a.Zip(b, (x, y) => Math.Abs(x - y) / Math.Abs(x)).Max();
    }

    private static string Agree(JsonObject ours, JsonObject peer, OwnStackGap ownStack)
    {
        if ((long)ours["parameters"]! != (long)peer["parameters"]!)
            throw new InvalidOperationException($"the networks differ: {ours["parameters"]} against {peer["parameters"]} parameters");
        double[] o = Losses(ours), p = Losses(peer);
        double first = Math.Abs(o[0] - p[0]) / Math.Abs(o[0]), second = Math.Abs(o[1] - p[1]) / Math.Abs(o[1]);
        double drift = LargestGap(o, p), allowed = Math.Max(DriftFloor, 2 * ownStack.Largest);
        double allowedSecond = Math.Max(SecondLossTolerance, 2 * ownStack.Second);
        if (!(first <= FirstLossTolerance) || !(second <= allowedSecond) || !(drift <= allowed))
            throw new InvalidOperationException(FormattableString.Invariant(
                $"the two sides did not train the same numbers: loss at step 1 {o[0]} against {p[0]}, step 2 {o[1]} against {p[1]} (allowed {allowedSecond:0.0e+0}), largest gap {drift:0.0e+0} (allowed {allowed:0.0e+0})"));
        return FormattableString.Invariant(
            $"loss step 1 rel. Δ {first:0e+0}, step 2 {second:0e+0}, largest {drift:0.0e+0} (own-stack {ownStack.Largest:0.0e+0}, step 2 {ownStack.Second:0.0e+0})");
    }

    /// <summary>How far one stack's loss curve moves when its convolutions run on other kernels: over all steps, and at step 2.</summary>
    private readonly record struct OwnStackGap(double Largest, double Second)
    {
        public static OwnStackGap Of(double[] a, double[] b) => new(LargestGap(a, b), Math.Abs(a[1] - b[1]) / Math.Abs(a[1]));

        public OwnStackGap Max(OwnStackGap other) => new(Math.Max(Largest, other.Largest), Math.Max(Second, other.Second));
    }

    /// <summary>
    /// Our side in its own process. With <c>--export</c> also writes the initial weights, the training order and the
    /// learning rates to <paramref name="dir"/> for the peer.
    /// </summary>
    public static int Worker(string backbone, string dir, int batches, int warmup, int batchSize, int threads)
    {
        string[] args = Environment.GetCommandLineArgs();
        OwnSide.Start(threads);
        using (torch.ones(1)) { } // load libtorch before the baseline
        if (args.Contains("--onednn-off")) LibTorchSwitches.OneDnnIsOn = false; // rounding-sensitivity runs: the native kernels
        double runtimeMb = TimedSection.Status("VmRSS");
        var spec = BackboneRegistry.Get(backbone);
        var manifest = DatasetManifestLoader.LoadBuiltIn("fashion-mnist");
        var root = DatasetLoader.ResolveRoot(manifest, null);
        var train = DatasetLoader.Load(manifest, "train", root);
        var test = DatasetLoader.Load(manifest, "test", root);
        int steps = warmup + batches;
        string output = Directory.CreateTempSubdirectory("msun-train-bench-run-").FullName;
        try
        {
            var options = new TrainingOptions(spec.Name, TrainingMethod.Vanilla, spec.NativeInputSize, epochs: 1, batchSize: batchSize,
                learningRate: 0.1, warmupEpochs: 0, trainSubset: batchSize * steps, testSubset: 256);
            // --memory-trace: where the peak is reached (stderr, one line per stage and step).
            bool memoryTrace = args.Contains("--memory-trace");
            void Trace(string stage)
            {
                if (memoryTrace)
                    Console.Error.WriteLine(FormattableString.Invariant(
                        $"{stage}: RSS {TimedSection.Status("VmRSS"):F0} MB, peak {TimedSection.Status("VmHWM"):F0} MB, managed heap committed {GC.GetGCMemoryInfo().TotalCommittedBytes / 1048576.0:F0} MB"));
            }
            Trace(FormattableString.Invariant($"runtime {runtimeMb:F0} MB; data loaded"));
            using var trainer = new Trainer(options, train, test, output);
            Trace("trainer built");
            if (args.Contains("--export")) Export(trainer, dir, root, spec, options, train.Height);
            var losses = new List<double>();
            var rates = new List<double>();
            var self = Process.GetCurrentProcess();
            TimeSpan wall0 = default, wall1 = default, cpu0 = default, cpu1 = default;
            trainer.Run(batchProgress: new Sync<BatchProgress>(p =>
            {
                losses.Add(p.Loss);
                Trace(FormattableString.Invariant($"step {p.Batch}"));
                rates.Add(p.LearningRate);
                if (p.Batch == warmup || p.Batch == steps)
                {
                    self.Refresh();
                    if (p.Batch == warmup) (wall0, cpu0) = (p.EpochElapsed, self.TotalProcessorTime);
                    else (wall1, cpu1) = (p.EpochElapsed, self.TotalProcessorTime);
                }
            }), stopAfterEpoch: 1);
            if (args.Contains("--export"))
                Npy.Write(Path.Combine(dir, "learning_rates.npy"), new NpyArray([rates.Count], rates.ToArray()));
            double seconds = (wall1 - wall0).TotalSeconds;
            var json = new JsonObject
            {
                ["seconds"] = seconds, ["cpu_seconds"] = (cpu1 - cpu0).TotalSeconds, ["images_per_second"] = batches * batchSize / seconds,
                ["baseline_rss_mb"] = runtimeMb, ["peak_above_baseline_mb"] = TimedSection.Status("VmHWM") - runtimeMb,
                ["peak_rss_mb"] = TimedSection.Status("VmHWM"), ["parameters"] = trainer.Model.parameters().Sum(p => p.numel()),
                ["losses"] = new JsonArray([.. losses.Select(l => (JsonNode)l)]), ["torch_threads"] = torch.get_num_threads(),
            };
            Console.WriteLine(json.ToJsonString());
            return 0;
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    /// <summary>What the peer needs to train the same numbers: initial weights, training order, data folder and network.</summary>
    private static void Export(Trainer trainer, string dir, string root, BackboneSpec spec, TrainingOptions options, int imageSize)
    {
        PeerFiles.WriteStateDict(trainer.Model, Path.Combine(dir, "init"));
        Npy.Write(Path.Combine(dir, "order.npy"), new NpyArray([trainer.TrainingOrder(1).Length], trainer.TrainingOrder(1)));
        var model = trainer.Model as ResNet ?? throw new ArgumentException($"the PyTorch peer defines ResNets only, not {spec.Name}.");
        var convs = model.named_modules().Where(m => m.name == "conv1").Select(m => m.module).OfType<TorchSharp.Modules.Conv2d>().Single();
        var widths = new[] { "layer1", "layer2", "layer3", "layer4" }
            .Select(l => (int)model.named_parameters().First(p => p.name.StartsWith(l + ".0.conv1.", StringComparison.Ordinal)).parameter.shape[0]).ToArray();
        File.WriteAllText(Path.Combine(dir, "config.json"), new JsonObject
        {
            ["data_root"] = root, ["image_size"] = imageSize, ["reference_size"] = options.ReferenceSize, ["in_channels"] = (int)convs.weight!.shape[1],
            ["classes"] = 10, ["widths"] = new JsonArray([.. widths.Select(w => (JsonNode)w)]), ["stem_kernel"] = (int)convs.weight.shape[2],
            ["stem_max_pool"] = model.named_modules().Any(m => m.name == "maxpool"), ["momentum"] = options.Momentum,
            ["weight_decay"] = options.WeightDecay, ["clip_norm"] = options.GradientClipNorm ?? 0.0,
        }.ToJsonString());
    }

    private static string Inv(int v) => v.ToString(CultureInfo.InvariantCulture);

    private sealed class Sync<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
