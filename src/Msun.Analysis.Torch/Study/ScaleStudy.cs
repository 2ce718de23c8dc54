using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Msun.Analysis.Core.Cka;
using Msun.Analysis.Core.Results;
using Msun.Analysis.Core.Statistics;
using Msun.Analysis.Torch.Backbones;
using Msun.Analysis.Torch.Capture;
using Msun.Analysis.Torch.Data;
using TorchSharp;
using static TorchSharp.torch;
using CoreCka = Msun.Analysis.Core.Cka.Cka;
using DataRandom = Msun.Analysis.Core.Statistics.SeededRandom;

namespace Msun.Analysis.Torch.Study;

/// <summary>Progress of a scale study, reported after every batch and every resampling step.</summary>
/// <param name="Phase">"subsets" while the repeats run, "statistics" while the bootstrap and the null run.</param>
/// <param name="Repeat">1-based repeat (subset) being computed; 0 in the statistics phase.</param>
/// <param name="Step">Units of work done (batches, then one per probe of the statistics phase).</param>
/// <param name="Steps">Units of work in the whole study.</param>
/// <param name="Work">CKA evaluations done, in batch-sized units (one block, one probe, one batch of images).</param>
/// <param name="TotalWork">
/// The same for the whole study. Steps are not equal: a subset step is probes × blocks units, a statistics step
/// blocks × (bootstrap + permutations) × batches of the statistics images, so a time estimate must go by work, not steps.
/// </param>
public readonly record struct ScaleStudyProgress(string Phase, int Repeat, int Step, int Steps, long Work, long TotalWork);

/// <summary>
/// The scale-sensitivity study of the MSUN paper (docs/METHOD.md §1): one network, the same images at the
/// reference size and down-then-up resized from each probe size, every declared block captured, and per block
/// CKA(reference, probe) on k random subsets → a <see cref="CkaProfile"/> of mean ± std (and a block × block
/// grid for one probe when asked).
/// </summary>
/// <remarks>
/// <para>Per repeat i, subset i is <c>SeededSplits.RandomSubsets(N, n, k, seed)[i]</c> (random order, so class-sorted
/// data do not make one-class batches). The subset is streamed in batches: each batch runs once at the reference size
/// and once per probe, and each (reference, probe) pair of captured batches goes into that probe's sink. The minibatch
/// estimators keep O(blocks · b²) numbers, the streaming one O(d²) per block: memory is flat in the number of images.
/// A short final batch is left out of minibatch CKA (the profile's <c>examples_per_repeat</c> says how many entered).</para>
/// <para>Bootstrap interval and permutation null: over the examples of one subset (the first
/// <see cref="ScaleStudyOptions.StatisticsImages"/> images of subset 1), whose activations are held in memory:
/// about m × Σ_blocks d × 4 bytes for the reference side plus as much for one probe at a time (flattened ResNet-50
/// maps at 224 hold ≈ 1 M features per image over its 5 blocks: 1 GB per side for m = 256; use SpatialMean or a
/// small m). Each block's rows are first re-expressed in an orthonormal basis of their span (a QR factorisation:
/// an isometry, so every inner product and distance of every resample is unchanged), which makes each resample
/// O(m³) instead of O(m²d). The statistic is the study's estimator on the resampled rows (same batch size). The
/// bootstrap repeats examples, which the unbiased HSIC treats as distinct, so its interval sits above the
/// full-sample value: read it as a spread. Each cell uses the same resample indices (seeded once), so cells are
/// comparable.</para>
/// </remarks>
public static class ScaleStudy
{
    private const ulong BootstrapStream = 1_000_001, PermutationStream = 1_000_002;

