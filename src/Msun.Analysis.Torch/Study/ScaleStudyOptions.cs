using System.Globalization;
using Msun.Analysis.Core;
using Msun.Analysis.Core.Cka;
using Msun.Analysis.Torch.Capture;

namespace Msun.Analysis.Torch.Study;

/// <summary>Which CKA estimator a scale study uses for each block at each probe size.</summary>
public enum StudyEstimator
{
    /// <summary>
    /// The paper's estimator: linear minibatch CKA (Nguyen et al. 2021), unbiased HSIC averaged over equal-size
    /// batches (128 by default), the ratio taken at the end. Memory O(blocks · b²), flat in the images.
    /// </summary>
    Minibatch,

    /// <summary>
    /// Exact linear CKA over the whole subset, streamed through one float64 moment accumulator per block
    /// (unbiased HSIC by default). Memory O(d²) per block, flat in the images but quadratic in the features:
    /// with flattened conv maps use small inputs or <see cref="ActivationPolicy.SpatialMean"/>.
    /// </summary>
    Streaming,

    /// <summary>
    /// RBF minibatch CKA: unbiased HSIC of RBF Grams averaged over batches, σ² = f² × median of the batch's
    /// squared distances (Kornblith et al. 2019's rule, f = 0.5 by default), chosen per batch and block.
    /// </summary>
    Rbf,

    /// <summary>
    /// Exact CKA over every example kept in memory, any kernel (<see cref="ScaleComparison"/> on small inputs only): the
    /// layer-wise study refuses it, its memory would grow with the images.
    /// </summary>
    InMemory,
}

/// <summary>
/// Options of a scale-sensitivity study (docs/METHOD.md §1), validated at construction and written
/// into the provenance of its profile: the one options record of the study. Each probe runs the pairwise engine with
/// the <see cref="ScaleComparisonOptions"/> built here (<see cref="Comparison"/>), which own the estimator's kernel and
/// HSIC rules; this record adds the protocol (sizes, subsets, statistics, device) and the study's choices on top.
/// </summary>
public sealed record ScaleStudyOptions
{
    /// <summary>Default number of images held in memory for the bootstrap and the permutation null.</summary>
    public const int DefaultStatisticsImages = 256;

    /// <summary>Default images per random subset.</summary>
    public const int DefaultImagesPerSubset = 1024;

    /// <summary>Default number of random subsets (the paper: 5–10).</summary>
    public const int DefaultRepeats = 5;

    /// <summary>Default images per forward pass and per CKA batch (the paper's 128).</summary>
    public const int DefaultBatchSize = 128;

