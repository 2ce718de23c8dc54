using Msun.Analysis.Core;
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
    /// <param name="data">Square images; their native size is the default reference.</param>
    /// <param name="images">Images drawn (at least 4, at most the dataset's).</param>
    /// <param name="seed">Seed of the subset.</param>
    /// <param name="probes">Probe sizes, each below the reference.</param>
    /// <param name="referenceSize">Reference size (default: the native size; another size resizes the images bilinearly first).</param>
    /// <param name="batchSize">Batch of the minibatch estimators (at least 4, at most <paramref name="images"/>).</param>
    /// <exception cref="ArgumentException">A count, size or batch outside those bounds (see <see cref="Check"/>).</exception>
    public static IReadOnlyList<PixelScaleCkaRow> Compute(ImageDataset data, int images, int seed, IReadOnlyList<int> probes, int batchSize,
        int? referenceSize = null)
    {
        int reference = Check(data, images, probes, batchSize, referenceSize);
        int[] indices = SeededSplits.RandomSubset(data.Count, images, seed);
        using var scope = NewDisposeScope();
        var (native, _) = data.GetBatch(indices, CPU);
        // A reference other than the native size resizes the images bilinearly first, as the layer-wise study does.
        var pixels = reference == data.Height ? native : MultiScaleResize.Bilinear(native, reference, reference);
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
                MinibatchCka.Compute(referenceFeatures, probeFeatures, batchSize, CkaKernel.Rbf(), ragged)));
        }

        return rows;
    }

    /// <summary>
    /// The rules of <see cref="Compute"/>'s arguments, checked before any work; returns the reference size. The
    /// messages name each input as <paramref name="names"/> does (the parameter names when null).
    /// </summary>
    /// <exception cref="ArgumentException">A count, size or batch out of bounds, or images that are not square.</exception>
    public static int Check(ImageDataset data, int images, IReadOnlyList<int> probes, int batchSize, int? referenceSize = null, InputNames? names = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(probes);
        var n = names ?? InputNames.Parameters;
        int reference = referenceSize ?? data.Height;
        if (reference < 1) throw new ArgumentOutOfRangeException(nameof(referenceSize), $"{n[nameof(referenceSize)]} {reference}: must be a positive size.");
        if (data.Height != data.Width) throw new ArgumentException($"{n[nameof(data)]}: the images are {data.Height}×{data.Width}, not square.", nameof(data));
        if (images < 4) throw new ArgumentOutOfRangeException(nameof(images), $"{n[nameof(images)]} {images}: at least 4 images are needed (debiased CKA).");
        if (images > data.Count) throw new ArgumentOutOfRangeException(nameof(images), $"{n[nameof(images)]} {images}: the {data.Provenance.Split} split has {data.Count} images.");
        if (batchSize < 4) throw new ArgumentOutOfRangeException(nameof(batchSize), $"{n[nameof(batchSize)]} {batchSize}: minibatch CKA needs batches of at least 4.");
        if (batchSize > images)
            throw new ArgumentOutOfRangeException(nameof(batchSize), $"{n[nameof(batchSize)]} {batchSize} is larger than {n[nameof(images)]} {images}.");
        if (probes.FirstOrDefault(p => p >= reference) is var big and > 0)
            throw new ArgumentOutOfRangeException(nameof(probes), $"{n[nameof(probes)]}: {big} is not smaller than the reference size {reference}.");
        return reference;
    }
}
