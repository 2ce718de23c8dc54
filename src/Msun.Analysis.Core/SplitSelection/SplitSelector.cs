using System.Globalization;
using Msun.Analysis.Core.Results;

namespace Msun.Analysis.Core.SplitSelection;

/// <summary>
/// Turns a layer-wise CKA profile (reference size vs probe size, docs/METHOD.md §1) into a
/// recommended split: how many leading blocks get a per-scale subnet (§2).
/// </summary>
/// <remarks>
/// <para>The rule, per probe size (the smallest by default):</para>
/// <list type="number">
/// <item>Drop the last <see cref="SplitRuleOptions.HeadBlocks"/> blocks (default 1). Their CKA is low
/// because they turn class-specific, not because they are scale-sensitive; MSUN gives them no subnet.
/// The rest are the considered blocks.</item>
/// <item>τ = (min + max)/2 of the considered means (<see cref="ThresholdRule.Midpoint"/>, the default), or a
/// fixed value. If max − min &lt; <see cref="SplitRuleOptions.MinimumContrast"/> (0.1) the profile is
/// flat: no block stands out as scale-sensitive, the split is 0, and a warning says so. Recommending 0
/// rather than 1 is deliberate: a split must be justified by contrast, and a flat profile has none.</item>
/// <item>Each considered block gets a band: its mean alone, mean ± z·std over repeats (the default, z = 1,
/// the ±1 std bands of the paper's figure), mean ± z·std/√k, or its bootstrap interval. It is
/// <i>recovered</i> when the whole band is ≥ τ, <i>sensitive</i> when the whole band is &lt; τ, and
/// <i>ambiguous</i> otherwise.</item>
/// <item>The sensitive prefix is the leading run of blocks that are not recovered. Ambiguous blocks stay in
/// it: sharing a block that needed its own subnet costs accuracy, giving one a subnet that did not need
/// it costs only parameters, so doubt extends the split.</item>
/// <item>Split = the sensitive prefix (<see cref="SplitBoundary.SensitivePrefix"/>, the default), or the
/// prefix plus the first recovered block (<see cref="SplitBoundary.ThroughFirstRecovered"/>; 0 stays 0).
/// Under <see cref="ProbeChoice.All"/> the recommendation is the largest per-probe split.</item>
/// </list>
/// <para>The recommendation also records the split on the means alone, the knee (where the considered
/// means rise most) and warnings: flat profile, no block recovers, a block that falls below τ again after
/// recovery (the leading-run rule gives it no subnet), uncertainty that changed the answer, probes that
/// disagree.</para>
/// <para>On the published ResNet-50 baseline profile (0.52 0.86 0.84 0.77 0.39, probe 32 vs 224) the head
/// layer4 (0.39) is dropped; τ = (0.52 + 0.86)/2 = 0.69; the stem (0.52) is sensitive and layer1 (0.86) is
/// already recovered, and the largest rise is from block 1 to 2, so the default rule recommends
/// <b>1</b> (the stem only). The authors chose <b>2</b> (stem + layer1, "split after block 2"). The
/// difference is a convention, not a different reading of the curve: by the end of layer1 the baseline's
/// features are already scale-consistent, so the CKA evidence singles out the stem alone; the authors also
/// gave a per-scale copy to layer1, the block that receives the scale-sensitive stem output and returns
/// scale-consistent features. <see cref="SplitBoundary.ThroughFirstRecovered"/> encodes that convention
/// and gives 2. A fixed τ = 0.8 also gives 1, with a warning that layer3 (0.77) dips below τ. The published
/// stds are not given, so these cases use means only.</para>
/// </remarks>
public static class SplitSelector
{
    /// <summary>Applies the rule to a measured profile (see the remarks).</summary>
    /// <exception cref="ArgumentException">Too few blocks, a NaN mean or missing uncertainty on a considered block (named with its probe).</exception>
    public static SplitRecommendation Recommend(CkaProfile profile, SplitRuleOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(profile);
        options ??= new SplitRuleOptions();
        IEnumerable<int> probes = options.Probes == ProbeChoice.Smallest ? [profile.Probes[0]] : profile.Probes;
        var evidence = probes.Select(p => (p, (IReadOnlyList<BlockCka>)profile.Blocks.Select(b =>
        {
            var cell = profile.Cell(b.Name, p);
            var s = cell.Summary;
            return new BlockCka(b.Name, b.Index, s.Mean,
                double.IsNaN(s.StandardDeviation) ? null : s.StandardDeviation, s.UsedCount,
                cell.Interval?.Low, cell.Interval?.High, s.UndefinedReason);
        }).ToList()));
        return Combine(evidence.Select(e => ForProbe(e.Item2, e.p, options)).ToList(), options);
    }