    /// <summary>Creates validated options.</summary>
    /// <param name="referenceSize">Side of the square reference input (28 on Fashion-MNIST as stored; larger upsamples bilinearly first).</param>
    /// <param name="probes">Probe sizes, each positive and smaller than the reference; stored ascending.</param>
    /// <param name="imagesPerSubset">Images in each random subset (n): at least 4, and at least <paramref name="batchSize"/> for the minibatch estimators.</param>
    /// <param name="repeats">Random subsets k (the paper: 5–10); the profile reports mean ± std over them.</param>
    /// <param name="seed">Seed of the subsets (subset i depends only on the seed and i) and of the resampling.</param>
    /// <param name="estimator">The CKA estimator (the paper's minibatch form by default).</param>
    /// <param name="batchSize">Images per forward pass; for the minibatch estimators also the CKA batch (128, the paper's). A short final batch is left out of minibatch CKA (noted in the provenance).</param>
    /// <param name="sigmaFraction">RBF only: f in σ² = f² × median squared distance (0.5 when null). Giving it with another estimator is an error.</param>
    /// <param name="activations">How a block output becomes features (flattened C×H×W, the paper's choice, by default).</param>
    /// <param name="blocks">Stage names to measure, in network order; every stage of the backbone when null.</param>
    /// <param name="bootstrapResamples">B: a percentile bootstrap interval per cell over the examples of one subset; none when null.</param>
    /// <param name="permutations">P: a permutation null per cell over the examples of one subset; none when null.</param>
    /// <param name="statisticsImages">
    /// Images (the first of subset 1) whose activations are held in memory for the bootstrap and the null: the
    /// memory cost is about statisticsImages × Σ features × 4 bytes for the reference side plus as much for one probe.
    /// Capped at <paramref name="imagesPerSubset"/>.
    /// </param>
    /// <param name="gridProbe">Also compute the full block × block grid (reference block i vs probe block j) at this probe; must be one of the probes.</param>
    /// <param name="streamingHsic">Streaming only: the HSIC estimator (unbiased by default, on the scale of the minibatch estimator).</param>
    /// <param name="device"><c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</param>
    /// <param name="streamingMemoryLimitBytes">Streaming only: the study refuses to start when its accumulators would need more than this (2 GiB by default).</param>
    /// <param name="names">How the caller names these parameters in messages (the command line's option names); the parameter names when null.</param>
    /// <exception cref="ArgumentException">A value out of range, with the parameter named.</exception>
    public ScaleStudyOptions(
        int referenceSize,
        IReadOnlyList<int> probes,
        int imagesPerSubset = DefaultImagesPerSubset,
        int repeats = DefaultRepeats,
        int seed = 0,
        StudyEstimator estimator = StudyEstimator.Minibatch,
        int batchSize = DefaultBatchSize,
        double? sigmaFraction = null,
        ActivationPolicy activations = ActivationPolicy.Flatten,
        IReadOnlyList<string>? blocks = null,
        int? bootstrapResamples = null,
        int? permutations = null,
        int statisticsImages = DefaultStatisticsImages,
        int? gridProbe = null,
        HsicEstimator streamingHsic = HsicEstimator.Unbiased,
        string device = TorchDevices.DefaultName,
        long streamingMemoryLimitBytes = 2L << 30,
        InputNames? names = null)
    {
        ArgumentNullException.ThrowIfNull(probes);
        ArgumentNullException.ThrowIfNull(device);
        var n = names ?? InputNames.Parameters;
        var ci = CultureInfo.InvariantCulture;
        if (referenceSize < 1)
            throw new ArgumentException($"{n[nameof(referenceSize)]} {referenceSize}: the reference size must be positive.", nameof(referenceSize));
        if (probes.Count == 0)
            throw new ArgumentException($"{n[nameof(probes)]}: a scale study needs at least one probe size.", nameof(probes));
        foreach (int p in probes)
        {
            if (p < 1)
                throw new ArgumentException($"{n[nameof(probes)]}: {p} is not a positive size.", nameof(probes));
            if (p >= referenceSize)
                throw new ArgumentException(
                    $"{n[nameof(probes)]}: {p} is not smaller than the reference size {referenceSize}; the study compares the reference with smaller scales (probe = reference would compare identical inputs).",
                    nameof(probes));
        }
        if (probes.Distinct().Count() != probes.Count)
            throw new ArgumentException($"{n[nameof(probes)]}: sizes repeat ({string.Join(",", probes)}).", nameof(probes));
        if (estimator == StudyEstimator.InMemory)
            throw new ArgumentException($"{n[nameof(estimator)]}: the in-memory estimator keeps every activation; the study uses minibatch, streaming or rbf, whose memory is flat in the images.", nameof(estimator));
        if (!Enum.IsDefined(activations))
            throw new ArgumentOutOfRangeException(nameof(activations), activations, "unknown ActivationPolicy.");
        if (imagesPerSubset < 4)
            throw new ArgumentException($"{n[nameof(imagesPerSubset)]} {imagesPerSubset}: debiased CKA (unbiased HSIC) needs at least 4 images per subset.", nameof(imagesPerSubset));
        if (batchSize < 4)
            throw new ArgumentException($"{n[nameof(batchSize)]} {batchSize}: unbiased HSIC needs batches of at least 4 images.", nameof(batchSize));
        bool minibatch = estimator != StudyEstimator.Streaming;
        if (minibatch && imagesPerSubset < batchSize)
            throw new ArgumentException(
                $"{n[nameof(imagesPerSubset)]} {imagesPerSubset} is fewer than {n[nameof(batchSize)]} {batchSize}: minibatch CKA averages over whole batches and cannot use fewer than one batch of {batchSize}; lower the batch or raise the images.",
                nameof(imagesPerSubset));
        if (repeats < 1)
            throw new ArgumentException($"{n[nameof(repeats)]} {repeats}: at least one subset is needed.", nameof(repeats));
        if (sigmaFraction is double f && estimator != StudyEstimator.Rbf)
            throw new ArgumentException(string.Create(ci, $"{n[nameof(sigmaFraction)]} {f} applies to {n[nameof(estimator)]} rbf only (a bandwidth of the RBF estimator only)."), nameof(sigmaFraction));
        double fraction = sigmaFraction ?? CkaKernel.DefaultSigmaFraction;
        if (!double.IsFinite(fraction) || fraction <= 0)
            throw new ArgumentException(string.Create(ci, $"{n[nameof(sigmaFraction)]} {fraction}: the RBF sigma fraction must be a positive finite number."), nameof(sigmaFraction));
        if (bootstrapResamples is int b && b < 2)
            throw new ArgumentException($"{n[nameof(bootstrapResamples)]} {b}: a bootstrap needs at least 2 resamples.", nameof(bootstrapResamples));
        if (permutations is int pn && pn < 2)
            throw new ArgumentException($"{n[nameof(permutations)]} {pn}: a permutation null needs at least 2 permutations.", nameof(permutations));
        if (statisticsImages < 4)
            throw new ArgumentException($"{n[nameof(statisticsImages)]} {statisticsImages}: the bootstrap and the null need at least 4 images.", nameof(statisticsImages));
        int statisticsN = Math.Min(statisticsImages, imagesPerSubset);
        if ((bootstrapResamples is not null || permutations is not null) && minibatch && statisticsN < batchSize)
            throw new ArgumentException(
                $"{n[nameof(statisticsImages)]} {statisticsN} is fewer than {n[nameof(batchSize)]} {batchSize}: the bootstrap and the null recompute minibatch CKA on those images, fewer than one batch.",
                nameof(statisticsImages));
        if (gridProbe is int g && !probes.Contains(g))
            throw new ArgumentException($"{n[nameof(gridProbe)]} {g} is not one of {n[nameof(probes)]} ({string.Join(",", probes)}): the grid is computed at a probe size, and {g} is not among the probes.", nameof(gridProbe));
        string[]? blockList = null;
        if (blocks is not null)
        {
            if (blocks.Count == 0)
                throw new ArgumentException($"{n[nameof(blocks)]}: the block list is empty; pass null for every stage.", nameof(blocks));
            if (blocks.Any(string.IsNullOrWhiteSpace))
                throw new ArgumentException($"{n[nameof(blocks)]}: a block name is empty.", nameof(blocks));
            var twice = blocks.GroupBy(x => x, StringComparer.Ordinal).FirstOrDefault(x => x.Count() > 1)?.Key;
            if (twice is not null)
                throw new ArgumentException($"{n[nameof(blocks)]}: block {twice} is listed twice.", nameof(blocks));
            blockList = [.. blocks];
        }
        TorchDevices.CheckName(device, n[nameof(device)]);
        if (streamingMemoryLimitBytes < 1)
            throw new ArgumentOutOfRangeException(nameof(streamingMemoryLimitBytes), streamingMemoryLimitBytes, "the memory limit must be positive.");

        ReferenceSize = referenceSize;
        Probes = [.. probes.Order()];
        ImagesPerSubset = imagesPerSubset;
        Repeats = repeats;
        Seed = seed;
        Estimator = estimator;
        BatchSize = batchSize;
        SigmaFraction = estimator == StudyEstimator.Rbf ? fraction : null;
        Activations = activations;
        Blocks = blockList;
        BootstrapResamples = bootstrapResamples;
        Permutations = permutations;
        StatisticsImages = statisticsN;
        GridProbe = gridProbe;
        StreamingHsic = streamingHsic;
        Device = device.ToLowerInvariant();
        StreamingMemoryLimitBytes = streamingMemoryLimitBytes;
        // Also checks that the estimator and the HSIC estimator are known values. The study leaves a short final batch out
        // (and notes it) rather than failing, since a subset need not be a multiple of the batch.
        _pairwise = new ScaleComparisonOptions(estimator, kernel: SigmaFraction is double sigma ? CkaKernel.Rbf(sigma) : null,
            hsic: streamingHsic, ragged: RaggedBatchPolicy.DropFinal);
    }

