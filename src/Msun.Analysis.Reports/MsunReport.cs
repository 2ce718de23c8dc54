using System.Globalization;
using Msun.Analysis.Core.Results;
using Msun.Analysis.Core.Tables;

namespace Msun.Analysis.Reports;

/// <summary>
/// The report of a results folder: every figure the files allow, the numbers behind each as a table, and the provenance
/// of every file, as one <see cref="HtmlReport"/>.
/// </summary>
public static class MsunReport
{
    /// <summary>Builds the report of the results found in <paramref name="results"/>.</summary>
    public static HtmlReport Build(ResultsFolder results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var report = new HtmlReport("MSUN analysis report");
        report.Paragraph($"Results folder: {results.Root}\nGenerated {DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC by msun report. "
            + "Every figure below is drawn from the files listed here; hover a point for its value.");
        report.Table("Result files read", ["file", "type", "label"],
            results.Profiles.Select(f => Row(f.RelativePath, "CKA profile", f.Label))
                .Concat(results.Grids.Select(f => Row(f.RelativePath, "CKA grid", f.Label)))
                .Concat(results.Splits.Select(f => Row(f.RelativePath, "split recommendation", f.Label)))
                .Concat(results.Accuracy.Select(f => Row(f.RelativePath, "multi-scale accuracy", string.Join("; ", f.Value.Select(a => MethodStyle.For(a.Model, a.Scoring).Label)))))
                .Concat(results.Macs.Select(f => Row(f.RelativePath, "MAC table", string.Join("; ", f.Value.Rows.Select(r => r.Model).Distinct())))));

        if (results.Profiles.Count > 0) Profiles(report, results);
        if (results.Grids.Count > 0) Grids(report, results);
        if (results.Splits.Count > 0) Splits(report, results);
        var accuracy = results.AllAccuracy();
        if (accuracy.Count > 0) Accuracy(report, accuracy, results.Seeds.FirstOrDefault()?.Value);
        var comparison = results.Comparisons.FirstOrDefault()?.Value;
        if (comparison is { Claims.Count: > 0 }) Claims(report, comparison);
        if (results.AllMacs() is { } macs) Costs(report, macs, comparison);

        report.Heading("Provenance");
        foreach (var f in results.Profiles) report.Provenance($"{f.RelativePath} ({f.Label})", f.Value.Provenance);
        foreach (var f in results.Grids) report.Provenance($"{f.RelativePath} ({f.Label})", f.Value.Provenance);
        foreach (var f in results.Splits) report.Provenance($"{f.RelativePath} (rule options)", SplitOptions(f.Value));
        foreach (var f in results.Accuracy)
            foreach (var r in f.Value)
                report.Provenance($"{f.RelativePath}: {MethodStyle.For(r.Model, r.Scoring).Label}", r.Provenance);
        foreach (var f in results.Macs) report.Provenance(f.RelativePath, f.Value.Provenance);
        return report;
    }

    private static void Profiles(HtmlReport report, ResultsFolder results)
    {
        report.Heading("Layer-wise CKA across input scales");
        report.Paragraph("CKA between each block's activations at the reference size and at a probe size (the image shrunk to the probe size and resized back), mean ± 1 std over the repeats. Low values mark scale-sensitive blocks.");
        var groups = results.Profiles.GroupBy(p => string.Join(",", p.Value.Blocks.Select(b => b.Name))).ToArray();
        foreach (var g in groups.Where(g => g.Count() > 1))
            report.Add(Figures.CkaProfiles([.. g.Select(p => (p.Label, p.Value))]));
        foreach (var f in results.Profiles)
        {
            var profile = f.Value;
            report.Add(Figures.CkaProfile(profile, f.Label));
            report.Table(ResultTables.Profile(profile, f.Label));
            if (ResultTables.ProfileNull(profile) is { } nullTable) report.Table(nullTable);
        }
    }

