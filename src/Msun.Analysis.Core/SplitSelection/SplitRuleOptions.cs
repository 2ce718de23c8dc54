namespace Msun.Analysis.Core.SplitSelection;

/// <summary>Where the threshold τ that separates scale-sensitive from recovered blocks comes from.</summary>
public enum ThresholdRule
{
    /// <summary>
    /// τ = (min + max) / 2 of the considered blocks' mean CKA, per probe: relative to the profile itself,
    /// so it works for the biased, debiased and minibatch estimators alike, whose scales differ.
    /// </summary>
    Midpoint,
    /// <summary>τ = <see cref="SplitRuleOptions.FixedThreshold"/> for every probe.</summary>
    Fixed,
}

/// <summary>How a block's uncertainty enters the decision.</summary>
public enum UncertaintyRule
{
    /// <summary>Means only: a block is recovered when its mean CKA ≥ τ.</summary>
    None,
    /// <summary>mean ± z·std over the repeats (the ±1 std bands of the paper's figure when z = 1): the spread of one repeat.</summary>
    StandardDeviationBand,
    /// <summary>mean ± z·std/√k: the spread of the mean of k repeats; narrower, for many repeats.</summary>
    StandardErrorBand,
    /// <summary>The cell's bootstrap interval [low, high]; every considered block must have one.</summary>
    ConfidenceInterval,
}

/// <summary>Which blocks the recommended split counts.</summary>
public enum SplitBoundary
{
    /// <summary>
    /// The leading run of blocks whose CKA has not (clearly) recovered: exactly the blocks whose outputs
    /// the study shows to be scale-sensitive. The default.
    /// </summary>
    SensitivePrefix,
    /// <summary>
    /// That run plus the first recovered block (0 stays 0): the block that receives scale-sensitive input
    /// and returns scale-consistent features is given per scale too. MSUN's ResNet-50 split (stem + layer1,
    /// "split after block 2") follows this convention on the published profile.
    /// </summary>
    ThroughFirstRecovered,
}

/// <summary>Which probe sizes of a profile the rule reads.</summary>
public enum ProbeChoice
{
    /// <summary>The smallest probe only: the largest scale gap, the one the paper plots (32 vs 224).</summary>
    Smallest,
    /// <summary>Every probe; the recommendation is the largest per-probe split, so every scale gets a subnet deep enough for it.</summary>
    All,
}

/// <summary>
/// Options of the split rule (<see cref="SplitSelector"/>); validated at construction and recorded in
/// every <see cref="SplitRecommendation"/>.
/// </summary>
public sealed record SplitRuleOptions
{
    /// <summary>Creates the options.</summary>
    /// <param name="threshold">Where τ comes from (midpoint of the profile by default).</param>
    /// <param name="fixedThreshold">τ under <see cref="ThresholdRule.Fixed"/>; in (0, 1]. Default 0.8.</param>
    /// <param name="minimumContrast">
    /// When max − min of the considered means is below this, the profile is flat: no block stands out, and
    /// the rule recommends 0 with a warning. In [0, 1]; default 0.1.
    /// </param>
    /// <param name="uncertainty">How block uncertainty enters (±1 std band by default).</param>
    /// <param name="z">Width of a std or standard-error band in units of it; positive, default 1.</param>
    /// <param name="headBlocks">
    /// Trailing blocks left out of the rule (default 1): the last block's CKA is low because it turns
    /// class-specific, not because it is scale-sensitive, and MSUN gives it no subnet.
    /// </param>
    /// <param name="boundary">Whether the first recovered block is counted into the split.</param>
    /// <param name="probes">Which probe sizes are read.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value outside its range (named).</exception>
    public SplitRuleOptions(
        ThresholdRule threshold = ThresholdRule.Midpoint, double fixedThreshold = 0.8, double minimumContrast = 0.1,
        UncertaintyRule uncertainty = UncertaintyRule.StandardDeviationBand, double z = 1.0, int headBlocks = 1,
        SplitBoundary boundary = SplitBoundary.SensitivePrefix, ProbeChoice probes = ProbeChoice.Smallest)
    {
        if (!(fixedThreshold > 0 && fixedThreshold <= 1))
            throw new ArgumentOutOfRangeException(nameof(fixedThreshold), fixedThreshold, "a fixed CKA threshold must lie in (0, 1].");
        if (!(minimumContrast >= 0 && minimumContrast <= 1))
            throw new ArgumentOutOfRangeException(nameof(minimumContrast), minimumContrast, "the minimum contrast must lie in [0, 1].");
        if (!(z > 0 && double.IsFinite(z)))
            throw new ArgumentOutOfRangeException(nameof(z), z, "the band width z must be a positive finite number.");
        if (headBlocks < 0)
            throw new ArgumentOutOfRangeException(nameof(headBlocks), headBlocks, "the number of excluded head blocks cannot be negative.");
        if (!Enum.IsDefined(threshold)) throw new ArgumentOutOfRangeException(nameof(threshold), threshold, null);
        if (!Enum.IsDefined(uncertainty)) throw new ArgumentOutOfRangeException(nameof(uncertainty), uncertainty, null);
        if (!Enum.IsDefined(boundary)) throw new ArgumentOutOfRangeException(nameof(boundary), boundary, null);
        if (!Enum.IsDefined(probes)) throw new ArgumentOutOfRangeException(nameof(probes), probes, null);
        Threshold = threshold;
        FixedThreshold = fixedThreshold;
        MinimumContrast = minimumContrast;
        Uncertainty = uncertainty;
        Z = z;
        HeadBlocks = headBlocks;
        Boundary = boundary;
        Probes = probes;
    }

    /// <summary>Where τ comes from.</summary>
    public ThresholdRule Threshold { get; }

    /// <summary>τ under <see cref="ThresholdRule.Fixed"/>.</summary>
    public double FixedThreshold { get; }

    /// <summary>Below this spread of the considered means the profile counts as flat.</summary>
    public double MinimumContrast { get; }

    /// <summary>How block uncertainty enters.</summary>
    public UncertaintyRule Uncertainty { get; }

    /// <summary>Band width in stds or standard errors.</summary>
    public double Z { get; }

    /// <summary>Trailing blocks excluded as the head.</summary>
    public int HeadBlocks { get; }

    /// <summary>Whether the first recovered block is counted.</summary>
    public SplitBoundary Boundary { get; }

    /// <summary>Which probes are read.</summary>
    public ProbeChoice Probes { get; }
}
