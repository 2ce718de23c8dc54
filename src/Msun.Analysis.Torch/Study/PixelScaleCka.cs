using Msun.Analysis.Core.Cka;
using Msun.Analysis.Torch.Cka;
using Msun.Analysis.Torch.Data;
using static TorchSharp.torch;
using CoreCka = Msun.Analysis.Core.Cka.Cka;

namespace Msun.Analysis.Torch.Study;

/// <summary>Pixel-space CKA between the reference images and their copies at one probe size, with four estimators.</summary>
/// <param name="Probe">Probe size in pixels.</param>
/// <param name="Transform">The down-and-up resize, described.</param>
/// <param name="Linear">Linear CKA, biased HSIC.</param>
/// <param name="Debiased">Linear CKA, unbiased HSIC.</param>
/// <param name="Minibatch">Linear minibatch CKA (unbiased HSIC averaged over batches; a short last batch dropped).</param>
/// <param name="RbfMinibatch">The same with RBF kernels, σ = 0.5 × the median distance per batch.</param>
public sealed record PixelScaleCkaRow(int Probe, string Transform, CkaResult Linear, CkaResult Debiased, CkaResult Minibatch, CkaResult RbfMinibatch);

/// <summary>
/// The input end of the layer-wise study (<c>msun scale-cka</c>): CKA between images at the reference size and the
/// same images shrunk to each probe size and brought back up (the paper's resize, docs/METHOD.md §1), on the pixels
/// themselves. It shows how much a scale changes what any network is given.
/// </summary>
public static class PixelScaleCka
{
    /// <summary>One row per probe, on a seeded random subset of <paramref name="data"/> at its native size.</summary>
    /// <param name="data">Square images; their native size is the reference.</param>
    /// <param name="images">Images drawn (at least 4, at most the dataset's).</param>
    /// <param name="seed">Seed of the subset.</param>
    /// <param name="probes">Probe sizes, each below the reference.</param>
    /// <param name="batchSize">Batch of the minibatch estimators (at least 4, at most <paramref name="images"/>).</param>
    /// <exception cref="ArgumentException">A count, size or batch outside those bounds.</exception>
    public static IReadOnlyList<PixelScaleCkaRow> Compute(ImageDataset data, int images, int seed, IReadOnlyList<int> probes, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(probes);
        int reference = data.Height;
        if (data.Height != data.Width) throw new ArgumentException($"the images are {data.Height}×{data.Width}, not square.", nameof(data));
        if (images < 4) throw new ArgumentOutOfRangeException(nameof(images), images, "at least 4 images are needed (debiased CKA).");
        if (images > data.Count) throw new ArgumentOutOfRangeException(nameof(images), images, $"the dataset has {data.Count} images.");
        if (batchSize < 4) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "minibatch CKA needs batches of at least 4.");
        if (batchSize > images) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"the batch is larger than the {images} images.");
        if (probes.FirstOrDefault(p => p >= reference) is var big and > 0)
            throw new ArgumentOutOfRangeException(nameof(probes), big, $"{big} is not smaller than the reference size {reference}.");

        int[] indices = SeededSplits.RandomSubset(data.Count, images, seed);
        using var scope = NewDisposeScope();
        var (pixels, _) = data.GetBatch(indices, CPU);
        var referenceFeatures = TensorCka.ToFeatureMatrix(pixels, $"{reference}px");
        var rows = new List<PixelScaleCkaRow>();
        foreach (int probe in probes)
        {
            var resize = new MultiScaleResize(new MultiScaleResizeOptions(reference, probe));
            var probeFeatures = TensorCka.ToFeatureMatrix(resize.Apply(pixels), $"{probe}px");
            var ragged = RaggedBatchPolicy.DropFinal;
            rows.Add(new PixelScaleCkaRow(probe, resize.Describe(),
                CoreCka.Compute(referenceFeatures, probeFeatures),
                CoreCka.Compute(referenceFeatures, probeFeatures, new CkaOptions(Estimator: HsicEstimator.Unbiased)),
                MinibatchCka.Compute(referenceFeatures, probeFeatures, batchSize, CkaKernel.Linear, ragged),
                MinibatchCka.Compute(referenceFeatures, probeFeatures, batchSize, CkaKernel.Rbf(0.5), ragged)));
        }

        return rows;
    }
}
