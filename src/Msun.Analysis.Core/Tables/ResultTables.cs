using System.Globalization;
using Msun.Analysis.Core.Results;
using Msun.Analysis.Core.SplitSelection;
using Msun.Analysis.Core.Statistics;

namespace Msun.Analysis.Core.Tables;

/// <summary>
/// The one definition of each result table's content (columns, headers, decimals), shared by the HTML report, the
/// notebook formatters and the command line: each surface renders the <see cref="ResultTable"/> it gets here.
/// </summary>
/// <remarks>
/// Number conventions, one per kind of value: CKA with 3 decimals (the spread over subsets is at least a few
/// thousandths in every study so far, so a fourth decimal is noise; grid and split tables always used 3);
/// accuracies as percentages with 2 decimals (one image in 10,000); counts (parameters, MACs) exact with thousands
/// separators; MACs also in millions with 2 decimals, readable from 1 M (small nets) to 4,000 M (ResNet-50 at 224).
/// </remarks>
public static class ResultTables
{
    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    /// <summary>A CKA profile: one row per block, one column per probe, each cell mean ± std over the subsets, followed by
    /// the bootstrap interval in brackets when the study computed one.</summary>
    /// <param name="profile">The profile.</param>
    /// <param name="label">Names the model in the caption; the provenance's <c>model</c> when null.</param>
    public static ResultTable Profile(CkaProfile profile, string? label = null)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var p = profile.Provenance;
        var level = profile.Cells.Select(c => c.Interval?.Level).FirstOrDefault(l => l is not null);
        string caption = "CKA per block and probe: " + string.Join(", ", new[]
        {
            label ?? p.GetValueOrDefault("model"),
            p.TryGetValue("estimator", out var estimator) ? estimator + " CKA" : null,
            p.TryGetValue("reference_size", out var reference) ? $"reference {reference} px" : null,
            $"mean ± std over {profile.Cells.Max(c => c.Repeats.Count)} subsets" + (p.TryGetValue("examples_per_repeat", out var n) ? $" of {n} images" : ""),
            level is double l ? $"[{(100 * l).ToString("0.#", Ci)} % bootstrap interval]" : null,
        }.Where(s => s is not null));
        return new ResultTable(caption, [TableColumn.Number("#"), TableColumn.Label("block"), .. profile.Probes.Select(x => TableColumn.Number($"probe {x} px"))],
            profile.Blocks.Select(b => (IReadOnlyList<string>)
                [Int(b.Index), b.Name, .. profile.Probes.Select(x => ProfileCell(profile.Cell(b.Name, x)))]));
    }

    /// <summary>The permutation null of a profile (CKA with the images paired at random, mean ± std over the permutations),
    /// laid out as <see cref="Profile"/>; null when the study computed none.</summary>
    public static ResultTable? ProfileNull(CkaProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (profile.Cells.FirstOrDefault(c => c.NullDistribution is not null)?.NullDistribution is not { } first) return null;
        return new ResultTable($"Permutation null of CKA per block and probe: images paired at random, mean ± std over {first.Permutations} permutations",
            [TableColumn.Number("#"), TableColumn.Label("block"), .. profile.Probes.Select(x => TableColumn.Number($"probe {x} px"))],
            profile.Blocks.Select(b => (IReadOnlyList<string>)
                [Int(b.Index), b.Name, .. profile.Probes.Select(x => profile.Cell(b.Name, x).NullDistribution is { } d ? MeanStd(d.Mean, d.StandardDeviation) : "")]));
    }

    /// <summary>A block × block CKA grid: reference blocks as rows, probe blocks as columns, mean over the repeats.</summary>
    /// <param name="grid">The grid.</param>
    /// <param name="label">Names the model in the caption; left out when null.</param>
    public static ResultTable Grid(CkaGridSummary grid, string? label = null)
    {
        ArgumentNullException.ThrowIfNull(grid);
        return new ResultTable(
            $"Block × block CKA at probe {Int(grid.Probe)} px{(label is null ? "" : ", " + label)} (rows: reference, columns: probe; mean over {grid.Repeats.Count} repeats)",
            [TableColumn.Label("reference \\ probe"), .. grid.ColumnBlocks.Select(TableColumn.Number)],
            grid.RowBlocks.Select((r, i) => (IReadOnlyList<string>)[r, .. grid.ColumnBlocks.Select((_, j) => Cka(grid.Mean[i, j]))]));
    }

    /// <summary>The evidence of a split recommendation, one table per probe: each block's mean, band (empty without an
    /// uncertainty rule) and status, the blocks that get a per-scale subnet marked on the deciding probe.</summary>
    /// <param name="recommendation">The recommendation.</param>
    /// <param name="label">Names the model in the captions; left out when null.</param>
    public static IReadOnlyList<ResultTable> Split(SplitRecommendation recommendation, string? label = null)
    {
        ArgumentNullException.ThrowIfNull(recommendation);
        return recommendation.Probes.Select(p => new ResultTable(
            (label is null ? "" : label + ", ") + $"probe {Int(p.Probe)} px: τ = {Cka(p.Threshold)}, contrast {Cka(p.Contrast)}, split {Int(p.Split)} ({Int(p.SplitAtMeans)} at the means)",
            [TableColumn.Number("#"), TableColumn.Label("block"), TableColumn.Number("mean CKA"), TableColumn.Number("band"), TableColumn.Label("status")],
            p.Blocks.Select(b => (IReadOnlyList<string>)
            [
                Int(b.Index), b.Block, Cka(b.Mean), b.Lower == b.Upper ? "" : $"[{Cka(b.Lower)}, {Cka(b.Upper)}]",
                b.Status.ToString().ToLowerInvariant() + (b.Index <= recommendation.Split && p == recommendation.Probes[0] ? " (per-scale subnet)" : ""),
            ]))).ToArray();
    }

    /// <summary>Top-1 accuracy (%) per test size: one row per model and scoring, one column per test size, then the mean
    /// over the sizes and the number of test images. Rows are methods (as in the report, the README and
    /// <c>msun reproduce</c>), so a row reads as the method's curve; a size a model was not tested at shows "–".</summary>
    public static ResultTable Accuracy(IReadOnlyList<MultiScaleAccuracy> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var sizes = results.SelectMany(r => r.TestSizes).Distinct().Order().ToArray();
        return new ResultTable("Top-1 accuracy (%) per test size",
            [TableColumn.Label("model"), TableColumn.Label("scoring"), .. sizes.Select(s => TableColumn.Number($"{Int(s)} px")), TableColumn.Number("mean"), TableColumn.Number("images")],
            results.Select(r => (IReadOnlyList<string>)
                [r.Model, r.Scoring, .. sizes.Select(s => r.Sizes.FirstOrDefault(x => x.Size == s) is { } x ? Percent(x.Accuracy) : "–"), Percent(r.MeanAccuracy), Count(r.Images)]));
    }

    /// <summary>Top-1 accuracy (%) per test size as mean ± sample std over the training seeds (the std left out for one
    /// seed): laid out as <see cref="Accuracy"/>, one row per model and scoring, then the mean over the sizes.</summary>
    public static ResultTable SeedAccuracy(SeedAccuracyTable seeds)
    {
        ArgumentNullException.ThrowIfNull(seeds);
        var sizes = seeds.Rows.Where(r => r.Size is not null).Select(r => r.Size!.Value).Distinct().Order().ToArray();
        int count = seeds.Rows.Max(r => r.Seeds.Count);
        string Cell(string method, string scoring, int? size) =>
            seeds.Rows.FirstOrDefault(r => r.Method == method && r.Scoring == scoring && r.Size == size) is { } r
                ? double.IsNaN(r.Std) ? Percent(r.Mean) : $"{Percent(r.Mean)} ± {Percent(r.Std)}"
                : "–";
        return new ResultTable($"Top-1 accuracy (%) per test size, mean ± std over {Int(count)} seed(s)",
            [TableColumn.Label("model"), TableColumn.Label("scoring"), .. sizes.Select(s => TableColumn.Number($"{Int(s)} px")), TableColumn.Number("mean")],
            seeds.Rows.Select(r => (r.Method, r.Scoring)).Distinct().Select(k => (IReadOnlyList<string>)
                [k.Method, k.Scoring, .. sizes.Select(s => Cell(k.Method, k.Scoring, s)), Cell(k.Method, k.Scoring, null)]));
    }

    /// <summary>A MAC table: parameters and multiply–accumulates per image for each model, test size and branch.</summary>
    public static ResultTable Macs(MacTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        return new ResultTable("Parameters and multiply–accumulates (MACs) per image",
            [TableColumn.Label("model"), TableColumn.Number("test size"), TableColumn.Label("branch"), TableColumn.Number("input"), TableColumn.Number("parameters"),
             TableColumn.Number("MACs"), TableColumn.Number("MACs (M)"), TableColumn.Number("other ops")],
            table.Rows.Select(r => (IReadOnlyList<string>)
                [r.Model, Int(r.TestSize), r.Branch, Int(r.InputSize), Count(r.Parameters), Count(r.Macs), Millions(r.Macs), Count(r.OtherOps)]));
    }

    /// <summary>The cost of each compared method: whole-model parameters, mean MACs per image over the test sizes, and that
    /// mean as a ratio to Vanilla's.</summary>
    public static ResultTable MethodCosts(MethodComparison comparison)
    {
        ArgumentNullException.ThrowIfNull(comparison);
        return new ResultTable("Cost per method: parameters of the whole model, mean MACs per image over the test sizes",
            [TableColumn.Label("model"), TableColumn.Label("scoring"), TableColumn.Number("parameters"), TableColumn.Number("mean MACs"), TableColumn.Number("vs Vanilla")],
            comparison.Rows.Select(r => (IReadOnlyList<string>)
                [r.Method, r.Scoring, Count(r.Parameters), Count((long)Math.Round(r.MeanMacs)), r.MacsRatioToVanilla.ToString("0.000", Ci)]));
    }

    /// <summary>The paper's claims as judged by a comparison: claim, outcome, the evidence behind it.</summary>
    public static ResultTable Claims(MethodComparison comparison)
    {
        ArgumentNullException.ThrowIfNull(comparison);
        return new ResultTable("The paper's claims (judged at 95 %)",
            [TableColumn.Label("claim"), TableColumn.Label("outcome"), TableColumn.Label("evidence")],
            comparison.Claims.Select(c => (IReadOnlyList<string>)[c.Claim, c.OutcomeName, c.Evidence]));
    }

    /// <summary>Paired differences of the comparison in percentage points: one row per pair of methods, one column per
    /// test size and the mean over sizes, each cell "mean [low, high]" of the 95 % interval, then the seeds behind it.</summary>
    public static ResultTable Differences(MethodComparison comparison)
    {
        ArgumentNullException.ThrowIfNull(comparison);
        var sizes = comparison.Differences.Where(d => d.Size is not null).Select(d => d.Size!.Value).Distinct().Order().ToArray();
        var pairs = comparison.Differences.Select(d => (d.Minuend, d.Subtrahend)).Distinct().ToArray();
        string Cell((string Minuend, string Subtrahend) pair, int? size) =>
            comparison.Differences.FirstOrDefault(d => d.Minuend == pair.Minuend && d.Subtrahend == pair.Subtrahend && d.Size == size) is { } d
                ? $"{Pp(d.Interval.Mean)} [{Pp(d.Interval.Low)}, {Pp(d.Interval.High)}]"
                : "–";
        string Seeds((string Minuend, string Subtrahend) pair) => string.Join("; ", comparison.Differences
            .Where(d => d.Minuend == pair.Minuend && d.Subtrahend == pair.Subtrahend)
            .Select(d => $"{Int(d.Interval.MinuendSeeds)} vs {Int(d.Interval.SubtrahendSeeds)}").Distinct());
        return new ResultTable("Paired differences (percentage points, 95 % interval): mean [low, high]",
            [TableColumn.Label("difference"), .. sizes.Select(s => TableColumn.Number($"{Int(s)} px")), TableColumn.Number("mean over sizes"), TableColumn.Number("seeds")],
            pairs.Select(p => (IReadOnlyList<string>)[$"{p.Minuend} − {p.Subtrahend}", .. sizes.Select(s => Cell(p, s)), Cell(p, null), Seeds(p)]));
    }

    private static string ProfileCell(CkaProfileCell cell)
    {
        var s = cell.Summary;
        string value = s.UndefinedReason is not null ? "undefined" : MeanStd(s.Mean, s.StandardDeviation);
        return cell.Interval is { } ci ? $"{value} [{Cka(ci.Low)}, {Cka(ci.High)}]" : value;
    }

    /// <summary>"mean ± std", or the mean alone when the std is undefined (one value).</summary>
    private static string MeanStd(double mean, double std) => double.IsNaN(std) ? Cka(mean) : $"{Cka(mean)} ± {Cka(std)}";

    private static string Cka(double v) => double.IsNaN(v) ? "undefined" : v.ToString("0.000", Ci);

    private static string Percent(double fraction) => double.IsNaN(fraction) ? "undefined" : (100 * fraction).ToString("0.00", Ci);

    private static string Pp(double fraction) => (100 * fraction).ToString("+0.00;-0.00", Ci);

    private static string Count(long v) => v.ToString("N0", Ci);

    private static string Millions(long v) => (v / 1e6).ToString("#,0.00", Ci);

    private static string Int(long v) => v.ToString(Ci);
}
