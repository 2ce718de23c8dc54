using System.Globalization;
using System.Text.Json.Nodes;
using Msun.Analysis.Core.Numpy;
using Msun.Analysis.Torch;
using Msun.Analysis.Torch.Backbones;
using Msun.Analysis.Torch.Data;
using Msun.Analysis.Torch.Evaluation;
using Msun.Analysis.Torch.Pipeline;
using Msun.Analysis.Torch.Study;
using TorchSharp;

namespace Msun.Analysis.Benchmarks;

/// <summary>
/// The two end-to-end workloads of the paper's geometry at 56 px (<c>resnet18-imagenet-w32</c> on Fashion-MNIST's test
/// split): <b>study</b>, the scale-sensitivity study through our <see cref="ScaleStudy"/> (reference 56, probes 8/16/32,
/// the five study blocks, minibatch CKA, k repeats) against <c>peers/torch_scale_study.py</c>; and <b>evaluation</b>,
/// the multi-scale test through our <see cref="MultiScaleEvaluator"/> at every size of the ladder 8…56 step 4 against
/// <c>peers/torch_multiscale_eval.py</c>. Alternating rounds (<see cref="Rounds"/>), each side in its own process.
/// </summary>
/// <remarks>
/// Same numbers on both sides: a preparation step loads the model once (a copied training checkpoint, or a seeded
/// fresh initialisation) and writes its state dict (one .npy per entry), the test images (uint8), their labels and the
/// study's subsets (<see cref="ScaleStudy.Subsets"/>) for the peer; our worker loads the same model the same way.
/// Every round checks the study's CKA values (every block × probe × repeat) or the number right at every test size
/// (and whether the same images were right) before a ratio is kept.
/// </remarks>
internal static class StudyBenchmark
{
    private const string Backbone = "resnet18-imagenet-w32";

    /// <summary>
    /// With more than one thread our study runs that many batches at once, one libtorch thread each
    /// (<c>ScaleStudyOptions.ParallelBatches</c>); a strong engineer could do the same in PyTorch, so the strongest peer
    /// (channels-last) also runs that way.
    /// </summary>
    private static readonly (string[] Arguments, string Label) ParallelPeer = (["--channels-last", "--parallel-batches"], ", torch channels-last, batches in parallel");
    private const int Reference = 56;
    private static readonly int[] Probes = [8, 16, 32];

    /// <summary>Where the model comes from: a checkpoint folder (copied, so that a running training cannot change it) or a seed.</summary>
    internal sealed record ModelSource(string? Checkpoint, int Seed)
    {
        public LoadedBackbone Load() => Checkpoint is null
            ? ModelLoader.FreshlyInitialised(Backbone, Seed)
            : ModelLoader.FromCheckpoint(Checkpoint, Backbone);

        public string Describe() => Checkpoint is null ? $"{Backbone}, fresh initialisation, seed {Seed}" : $"{Backbone}, trained checkpoint (copy of {Original})";

        public string? Original { get; init; }
    }

