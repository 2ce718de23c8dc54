using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Backbones;

/// <summary>Module paths (<c>named_modules()</c> names) of a network checked as blocks to hook: each known, once, and single-tensor.</summary>
public static class ModulePaths
{
    private const int NearestShown = 5;

    /// <summary>The modules at <paramref name="paths"/>, in the order given.</summary>
    /// <exception cref="ArgumentException">No paths, a repeated path, an unknown path (the message lists the five nearest valid ones
    /// by edit distance, and a backbone's stages), or a module that does not map one tensor to one tensor.</exception>
    public static IReadOnlyList<(string Name, nn.Module<Tensor, Tensor> Module)> Check(nn.Module model, IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(paths);
        var names = paths.ToArray();
        if (names.Length == 0)
            throw new ArgumentException("capture needs at least one layer name.", nameof(paths));
        var repeated = names.GroupBy(n => n, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToArray();
        if (repeated.Length > 0)
            throw new ArgumentException($"layer names repeat: {string.Join(", ", repeated)}.", nameof(paths));

        var modules = model.named_modules().Where(p => p.name.Length > 0).ToDictionary(p => p.name, p => p.module, StringComparer.Ordinal);
        var targets = new (string, nn.Module<Tensor, Tensor>)[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            var name = names[i] ?? throw new ArgumentException("a layer name is null.", nameof(paths));
            if (!modules.TryGetValue(name, out var module))
                throw new ArgumentException($"unknown layer '{name}'. {Describe(model, name, modules.Keys)}", nameof(paths));
            if (module is not nn.Module<Tensor, Tensor> single)
                throw new ArgumentException(
                    $"layer '{name}' is a {module.GetType().Name}, which does not map one tensor to one tensor; capture hooks single-tensor modules.",
                    nameof(paths));
            targets[i] = (name, single);
        }

        return targets;
    }

    private static string Describe(nn.Module model, string unknown, IReadOnlyCollection<string> paths)
    {
        var stages = model is Backbone b ? $"Stages: {string.Join(", ", b.Stages.Select(s => s.Name))}. " : "";
        var nearest = paths.OrderBy(p => EditDistance(unknown, p)).ThenBy(p => p, StringComparer.Ordinal).Take(NearestShown);
        return $"{stages}Nearest module paths: {string.Join(", ", nearest)} ({paths.Count} paths in all; ValidLayerNames lists them).";
    }

    /// <summary>Levenshtein distance (insertions, deletions, substitutions), case-sensitive as module paths are.</summary>
    internal static int EditDistance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        var current = new int[b.Length + 1];
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