    /// <summary>Applies the rule to the blocks of one probe size, in network order.</summary>
    /// <exception cref="ArgumentException">See <see cref="Recommend(CkaProfile, SplitRuleOptions?)"/>.</exception>
    public static SplitRecommendation Recommend(IReadOnlyList<BlockCka> blocks, int probe, SplitRuleOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        options ??= new SplitRuleOptions();
        return Combine([ForProbe(blocks, probe, options)], options);
    }

    /// <summary>
    /// Applies the rule to bare numbers, e.g. a published profile: block names and mean CKA in network order,
    /// optionally the std of each (over an unknown number of repeats, so the standard-error band is unavailable).
    /// Blocks are indexed 1, 2, … .
    /// </summary>
    /// <exception cref="ArgumentException">Lists of different lengths, or see <see cref="Recommend(CkaProfile, SplitRuleOptions?)"/>.</exception>
    public static SplitRecommendation Recommend(IReadOnlyList<string> blocks, IReadOnlyList<double> means,
        IReadOnlyList<double>? standardDeviations, int probe, SplitRuleOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentNullException.ThrowIfNull(means);
        if (means.Count != blocks.Count)
            throw new ArgumentException($"{blocks.Count} block names but {means.Count} means: one mean per block.", nameof(means));
        if (standardDeviations is not null && standardDeviations.Count != blocks.Count)
            throw new ArgumentException($"{blocks.Count} block names but {standardDeviations.Count} standard deviations: one per block.", nameof(standardDeviations));
        var evidence = blocks.Select((name, i) => new BlockCka(name, i + 1, means[i], standardDeviations?[i], Repeats: 0)).ToList();
        return Recommend(evidence, probe, options);
    }

