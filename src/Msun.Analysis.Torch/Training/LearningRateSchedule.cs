namespace Msun.Analysis.Torch.Training;

/// <summary>
/// Linear warm-up then cosine decay to a floor, as a pure function of the optimiser step (the paper: 5 warm-up
/// epochs, cosine to 0.01 × lr). Being a function of the step alone, the schedule resumes from a checkpoint by
/// storing one integer, and it cannot drift from the count of steps taken.
/// </summary>
public sealed record LearningRateSchedule
{
    /// <summary>Creates a schedule over <paramref name="totalSteps"/> steps.</summary>
    /// <param name="peak">Rate at the end of warm-up.</param>
    /// <param name="warmupSteps">Steps of linear warm-up (0 for none); step i of it uses peak × (i + 1) / warmupSteps.</param>
    /// <param name="totalSteps">Steps of the whole run, warm-up included.</param>
    /// <param name="floorFraction">The cosine's end point as a fraction of <paramref name="peak"/>.</param>
    public LearningRateSchedule(double peak, int warmupSteps, int totalSteps, double floorFraction)
    {
        if (!(peak > 0) || !double.IsFinite(peak))
            throw new ArgumentOutOfRangeException(nameof(peak), peak, "peak must be a positive finite rate.");
        ArgumentOutOfRangeException.ThrowIfLessThan(totalSteps, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(warmupSteps, totalSteps);
        if (!(floorFraction >= 0 && floorFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(floorFraction), floorFraction, "floorFraction must lie in [0, 1].");
        Peak = peak;
        WarmupSteps = warmupSteps;
        TotalSteps = totalSteps;
        FloorFraction = floorFraction;
    }

    /// <summary>The schedule of <paramref name="options"/> for an epoch of <paramref name="stepsPerEpoch"/> steps.</summary>
    public static LearningRateSchedule For(TrainingOptions options, int stepsPerEpoch)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(stepsPerEpoch, 1);
        return new LearningRateSchedule(options.LearningRate, options.WarmupEpochs * stepsPerEpoch,
            options.Epochs * stepsPerEpoch, options.MinLearningRateFraction);
    }

    /// <summary>Rate at the end of warm-up.</summary>
    public double Peak { get; }

    /// <summary>Steps of linear warm-up.</summary>
    public int WarmupSteps { get; }

    /// <summary>Steps in the whole run.</summary>
    public int TotalSteps { get; }

    /// <summary>Final rate as a fraction of <see cref="Peak"/>.</summary>
    public double FloorFraction { get; }

    /// <summary>The rate for step <paramref name="step"/> (0-based); steps past the end keep the floor.</summary>
    public double At(long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (step < WarmupSteps)
            return Peak * (step + 1) / WarmupSteps;
        var floor = Peak * FloorFraction;
        var span = TotalSteps - WarmupSteps;
        if (span <= 0 || step >= TotalSteps)
            return floor;
        // Cosine from the peak at the first post-warm-up step towards the floor at TotalSteps (never quite reached;
        // the last step uses cos(π (span−1)/span)), the usual half-period cosine annealing.
        var progress = (double)(step - WarmupSteps) / span;
        return floor + (Peak - floor) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}
