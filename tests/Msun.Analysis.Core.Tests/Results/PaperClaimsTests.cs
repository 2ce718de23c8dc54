using Msun.Analysis.Core.Results;
using Msun.Analysis.Core.Statistics;

namespace Msun.Analysis.Core.Tests.Results;

public class PaperClaimsTests
{
    private static NamedDifference D(string sub, int? size, double low, double high, bool seeds = true) =>
        new("msun", sub, size, new DifferenceInterval((low + high) / 2, low, high, 0.95, 1e-4, seeds ? 1e-4 : double.NaN, 10, 3, 3, 2000));

    private static IReadOnlyList<ClaimVerdict> Judge(double mstLow, double mstHigh, double vanLow, double vanHigh, double smallLow, double smallHigh,
        double refLow, double refHigh) =>
        PaperClaims.Judge(D("mst", null, mstLow, mstHigh), D("vanilla", null, vanLow, vanHigh), D("vanilla", 8, smallLow, smallHigh), D("vanilla", 56, refLow, refHigh));

    [Fact]
    public void EachClaimHoldsWhenItsIntervalsSupportIt()
    {
        var c = Judge(0.01, 0.03, 0.02, 0.05, 0.10, 0.30, -0.005, 0.008);
        Assert.Equal([ClaimOutcome.Holds, ClaimOutcome.Holds, ClaimOutcome.Holds], c.Select(x => x.Outcome));
        Assert.Equal(["average", "smallest", "reference"], c.Select(x => x.Id));
        Assert.Contains("both intervals lie above 0", c[0].Evidence);
        Assert.Contains("msun − mst, mean over sizes: +2.00 pp [+1.00 pp, +3.00 pp]", c[0].Evidence);
        Assert.Contains("inside ±1.00 pp", c[2].Evidence);
    }

    [Fact]
    public void EachClaimFailsWhenAnIntervalContradictsIt()
    {
        var c = Judge(-0.03, -0.01, 0.02, 0.05, -0.2, -0.1, -0.05, -0.02);
        Assert.Equal([ClaimOutcome.Fails, ClaimOutcome.Fails, ClaimOutcome.Fails], c.Select(x => x.Outcome));
        Assert.Contains("the interval against MST lies below 0", c[0].Evidence);
        Assert.Contains("wholly below −1.00 pp", c[2].Evidence);
        // Better than Vanilla by more than the margin also fails "about equal".
        Assert.Equal(ClaimOutcome.Fails, Judge(0.01, 0.03, 0.02, 0.05, 0.1, 0.3, 0.011, 0.03)[2].Outcome);
    }

    [Fact]
    public void IntervalsAcrossTheBoundaryLeaveTheClaimUndecided()
    {
        var c = Judge(-0.01, 0.03, 0.02, 0.05, -0.01, 0.2, -0.02, 0.005);
        Assert.Equal([ClaimOutcome.Undecided, ClaimOutcome.Undecided, ClaimOutcome.Undecided], c.Select(x => x.Outcome));
        Assert.Contains("the interval against MST include 0", c[0].Evidence);
        Assert.Contains("crosses ±1.00 pp", c[2].Evidence);
        // Exactly on the margin counts as inside (closed interval), just past it does not.
        Assert.Equal(ClaimOutcome.Holds, Judge(0.01, 0.03, 0.02, 0.05, 0.1, 0.3, -0.01, 0.01)[2].Outcome);
    }

    [Fact]
    public void OneSeedIsSaidInTheEvidence()
    {
        var c = PaperClaims.Judge(D("mst", null, 0.01, 0.02, seeds: false), D("vanilla", null, 0.01, 0.02, seeds: false),
            D("vanilla", 8, 0.1, 0.2, seeds: false), D("vanilla", 56, 0, 0.001, seeds: false));
        Assert.All(c, x => Assert.Contains("seed variation not estimated", x.Evidence));
    }
}
