namespace Msun.Analysis.Torch.Backbones;

/// <summary>
/// Declared description of one backbone stage (one of the paper's 5 blocks): where its output is
/// in the module tree and what shape that output has for a given input size.
/// </summary>
public sealed record StageSpec
{
    /// <summary>Creates a stage description; the reductions are cumulative from the network input.</summary>
    /// <param name="name">Module path (a <c>named_modules()</c> key) whose output is this stage's output; hooks go here.</param>
    /// <param name="outChannels">Channels of the stage output.</param>
    /// <param name="reductions">Every size-changing layer on the main path from the network input up to this stage's output, in order.</param>
    public StageSpec(string name, int outChannels, IReadOnlyList<SpatialOp> reductions)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(outChannels, 1);
        ArgumentNullException.ThrowIfNull(reductions);
        Name = name;
        OutChannels = outChannels;
        Reductions = reductions.ToArray();
        Stride = Reductions.Aggregate(1, (s, op) => s * op.Stride);
    }

    /// <summary>Module path whose output is the stage output (torchvision naming, e.g. <c>layer1</c>, <c>features.6</c>).</summary>
    public string Name { get; }

    /// <summary>Channels of the stage output.</summary>
    public int OutChannels { get; }

    /// <summary>Size-changing layers from the network input to this stage's output (cumulative), in order.</summary>
    public IReadOnlyList<SpatialOp> Reductions { get; }

    /// <summary>Cumulative spatial reduction (product of the strides): 4 for ResNet's layer1 at ImageNet size.</summary>
    public int Stride { get; }

    /// <summary>Output size along one axis for input size <paramref name="size"/>, applying each reduction's floor rule in turn.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The input is too small: some layer would output less than one pixel.</exception>
    public int OutputSize(int size)
    {
        var s = size;
        foreach (var op in Reductions)
        {
            s = op.OutputSize(s);
            if (s < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(size), size,
                    $"Input size {size} is too small for stage '{Name}': {op} would output {s} pixels.");
            }
        }

        return s;
    }

    /// <summary>Declared output shape (without batch) for an input of the given height and width.</summary>
    public FeatureShape OutputShape(int height, int width) => new(OutChannels, OutputSize(height), OutputSize(width));
}