    private readonly ScaleComparisonOptions _pairwise;

    /// <summary>Side of the square reference input.</summary>
    public int ReferenceSize { get; }

    /// <summary>Probe sizes, ascending.</summary>
    public IReadOnlyList<int> Probes { get; }

    /// <summary>Images per random subset.</summary>
    public int ImagesPerSubset { get; }

    /// <summary>Number of random subsets.</summary>
    public int Repeats { get; }

    /// <summary>Seed of the subsets and of the resampling.</summary>
    public int Seed { get; }

    /// <summary>The CKA estimator.</summary>
    public StudyEstimator Estimator { get; }

    /// <summary>Images per forward pass (and per CKA batch for the minibatch estimators).</summary>
    public int BatchSize { get; }

    /// <summary>RBF: f in σ² = f² × median squared distance; null for the linear estimators.</summary>
    public double? SigmaFraction { get; }

    /// <summary>How block outputs become features.</summary>
    public ActivationPolicy Activations { get; }

    /// <summary>Stage names to measure; null = every stage.</summary>
    public IReadOnlyList<string>? Blocks { get; }

    /// <summary>Bootstrap resamples B, or null.</summary>
    public int? BootstrapResamples { get; }

    /// <summary>Permutations P, or null.</summary>
    public int? Permutations { get; }

    /// <summary>Images held in memory for the bootstrap and the null (already capped at <see cref="ImagesPerSubset"/>).</summary>
    public int StatisticsImages { get; }