    private static ProbeSplit ForProbe(IReadOnlyList<BlockCka> blocks, int probe, SplitRuleOptions o)
    {
        var ci = CultureInfo.InvariantCulture;
        if (blocks.Count == 0)
            throw new ArgumentException($"the CKA profile for probe {probe} has no blocks.", nameof(blocks));
        foreach (var b in blocks) ArgumentNullException.ThrowIfNull(b);
        int considered = blocks.Count - o.HeadBlocks;
        int needed = o.Threshold == ThresholdRule.Midpoint ? 2 : 1;
        if (considered < needed)
            throw new ArgumentException(
                $"the profile for probe {probe} has {blocks.Count} blocks; with {o.HeadBlocks} excluded as the head, {considered} remain, and the {o.Threshold} rule needs at least {needed}.", nameof(blocks));
        var warnings = new List<string>();
        for (int i = 0; i < blocks.Count; i++)
        {
            var b = blocks[i];
            if (double.IsFinite(b.Mean)) continue;
            string why = b.UndefinedReason is null ? "" : $" ({b.UndefinedReason})";
            if (i < considered)
                throw new ArgumentException($"block {b.Block} at probe {probe} has mean CKA {b.Mean}{why}; the split rule needs a number for every considered block.", nameof(blocks));
            warnings.Add($"head block {b.Block} has mean CKA {b.Mean}{why}; it is excluded from the rule anyway.");
        }

        double min = blocks.Take(considered).Min(b => b.Mean), max = blocks.Take(considered).Max(b => b.Mean);
        double tau = o.Threshold == ThresholdRule.Midpoint ? (min + max) / 2 : o.FixedThreshold;
        double contrast = max - min;
        bool flat = contrast < o.MinimumContrast;

        var decisions = new List<BlockDecision>(blocks.Count);
        for (int i = 0; i < blocks.Count; i++)
        {
            var b = blocks[i];
            if (i >= considered)
            {
                decisions.Add(new BlockDecision(b.Block, b.Index, b.Mean, b.Mean, b.Mean, BlockStatus.Head));
                continue;
            }
            var (lower, upper) = Band(b, probe, o);
            var status = lower >= tau ? BlockStatus.Recovered : upper < tau ? BlockStatus.Sensitive : BlockStatus.Ambiguous;
            decisions.Add(new BlockDecision(b.Block, b.Index, b.Mean, lower, upper, status));
        }

        int prefix = decisions.Take(considered).TakeWhile(d => d.Status != BlockStatus.Recovered).Count();
        int prefixAtMeans = decisions.Take(considered).TakeWhile(d => d.Mean < tau).Count();
        int? knee = null;
        double rise = 0;
        for (int i = 0; i + 1 < considered; i++)
            if (blocks[i + 1].Mean - blocks[i].Mean > rise)
            {
                rise = blocks[i + 1].Mean - blocks[i].Mean;
                knee = blocks[i].Index;
            }

        int split = Boundary(prefix, considered, o), splitAtMeans = Boundary(prefixAtMeans, considered, o);
        if (flat)
        {
            warnings.Add(string.Create(ci,
                $"flat profile: the considered blocks span only {contrast:0.###} (< {o.MinimumContrast:0.###}); no block stands out as scale-sensitive, so there is no evidence for a split (0)."));
            split = splitAtMeans = 0;
        }
        else
        {
            if (prefix == considered)
                warnings.Add(string.Create(ci,
                    $"no considered block clearly recovers (every band reaches below τ = {tau:0.###}); the split covers every considered block, leaving only the head shared: more repeats or a lower z would sharpen this."));
            if (prefix != prefixAtMeans)
            {
                var straddling = decisions.Where(d => d.Status == BlockStatus.Ambiguous).Select(d => d.Block).ToList();
                warnings.Add($"uncertainty changed the answer: {string.Join(", ", straddling)} {(straddling.Count == 1 ? "straddles" : "straddle")} τ; on the means alone the split would be {splitAtMeans}.");
            }
            var dips = decisions.Skip(prefixAtMeans).Take(considered - prefixAtMeans).Where(d => d.Mean < tau).ToList();
            if (dips.Count > 0)
                warnings.Add(string.Create(ci,
                    $"{string.Join(", ", dips.Select(d => $"{d.Block} ({d.Mean:0.###})"))} fall(s) below τ = {tau:0.###} again after the profile recovered; the leading-run rule gives no subnet to it."));
        }
        return new ProbeSplit(probe, tau, contrast, prefix, prefixAtMeans, split, splitAtMeans, knee, decisions, warnings);
    }

    private static int Boundary(int prefix, int considered, SplitRuleOptions o) =>
        o.Boundary == SplitBoundary.ThroughFirstRecovered && prefix > 0 ? Math.Min(prefix + 1, considered) : prefix;

    private static (double Lower, double Upper) Band(BlockCka b, int probe, SplitRuleOptions o)
    {
        switch (o.Uncertainty)
        {
            case UncertaintyRule.None:
                return (b.Mean, b.Mean);
            case UncertaintyRule.StandardDeviationBand:
            case UncertaintyRule.StandardErrorBand:
                if (b.StandardDeviation is not { } std || !double.IsFinite(std) || std < 0)
                    throw new ArgumentException(
                        $"block {b.Block} at probe {probe} has no standard deviation (it needs at least 2 repeats); use {nameof(UncertaintyRule)}.{nameof(UncertaintyRule.None)} for means alone.");
                if (o.Uncertainty == UncertaintyRule.StandardErrorBand && b.Repeats < 2)
                    throw new ArgumentException(
                        $"block {b.Block} at probe {probe}: a standard-error band needs the number of repeats (≥ 2); got {b.Repeats}.");
                double half = o.Z * (o.Uncertainty == UncertaintyRule.StandardErrorBand ? std / Math.Sqrt(b.Repeats) : std);
                return (b.Mean - half, b.Mean + half);
            default:
                if (b.IntervalLow is not { } low || b.IntervalHigh is not { } high || !double.IsFinite(low) || !double.IsFinite(high))
                    throw new ArgumentException(
                        $"block {b.Block} at probe {probe} has no (finite) confidence interval; compute one with Bootstrap.Percentile or choose another {nameof(UncertaintyRule)}.");
                return (low, high);
        }
    }

    private static SplitRecommendation Combine(IReadOnlyList<ProbeSplit> probes, SplitRuleOptions o)
    {
        var warnings = probes.SelectMany(p => p.Warnings.Select(w => $"probe {p.Probe}: {w}")).ToList();
        int split = probes.Max(p => p.Split), atMeans = probes.Max(p => p.SplitAtMeans);
        if (probes.Select(p => p.Split).Distinct().Count() > 1)
            warnings.Add($"probes disagree ({string.Join(", ", probes.Select(p => $"{p.Probe}: {p.Split}"))}); the largest split is recommended so that every scale is covered.");
        return new SplitRecommendation(split, atMeans, probes, o, warnings);
    }
}
