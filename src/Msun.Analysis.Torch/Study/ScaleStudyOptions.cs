using System.Globalization;
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
}

/// <summary>
/// Options of a scale-sensitivity study (docs/METHOD.md §1), validated at construction and written
/// into the provenance of its profile.
/// </summary>
public sealed record ScaleStudyOptions
{
    /// <summary>Default number of images held in memory for the bootstrap and the permutation null.</summary>
    public const int DefaultStatisticsImages = 256;

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
    /// <exception cref="ArgumentException">A value out of range, with the parameter named.</exception>
    public ScaleStudyOptions(
        int referenceSize,
        IReadOnlyList<int> probes,
        int imagesPerSubset = 1024,
        int repeats = 5,
        int seed = 0,
        StudyEstimator estimator = StudyEstimator.Minibatch,
        int batchSize = 128,
        double? sigmaFraction = null,
        ActivationPolicy activations = ActivationPolicy.Flatten,
        IReadOnlyList<string>? blocks = null,
        int? bootstrapResamples = null,
        int? permutations = null,
        int statisticsImages = DefaultStatisticsImages,
        int? gridProbe = null,
        HsicEstimator streamingHsic = HsicEstimator.Unbiased,
        string device = "cpu",
        long streamingMemoryLimitBytes = 2L << 30)
    {
        ArgumentNullException.ThrowIfNull(probes);
        ArgumentNullException.ThrowIfNull(device);
        if (referenceSize < 1)
            throw new ArgumentOutOfRangeException(nameof(referenceSize), referenceSize, "the reference size must be positive.");
        if (probes.Count == 0)
            throw new ArgumentException("a scale study needs at least one probe size.", nameof(probes));
        foreach (int p in probes)
        {
            if (p < 1)
                throw new ArgumentOutOfRangeException(nameof(probes), p, $"probe size {p} is not positive.");
            if (p >= referenceSize)
                throw new ArgumentOutOfRangeException(nameof(probes), p,
                    $"probe size {p} is not smaller than the reference size {referenceSize}: the study compares the reference with smaller scales (probe = reference would compare identical inputs).");
        }
        if (probes.Distinct().Count() != probes.Count)
            throw new ArgumentException($"probe sizes repeat: {string.Join(", ", probes)}.", nameof(probes));
        if (!Enum.IsDefined(estimator))
            throw new ArgumentOutOfRangeException(nameof(estimator), estimator, "unknown StudyEstimator.");
        if (!Enum.IsDefined(activations))
            throw new ArgumentOutOfRangeException(nameof(activations), activations, "unknown ActivationPolicy.");
        if (!Enum.IsDefined(streamingHsic))
            throw new ArgumentOutOfRangeException(nameof(streamingHsic), streamingHsic, "unknown HsicEstimator.");
        if (batchSize < 4)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "the batch size must be at least 4 (unbiased HSIC needs 4 examples per batch).");
        if (imagesPerSubset < 4)
            throw new ArgumentOutOfRangeException(nameof(imagesPerSubset), imagesPerSubset, "debiased CKA (unbiased HSIC) needs at least 4 images per subset.");
        bool minibatch = estimator != StudyEstimator.Streaming;
        if (minibatch && imagesPerSubset < batchSize)
            throw new ArgumentOutOfRangeException(nameof(imagesPerSubset), imagesPerSubset,
                $"{imagesPerSubset} images per subset are fewer than one batch of {batchSize}: minibatch CKA averages over whole batches.");
        if (repeats < 1)
            throw new ArgumentOutOfRangeException(nameof(repeats), repeats, "at least one repeat is needed.");
        if (sigmaFraction is double f && estimator != StudyEstimator.Rbf)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"a sigma fraction ({f}) applies to the RBF estimator only."), nameof(sigmaFraction));
        double fraction = sigmaFraction ?? 0.5;
        if (!double.IsFinite(fraction) || fraction <= 0)
            throw new ArgumentOutOfRangeException(nameof(sigmaFraction), fraction, "the RBF sigma fraction must be a positive finite number.");
        if (bootstrapResamples is int b && b < 2)
            throw new ArgumentOutOfRangeException(nameof(bootstrapResamples), b, "a bootstrap needs at least 2 resamples.");
        if (permutations is int pn && pn < 2)
            throw new ArgumentOutOfRangeException(nameof(permutations), pn, "a permutation null needs at least 2 permutations.");
        if (statisticsImages < 4)
            throw new ArgumentOutOfRangeException(nameof(statisticsImages), statisticsImages, "the bootstrap and the null need at least 4 images.");
        int statisticsN = Math.Min(statisticsImages, imagesPerSubset);
        if ((bootstrapResamples is not null || permutations is not null) && minibatch && statisticsN < batchSize)
            throw new ArgumentOutOfRangeException(nameof(statisticsImages), statisticsImages,
                $"the bootstrap and the null recompute minibatch CKA on {statisticsN} images, fewer than one batch of {batchSize}.");
        if (gridProbe is int g && !probes.Contains(g))
            throw new ArgumentException($"the grid probe {g} is not among the probes ({string.Join(", ", probes)}).", nameof(gridProbe));
        string[]? blockList = null;
        if (blocks is not null)
        {
            if (blocks.Count == 0)
                throw new ArgumentException("the block list is empty; pass null for every stage.", nameof(blocks));
            if (blocks.Any(string.IsNullOrWhiteSpace))
                throw new ArgumentException("a block name is empty.", nameof(blocks));
            var twice = blocks.GroupBy(x => x, StringComparer.Ordinal).FirstOrDefault(x => x.Count() > 1)?.Key;
            if (twice is not null)
                throw new ArgumentException($"block {twice} is listed twice.", nameof(blocks));
            blockList = [.. blocks];
        }
        TorchDevices.CheckName(device, nameof(device));
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
    }

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

    /// <summary>The kernel of the chosen estimator.</summary>
    public CkaKernel Kernel => Estimator == StudyEstimator.Rbf ? CkaKernel.Rbf(SigmaFraction!.Value) : CkaKernel.Linear;

    /// <summary>The HSIC estimator behind every value: unbiased for the minibatch forms, <see cref="StreamingHsic"/> for streaming.</summary>
    public HsicEstimator Hsic => Estimator == StudyEstimator.Streaming ? StreamingHsic : HsicEstimator.Unbiased;

    /// <summary>Short estimator name for files: minibatch, streaming or rbf.</summary>
    public string EstimatorName => Estimator switch
    {
        StudyEstimator.Minibatch => "minibatch",
        StudyEstimator.Streaming => "streaming",
        _ => "rbf",
    };

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
