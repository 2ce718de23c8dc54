namespace Msun.Analysis.Torch.Training;

/// <summary>Picks the objective of a method. A factory of its own, so that the base type never constructs its subclasses.</summary>
public static class TrainingObjectives
{
    /// <summary>The objective of <paramref name="options"/>' method.</summary>
    public static TrainingObjective For(TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Method switch
        {
            TrainingMethod.Vanilla => new VanillaObjective(),
            TrainingMethod.Mst => new MstObjective(options.ReferenceSize, options.Scales),
            TrainingMethod.Msun => new ScaleInvariantObjective(options.Msun!),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Method, "unknown training method."),
        };
    }
}
