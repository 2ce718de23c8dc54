using Msun.Analysis.Core.Results;
using Msun.Analysis.Core.SplitSelection;

namespace Msun.Analysis.Reports;

/// <summary>A result read from a file, with where it came from and a label for legends.</summary>
/// <typeparam name="T">The result type.</typeparam>
/// <param name="Path">Full path of the file.</param>
/// <param name="RelativePath">Path relative to the results folder (for display).</param>
/// <param name="Label">What the result is of: the <c>model</c> provenance entry, else the folder holding the file.</param>
/// <param name="Value">The result.</param>
public sealed record ResultFile<T>(string Path, string RelativePath, string Label, T Value);

/// <summary>One line of <see cref="ResultsFolder.Listing"/>: what kind of result a file holds, where it is and what it is of.</summary>
/// <param name="Kind"><c>profile</c>, <c>grid</c>, <c>split</c>, <c>accuracy</c> or <c>macs</c>.</param>
/// <param name="RelativePath">Path relative to the results folder.</param>
/// <param name="Label">What the result is of (<see cref="ResultFile{T}.Label"/>).</param>
public sealed record ResultListing(string Kind, string RelativePath, string Label);

/// <summary>
/// The known result files under a folder, found recursively and read: <c>profile.json</c> (<see cref="CkaProfile"/>),
/// <c>grid.json</c> (<see cref="CkaGridSummary"/>), <c>split.json</c> (<see cref="SplitRecommendation"/>),
/// <c>accuracy.json</c> (<see cref="MultiScaleAccuracy"/> list) and <c>macs.json</c> (<see cref="MacTable"/>).
/// </summary>
public sealed class ResultsFolder
{
    /// <summary>File name of a CKA profile.</summary>
    public const string ProfileJson = ResultFiles.ProfileJson;

    /// <summary>File name of a block × block grid.</summary>
    public const string GridJson = ResultFiles.GridJson;

    /// <summary>File name of a split recommendation.</summary>
    public const string SplitJson = SplitRecommendationFiles.Json;

    /// <summary>File name of multi-scale accuracy results.</summary>
    public const string AccuracyJson = ResultFiles.AccuracyJson;

    /// <summary>File name of a MAC table.</summary>
    public const string MacsJson = ResultFiles.MacsJson;

    /// <summary>The comparison of methods written by <c>msun reproduce</c> and <c>msun study</c>.</summary>
    public const string ComparisonJson = ResultFiles.ComparisonJson;

    /// <summary>Every file name looked for.</summary>
    public static IReadOnlyList<string> KnownFiles { get; } = [ProfileJson, GridJson, SplitJson, AccuracyJson, MacsJson];

    private ResultsFolder(string root) => Root = root;

    /// <summary>The folder, as a full path.</summary>
    public string Root { get; }

    /// <summary>CKA profiles found, in path order.</summary>
    public IReadOnlyList<ResultFile<CkaProfile>> Profiles { get; private set; } = [];

    /// <summary>Grids found.</summary>
    public IReadOnlyList<ResultFile<CkaGridSummary>> Grids { get; private set; } = [];

    /// <summary>Split recommendations found.</summary>
    public IReadOnlyList<ResultFile<SplitRecommendation>> Splits { get; private set; } = [];

    /// <summary>Accuracy files found (each a list of results).</summary>
    public IReadOnlyList<ResultFile<IReadOnlyList<MultiScaleAccuracy>>> Accuracy { get; private set; } = [];

    /// <summary>MAC tables found.</summary>
    public IReadOnlyList<ResultFile<MacTable>> Macs { get; private set; } = [];

    /// <summary>Every file read, by kind (profiles, grids, splits, accuracy, MACs) and then in file order.</summary>
    public IReadOnlyList<ResultListing> Listing() =>
    [
        .. Profiles.Select(f => new ResultListing("profile", f.RelativePath, f.Label)),
        .. Grids.Select(f => new ResultListing("grid", f.RelativePath, f.Label)),
        .. Splits.Select(f => new ResultListing("split", f.RelativePath, f.Label)),
        .. Accuracy.Select(f => new ResultListing("accuracy", f.RelativePath, f.Label)),
        .. Macs.Select(f => new ResultListing("macs", f.RelativePath, f.Label)),
    ];

    /// <summary>How many result files were read.</summary>
    public int Count => Profiles.Count + Grids.Count + Splits.Count + Accuracy.Count + Macs.Count;

    /// <summary>Finds and reads every known result file under <paramref name="folder"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">No known result file under it (the message names the folder and the file names).</exception>
    /// <exception cref="InvalidDataException">A file that cannot be read as its type (the message names the file).</exception>
    public static ResultsFolder Load(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        string root = System.IO.Path.GetFullPath(folder);
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException(File.Exists(root) ? $"{root} is a file; expected a results folder." : $"{root}: no such folder.");
        var all = Directory.EnumerateFiles(root, "*.json", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true })
            .Where(f => KnownFiles.Contains(System.IO.Path.GetFileName(f)) || System.IO.Path.GetFileName(f) == ComparisonJson).Order(StringComparer.Ordinal).ToArray();
        // Accuracy and MAC files in a folder below one that has its own are the inputs it summarises (e.g. one file per
        // training seed under the seeds' pooled result): the summary is shown, not each input again.
        var files = all.Where(f => !SummarisedAbove(f, root, all)).ToArray();
        if (files.Length == 0)
            throw new FileNotFoundException($"{root} holds no result files (looked for {string.Join(", ", KnownFiles)} in it and its subfolders).");
        if (!files.Any(f => KnownFiles.Contains(System.IO.Path.GetFileName(f))))
            throw new FileNotFoundException($"{root} holds no result files (looked for {string.Join(", ", KnownFiles)} in it and its subfolders).");

