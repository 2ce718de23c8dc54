namespace Msun.Analysis.Torch.Training;

/// <summary>How one plain network is trained: the paper's two baselines (§2 of MSUN-METHOD.md).</summary>
public enum TrainingMethod
{
    /// <summary>One network, trained at the reference size only: cross-entropy on the batch as given.</summary>
    Vanilla,

    /// <summary>
    /// Multi-scale training: one network; every batch is also shrunk to each extra scale and brought back up
    /// to the reference size (bilinear, align_corners = false), and the cross-entropy losses of all scales are summed.
    /// </summary>
    Mst,
}

/// <summary>Names of <see cref="TrainingMethod"/> as the CLI, logs and checkpoints write them.</summary>
public static class TrainingMethodNames
{
    /// <summary>The lower-case name: <c>vanilla</c> or <c>mst</c>.</summary>
    public static string ToName(this TrainingMethod method) => method switch
    {
        TrainingMethod.Vanilla => "vanilla",
        TrainingMethod.Mst => "mst",
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, "unknown training method."),
    };

    /// <summary>Parses <c>vanilla</c> or <c>mst</c> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">Any other name; the message lists the known ones.</exception>
    public static TrainingMethod Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.ToLowerInvariant() switch
        {
            "vanilla" => TrainingMethod.Vanilla,
            "mst" => TrainingMethod.Mst,
            _ => throw new ArgumentException($"Unknown training method '{name}'. Known methods: vanilla, mst.", nameof(name)),
        };
    }
}
