namespace Msun.Analysis.Torch.Training;

/// <summary>How a network is trained: the paper's two baselines and MSUN itself (§2 of docs/METHOD.md).</summary>
public enum TrainingMethod
{
    /// <summary>One network, trained at the reference size only: cross-entropy on the batch as given.</summary>
    Vanilla,

    /// <summary>
    /// Multi-scale training: one network; every batch is also shrunk to each extra scale and brought back up
    /// to the reference size (bilinear, align_corners = false), and the cross-entropy losses of all scales are summed.
    /// </summary>
    Mst,

    /// <summary>
    /// MSUN: one subnet per scale for the leading stages and a shared deep network; every batch is shrunk to each
    /// scale and run natively through its subnet; CE per scale plus the scale-invariant constraint (see <c>MsunConfig</c>).
    /// </summary>
    Msun,
}

/// <summary>Names of <see cref="TrainingMethod"/> as the CLI, logs and checkpoints write them.</summary>
public static class TrainingMethodNames
{
    /// <summary>The lower-case name: <c>vanilla</c>, <c>mst</c> or <c>msun</c>.</summary>
    public static string ToName(this TrainingMethod method) => method switch
    {
        TrainingMethod.Vanilla => "vanilla",
        TrainingMethod.Mst => "mst",
        TrainingMethod.Msun => "msun",
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, "unknown training method."),
    };

    /// <summary>Parses <c>vanilla</c>, <c>mst</c> or <c>msun</c> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">Any other name; the message lists the known ones.</exception>
    public static TrainingMethod Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.ToLowerInvariant() switch
        {
            "vanilla" => TrainingMethod.Vanilla,
            "mst" => TrainingMethod.Mst,
            "msun" => TrainingMethod.Msun,
            _ => throw new ArgumentException($"Unknown training method '{name}'. Known methods: vanilla, mst, msun.", nameof(name)),
        };
    }
}
