using Msun.Analysis.Core.Cka;
using Msun.Analysis.Core.Results;
using Msun.Analysis.Core.SplitSelection;

namespace Msun.Analysis.Reports.Tests;

/// <summary>
/// Realistic result records built in memory (no training): a baseline and an MSUN profile over five ResNet blocks, their
/// grids, a split, multi-scale accuracy of Vanilla / MST / MSUN (routed, best-of-branches, each branch) and a MAC table.
/// </summary>
public static class SampleResults
{
    public static readonly string[] Blocks = ["stem", "layer1", "layer2", "layer3", "layer4"];
    public static readonly int[] Probes = [7, 14, 21];
    public static readonly int[] TestSizes = [7, 10, 14, 18, 21, 24, 28];

    // Means per probe shaped like the paper's ResNet-50 baseline (low stem, high middle, low head).
    private static readonly double[][] BaselineMeans = [[0.31, 0.62, 0.74, 0.70, 0.28], [0.52, 0.86, 0.84, 0.77, 0.39], [0.78, 0.93, 0.92, 0.90, 0.71]];
    private static readonly double[][] MsunMeans = [[0.55, 0.81, 0.88, 0.86, 0.52], [0.70, 0.90, 0.91, 0.89, 0.66], [0.86, 0.95, 0.95, 0.94, 0.83]];

    public static CkaProfile Profile(string model, bool msun = false, int repeats = 5)
    {
        var means = msun ? MsunMeans : BaselineMeans;
        var cells = new List<CkaProfileCell>();
        for (int b = 0; b < Blocks.Length; b++)
            for (int q = 0; q < Probes.Length; q++)
                cells.Add(new CkaProfileCell(Blocks[b], Probes[q],
                    Enumerable.Range(0, repeats).Select(r => means[q][b] + 0.01 * (r - (repeats - 1) / 2.0) * (1 + b % 2)).ToArray()));
        return new CkaProfile(Blocks.Select((n, i) => new ProfileBlock(n, i + 1)).ToArray(), Probes, cells,
            new Dictionary<string, string> { ["model"] = model, ["reference_size"] = "28", ["estimator"] = "minibatch linear CKA", ["repeats"] = repeats.ToString() });
    }

    public static CkaGridSummary Grid(string model, int probe = 14, int repeats = 3, bool msun = false)
    {
        var grids = Enumerable.Range(0, repeats).Select(r =>
        {
            var v = new double[Blocks.Length, Blocks.Length];
            for (int i = 0; i < Blocks.Length; i++)
                for (int j = 0; j < Blocks.Length; j++)
                    v[i, j] = Math.Round(0.95 - 0.15 * Math.Abs(i - j) - (i == 0 ? (msun ? 0.1 : 0.3) : 0) + 0.01 * r, 6);
            return new CkaGrid(Blocks, Blocks, v, new string?[Blocks.Length, Blocks.Length], "linear", 128, 4, null);
        }).ToArray();
        return new CkaGridSummary(probe, grids, new Dictionary<string, string> { ["model"] = model, ["grid_probe"] = probe.ToString() });
    }

    public static SplitRecommendation Split(CkaProfile profile) => SplitSelector.Recommend(profile, new SplitRuleOptions());

    public static MultiScaleAccuracy Accuracy(string model, string scoring, Func<int, double> accuracyAt, int images = 1000, int classes = 10)
    {
        var sizes = TestSizes.Select(size =>
        {
            long perClass = images / classes;
            long correct = (long)Math.Round(accuracyAt(size) * images);
            var c = Enumerable.Range(0, classes).Select(k => correct / classes + (k < correct % classes ? 1 : 0)).Select(x => (long)x).ToArray();
            string branch = scoring.StartsWith(MultiScaleScoring.BranchPrefix) ? scoring[MultiScaleScoring.BranchPrefix.Length..]
                : model.StartsWith("msun") ? (size <= 10 ? "small" : size <= 18 ? "mid" : "large") : MacTableRow.SingleNetworkBranch;
            return new SizeAccuracy(size, branch, c, Enumerable.Repeat(perClass, classes).ToArray());
        }).ToArray();
        return new MultiScaleAccuracy(model, scoring, 28, sizes, new Dictionary<string, string> { ["dataset"] = "fashion-mnist test", ["seed"] = "0" });
    }

    public static IReadOnlyList<MultiScaleAccuracy> Accuracies() =>
    [
        Accuracy("vanilla resnet18-small", MultiScaleScoring.Routed, s => 0.30 + 0.6 * (s - 7) / 21.0),
        Accuracy("mst resnet18-small", MultiScaleScoring.Routed, s => 0.62 + 0.25 * (s - 7) / 21.0),
        Accuracy("msun resnet18-small", MultiScaleScoring.Routed, s => 0.71 + 0.19 * (s - 7) / 21.0),
        Accuracy("msun resnet18-small", MultiScaleScoring.BestOfBranches, s => 0.73 + 0.18 * (s - 7) / 21.0),
        Accuracy("msun resnet18-small", MultiScaleScoring.Branch("small"), s => 0.73 - 0.2 * (s - 7) / 21.0),
        Accuracy("msun resnet18-small", MultiScaleScoring.Branch("large"), s => 0.40 + 0.51 * (s - 7) / 21.0),
    ];

    public static MacTable Macs()
    {
        var rows = new List<MacTableRow>();
        foreach (int s in TestSizes)
        {
            rows.Add(new MacTableRow("vanilla resnet18-small", s, MacTableRow.SingleNetworkBranch, 28, 308_000, 42_000_000, 900_000));
            rows.Add(new MacTableRow("mst resnet18-small", s, MacTableRow.SingleNetworkBranch, 28, 308_000, 42_000_000, 900_000));
            string branch = s <= 10 ? "small" : s <= 18 ? "mid" : "large";
            rows.Add(new MacTableRow("msun resnet18-small", s, branch, s, 336_000, 42_000_000L * s * s / (28 * 28) + 3_000_000, 700_000));
        }

        return new MacTable(rows, new Dictionary<string, string> { ["counted"] = "conv + linear multiply-accumulates" });
    }

    /// <summary>Writes a results folder as the commands lay it out: two studies (baseline with grid and split, MSUN) and an evaluation.</summary>
    public static string WriteFolder(string root)
    {
        var baseline = Directory.CreateDirectory(Path.Combine(root, "study-vanilla")).FullName;
        var msun = Directory.CreateDirectory(Path.Combine(root, "study-msun")).FullName;
        var eval = Directory.CreateDirectory(Path.Combine(root, "evaluation")).FullName;
        var p1 = Profile("vanilla resnet18-small");
        File.WriteAllText(Path.Combine(baseline, "profile.json"), p1.ToJson());
        File.WriteAllText(Path.Combine(baseline, "grid.json"), Grid("vanilla resnet18-small").ToJson());
        File.WriteAllText(Path.Combine(baseline, "split.json"), SplitRecommendationJson.ToJson(Split(p1), Path.Combine(baseline, "profile.json")));
        File.WriteAllText(Path.Combine(msun, "profile.json"), Profile("msun resnet18-small", msun: true).ToJson());
        File.WriteAllText(Path.Combine(msun, "grid.json"), Grid("msun resnet18-small", msun: true).ToJson());
        MultiScaleResultFiles.WriteJsonFile(Path.Combine(eval, "accuracy.json"), Accuracies());
        Macs().WriteJsonFile(Path.Combine(eval, "macs.json"));
        return root;
    }
}