        var result = new ResultsFolder(root);
        var profiles = new List<ResultFile<CkaProfile>>();
        var grids = new List<ResultFile<CkaGridSummary>>();
        var splits = new List<ResultFile<SplitRecommendation>>();
        var accuracy = new List<ResultFile<IReadOnlyList<MultiScaleAccuracy>>>();
        var macs = new List<ResultFile<MacTable>>();
        var comparisons = new List<ResultFile<MethodComparison>>();
        foreach (string path in files)
        {
            string rel = System.IO.Path.GetRelativePath(root, path);
            string dirLabel = System.IO.Path.GetFileName(System.IO.Path.GetDirectoryName(path)!) is { Length: > 0 } d ? d : rel;
            string Label(IReadOnlyDictionary<string, string> provenance) =>
                Figures.LabelOf(provenance) is var l && l != "profile" ? l : dirLabel;
            try
            {
                switch (System.IO.Path.GetFileName(path))
                {
                    case ProfileJson:
                        var profile = Msun.Analysis.Core.Results.CkaProfile.ReadJsonFile(path);
                        profiles.Add(new(path, rel, Label(profile.Provenance), profile));
                        break;
                    case GridJson:
                        var grid = CkaGridSummary.ReadJsonFile(path);
                        grids.Add(new(path, rel, Label(grid.Provenance), grid));
                        break;
                    case SplitJson:
                        splits.Add(new(path, rel, dirLabel, SplitRecommendationFiles.ReadJsonFile(path)));
                        break;
                    case AccuracyJson:
                        var list = MultiScaleResultFiles.ReadJsonFile(path);
                        if (list.Count == 0) throw new InvalidDataException("it holds no results.");
                        accuracy.Add(new(path, rel, dirLabel, list));
                        break;
                    case ComparisonJson:
                        comparisons.Add(new(path, rel, dirLabel, MethodComparison.ReadJsonFile(path)));
                        break;
                    case MacsJson:
                        var table = MacTable.ReadJsonFile(path);
                        if (table.Rows.Count == 0) throw new InvalidDataException("it holds no rows.");
                        macs.Add(new(path, rel, dirLabel, table));
                        break;
                }
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                // One message shape for every reader: the file first, then what is wrong with it.
                string message = e.Message.StartsWith(path, StringComparison.Ordinal) ? e.Message[path.Length..].TrimStart(':', ' ') : e.Message;
                throw new InvalidDataException($"{path}: {message}", e);
            }
        }

        // A split is about the profile in its folder: label it like that profile.
        result.Splits = splits.Select(s => profiles.FirstOrDefault(p => System.IO.Path.GetDirectoryName(p.Path) == System.IO.Path.GetDirectoryName(s.Path)) is { } p
            ? s with { Label = p.Label } : s).ToArray();
        result.Profiles = Distinct(profiles);
        result.Grids = Distinct(grids);
        result.Accuracy = accuracy;
        result.Macs = macs;
        result.Comparisons = comparisons;
        return result;
    }

    /// <summary>Comparisons of methods (<c>comparison.json</c>): whole-model parameters, paired differences and the judged claims.</summary>
    public IReadOnlyList<ResultFile<MethodComparison>> Comparisons { get; private set; } = [];

    private static bool SummarisedAbove(string file, string root, IReadOnlyList<string> all)
    {
        var name = System.IO.Path.GetFileName(file);
        if (name is not (AccuracyJson or MacsJson)) return false;
        for (var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetDirectoryName(file)); dir is not null && dir.Length >= root.Length;
             dir = System.IO.Path.GetDirectoryName(dir))
        {
            if (all.Contains(System.IO.Path.Combine(dir, name))) return true;
            if (dir == root) break;
        }

        return false;
    }

    /// <summary>
    /// Every accuracy result of every file, in file order, each once: <c>msun reproduce</c> writes every method's results
    /// in its own folder and all of them again at the top, so a result equal to an earlier one (same model, scoring and
    /// counts; provenance aside) is left out.
    /// </summary>
    public IReadOnlyList<MultiScaleAccuracy> AllAccuracy()
    {
        var seen = new HashSet<MultiScaleAccuracy>();
        return [.. Accuracy.SelectMany(a => a.Value).Where(r => seen.Add(r.WithProvenance(null)))];
    }

    /// <summary>The rows of every MAC table in one table, each distinct row once (see <see cref="AllAccuracy"/>), with the provenance of the first.</summary>
    public MacTable? AllMacs() =>
        Macs.Count == 0 ? null : new MacTable([.. Macs.SelectMany(m => m.Value.Rows).Distinct()], Macs[0].Value.Provenance);

    // Two studies of the same model would share a legend label; the relative folder tells them apart.
    private static IReadOnlyList<ResultFile<T>> Distinct<T>(List<ResultFile<T>> files) =>
        files.Select(f => files.Count(g => g.Label == f.Label) > 1
            ? f with { Label = $"{f.Label} ({System.IO.Path.GetDirectoryName(f.RelativePath)})" }
            : f).ToArray();
}
