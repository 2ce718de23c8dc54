using System.Text;
using Msun.Analysis.Core.IO;
using Msun.Analysis.Core.Results;

namespace Msun.Analysis.Core.SplitSelection;

/// <summary>Where a split recommendation is saved: <c>split.json</c> and <c>split.csv</c> beside the profile it came from.</summary>
public static class SplitRecommendationFiles
{
    /// <summary>The full recommendation (<see cref="SplitRecommendationJson"/>).</summary>
    public const string Json = ResultFiles.SplitJson;

    /// <summary>Its evidence table (<see cref="SplitRecommendationCsv"/>).</summary>
    public const string Csv = ResultFiles.SplitCsv;

    /// <summary>Reads a <c>split.json</c> written by <see cref="Save"/>; errors name the path.</summary>
    public static SplitRecommendation ReadJsonFile(string path) => SplitRecommendationJson.FromJson(File.ReadAllText(path), path);

    /// <summary>Writes both files atomically into the folder of <paramref name="profilePath"/>; returns the JSON path.</summary>
    public static string Save(SplitRecommendation recommendation, string profilePath)
    {
        ArgumentNullException.ThrowIfNull(recommendation);
        ArgumentException.ThrowIfNullOrWhiteSpace(profilePath);
        var folder = Path.GetDirectoryName(Path.GetFullPath(profilePath))!;
        var json = Path.Combine(folder, Json);
        AtomicFile.Write(json, s => s.Write(new UTF8Encoding(false).GetBytes(SplitRecommendationJson.ToJson(recommendation, profilePath))));
        AtomicFile.WriteText(Path.Combine(folder, Csv), w => SplitRecommendationCsv.Write(w, recommendation));
        return json;
    }
}
