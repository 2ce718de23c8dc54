using System.Globalization;
using System.Text;

namespace Msun.Analysis.Core.SplitSelection;

/// <summary>CKA evidence for one block at one probe size: what the split rule reads.</summary>
/// <param name="Block">Block name.</param>
/// <param name="Index">1-based position in the network.</param>
/// <param name="Mean">Mean CKA over the repeats (must be a number for a considered block).</param>
/// <param name="StandardDeviation">Sample std over the repeats; null when unknown (one repeat, or a published mean).</param>
/// <param name="Repeats">How many repeats the mean is over.</param>
/// <param name="IntervalLow">Lower bound of a confidence interval, if any.</param>
/// <param name="IntervalHigh">Upper bound of a confidence interval, if any.</param>
/// <param name="UndefinedReason">Why <paramref name="Mean"/> is NaN, if it is; used in error messages.</param>
public sealed record BlockCka(string Block, int Index, double Mean, double? StandardDeviation = null, int Repeats = 1,
    double? IntervalLow = null, double? IntervalHigh = null, string? UndefinedReason = null);

/// <summary>How the rule classified a block.</summary>
public enum BlockStatus
{
    /// <summary>Clearly below τ: the whole band lies below it.</summary>
    Sensitive,
    /// <summary>The band straddles τ: not clearly recovered, so it stays in the sensitive run (conservative).</summary>
    Ambiguous,
    /// <summary>The whole band is at or above τ.</summary>
    Recovered,
    /// <summary>A trailing block left out of the rule.</summary>
    Head,
}

/// <summary>One block's decision.</summary>
/// <param name="Block">Block name.</param>
/// <param name="Index">1-based position.</param>
/// <param name="Mean">Mean CKA.</param>
/// <param name="Lower">Lower end of its band (= mean without uncertainty).</param>
/// <param name="Upper">Upper end of its band.</param>
/// <param name="Status">The classification.</param>
public sealed record BlockDecision(string Block, int Index, double Mean, double Lower, double Upper, BlockStatus Status);

/// <summary>The rule applied to one probe size.</summary>
/// <param name="Probe">Probe input size.</param>
/// <param name="Threshold">τ used for this probe.</param>
/// <param name="Contrast">max − min of the considered means.</param>
/// <param name="SensitivePrefix">Leading blocks not clearly recovered (uncertainty applied).</param>
/// <param name="SensitivePrefixAtMeans">Leading blocks with mean &lt; τ (uncertainty ignored).</param>
/// <param name="Split">This probe's split under the options' boundary convention.</param>
/// <param name="SplitAtMeans">The same, uncertainty ignored.</param>
/// <param name="LargestRiseAfter">Index of the block after which the considered means rise most (the knee), or null when none rises.</param>
/// <param name="Blocks">Every block's decision, head included, in network order.</param>
/// <param name="Warnings">What the reader should know about this probe.</param>
public sealed record ProbeSplit(int Probe, double Threshold, double Contrast, int SensitivePrefix, int SensitivePrefixAtMeans,
    int Split, int SplitAtMeans, int? LargestRiseAfter, IReadOnlyList<BlockDecision> Blocks, IReadOnlyList<string> Warnings);

