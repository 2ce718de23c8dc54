using Msun.Analysis.Core.Results;
using Msun.Analysis.Torch.Backbones;

namespace Msun.Analysis.Torch.Evaluation;

/// <summary>
/// Cost per test size under the multi-scale protocol, counted with <see cref="MacCounter"/>: a single
/// network (Vanilla, MST) pays its cost at the reference size at every test size, because it upsamples
/// first; a multi-scale model pays the cost of the branch it routes the size to, at the test size.
/// </summary>
public static class EvaluationCost
{
    /// <summary>One MAC row per test size for the routed branch of <paramref name="model"/> (or for <paramref name="branch"/> at every size), run on one image of <paramref name="inChannels"/> channels.</summary>
    /// <remarks>Each (network, input size) pair is counted once and reused; parameters are those of the network that runs.</remarks>
    public static IReadOnlyList<MacTableRow> MacsPerSize(IScaleAwareClassifier model, IEnumerable<int> testSizes, int inChannels, string? branch = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(testSizes);
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        var sizes = testSizes.ToArray();
        if (sizes.Length == 0) throw new ArgumentException("testSizes is empty.", nameof(testSizes));
        var cache = new Dictionary<(object Network, int Size), (long Parameters, long Macs, long Other)>();
        var rows = new List<MacTableRow>();
        foreach (var size in sizes)
        {
            var runs = branch ?? model.Route(size);
            var cost = model.CostAt(runs, size);
            if (!cache.TryGetValue((cost.Network, cost.InputSize), out var c))
            {
                var report = MacCounter.Count(cost.Network, 1, inChannels, cost.InputSize, cost.InputSize);
                c = (cost.Network.parameters().Sum(p => p.numel()), report.TotalMacs, report.TotalOtherOps);
                cache[(cost.Network, cost.InputSize)] = c;
            }

            rows.Add(new MacTableRow(model.Name, size, runs, cost.InputSize, c.Parameters, c.Macs, c.Other));
        }

        return rows;
    }

    /// <summary>
    /// The Vanilla/MST cost of a registered backbone (default channels, classes as given): every test size is
    /// upsampled to <paramref name="referenceSize"/>, so every row is the backbone at the reference size.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The reference size is below the backbone's minimum, or a test size is outside 1..reference.</exception>
    public static IReadOnlyList<MacTableRow> SingleNetworkMacsPerSize(BackboneSpec backbone, int referenceSize, IEnumerable<int> testSizes, int? numClasses = null)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentNullException.ThrowIfNull(testSizes);
        if (referenceSize < backbone.MinimumInputSize)
            throw new ArgumentOutOfRangeException(nameof(referenceSize), referenceSize,
                $"backbone '{backbone.Name}' needs inputs of at least {backbone.MinimumInputSize} px.");
        var sizes = testSizes.ToArray();
        foreach (var s in sizes)
        {
            if (s < 1 || s > referenceSize)
                throw new ArgumentOutOfRangeException(nameof(testSizes), s, $"test size {s} is outside 1..{referenceSize} (the reference size).");
        }

        using var network = backbone.Create(numClasses: numClasses);
        return MacsPerSize(new SingleNetworkClassifier(backbone.Name, network, referenceSize), sizes, backbone.InChannels);
    }
}