    /// <summary>Probe of the full block × block grid, or null.</summary>
    public int? GridProbe { get; }

    /// <summary>Streaming only: the HSIC estimator.</summary>
    public HsicEstimator StreamingHsic { get; }

    /// <summary>Device the model runs on.</summary>
    public string Device { get; }

    /// <summary>Streaming only: the accumulators' memory limit in bytes.</summary>
    public long StreamingMemoryLimitBytes { get; }

    /// <summary>
    /// Batches whose forward passes run at once, each on its own thread with one libtorch thread (the CKA still runs in
    /// batch order, so the values do not depend on it beyond the rounding of the forwards' thread count). Null (the
    /// default): on a CPU libtorch's thread count, lowered until the batches in flight hold at most
    /// <see cref="ParallelActivationBytes"/> of captured activations; 1 on a GPU. 1: one batch at a time, on libtorch's
    /// intra-op threads. Up to this + 1 batches are in flight, each holding its activations at the reference and at every
    /// probe.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A value below 1.</exception>
    public int? ParallelBatches
    {
        get => parallelBatches;
        init => parallelBatches = value is < 1
            ? throw new ArgumentOutOfRangeException(nameof(ParallelBatches), value, "at least one batch must run at a time.")
            : value;
    }

    private readonly int? parallelBatches;

    /// <summary>
    /// Captured activations the default <see cref="ParallelBatches"/> lets the batches in flight hold (1 GiB): the study's
    /// backbone at 56 px needs 38 MB per batch (up to 26 at once), flattened ResNet-50 maps at 224 px several GB (one at a time).
    /// </summary>
    public const long ParallelActivationBytes = 1L << 30;

    /// <summary>
    /// <see cref="ParallelBatches"/> resolved for a device, given the bytes one batch's captures take at the reference
    /// size and every probe.
    /// </summary>
    internal int ParallelBatchesOn(TorchSharp.torch.Device device, Func<long> bytesPerBatch)
    {
        if (ParallelBatches is int asked) return asked;
        if (device.type != TorchSharp.DeviceType.CPU) return 1;
        int threads = TorchSharp.torch.get_num_threads();
        if (threads == 1) return 1;
        long fit = ParallelActivationBytes / Math.Max(1, bytesPerBatch()) - 1; // workers + 1 batches in flight
        return (int)Math.Clamp(fit, 1, threads);
    }

    /// <summary>The kernel of the chosen estimator (<see cref="ScaleComparisonOptions.Kernel"/>).</summary>
    public CkaKernel Kernel => _pairwise.Kernel;

    /// <summary>The HSIC estimator behind every value (<see cref="ScaleComparisonOptions.Hsic"/>): unbiased for the minibatch forms, <see cref="StreamingHsic"/> for streaming.</summary>
    public HsicEstimator Hsic => _pairwise.Hsic;

    /// <summary>Short estimator name for files: minibatch, streaming or rbf.</summary>
    public string EstimatorName => Estimator switch
    {
        StudyEstimator.Minibatch => "minibatch",
        StudyEstimator.Streaming => "streaming",
        _ => "rbf",
    };

    /// <summary>
    /// The pairwise comparison behind each probe of the study: the same estimator, kernel and HSIC, a short final
    /// batch left out (and noted).
    /// </summary>
    /// <param name="fullGrid">Also compare every reference block with every probe block.</param>
    public ScaleComparisonOptions Comparison(bool fullGrid) => _pairwise with { FullGrid = fullGrid };

    /// <summary>The paper-style probes below a reference size: ¼, ½ and ¾ of it (7, 14, 21 at 28); empty when none is a valid size.</summary>
    public static int[] DefaultProbes(int referenceSize) =>
        [.. new[] { referenceSize / 4, referenceSize / 2, referenceSize * 3 / 4 }.Where(p => p >= 1 && p < referenceSize).Distinct()];

    /// <summary>Every option in one line (for keys that decide whether a saved study can be reused).</summary>
    public string Describe()
    {
        var ci = CultureInfo.InvariantCulture;
        return string.Join("; ",
            $"reference={ReferenceSize}", $"probes={string.Join(",", Probes)}", $"images={ImagesPerSubset}", $"repeats={Repeats}",
            $"seed={Seed}", $"estimator={EstimatorName}", $"batch={BatchSize}", $"sigma_fraction={SigmaFraction?.ToString(ci)}",
            $"activations={Activations}", $"blocks={(Blocks is null ? "all" : string.Join(",", Blocks))}", $"bootstrap={BootstrapResamples}",
            $"permutations={Permutations}", $"statistics_images={StatisticsImages}", $"grid_probe={GridProbe}", $"streaming_hsic={StreamingHsic}");
    }
}