    /// <summary>One study workload: <paramref name="Repeats"/> subsets of <paramref name="Images"/> images (what <c>msun study</c> runs is 5 × 1 024).</summary>
    public sealed record StudyWorkload(int Repeats, int Images)
    {
        /// <summary>"5x1024" → 5 repeats of 1 024 images.</summary>
        public static StudyWorkload Parse(string text)
        {
            var parts = text.Split('x');
            if (parts.Length != 2 || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out int k) || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out int n) || k < 1 || n < 1)
                throw new ArgumentException($"--workloads: '{text}' is not REPEATSxIMAGES (e.g. 5x1024).");
            return new StudyWorkload(k, n);
        }
    }

    public static int RunStudy(ModelSource source, IReadOnlyList<StudyWorkload> workloads, IReadOnlyList<string> peerArithmetic, int batchSize,
        IReadOnlyList<int> threadCounts, int rounds, string python, string results, bool glibcDefaults)
    {
        string peer = Path.Combine(AppContext.BaseDirectory, "peers", "torch_scale_study.py");
        var dirs = new List<string>();
        try
        {
            using var rows = new Rounds("study", results, glibcDefaults);
            // (peer arithmetic, tolerance on max |Δ CKA| over every block × probe × repeat)
            var tolerances = new Dictionary<string, double> { ["float64"] = 1e-6, ["float32"] = 1e-5 };
            var unknown = peerArithmetic.FirstOrDefault(a => !tolerances.ContainsKey(a));
            if (unknown is not null) throw new ArgumentException($"--peers: unknown arithmetic '{unknown}' (float64, float32).");
            var cases = peerArithmetic.Select(a => (Theirs: a, Tolerance: tolerances[a])).ToArray();
            var described = source;
            string? blocks = null;
            foreach (var (repeats, images) in workloads)
            {
                string dir = Directory.CreateTempSubdirectory("msun-study-bench-").FullName;
                dirs.Add(dir);
                described = Prepare(dir, source, config =>
                {
                    config["images"] = images;
                    config["repeats"] = repeats;
                    config["batch_size"] = batchSize;
                }, data => ScaleStudy.Subsets(data.Count, StudyOptions(images, repeats, batchSize)));
                blocks ??= string.Join(", ", BlocksOf(dir));
                foreach (int threads in threadCounts)
                    foreach (var (theirs, tolerance) in cases)
                        foreach (var (layout, label) in threads > 1 ? [.. SideCommand.PeerLayouts, ParallelPeer] : SideCommand.PeerLayouts)
                        {
                            string t = Inv(threads);
                            rows.Row($"study {Backbone} {Reference}px, probes {string.Join('/', Probes)}, {repeats}×{images} images: ours float64 vs torch {theirs}{label}",
                                threads, rounds,
                                SideCommand.Self("ours", ["study-worker", "--dir", dir, "--threads", t, .. GlibcFlag(glibcDefaults)]),
                                new SideCommand("pytorch", python, [peer, dir, theirs, t, .. layout]), wholeProcess: false, (o, p) => AgreeStudy(o, p, tolerance));
                        }
            }
            rows.Note($"model: {described.Describe()}; blocks {blocks}; minibatch CKA (unbiased HSIC, batch {batchSize}, " +
                "ratio at the end per repeat), flattened activations, Fashion-MNIST test split bilinearly to 56 px. Ours: ScaleStudy.Run (float64 " +
                "Grams by DSYRK, every block × block pair per probe; with T > 1 threads, T batches at once, one libtorch thread each). " +
                "Peer: forward hooks, reference Grams once per batch (batches in parallel: T Python threads, one torch thread each), " + PeerNote +
                " Tolerances: float64 1e-6 (two libtorch builds' forward passes), against the peer's float32 Grams 1e-5.");
            return 0;
        }
        finally
        {
            foreach (var dir in dirs) Directory.Delete(dir, recursive: true);
        }
    }

    public static int RunEvaluation(ModelSource source, int images, int batchSize, IReadOnlyList<int> threadCounts, int rounds, string python,
        string results, bool glibcDefaults)
    {
        string peer = Path.Combine(AppContext.BaseDirectory, "peers", "torch_multiscale_eval.py");
        string dir = Directory.CreateTempSubdirectory("msun-eval-bench-").FullName;
        var sizes = MultiScaleResize.TestSizes(8, Reference, 4);
        try
        {
            source = Prepare(dir, source, config =>
            {
                config["images"] = images;
                config["test_sizes"] = new JsonArray([.. sizes.Select(s => (JsonNode)s)]);
                config["batch_size"] = batchSize;
            }, null);
            using var rows = new Rounds("evaluation", results, glibcDefaults);
            foreach (int threads in threadCounts)
                foreach (var (layout, label) in SideCommand.PeerLayouts)
                {
                    string t = Inv(threads);
                    rows.Row($"evaluation {Backbone} {Reference}px, {sizes.Count} test sizes 8…56, {images} images, batch {batchSize}: ours vs torch (float32){label}",
                        threads, rounds, SideCommand.Self("ours", ["evaluation-worker", "--dir", dir, "--threads", t, .. GlibcFlag(glibcDefaults)]),
                        new SideCommand("pytorch", python, [peer, dir, t, .. layout]), wholeProcess: false, (o, p) => AgreeEvaluation(o, p, images));
                }
            rows.Note($"model: {source.Describe()}; every test size: bilinear down from 56 and back up (the single network's input), float32 " +
                "forward in eval mode, argmax. Ours: MultiScaleEvaluator.Evaluate with a SingleNetworkClassifier. Peer: the same loop in PyTorch " +
                $"under no_grad. images/s = images × {sizes.Count} sizes / s. Agreement: the number right at every size within 0.1 % of the " +
                "images, and whether the same images were right (checksum). " + PeerNote);
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private const string PeerNote = "Peer: Debian's python3-torch 1.13 (its own oneDNN build); ours TorchSharp on libtorch 2.10: the forward " +
        "passes are two builds' kernels, as a user gets them.";

    private static string[] GlibcFlag(bool glibcDefaults) => glibcDefaults ? ["--glibc-defaults"] : [];

    private static ScaleStudyOptions StudyOptions(int images, int repeats, int batchSize) =>
        new(Reference, Probes, imagesPerSubset: images, repeats: repeats, seed: 0, batchSize: batchSize);

    private static ScaleStudyOptions StudyOptions(JsonObject config) =>
        StudyOptions((int)config["images"]!, (int)config["repeats"]!, (int)config["batch_size"]!);

    private static IEnumerable<string> BlocksOf(string dir) =>
        ReadConfig(dir)["blocks"]!.AsArray().Select(b => (string)b!);

    private static ImageDataset TestSplit()
    {
        var manifest = DatasetManifestLoader.LoadBuiltIn("fashion-mnist");
        return DatasetLoader.Load(manifest, "test", DatasetLoader.ResolveRoot(manifest, null));
    }

    /// <summary>
    /// Writes what the peer needs to <paramref name="dir"/>: config.json (network, sizes, blocks, model source), the model's
    /// state dict, the test images and labels, and the subsets when <paramref name="subsets"/> is given.
    /// </summary>
    internal static ModelSource Prepare(string dir, ModelSource source, Action<JsonObject> configure,
        Func<ImageDataset, IReadOnlyList<int[]>>? subsets)
    {
        if (source.Checkpoint is { } original)
        {
            string copy = Path.Combine(dir, "checkpoint");
            Directory.CreateDirectory(copy);
            File.Copy(Path.Combine(original, "checkpoint.zip"), Path.Combine(copy, "checkpoint.zip"));
            source = source with { Checkpoint = copy, Original = original };
        }
        torch.InitializeDeviceType(DeviceType.CPU);
        using var model = source.Load();
        var spec = model.Spec ?? throw new InvalidOperationException($"{Backbone} has no spec");
        var data = TestSplit();
        var config = new JsonObject
        {
            ["backbone"] = Backbone, ["reference"] = Reference, ["probes"] = new JsonArray([.. Probes.Select(p => (JsonNode)p)]),
            ["blocks"] = new JsonArray([.. model.Blocks.Select(b => (JsonNode)b)]), ["checkpoint"] = source.Checkpoint, ["seed"] = source.Seed,
            ["in_channels"] = model.InChannels, ["classes"] = spec.NumClasses, ["widths"] = new JsonArray([.. ResNetWidths(model).Select(w => (JsonNode)w)]),
            ["imagenet_stem"] = true,
        };
        configure(config);
        int count = Math.Min((int)config["images"]!, data.Count);
        if (subsets is not null)
        {
            var drawn = subsets(data);
            var flat = drawn.SelectMany(s => s).ToArray();
            Npy.Write(Path.Combine(dir, "subsets.npy"), new NpyArray([drawn.Count, drawn[0].Length], flat));
            count = data.Count;
        }
        int bytes = data.ImageBytes;
        Npy.Write(Path.Combine(dir, "images.npy"),
            new NpyArray([count, data.Channels, data.Height, data.Width], data.Pixels.Span[..(count * bytes)].ToArray()));
        Npy.Write(Path.Combine(dir, "labels.npy"), new NpyArray([count], data.Labels.Span[..count].ToArray()));
        PeerFiles.WriteStateDict(model.Model, Path.Combine(dir, "weights"));
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
        return source;
    }

    private static int[] ResNetWidths(LoadedBackbone model) =>
        new[] { "layer1", "layer2", "layer3", "layer4" }.Select(l => (int)model.Model.named_parameters()
            .First(p => p.name.StartsWith(l + ".0.conv1.", StringComparison.Ordinal)).parameter.shape[0]).ToArray();

    private static JsonObject ReadConfig(string dir) => JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!.AsObject();

    private static ModelSource SourceOf(JsonObject config) => new((string?)config["checkpoint"], (int)config["seed"]!);

    /// <summary>Our side of <c>study</c>: one warm-up batch (a one-batch study, untimed), then <see cref="ScaleStudy.Run"/>, timed.</summary>
    public static int StudyWorker(string dir, int threads)
    {
        OwnSide.Start(threads);
        var config = ReadConfig(dir);
        using var model = SourceOf(config).Load();
        var data = TestSplit();
        var options = StudyOptions(config);
        ScaleStudy.Run(model, data, StudyOptions(options.BatchSize, 1, options.BatchSize)); // warm-up: JIT, BLAS threads, allocator
        GC.Collect();
        var timed = TimedSection.Start();
        var result = ScaleStudy.Run(model, data, options);
        var json = timed.Stop();
        json["values"] = new JsonArray([.. model.Blocks.Select(b => (JsonNode)new JsonArray([.. options.Probes.Select(p =>
            (JsonNode)new JsonArray([.. result.Profile.Cell(b, p).Repeats.Select(v => (JsonNode)v)]))]))]);
        json["torch_threads"] = torch.get_num_threads();
        json["blas"] = LinearCkaBenchmark.Worker.Describe();
        Console.WriteLine(json.ToJsonString());
        return 0;
    }

    /// <summary>Our side of <c>evaluation</c>: one warm-up batch at every size (untimed), then every image, timed.</summary>
    public static int EvaluationWorker(string dir, int threads)
    {
        OwnSide.Start(threads);
        var config = ReadConfig(dir);
        using var model = SourceOf(config).Load();
        int count = (int)config["images"]!, batch = (int)config["batch_size"]!;
        var data = TestSplit();
        data = data.Subset(Enumerable.Range(0, Math.Min(count, data.Count)).ToArray(), $"first {count}");
        var classifier = new SingleNetworkClassifier(Backbone, model.Model, Reference);
        var options = new MultiScaleEvaluationOptions(Reference, config["test_sizes"]!.AsArray().Select(s => (int)s!).ToArray(), batch);
        MultiScaleEvaluator.Evaluate(classifier, data.Subset(Enumerable.Range(0, Math.Min(batch, data.Count)).ToArray(), "warm-up"), options);
        GC.Collect();
        var timed = TimedSection.Start();
        var result = MultiScaleEvaluator.Evaluate(classifier, data, options);
        var json = timed.Stop();
        var right = result.RoutedCorrect ?? throw new InvalidOperationException("the evaluator returned no per-image results");
        json["images_per_second"] = data.Count * options.TestSizes.Length / (double)json["seconds"]!;
        json["correct"] = new JsonArray([.. right.Select(r => (JsonNode)r.Sum(x => (long)x))]);
        json["checksum"] = new JsonArray([.. right.Select(r => (JsonNode)r.Select((x, i) => x == 0 ? 0L : i + 1L).Sum())]);
        json["torch_threads"] = torch.get_num_threads();
        json["blas"] = LinearCkaBenchmark.Worker.Describe();
        Console.WriteLine(json.ToJsonString());
        return 0;
    }

    private static string AgreeStudy(JsonObject ours, JsonObject peer, double tolerance)
    {
        var a = Flatten(ours["values"]!.AsArray()).ToArray();
        var b = Flatten(peer["values"]!.AsArray()).ToArray();
        if (a.Length != b.Length) throw new InvalidOperationException($"{a.Length} CKA values against {b.Length}");
        double max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double delta = Math.Abs(a[i] - b[i]);
            if (double.IsNaN(delta)) throw new InvalidOperationException($"CKA value {i} is {a[i]} against {b[i]}");
            max = Math.Max(max, delta);
        }
        if (!(max <= tolerance))
            throw new InvalidOperationException(FormattableString.Invariant($"the two studies differ by up to {max:0.0e+0} (> {tolerance:0e+0})"));
        return FormattableString.Invariant($"max|ΔCKA| {max:0.0e+0} ≤ {tolerance:0e+0} over {a.Length} values");

        static IEnumerable<double> Flatten(JsonNode node) =>
            node is JsonArray array ? array.SelectMany(n => Flatten(n!)) : [(double)node];
    }

    private static string AgreeEvaluation(JsonObject ours, JsonObject peer, int images)
    {
        var a = ours["correct"]!.AsArray().Select(v => (long)v!).ToArray();
        var b = peer["correct"]!.AsArray().Select(v => (long)v!).ToArray();
        var ca = ours["checksum"]!.AsArray().Select(v => (long)v!).ToArray();
        var cb = peer["checksum"]!.AsArray().Select(v => (long)v!).ToArray();
        if (a.Length != b.Length) throw new InvalidOperationException($"{a.Length} test sizes against {b.Length}");
        long allowed = images / 1000, worst = a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
        if (worst > allowed)
            throw new InvalidOperationException($"the number right differs by up to {worst} images at one size (> {allowed}): ours {string.Join(',', a)}, peer {string.Join(',', b)}");
        int same = ca.Zip(cb, (x, y) => x == y).Count(s => s);
        return $"number right within {worst} image(s) (≤ {allowed}); same images right at {same}/{a.Length} sizes";
    }

    private static string Inv(int v) => v.ToString(CultureInfo.InvariantCulture);
}
