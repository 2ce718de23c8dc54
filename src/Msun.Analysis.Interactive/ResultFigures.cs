using Msun.Analysis.Core.Results;
using Msun.Analysis.Core.SplitSelection;
using Msun.Analysis.Reports;

namespace Msun.Analysis.Interactive;

/// <summary>The figure a notebook draws for each result record: the one choice shared by its HTML output and its PNG.</summary>
public static class ResultFigures
{
    /// <summary>CKA per block and probe size, ±1 std bands.</summary>
    public static Figure Profile(CkaProfile profile) => Figures.CkaProfile(profile);

    /// <summary>Several profiles on one chart.</summary>
    public static Figure Profiles(IReadOnlyList<CkaProfile> profiles) => Figures.CkaProfiles(profiles.Select(p => (Figures.LabelOf(p.Provenance), p)).ToList());

    /// <summary>The block × block heatmap.</summary>
    public static Figure Grid(CkaGridSummary grid) => Figures.CkaHeatmap(grid);

    /// <summary>The split drawn on its profile.</summary>
    public static Figure Split(SplitRecommendation split) => Figures.SplitOnProfile(split);

    /// <summary>Accuracy against test size, one line per model and scoring.</summary>
    public static Figure Accuracy(IReadOnlyList<MultiScaleAccuracy> results) => Figures.AccuracyBySize(results);

    /// <summary>MACs per image against test size.</summary>
    public static Figure Macs(MacTable macs) => Figures.MacsBySize(macs);

    /// <summary>The figures of any result record (or collection of them) the formatters know; empty for anything else.</summary>
    public static IReadOnlyList<Figure> Of(object? result) => result switch
    {
        CkaProfile p => [Profile(p)],
        IEnumerable<CkaProfile> ps when ps.Any() => [Profiles(ps.ToList())],
        CkaGridSummary g => [Grid(g)],
        SplitRecommendation s => [Split(s)],
        MultiScaleAccuracy a => [Accuracy([a])],
        MultiScaleEvaluationResult r => [Accuracy(r.All)],
        IEnumerable<MultiScaleAccuracy> a when a.Any() => [Accuracy(a.ToList())],
        MacTable m => [Macs(m)],
        _ => [],
    };
}
