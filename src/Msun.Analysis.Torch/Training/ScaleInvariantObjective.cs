using Msun.Analysis.Torch.Unified;
using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Training;

/// <summary>
/// MSUN's loss (docs/METHOD.md §2): the batch at the reference size is shrunk to every scale (down only: each subnet
/// takes its native size), each runs through its subnet, unification and the shared network; the loss is the sum of
/// the cross-entropies of all scales plus, when the constraint is on, <c>w · MSE(z_i, z_j)</c> for every pair of
/// unified subnet outputs, each term dropped (contributing 0 and no gradient) while it is below the truncation threshold.
/// Gradients of a kept term flow into both subnets, as in the paper.
/// </summary>
public sealed class ScaleInvariantObjective : TrainingObjective
{
    private readonly MsunConfig config;

    /// <summary>Creates the objective of a configuration.</summary>
    public ScaleInvariantObjective(MsunConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        this.config = config;
    }

    /// <inheritdoc />
    public override (Tensor Loss, Tensor ReferenceLogits) Compute(nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels)
    {
        var net = model as MsunNetwork
            ?? throw new ArgumentException($"the MSUN objective needs an MsunNetwork, not a {model?.GetType().Name ?? "null"}.", nameof(model));
        var (logits, unified) = net.ForwardAllScales(images);
        var loss = nn.functional.cross_entropy(logits[0], labels);
        for (var i = 1; i < logits.Length; i++)
            loss = loss + nn.functional.cross_entropy(logits[i], labels);
        if (config.Constraint)
        {
            for (var i = 0; i < unified.Length; i++)
            {
                for (var j = i + 1; j < unified.Length; j++)
                    loss = loss + config.ConstraintWeight * Truncated(nn.functional.mse_loss(unified[i], unified[j]), config.TruncationThreshold);
            }
        }

        return (loss, logits[^1]);
    }

    /// <summary>The term itself when it is at least <paramref name="threshold"/>, else zero (no host sync: a mask multiply).</summary>
    internal static Tensor Truncated(Tensor term, double threshold) => term * term.ge(threshold).to_type(term.dtype);

    /// <inheritdoc />
    public override string Describe() =>
        $"msun: sum of CE over scales {string.Join(", ", config.Scales.Select(s => $"{s.Name} {s.Size}"))} (each shrunk from the reference, native subnet input)"
        + (config.Constraint
            ? $" + {config.ConstraintWeight.ToString("R", System.Globalization.CultureInfo.InvariantCulture)} x MSE between every pair of unified outputs, each dropped below {config.TruncationThreshold.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}"
            : "; scale-invariant constraint off (ablation)");
}