/// <summary>
/// A recommended split: the number of leading blocks that get a per-scale subnet, with the evidence
/// behind it (per probe: τ, each block's band and status, the knee) and warnings. Made by <see cref="SplitSelector"/>.
/// </summary>
/// <param name="Split">Recommended number of leading blocks with per-scale subnets (0 = no split).</param>
/// <param name="SplitAtMeans">What the rule gives on the means alone; differs from <paramref name="Split"/> when uncertainty decided.</param>
/// <param name="Probes">Per-probe evidence.</param>
/// <param name="Options">The rule's options.</param>
/// <param name="Warnings">Warnings of every probe, prefixed with it, plus cross-probe ones.</param>
public sealed record SplitRecommendation(int Split, int SplitAtMeans, IReadOnlyList<ProbeSplit> Probes,
    SplitRuleOptions Options, IReadOnlyList<string> Warnings)
{
    /// <summary>A plain-text account of the decision, for logs and reports: the rule, τ, every block, the knee, warnings.</summary>
    public string Explain()
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        var first = Probes[0];
        var names = first.Blocks.Take(Split).Select(b => b.Block).ToList();
        int total = first.Blocks.Count;
        sb.Append(ci, $"Recommended split: {Split}");
        sb.Append(Split == 0
            ? " (no per-scale subnet)."
            : $" — blocks 1..{Split} ({string.Join(", ", names)}) get a per-scale subnet; blocks {Split + 1}..{total} are shared.");
        sb.Append('\n');
        if (SplitAtMeans != Split)
            sb.Append(ci, $"Uncertainty decided: on the means alone the rule gives {SplitAtMeans}.\n");
        sb.Append("Rule: ").Append(Describe(Options)).Append('\n');
        foreach (var p in Probes)
        {
            sb.Append(ci, $"Probe {p.Probe}: τ = {p.Threshold:0.###}, contrast {p.Contrast:0.###}, split {p.Split}")
              .Append(p.SplitAtMeans != p.Split ? string.Create(ci, $" ({p.SplitAtMeans} at the means)") : "").Append('\n');
            int width = p.Blocks.Max(b => b.Block.Length);
            bool firstRecovered = true;
            foreach (var b in p.Blocks)
            {
                sb.Append(ci, $"  {b.Index,2} {b.Block.PadRight(width)}  {b.Mean:0.000}");
                sb.Append(b.Lower == b.Upper || b.Status == BlockStatus.Head ? new string(' ', 16) : string.Create(ci, $"  [{b.Lower:0.000}, {b.Upper:0.000}]"));
                sb.Append("  ").Append(b.Status switch
                {
                    BlockStatus.Sensitive => "sensitive",
                    BlockStatus.Ambiguous => "ambiguous (band straddles τ)",
                    BlockStatus.Recovered when firstRecovered => "recovered  ← first recovered",
                    BlockStatus.Recovered => "recovered",
                    _ => "head (excluded)",
                });
                if (b.Status == BlockStatus.Recovered) firstRecovered = false;
                sb.Append('\n');
            }
            if (p.LargestRiseAfter is { } k)
            {
                var from = p.Blocks.First(b => b.Index == k);
                var to = p.Blocks[p.Blocks.ToList().IndexOf(from) + 1];
                bool agrees = p.Blocks.TakeWhile(b => b.Index <= k).Count() == p.SensitivePrefixAtMeans;
                sb.Append(ci, $"  Largest rise: block {from.Index} → {to.Index} ({to.Mean - from.Mean:+0.00;-0.00}), ")
                  .Append(agrees ? "where the means cross τ too.\n" : "not where the means cross τ.\n");
            }
            if (p.SensitivePrefix > 0 && p.SensitivePrefix < p.Blocks.Count(b => b.Status != BlockStatus.Head))
            {
                int other = Options.Boundary == SplitBoundary.SensitivePrefix ? p.SensitivePrefix + 1 : p.SensitivePrefix;
                sb.Append(Options.Boundary == SplitBoundary.SensitivePrefix
                    ? string.Create(ci, $"  Counting the first recovered block into the subnet (as MSUN's ResNet-50 split does) would give {other}.\n")
                    : string.Create(ci, $"  The sensitive blocks alone are {other}; this convention adds the first recovered block.\n"));
            }
        }
        foreach (string w in Warnings) sb.Append("Warning: ").Append(w).Append('\n');
        return sb.ToString();
    }

    private static string Describe(SplitRuleOptions o)
    {
        var ci = CultureInfo.InvariantCulture;
        string tau = o.Threshold == ThresholdRule.Midpoint
            ? "τ = midpoint of the min and max considered mean"
            : string.Create(ci, $"τ = {o.FixedThreshold:0.###} (fixed)");
        string band = o.Uncertainty switch
        {
            UncertaintyRule.None => "means only",
            UncertaintyRule.StandardDeviationBand => string.Create(ci, $"a block is recovered when mean − {o.Z:0.##}·std ≥ τ"),
            UncertaintyRule.StandardErrorBand => string.Create(ci, $"a block is recovered when mean − {o.Z:0.##}·std/√k ≥ τ"),
            _ => "a block is recovered when its confidence interval's low end ≥ τ",
        };
        string boundary = o.Boundary == SplitBoundary.SensitivePrefix
            ? "the leading run of blocks before the first recovered block"
            : "the leading run of blocks through the first recovered block";
        string probes = o.Probes == ProbeChoice.Smallest ? "smallest probe" : "every probe, largest split";
        return string.Create(ci, $"{boundary}; {tau}; {band}; last {o.HeadBlocks} block(s) excluded as the head; {probes}; profiles with contrast < {o.MinimumContrast:0.###} are flat (split 0).");
    }
}
