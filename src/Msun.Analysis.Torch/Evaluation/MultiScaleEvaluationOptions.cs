using System.Collections.Immutable;
using Msun.Analysis.Torch.Data;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Evaluation;

/// <summary>
/// Options of the multi-scale test protocol, validated at construction and recorded in the provenance of
/// every result.
/// </summary>
public sealed record MultiScaleEvaluationOptions
{
    /// <summary>Creates options.</summary>
    /// <param name="referenceSize">R: the size of the reference test images (224 on ImageNet, 28 or 56 on Fashion-MNIST). Dataset images of another size are first resized to R (bilinear, recorded).</param>
    /// <param name="testSizes">The test sizes, each in 1..R and distinct, in the order they are run; <see cref="DefaultTestSizes"/> when null.</param>
    /// <param name="batchSize">Images per forward pass.</param>
    /// <param name="antialias">Antialias the shrink to the test size; false (the paper's protocol) by default.</param>
    /// <param name="device">Where to run; CPU when null.</param>
    public MultiScaleEvaluationOptions(int referenceSize, IReadOnlyList<int>? testSizes = null, int batchSize = 256,
        bool antialias = false, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(referenceSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var sizes = (testSizes ?? DefaultTestSizes(referenceSize)).ToImmutableArray();
        if (sizes.IsEmpty) throw new ArgumentException("testSizes is empty; give at least one test size.", nameof(testSizes));
        foreach (var s in sizes)
        {
            if (s < 1 || s > referenceSize)
                throw new ArgumentOutOfRangeException(nameof(testSizes), s,
                    $"test size {s} is outside 1..{referenceSize}: the protocol only shrinks the reference image.");
        }

        if (sizes.Distinct().Count() != sizes.Length)
            throw new ArgumentException($"testSizes has repeated sizes: {string.Join(",", sizes)}.", nameof(testSizes));
        ReferenceSize = referenceSize;
        TestSizes = sizes;
        BatchSize = batchSize;
        Antialias = antialias;
        Device = device ?? CPU;
    }

    /// <summary>R, the side of the reference images.</summary>
    public int ReferenceSize { get; }

    /// <summary>Test sizes in run order.</summary>
    public ImmutableArray<int> TestSizes { get; }

    /// <summary>Images per forward pass.</summary>
    public int BatchSize { get; }

    /// <summary>Whether the shrink is antialiased (false in the paper).</summary>
    public bool Antialias { get; }

    /// <summary>Where tensors are created and the model runs (the model must already be there).</summary>
    public Device Device { get; }

    /// <summary>The seed behind the model or the test subset, if any: recorded in provenance only (the protocol itself draws nothing).</summary>
    public int? Seed { get; init; }

    /// <summary>The checkpoint the weights came from, if any: recorded in provenance.</summary>
    public string? Checkpoint { get; init; }

    /// <summary>More provenance entries (they may not override the evaluator's own keys).</summary>
    public ImmutableDictionary<string, string> ExtraProvenance { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>
    /// The default test sizes for a reference size: the paper's 13 sizes 32, 48, …, 224 for R = 224; for a
    /// multiple of 28, the Fashion-MNIST ladder 8, 12, 16, 20, 24, 28 scaled by R/28 (R = 28 gives exactly that
    /// ladder, R = 56 gives 16, 24, …, 56).
    /// </summary>
    /// <exception cref="ArgumentException">No default for this reference size: pass the sizes explicitly.</exception>
    public static IReadOnlyList<int> DefaultTestSizes(int referenceSize)
    {
        if (referenceSize == 224) return MultiScaleResize.TestSizes(32, 224, 16);
        if (referenceSize >= 28 && referenceSize % 28 == 0)
        {
            int k = referenceSize / 28;
            return MultiScaleResize.TestSizes(8 * k, referenceSize, 4 * k);
        }

        throw new ArgumentException(
            $"there is no default test-size ladder for reference size {referenceSize} (only 224 and multiples of 28); pass the sizes.",
            nameof(referenceSize));
    }

    /// <summary>The shrink as one provenance line.</summary>
    public string DescribeTransform() =>
        $"reference image {ReferenceSize}x{ReferenceSize} bilinearly downsampled to each test size " +
        $"(align_corners=false, antialias={(Antialias ? "true" : "false")})";
}
