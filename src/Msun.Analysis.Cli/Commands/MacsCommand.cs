using System.CommandLine;
using System.Globalization;
using Msun.Analysis.Core.Results;
using Msun.Analysis.Core.Tables;
using Msun.Analysis.Torch.Backbones;
using Msun.Analysis.Torch.Evaluation;
using Msun.Analysis.Torch.Unified;

namespace Msun.Analysis.Cli.Commands;

/// <summary><c>msun macs --model resnet18 --sizes 28,32,224</c>: parameters and MACs per image of a registered backbone per input size.</summary>
internal static class MacsCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = $"Registered backbone: {string.Join(", ", BackboneRegistry.Names)}." };
        var sizes = new Option<string?>("--sizes")
        {
            Description = "Comma-separated square input sizes, e.g. 28,32,224 (default: the backbone's native size). " +
                          "Without --upsample-to each size is the network's input size and must be at least the backbone's minimum.",
        };
        var upsampleTo = new Option<int?>("--upsample-to")
        {
            Description = "Vanilla/MST cost under the multi-scale protocol: every test size is upsampled to R before the network, " +
                          "so every row is the backbone at R; sizes must be in 1..R.",
        };
        var classes = new Option<int?>("--classes") { Description = "Number of classes of the head (default: the backbone's, 1000 or 10)." };
        var csv = new Option<FileInfo?>("--csv") { Description = "Also write the table as CSV to FILE (header + invariant-culture integers; written atomically)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (format msun.mac-table/1) instead of the text table." };
        var msunSplit = new Option<int?>("--msun-split")
        {
            Description = "Count the MSUN built on --model with this split instead (3 scales: 32,128,224 for the ImageNet nets, 14,21,28 for the small ones): " +
                          "total parameters vs the plain backbone, and per test size the routed branch at its native size.",
        };

        var command = new Command("macs", "Parameters and multiply-accumulates (MACs) per image of a backbone at each input size.")
        {
            model, sizes, upsampleTo, classes, csv, json, msunSplit,
        };
        command.SetAction(parse => CliErrors.Run("macs", () =>
        {
            var table = parse.GetValue(msunSplit) is int split
                ? ComputeMsun(parse.GetValue(model), split, parse.GetValue(sizes), parse.GetValue(upsampleTo), parse.GetValue(classes))
                : Compute(parse.GetValue(model), parse.GetValue(sizes), parse.GetValue(upsampleTo), parse.GetValue(classes));
            if (parse.GetValue(csv) is { } file)
            {
                try
                {
                    table.WriteCsvFile(file.FullName);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new ArgumentException($"--csv: cannot write '{file.FullName}': {e.Message}", e);
                }
            }

            if (!parse.GetValue(json) && table.Provenance.TryGetValue("parameters", out var counts))
                Console.WriteLine(counts);
            if (parse.GetValue(json)) Console.WriteLine(table.ToJson(indented: false));
            else Console.Write(ResultTables.Macs(table).ToText());
            return 0;
        }));
        return command;
    }

    private static MacTable Compute(string? modelName, string? sizesText, int? upsampleTo, int? classes)
    {
        if (string.IsNullOrWhiteSpace(modelName))
            throw new ArgumentException($"--model is required; known backbones: {string.Join(", ", BackboneRegistry.Names)}.");
        if (!BackboneRegistry.TryGet(modelName, out var spec))
            throw new ArgumentException($"--model: unknown backbone '{modelName}'; known backbones: {string.Join(", ", BackboneRegistry.Names)}.");
        if (classes is < 1) throw new ArgumentException($"--classes: {classes} is not a positive number of classes.");
        var sizes = sizesText is null ? [spec.NativeInputSize] : CliParsing.Sizes(sizesText, "--sizes");

        IReadOnlyList<MacTableRow> rows;
        string mode;
        if (upsampleTo is int r)
        {
            if (r < spec.MinimumInputSize)
                throw new ArgumentException($"--upsample-to: {r} is below the minimum input size {spec.MinimumInputSize} of {spec.Name}.");
            if (sizes.FirstOrDefault(s => s > r) is var big and > 0)
                throw new ArgumentException($"--sizes: {big} exceeds --upsample-to {r}; the protocol only shrinks the reference image.");
            rows = EvaluationCost.SingleNetworkMacsPerSize(spec, r, sizes, classes);
            mode = $"single network (Vanilla/MST): every test size upsampled to {r} before the network";
        }
        else
        {
            if (sizes.FirstOrDefault(s => s < spec.MinimumInputSize) is var small and > 0)
                throw new ArgumentException($"--sizes: {small} is below the minimum input size {spec.MinimumInputSize} of {spec.Name}.");
            rows = Native(spec, sizes, classes);
            mode = "native: each size is the network's input size";
        }

        var provenance = new Dictionary<string, string>
        {
            ["backbone"] = spec.Name,
            ["description"] = spec.Description,
            ["in_channels"] = spec.InChannels.ToString(CultureInfo.InvariantCulture),
            ["classes"] = (classes ?? spec.NumClasses).ToString(CultureInfo.InvariantCulture),
            ["mode"] = mode,
            ["counting"] = "MACs per image = Conv2d (output elements x C_in/groups x k_h x k_w) + Linear (output elements x in_features), " +
                           "bias excluded; other ops = BatchNorm output elements + pooling window elements, not added to MACs (MacCounter).",
        };
        return new MacTable(rows, provenance);
    }

    private static MacTable ComputeMsun(string? modelName, int split, string? sizesText, int? upsampleTo, int? classes)
    {
        if (string.IsNullOrWhiteSpace(modelName) || !BackboneRegistry.TryGet(modelName, out var spec))
            throw new ArgumentException($"--model: give a known backbone with --msun-split; known backbones: {string.Join(", ", BackboneRegistry.Names)}.");
        if (upsampleTo is not null) throw new ArgumentException("--upsample-to does not apply with --msun-split: MSUN runs each size natively.");
        if (classes is < 1) throw new ArgumentException($"--classes: {classes} is not a positive number of classes.");
        int r = spec.NativeInputSize;
        var config = MsunConfig.ForBackbone(spec.Name, split);
        var sizes = sizesText is null ? config.Scales.Select(s => s.Size).ToArray() : CliParsing.Sizes(sizesText, "--sizes");
        if (sizes.FirstOrDefault(s => s > r) is var big and > 0)
            throw new ArgumentException($"--sizes: {big} exceeds the largest MSUN scale {r}.");
        using var net = new MsunNetwork(config, numClasses: classes);
        using var plain = spec.Create(numClasses: classes);
        long total = net.parameters().Sum(p => p.numel()), backbone = plain.parameters().Sum(p => p.numel());
        var rows = EvaluationCost.MacsPerSize(net.AsClassifier($"msun {spec.Name} split {split}"), sizes, net.InChannels);
        return new MacTable(rows, new Dictionary<string, string>
        {
            ["msun"] = config.Describe(),
            ["parameters"] = FormattableString.Invariant(
                $"parameters: MSUN {total:N0} ({total / 1e6:F2} M) vs {spec.Name} {backbone:N0} ({backbone / 1e6:F2} M), +{100.0 * (total - backbone) / backbone:F2} %; per branch: ")
                + string.Join(", ", config.Scales.Select((s, i) => FormattableString.Invariant($"{s.Name} {net.BranchParameters(i):N0}"))),
            ["mode"] = "MSUN: each size runs natively through the branch it is routed to (subnet + unify + shared)",
            ["counting"] = "MACs per image = Conv2d + Linear multiply-accumulates, bias excluded (MacCounter).",
        });
    }

    private static MacTableRow[] Native(BackboneSpec spec, int[] sizes, int? classes)
    {
        using var network = spec.Create(numClasses: classes);
        long parameters = network.parameters().Sum(p => p.numel());
        var rows = new List<MacTableRow>();
        foreach (var s in sizes)
        {
            var report = MacCounter.Count(network, 1, spec.InChannels, s, s);
            rows.Add(MacTableRow.ForBackbone(spec.Name, s, parameters, report.TotalMacs, report.TotalOtherOps));
        }

        return [.. rows];
    }
}
