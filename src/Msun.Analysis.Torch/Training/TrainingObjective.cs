using Msun.Analysis.Torch.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Training;

/// <summary>
/// The loss a method minimises on one batch. Separate from the loop so that the trainer (optimiser, schedule,
/// clipping, checkpoints) is shared by Vanilla, MST and later MSUN.
/// </summary>
public abstract class TrainingObjective
{
    /// <summary>
    /// The loss of <paramref name="model"/> on a batch at the reference size, and the logits at the reference size
    /// (for the running training accuracy). Both tensors belong to the caller's dispose scope.
    /// </summary>
    /// <param name="model">The network in training mode.</param>
    /// <param name="images">Float images [B,C,R,R] at the reference size R.</param>
    /// <param name="labels">Int64 labels [B].</param>
    public abstract (Tensor Loss, Tensor ReferenceLogits) Compute(nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels);

    /// <summary>One line for provenance: what the loss is.</summary>
    public abstract string Describe();
}

/// <summary>Vanilla: cross-entropy at the reference size.</summary>
public sealed class VanillaObjective : TrainingObjective
{
    /// <inheritdoc />
    public override (Tensor Loss, Tensor ReferenceLogits) Compute(nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(model);
        var logits = model.call(images);
        return (nn.functional.cross_entropy(logits, labels), logits);
    }

    /// <inheritdoc />
    public override string Describe() => "vanilla: CE at the reference size";
}

/// <summary>
/// MST (multi-scale training): the batch at the reference size plus, for each extra scale, the batch shrunk to that
/// scale and brought back up (bilinear, align_corners = false, no antialias, as the paper's protocol); one forward
/// pass per scale (so BatchNorm sees each scale's own batch statistics, as in the authors' per-scale forward), and
/// the cross-entropies summed with weight 1.
/// </summary>
public sealed class MstObjective : TrainingObjective
{
    private readonly MultiScaleResize[] resizes;

    /// <summary>Creates the objective for a reference size and its extra scales.</summary>
    public MstObjective(int referenceSize, IReadOnlyList<int> scales)
    {
        ArgumentNullException.ThrowIfNull(scales);
        if (scales.Count == 0)
            throw new ArgumentException("MST needs at least one extra scale.", nameof(scales));
        resizes = scales.Select(s => new MultiScaleResize(new MultiScaleResizeOptions(referenceSize, s, ScaleMode.DownUp))).ToArray();
    }

    /// <inheritdoc />
    public override (Tensor Loss, Tensor ReferenceLogits) Compute(nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(model);
        var logits = model.call(images);
        var loss = nn.functional.cross_entropy(logits, labels);
        foreach (var resize in resizes)
        {
            var scaled = resize.Apply(images);
            loss = loss + nn.functional.cross_entropy(model.call(scaled), labels);
        }

        return (loss, logits);
    }

    /// <inheritdoc />
    public override string Describe() =>
        "mst: sum of CE at the reference size and at " + string.Join(", ", resizes.Select(r => r.Describe()));
}
