using System.Globalization;
using Msun.Analysis.Core.Statistics;

namespace Msun.Analysis.Core.Results;

/// <summary>What a 95 % interval says about one of the paper's claims.</summary>
public enum ClaimOutcome
{
    /// <summary>The interval(s) behind the claim support it.</summary>
    Holds,

    /// <summary>The interval(s) contradict it.</summary>
    Fails,

    /// <summary>The intervals are compatible with the claim and with its failure.</summary>
    Undecided,
}

/// <summary>A named paired difference (e.g. <c>msun − mst at 8 px</c>) and its interval.</summary>
/// <param name="Minuend">Method on the left of the minus.</param>
/// <param name="Subtrahend">Method on the right.</param>
/// <param name="Size">Test size in px; null for the average over the test sizes.</param>
/// <param name="Interval">The difference of accuracies (fractions in [−1, 1]) and its interval.</param>
public sealed record NamedDifference(string Minuend, string Subtrahend, int? Size, DifferenceInterval Interval)
{
    /// <summary>E.g. <c>msun − mst, mean over sizes: +1.23 pp [−0.40, +2.86]</c>.</summary>
    public string Describe()
    {
        var where = Size is int s ? string.Create(CultureInfo.InvariantCulture, $"at {s} px") : "mean over sizes";
        var seeds = Interval.IncludesSeedVariation ? "" : " (test images only: one seed, seed variation not estimated)";
        return $"{Minuend} − {Subtrahend}, {where}: {PaperClaims.Pp(Interval.Mean)} [{PaperClaims.Pp(Interval.Low)}, {PaperClaims.Pp(Interval.High)}]{seeds}";
    }
}

/// <summary>One of the paper's claims, judged from intervals.</summary>
/// <param name="Id">Short id (<c>average</c>, <c>smallest</c>, <c>reference</c>).</param>
/// <param name="Claim">The claim in words.</param>
/// <param name="Outcome">Holds, fails or undecided at the interval's level.</param>
/// <param name="Evidence">The rule applied and the interval(s) behind the word.</param>
public sealed record ClaimVerdict(string Id, string Claim, ClaimOutcome Outcome, string Evidence)
{
    /// <summary><c>holds</c>, <c>fails</c> or <c>undecided</c>.</summary>
    public string OutcomeName => Outcome.ToString().ToLowerInvariant();
}

/// <summary>
/// The paper's three accuracy claims, judged from 95 % intervals of paired differences (never from point estimates):
/// (1) MSUN's average accuracy over the test sizes beats MST's and Vanilla's; (2) MSUN gains over Vanilla at the
/// smallest size; (3) MSUN is about equal to Vanilla at the full (reference) size.
/// </summary>
/// <remarks>
/// Rules: (1) holds when both intervals (MSUN − MST, MSUN − Vanilla, mean over sizes) lie above 0, fails when either lies
/// below 0, else undecided. (2) holds when MSUN − Vanilla at the smallest size lies above 0, fails when it lies below 0,
/// else undecided; "large" is not judged — the interval's size is reported next to the paper's +42.19 pp (ResNet-50,
/// ImageNet, 32 px). (3) is an equivalence test with margin <see cref="EquivalenceMargin"/>: holds when the interval of
/// MSUN − Vanilla at the reference size lies inside ±margin, fails when it lies wholly outside, else undecided. The
/// margin (1 pp of top-1) was fixed before any run: the paper's own difference at 224 px is −0.12 pp. Each claim is
/// judged at its own 95 % level, without a multiplicity correction.
/// </remarks>
public static class PaperClaims
{
    /// <summary>Margin of "about equal" at the reference size: 1 percentage point of top-1 accuracy.</summary>
    public const double EquivalenceMargin = 0.01;

    /// <summary>Judges the three claims.</summary>
    /// <param name="msunVsMstMean">MSUN − MST, mean over sizes.</param>
    /// <param name="msunVsVanillaMean">MSUN − Vanilla, mean over sizes.</param>
    /// <param name="msunVsVanillaSmallest">MSUN − Vanilla at the smallest size.</param>
    /// <param name="msunVsVanillaReference">MSUN − Vanilla at the reference size.</param>
    public static IReadOnlyList<ClaimVerdict> Judge(NamedDifference msunVsMstMean, NamedDifference msunVsVanillaMean,
        NamedDifference msunVsVanillaSmallest, NamedDifference msunVsVanillaReference)
    {
        ArgumentNullException.ThrowIfNull(msunVsMstMean);
        ArgumentNullException.ThrowIfNull(msunVsVanillaMean);
        ArgumentNullException.ThrowIfNull(msunVsVanillaSmallest);
        ArgumentNullException.ThrowIfNull(msunVsVanillaReference);

        var t = msunVsMstMean.Interval;
        var v = msunVsVanillaMean.Interval;
        var average = t.AboveZero && v.AboveZero ? ClaimOutcome.Holds
            : t.BelowZero || v.BelowZero ? ClaimOutcome.Fails
            : ClaimOutcome.Undecided;
        var averageWhy = average switch
        {
            ClaimOutcome.Holds => "both intervals lie above 0",
            ClaimOutcome.Fails => $"{(t.BelowZero && v.BelowZero ? "both intervals lie" : t.BelowZero ? "the interval against MST lies" : "the interval against Vanilla lies")} below 0",
            _ => $"{(t.AboveZero ? "the interval against Vanilla" : v.AboveZero ? "the interval against MST" : "both intervals")} include 0",
        };

        var s = msunVsVanillaSmallest.Interval;
        var smallest = s.AboveZero ? ClaimOutcome.Holds : s.BelowZero ? ClaimOutcome.Fails : ClaimOutcome.Undecided;
        var smallestWhy = smallest switch
        {
            ClaimOutcome.Holds => "the interval lies above 0",
            ClaimOutcome.Fails => "the interval lies below 0",
            _ => "the interval includes 0",
        };

        var r = msunVsVanillaReference.Interval;
        var m = EquivalenceMargin;
        var reference = r.Low >= -m && r.High <= m ? ClaimOutcome.Holds
            : r.Low > m || r.High < -m ? ClaimOutcome.Fails
            : ClaimOutcome.Undecided;
        var referenceWhy = reference switch
        {
            ClaimOutcome.Holds => $"the interval lies inside ±{Pp(m, sign: false)}",
            ClaimOutcome.Fails => $"the interval lies wholly {(r.Low > m ? "above +" : "below −")}{Pp(m, sign: false)}",
            _ => $"the interval crosses ±{Pp(m, sign: false)}",
        };

        return
        [
            new ClaimVerdict("average", "MSUN's average accuracy over the test sizes beats MST's and Vanilla's", average,
                $"{averageWhy}: {msunVsMstMean.Describe()}; {msunVsVanillaMean.Describe()}"),
            new ClaimVerdict("smallest", "MSUN gains over Vanilla at the smallest test size (the paper: +42.19 pp for ResNet-50 at 32 px)", smallest,
                $"{smallestWhy}: {msunVsVanillaSmallest.Describe()}"),
            new ClaimVerdict("reference", string.Create(CultureInfo.InvariantCulture, $"MSUN is about equal to Vanilla at the full size (within ±{Pp(m, sign: false)})"), reference,
                $"{referenceWhy}: {msunVsVanillaReference.Describe()}"),
        ];
    }

    /// <summary>A difference of fractions in percentage points, e.g. <c>+1.23 pp</c>.</summary>
    internal static string Pp(double fraction, bool sign = true) =>
        (sign && fraction >= 0 ? "+" : "") + (100 * fraction).ToString("F2", CultureInfo.InvariantCulture) + " pp";
}
