using System.Reflection;
using System.Text.RegularExpressions;

namespace Msun.Analysis.Torch.Tests;

/// <summary>
/// Keeps the arrows between the library's folders pointing one way (README, Layout):
/// Pipeline → {Study → Capture, Training, Evaluation} → Unified → Backbones, with Data, Weights and Cka below all.
/// Reads every .cs file of each folder and fails on a reference to a folder it may not import.
/// </summary>
public partial class FolderArrowTests
{
    private static readonly string[] Leaves = ["Backbones", "Data", "Weights", "Cka"];

    /// <summary>The folders each folder may import (its own and the root namespace are always allowed).</summary>
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["Backbones"] = [],
        ["Data"] = [],
        ["Weights"] = [],
        ["Cka"] = [],
        ["Unified"] = [.. Leaves],
        ["Capture"] = [.. Leaves, "Unified"],
        ["Study"] = [.. Leaves, "Unified", "Capture"],
        ["Training"] = [.. Leaves, "Unified"],
        ["Evaluation"] = [.. Leaves, "Unified"],
        ["Pipeline"] = [.. Leaves, "Unified", "Capture", "Study", "Training", "Evaluation"],
    };

    [Fact]
    public void EveryFolderImportsOnlyTheFoldersBelowIt()
    {
        var violations = new List<string>();
        foreach (var (folder, references) in FolderReferences())
        {
            Assert.True(Allowed.ContainsKey(folder), $"src/Msun.Analysis.Torch/{folder}/ is not in FolderArrowTests.Allowed: give it its place in the arrows.");
            violations.AddRange(references
                .Where(r => r.Target != folder && !Allowed[folder].Contains(r.Target))
                .Select(r => $"{r.File}: {folder} -> {r.Target}"));
        }

        Assert.True(violations.Count == 0, "imports against the arrows:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void TheArrowsHaveNoCycle()
    {
        // Each folder's allowed set only names folders whose own sets exclude it, transitively: a topological order exists.
        var order = new List<string>();
        var remaining = Allowed.ToDictionary(p => p.Key, p => p.Value.ToHashSet());
        while (remaining.Count > 0)
        {
            var ready = remaining.Where(p => p.Value.All(order.Contains)).Select(p => p.Key).ToArray();
            Assert.True(ready.Length > 0, $"the allowed imports form a cycle among {string.Join(", ", remaining.Keys)}");
            order.AddRange(ready);
            foreach (var r in ready) remaining.Remove(r);
        }
    }

    [Fact]
    public void TheScanSeesAKnownEdge()
    {
        // Guards the scanner itself: Pipeline certainly reads training checkpoints.
        var pipeline = FolderReferences().Single(f => f.Folder == "Pipeline").References;
        Assert.Contains(pipeline, r => r.Target == "Training");
        Assert.Contains(pipeline, r => r.Target == "Evaluation");
    }

    private static IEnumerable<(string Folder, IReadOnlyList<(string File, string Target)> References)> FolderReferences()
    {
        var root = Path.Combine(RepoRoot(), "src", "Msun.Analysis.Torch");
        var dirs = Directory.GetDirectories(root).Where(d => Path.GetFileName(d) is not ("bin" or "obj")).Order().ToArray();
        var folders = dirs.Select(Path.GetFileName).ToHashSet();
        foreach (var dir in dirs)
        {
            var refs = new List<(string, string)>();
            foreach (var file in Directory.GetFiles(dir, "*.cs", SearchOption.AllDirectories))
            {
                foreach (var line in File.ReadLines(file))
                {
                    var code = line.TrimStart();
                    if (code.StartsWith("namespace ", StringComparison.Ordinal)) continue;
                    // Types of the root namespace (TorchDevices, NativeAllocator) are open to every folder.
                    foreach (Match m in TorchNamespace().Matches(code).Where(m => folders.Contains(m.Groups[1].Value)))
                        refs.Add((Path.GetRelativePath(root, file), m.Groups[1].Value));
                }
            }

            yield return (Path.GetFileName(dir), refs);
        }
    }

    private static string RepoRoot() =>
        typeof(FolderArrowTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "MsunRepoRoot").Value!;

    [GeneratedRegex(@"\bMsun\.Analysis\.Torch\.([A-Z]\w*)")]
    private static partial Regex TorchNamespace();
}