    private static void Grids(HtmlReport report, ResultsFolder results)
    {
        report.Heading("Block × block CKA");
        report.Paragraph("Each block at the reference size (rows) against each block at the probe size (columns), mean over the repeats. "
            + "With two studies over the same blocks, their difference is shown too (this is not CKA between two models' activations, which the grid files do not hold).");
        foreach (var f in results.Grids)
        {
            var g = f.Value;
            report.Add(Figures.CkaHeatmap(g, f.Label));
            report.Table(ResultTables.Grid(g, f.Label));
        }

        var pairs = results.Grids.GroupBy(f => string.Join(",", f.Value.RowBlocks) + ";" + string.Join(",", f.Value.ColumnBlocks)).Where(g => g.Count() > 1);
        foreach (var pair in pairs)
        {
            var items = pair.ToArray();
            // MSUN minus the baseline reads naturally ("how much more scale-consistent"); otherwise file order.
            var a = items.FirstOrDefault(i => MethodStyle.MethodOf(i.Label) == "msun") ?? items[1];
            var b = items.First(i => !ReferenceEquals(i, a));
            report.Add(Figures.CkaHeatmapDifference(a.Value, a.Label, b.Value, b.Label));
        }
    }

    private static void Splits(HtmlReport report, ResultsFolder results)
    {
        report.Heading("Split recommendation");
        foreach (var f in results.Splits)
        {
            var s = f.Value;
            report.Add(Figures.SplitOnProfile(s, f.Label));
            report.Preformatted(s.Explain());
            foreach (var table in ResultTables.Split(s, f.Label)) report.Table(table);
        }
    }

    private static void Accuracy(HtmlReport report, IReadOnlyList<MultiScaleAccuracy> accuracy, SeedAccuracyTable? seeds)
    {
        report.Heading("Accuracy across test sizes");
        report.Paragraph("Top-1 accuracy on the test images shrunk to each test size. Routed: each size goes to the branch the model routes it to (the deployable figure); "
            + "best-of-branches: the best branch per size (the paper's oracle choice); branch:NAME: one subnet at every size.");
        report.Add(Figures.AccuracyBySize(accuracy));
        report.Add(Figures.AverageAccuracyBars(accuracy));
        report.Table(ResultTables.Accuracy(accuracy));
        if (seeds is not null) report.Table(ResultTables.SeedAccuracy(seeds));
    }

    private static void Claims(HtmlReport report, MethodComparison comparison)
    {
        report.Heading("The paper's claims");
        report.Paragraph("Each claim is judged from 95 % intervals of paired differences over the same test images and the training seeds (comparison.json), never from point estimates.");
        report.Table(ResultTables.Claims(comparison));
        report.Table(ResultTables.Differences(comparison));
    }

    private static void Costs(HtmlReport report, MacTable macs, MethodComparison? comparison)
    {
        report.Heading("Parameters and MACs");
        report.Paragraph("Multiply-accumulates per image of the network that runs at each test size (Vanilla and MST upsample to the reference size first, so they cost the same and their lines coincide; MSUN runs each branch at its native size). " +
                         (comparison is null ? "Parameters: the largest network that runs at any size." : "Parameters: the whole model (every MSUN subnet plus the shared network)."));
        report.Add(Figures.ParameterBars(macs, comparison?.Rows));
        report.Add(Figures.MeanMacsBars(macs));
        report.Add(Figures.MacsBySize(macs));
        if (comparison is not null) report.Table(ResultTables.MethodCosts(comparison));
        report.Table(ResultTables.Macs(macs));
    }

    private static Dictionary<string, string> SplitOptions(Core.SplitSelection.SplitRecommendation s) => new()
    {
        ["split"] = Int(s.Split),
        ["split_at_means"] = Int(s.SplitAtMeans),
        ["threshold"] = s.Options.Threshold.ToString(),
        ["uncertainty"] = s.Options.Uncertainty.ToString(),
        ["z"] = s.Options.Z.ToString("R", CultureInfo.InvariantCulture),
        ["head_blocks"] = Int(s.Options.HeadBlocks),
        ["boundary"] = s.Options.Boundary.ToString(),
        ["probes"] = s.Options.Probes.ToString(),
        ["warnings"] = s.Warnings.Count == 0 ? "none" : string.Join(" | ", s.Warnings),
    };

    private static IReadOnlyList<string> Row(params string[] cells) => cells;

    private static string Int(long v) => v.ToString(CultureInfo.InvariantCulture);
}