    /// <summary>The subsets the study draws from a split of <paramref name="population"/> images: subset i depends only on the seed and i.</summary>
    public static IReadOnlyList<int[]> Subsets(int population, ScaleStudyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ImagesPerSubset > population)
            throw new ArgumentException($"{options.ImagesPerSubset} images per subset were asked for, but the split has only {population}.", nameof(options));
        return SeededSplits.RandomSubsets(population, options.ImagesPerSubset, options.Repeats, options.Seed);
    }

    /// <summary>
    /// Checks that the study can run on this model and data before any work (or any file) is done, and returns the
    /// blocks it will measure in network order.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown block (the message lists the stages), images that are not square or
    /// whose channels differ from the model's, too few images, a reference below the backbone's minimum input size, or
    /// streaming accumulators that would exceed the memory limit.</exception>
    public static IReadOnlyList<ProfileBlock> Check(LoadedBackbone model, ImageDataset data, ScaleStudyOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        var blocks = ResolveBlocks(model, options);
        var name = model.Name;

        if (data.Height != data.Width)
            throw new ArgumentException($"the study expects square images; {data.Provenance.DatasetName} images are {data.Height}×{data.Width}.", nameof(data));
        if (data.Channels != model.InChannels)
            throw new ArgumentException(
                $"{data.Provenance.DatasetName} images have {data.Channels} channel(s) but the {name} model takes {model.InChannels}.", nameof(data));
        if (options.ImagesPerSubset > data.Count)
            throw new ArgumentException(
                $"{options.ImagesPerSubset} images per subset were asked for, but {data.Provenance.DatasetName}/{data.Provenance.Split} has only {data.Count}.", nameof(options));
        if (model.Spec is { } spec && options.ReferenceSize < spec.MinimumInputSize)
            throw new ArgumentException($"the reference size {options.ReferenceSize} is below {spec.Name}'s minimum input size {spec.MinimumInputSize}.", nameof(options));
        if (options.Estimator == StudyEstimator.Streaming)
        {
            var shapes = BlockShapes(model, blocks, options.ReferenceSize);
            long bytes = StreamingMemoryBytes(shapes.Select(x => Features(x, options)).ToArray(), options);
            if (bytes > options.StreamingMemoryLimitBytes)
            {
                var widest = blocks.Select((b, i) => (b.Name, D: Features(shapes[i], options))).MaxBy(b => b.D);
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"the streaming estimator would hold {bytes / 1e9:0.##} GB of float64 moments ({options.Activations} activations; block {widest.Name} has {widest.D} features, and each block needs about 3·d² numbers per probe), above the {options.StreamingMemoryLimitBytes / 1e9:0.##} GB limit: use spatial-mean activations, fewer blocks, or the minibatch estimator."),
                    nameof(options));
            }
        }
        return blocks;
    }

    /// <summary>Runs the study (see the remarks of <see cref="ScaleStudy"/>).</summary>
    /// <param name="model">The network; it is moved to <see cref="ScaleStudyOptions.Device"/> and run in eval mode (each module's mode is restored afterwards).</param>
    /// <param name="data">The split the subsets are drawn from (e.g. the test split), uint8 images at any square size: they are resized bilinearly to the reference size first when they differ.</param>
    /// <param name="options">Sizes, subsets, estimator, statistics.</param>
    /// <param name="progress">Told after every batch.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="ArgumentException">See <see cref="Check"/>.</exception>
    public static ScaleStudyResult Run(LoadedBackbone model, ImageDataset data, ScaleStudyOptions options,
        IProgress<ScaleStudyProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Run(model, data, options, null, progress, cancellationToken);

    /// <summary>
    /// The study with a replaceable probe input (checks and ablations): <paramref name="probeInput"/> maps a reference
    /// batch and a probe size to the probe batch; null is the paper's down-then-up resize.
    /// </summary>
    internal static ScaleStudyResult Run(LoadedBackbone model, ImageDataset data, ScaleStudyOptions options,
        Func<Tensor, int, Tensor>? probeInput, IProgress<ScaleStudyProgress>? progress, CancellationToken cancellationToken)
    {
        var blocks = Check(model, data, options);
        var watch = Stopwatch.StartNew();
        var device = TorchDevices.Resolve(options.Device);
        var net = model.Model;
        net.to(device);
        using (EvalModeScope.Enter(net))
        using (ChannelsLastWeights.Hold(net)) // faster convolutions; the weights' order is restored after
            return Study(model, data, options, blocks, device, probeInput, progress, cancellationToken, watch);
    }

    private static ScaleStudyResult Study(LoadedBackbone model, ImageDataset data, ScaleStudyOptions options, IReadOnlyList<ProfileBlock> blocks,
        Device device, Func<Tensor, int, Tensor>? probeInput, IProgress<ScaleStudyProgress>? progress, CancellationToken ct, Stopwatch watch)
    {
        var names = blocks.Select(b => b.Name).ToArray();
        var capture = ActivationCapture.Create(model.Model, names, new CaptureOptions(options.Activations));
        var resizes = options.Probes.ToDictionary(p => p, p => new MultiScaleResize(new MultiScaleResizeOptions(options.ReferenceSize, p, ScaleMode.DownUp)));
        Tensor ProbeBatch(Tensor reference, int probe) => probeInput?.Invoke(reference, probe) ?? resizes[probe].Apply(reference);

        var subsets = Subsets(data.Count, options);
        int b = options.BatchSize, n = options.ImagesPerSubset;
        int batchesPerRepeat = (n + b - 1) / b;
        bool statistics = options.BootstrapResamples is not null || options.Permutations is not null;
        int steps = options.Repeats * batchesPerRepeat + (statistics ? options.Probes.Count : 0), step = 0;
        long subsetWork = (long)options.Probes.Count * names.Length;
        long statisticsWork = (long)names.Length * ((options.BootstrapResamples ?? 0) + (options.Permutations ?? 0))
                              * ((options.StatisticsImages + b - 1) / b);
        long totalWork = options.Repeats * batchesPerRepeat * subsetWork + (statistics ? options.Probes.Count * statisticsWork : 0), work = 0;

        // values[block][probe] = CKA per repeat.
        var values = names.ToDictionary(x => x, _ => options.Probes.ToDictionary(p => p, _ => new List<double>()));
        var grids = new List<CkaGrid>();
        var notes = new SortedSet<string>(StringComparer.Ordinal);
        long examplesUsed = 0;
        // The sinks consume each pair of batches in Add, so later forwards can write into the same arrays (memory stays flat).
        bool recycle = options.Comparison(false).SinkConsumesBatches;
        var pool = new ConcurrentBag<CapturedBatch>();
        CapturedBatch Capture(Tensor input) => capture.Run(input, recycle && pool.TryTake(out var old) ? old : null);
        void Recycle(CapturedBatch batch)
        {
            if (recycle) pool.Add(batch);
        }

        // Every batch of every repeat is one job: its forwards (reference and each probe) may run on a worker thread, its
        // CKA runs on this thread in job order, so the sums are added in the same order whatever the number of workers.
        var jobs = Enumerable.Range(0, options.Repeats).SelectMany(r => Enumerable.Range(0, batchesPerRepeat).Select(j => (Repeat: r, Start: j * b))).ToArray();
        int workers = Math.Min(options.ParallelBatchesOn(device, () => CapturedBytesPerBatch(model, blocks, options)), jobs.Length);
        Dictionary<int, IScalePairSink> sinks = [];
        void Add(int job, int probeIndex, CapturedBatch atReference, CapturedBatch atProbe)
        {
            if (jobs[job].Start == 0 && probeIndex == 0)
            {
                // Every probe's sink sees the same reference batch: its Grams are formed once, not once per probe.
                var referenceGrams = new SharedRowGrams();
                sinks = options.Probes.ToDictionary(p => p, p => CreateSink(options, fullGrid: p == options.GridProbe, referenceGrams));
            }
            sinks[options.Probes[probeIndex]].Add(atReference, atProbe);
            Recycle(atProbe);
        }

        void BatchDone(int job, CapturedBatch atReference)
        {
            Recycle(atReference);
            var (repeat, start) = jobs[job];
            progress?.Report(new ScaleStudyProgress("subsets", repeat + 1, ++step, steps, work += subsetWork, totalWork));
            if (start + b < n) return;
            foreach (int probe in options.Probes)
            {
                var table = sinks[probe].Result();
                examplesUsed = table.Examples;
                if (table.Note is { } note) notes.Add(note);
                for (int i = 0; i < names.Length; i++)
                {
                    var cell = table.Diagonal[i];
                    values[names[i]][probe].Add(cell.Value);
                    if (cell.UndefinedReason is { } why)
                        notes.Add($"repeat {repeat + 1}, block {names[i]}, probe {probe}: {why}");
                }
                if (probe == options.GridProbe) grids.Add(table.Grid!);
            }
        }

        Tensor Reference(int job)
        {
            var (repeat, start) = jobs[job];
            return ReferenceBatch(data, subsets[repeat].AsSpan(start, Math.Min(b, n - start)), device, options.ReferenceSize);
        }

        if (workers == 1)
        {
            // One batch at a time, each probe consumed as soon as it is captured: two batches of activations in memory.
            for (int job = 0; job < jobs.Length; job++)
            {
                ct.ThrowIfCancellationRequested();
                using var scope = torch.NewDisposeScope();
                var reference = Reference(job);
                var atReference = Capture(reference);
                for (int i = 0; i < options.Probes.Count; i++)
                    Add(job, i, atReference, Capture(ProbeBatch(reference, options.Probes[i])));
                BatchDone(job, atReference);
            }
        }
        else
        {
            // Each worker captures a whole batch (reference and every probe: 1 + probes batches of activations each).
            (CapturedBatch Reference, CapturedBatch[] Probes) Forwards(int job)
            {
                using var scope = torch.NewDisposeScope();
                var reference = Reference(job);
                var atReference = Capture(reference);
                return (atReference, options.Probes.Select(p => Capture(ProbeBatch(reference, p))).ToArray());
            }

            using var hooks = capture.HookAcrossThreads();
            BatchWorkers.Run(jobs.Length, workers, Forwards, (job, batch) =>
            {
                for (int i = 0; i < batch.Probes.Length; i++) Add(job, i, batch.Reference, batch.Probes[i]);
                BatchDone(job, batch.Reference);
            }, ct);
        }

        Dictionary<(string, int), IntervalSummary>? intervals = null;
        Dictionary<(string, int), NullSummary>? nulls = null;
        if (statistics)
            (intervals, nulls) = Resample(model, data, options, names, subsets[0], device, capture, ProbeBatch,
                () => progress?.Report(new ScaleStudyProgress("statistics", 0, ++step, steps, work += statisticsWork, totalWork)), ct);

        var cells = new List<CkaProfileCell>();
        foreach (var block in names)
            foreach (int probe in options.Probes)
                cells.Add(new CkaProfileCell(block, probe, values[block][probe], NonFinitePolicy.Propagate,
                    intervals?.GetValueOrDefault((block, probe)), nulls?.GetValueOrDefault((block, probe))));

        var provenance = Provenance(model, data, options, blocks, examplesUsed, batchesPerRepeat, probeInput is not null, resizes.Values.First(), notes);
        var profile = new CkaProfile(blocks, options.Probes, cells, provenance);
        CkaGridSummary? grid = options.GridProbe is int g
            ? new CkaGridSummary(g, grids, new Dictionary<string, string>(provenance) { ["grid_probe"] = g.ToString(CultureInfo.InvariantCulture) })
            : null;
        return new ScaleStudyResult(profile, grid, watch.Elapsed);
    }

    /// <summary>Bytes one batch's captures hold: every block at the reference size and at each probe, in the model's precision.</summary>
    private static long CapturedBytesPerBatch(LoadedBackbone model, IReadOnlyList<ProfileBlock> blocks, ScaleStudyOptions options)
    {
        long features = BlockShapes(model, blocks, options.ReferenceSize).Sum(s => Features(s, options));
        int bytes = model.Model.parameters().FirstOrDefault()?.dtype == ScalarType.Float64 ? sizeof(double) : sizeof(float);
        return features * bytes * options.BatchSize * (1 + options.Probes.Count);
    }

    /// <summary>The sink of one probe, through the engine's one estimator-to-sink mapping (a short last batch is dropped and noted).</summary>
    private static IScalePairSink CreateSink(ScaleStudyOptions options, bool fullGrid, SharedRowGrams referenceGrams) =>
        options.Comparison(fullGrid).CreateSink(referenceGrams);

    /// <summary>Images at <paramref name="indices"/> as float [B,C,R,R] in [0,1] on the device, resized bilinearly to the reference size when stored at another size.</summary>
    private static Tensor ReferenceBatch(ImageDataset data, ReadOnlySpan<int> indices, Device device, int reference)
    {
        var (images, labels) = data.GetBatch(indices, device);
        labels.Dispose();
        if (data.Height == reference) return images;
        var resized = MultiScaleResize.Bilinear(images, reference, reference);
        images.Dispose();
        return resized;
    }

    private static (Dictionary<(string, int), IntervalSummary>, Dictionary<(string, int), NullSummary>) Resample(
        LoadedBackbone model, ImageDataset data, ScaleStudyOptions options, string[] names, int[] subset, Device device,
        ActivationCapture capture, Func<Tensor, int, Tensor> probeBatch, Action stepDone, CancellationToken ct)
    {
        int m = options.StatisticsImages, b = options.BatchSize;
        var indices = subset[..m];
        var intervals = new Dictionary<(string, int), IntervalSummary>();
        var nulls = new Dictionary<(string, int), NullSummary>();
        ulong bootstrapSeed = DataRandom.DeriveSeed(unchecked((ulong)options.Seed), BootstrapStream);
        ulong permutationSeed = DataRandom.DeriveSeed(unchecked((ulong)options.Seed), PermutationStream);

        FeatureMatrix[] Collect(Func<Tensor, Tensor> input, string side)
        {
            var batches = new List<CapturedBatch>();
            for (int start = 0; start < m; start += b)
            {
                ct.ThrowIfCancellationRequested();
                using var scope = torch.NewDisposeScope();
                var reference = ReferenceBatch(data, indices.AsSpan(start, Math.Min(b, m - start)), device, options.ReferenceSize);
                batches.Add(capture.Run(input(reference)));
            }
            return names.Select((name, i) => Compress(batches.Select(x => x[i]).ToArray(), $"{name}@{side}")).ToArray();
        }

        var pairwise = options.Comparison(fullGrid: false);
        Func<FeatureMatrix, FeatureMatrix, double> statistic = options.Estimator == StudyEstimator.Streaming
            ? (x, y) => CoreCka.Compute(x, y, new CkaOptions(pairwise.Kernel, pairwise.Hsic)).Value
            : (x, y) => MinibatchCka.Compute(x, y, b, pairwise.Kernel, pairwise.Ragged).Value;

        var atReference = Collect(r => r, "reference");
        foreach (int probe in options.Probes)
        {
            var atProbe = Collect(r => probeBatch(r, probe), $"probe{probe}");
            for (int i = 0; i < names.Length; i++)
            {
                var (x, y) = (atReference[i], atProbe[i]);
                if (options.BootstrapResamples is int resamples)
                    intervals[(names[i], probe)] = Bootstrap.Percentile(m, r => statistic(x.SelectRows(r), y.SelectRows(r)),
                        new BootstrapOptions(resamples, bootstrapSeed)).ToSummary();
                if (options.Permutations is int permutations)
                    nulls[(names[i], probe)] = PermutationTest.Null(m, p => statistic(x, y.SelectRows(p)),
                        new PermutationOptions(permutations, permutationSeed)).ToSummary();
            }
            stepDone();
        }
        return (intervals, nulls);
    }

    /// <summary>
    /// One block's rows over all batches as a float64 matrix, centred, and, when there are more features than rows,
    /// re-expressed as coordinates in an orthonormal basis of their span: with Xᵀ = QR (reduced QR), X = RᵀQᵀ and the
    /// rows of Rᵀ have the same inner products and distances as those of X. Both kernels and every estimator see only
    /// those (after centring, which commutes with the rotation), so every CKA of any subset of the rows is unchanged.
    /// </summary>
    internal static FeatureMatrix Compress(IReadOnlyList<LayerActivation> parts, string name)
    {
        using var scope = torch.NewDisposeScope();
        var pieces = parts.Select(a => a.SingleData is { } f
            ? torch.tensor(f, [a.Rows, a.Columns], dtype: ScalarType.Float32).to_type(ScalarType.Float64)
            : torch.tensor(a.DoubleData!, [a.Rows, a.Columns], dtype: ScalarType.Float64)).ToArray();
        var x = torch.cat(pieces, 0);
        x = x - x.mean([0], keepdim: true);
        if (x.shape[1] > x.shape[0])
        {
            var (_, r) = torch.linalg.qr(x.t());
            x = r.t().contiguous();
        }
        return Cka.TensorCka.ToFeatureMatrix(x, name);
    }

    private static long Features(FeatureShape shape, ScaleStudyOptions options) =>
        options.Activations == ActivationPolicy.Flatten ? shape.Elements : shape.Channels;

    /// <summary>
    /// The blocks to measure, in network order: the options' list or the model's default blocks. Names that are all
    /// default blocks keep their default positions (a subset of a backbone's stages); any other list is taken in the
    /// order given, as module paths.
    /// </summary>
    private static List<ProfileBlock> ResolveBlocks(LoadedBackbone model, ScaleStudyOptions options)
    {
        var defaults = model.Blocks.ToList();
        var requested = options.Blocks ?? defaults;
        try
        {
            ActivationCapture.Create(model.Model, requested); // unknown paths fail with the nearest valid names
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{model.Name}: {e.Message}", nameof(options), e);
        }

        if (requested.All(defaults.Contains))
            return requested.Select(n => new ProfileBlock(n, defaults.IndexOf(n) + 1)).OrderBy(b => b.Index).ToList();
        return requested.Select((n, i) => new ProfileBlock(n, i + 1)).ToList();
    }

    /// <summary>
    /// Output shape (without batch) of each block at a square input: declared by the spec when every block is one of
    /// its stages, otherwise measured with one forward of a zero image (eval mode, no gradients; modes restored).
    /// </summary>
    /// <exception cref="ArgumentException">The forward fails at this size (e.g. too small for the network); the message says so.</exception>
    internal static IReadOnlyList<FeatureShape> BlockShapes(LoadedBackbone model, IReadOnlyList<ProfileBlock> blocks, int size)
    {
        if (model.Spec is { } spec && blocks.All(b => spec.StageNames.Contains(b.Name)))
            return blocks.Select(b => spec.Stages[spec.StageIndex(b.Name)].OutputShape(size, size)).ToArray();

        var net = model.Model;
        var shapes = new FeatureShape?[blocks.Count];
        var modules = net.named_modules().ToDictionary(p => p.name, p => p.module);
        var removers = blocks.Select((b, i) => ((nn.Module<Tensor, Tensor>)modules[b.Name]).register_forward_hook((_, _, output) =>
        {
            shapes[i] ??= output.dim() == 4
                ? new FeatureShape((int)output.shape[1], (int)output.shape[2], (int)output.shape[3])
                : new FeatureShape((int)(output.numel() / Math.Max(1, output.shape[0])), 1, 1);
            return null!;
        })).ToList();
        try
        {
            using var evalMode = EvalModeScope.Enter(net);
            using var noGrad = torch.no_grad();
            var first = net.parameters().FirstOrDefault();
            using var x = torch.zeros([1, model.InChannels, size, size], dtype: first?.dtype ?? ScalarType.Float32, device: first?.device ?? torch.CPU);
            using var y = net.call(x);
        }
        catch (Exception e) when (e is System.Runtime.InteropServices.ExternalException or ArgumentException)
        {
            throw new ArgumentException($"{model.Name} does not run on a {size}×{size} input ({e.Message.Split('\n')[0]}); is the reference size too small?", e);
        }
        finally
        {
            removers.ForEach(r => r.remove());
        }

        return shapes.Select((s, i) => s ?? throw new ArgumentException($"{model.Name}: block '{blocks[i].Name}' did not run in a forward pass.")).ToArray();
    }

    /// <summary>
    /// Bytes of float64 moments the streaming estimator would hold for these blocks (stage names of
    /// <paramref name="spec"/>): per (reference block, probe block) pair about d₁² + d₂² + d₁d₂ numbers, for every
    /// probe's diagonal and, at the grid probe, for every pair. Flat in the images, quadratic in the features.
    /// </summary>
    /// <exception cref="ArgumentException">A name that is not a stage of <paramref name="spec"/>.</exception>
    public static long StreamingMemoryBytes(BackboneSpec spec, IReadOnlyList<string> blocks, ScaleStudyOptions options)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentNullException.ThrowIfNull(options);
        return StreamingMemoryBytes(
            blocks.Select(b => Features(spec.Stages[spec.StageIndex(b)].OutputShape(options.ReferenceSize, options.ReferenceSize), options)).ToArray(), options);
    }

    private static long StreamingMemoryBytes(IReadOnlyList<long> features, ScaleStudyOptions options)
    {
        var d = features.Select(f => (double)f).ToArray();
        double diagonal = d.Sum(x => 3 * x * x);
        double grid = d.Sum(x => d.Sum(y => x * x + y * y + x * y));
        double numbers = diagonal * options.Probes.Count + (options.GridProbe is null ? 0 : grid - diagonal);
        return (long)Math.Min(long.MaxValue, numbers * sizeof(double));
    }

    private static Dictionary<string, string> Provenance(LoadedBackbone model, ImageDataset data, ScaleStudyOptions o, IReadOnlyList<ProfileBlock> blocks,
        long examplesUsed, int batchesPerRepeat, bool customProbe, MultiScaleResize anyResize, IEnumerable<string> notes)
    {
        var ci = CultureInfo.InvariantCulture;
        string Join<T>(IEnumerable<T> items) => string.Join(",", items.Select(x => Convert.ToString(x, ci)));
        var p = new Dictionary<string, string>(model.Provenance)
        {
            ["study"] = "msun scale-sensitivity study (docs/METHOD.md §1): per block, CKA(block at the reference size, same block at the probe size)",
            ["reference_size"] = o.ReferenceSize.ToString(ci),
            ["probes"] = Join(o.Probes),
            ["blocks"] = Join(blocks.Select(b => b.Name)),
            ["block_shapes"] = string.Join("; ", blocks.Zip(BlockShapes(model, blocks, o.ReferenceSize), (b, shape) => $"{b.Name} {shape}")),
            ["images_per_subset"] = o.ImagesPerSubset.ToString(ci),
            ["examples_per_repeat"] = examplesUsed.ToString(ci),
            ["repeats"] = o.Repeats.ToString(ci),
            ["seed"] = o.Seed.ToString(ci),
            ["subsets"] = $"SeededSplits.RandomSubsets(population {data.Count}, {o.ImagesPerSubset}, {o.Repeats}, seed {o.Seed}): subset i from xoshiro256** seeded by DeriveSeed(seed, i), random order",
            ["estimator"] = o.EstimatorName,
            ["kernel"] = o.Kernel.Name,
            ["hsic"] = o.Hsic == HsicEstimator.Unbiased ? "unbiased (Song et al. 2012)" : "biased (Gretton et al. 2005)",
            ["cka_form"] = o.Estimator == StudyEstimator.Streaming
                ? "exact streaming linear CKA over each whole subset (float64 moments)"
                : $"minibatch CKA (Nguyen et al. 2021): unbiased HSIC averaged over {batchesPerRepeat} batches of {o.BatchSize} per subset, ratio at the end; a short final batch is left out",
            ["batch_size"] = o.BatchSize.ToString(ci),
            ["activations"] = o.Activations == ActivationPolicy.Flatten ? "flatten (C×H×W per example)" : "spatial-mean (C per example)",
            ["transform"] = customProbe
                ? "custom probe input (library test seam)"
                : anyResize.Describe().Replace($"down to {anyResize.Options.ProbeSize}", "down to the probe size", StringComparison.Ordinal),
            ["reference_input"] = data.Height == o.ReferenceSize
                ? $"native {data.Height}×{data.Width}, bytes / 255"
                : $"bytes / 255, bilinear (align_corners=false) from {data.Height} to {o.ReferenceSize}",
            ["dataset"] = data.Provenance.Describe(),
            ["dataset.name"] = data.Provenance.DatasetName,
            ["dataset.split"] = data.Provenance.Split,
            ["device"] = o.Device,
            ["model_mode"] = "eval (BatchNorm running statistics)",
            ["torchsharp"] = typeof(torch).Assembly.GetName().Version?.ToString() ?? "unknown",
            // The products behind every CKA value (OpenBLAS, or the much slower managed fallback when it cannot be loaded).
            ["blas"] = Core.LinearAlgebra.Blas.Backend.ToString(),
        };
        if (o.SigmaFraction is double f)
        {
            p["sigma_fraction"] = f.ToString("R", ci);
            p["sigma_rule"] = ((RbfKernel)o.Kernel).Sigma.Describe() + ", per batch and block";
        }
        if (o.GridProbe is int g) p["grid_probe"] = g.ToString(ci);
        if (o.BootstrapResamples is not null || o.Permutations is not null)
        {
            p["statistics.images"] = $"{o.StatisticsImages} (the first of subset 1), activations in memory, rows re-expressed in an orthonormal basis of their span (exact)";
            p["statistics.statistic"] = $"the study's estimator ({o.EstimatorName}) on the resampled rows";
            if (o.BootstrapResamples is int bs)
                p["bootstrap"] = $"percentile, B = {bs}, 95 %, seed DeriveSeed({o.Seed}, {BootstrapStream}) = {DataRandom.DeriveSeed(unchecked((ulong)o.Seed), BootstrapStream)}";
            if (o.Permutations is int pn)
                p["permutation_null"] = $"P = {pn}, probe-side rows permuted, seed DeriveSeed({o.Seed}, {PermutationStream}) = {DataRandom.DeriveSeed(unchecked((ulong)o.Seed), PermutationStream)}";
        }
        var list = notes.ToList();
        if (list.Count > 0) p["notes"] = string.Join(" | ", list);
        return p;
    }
}
