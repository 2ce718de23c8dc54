using System.Text;
using Msun.Analysis.Core.IO;
using Msun.Analysis.Core.Results;

namespace Msun.Analysis.Torch.Study;

/// <summary>What a scale study produced: the profile (block × probe, mean ± std over the repeats) and the optional grid.</summary>
/// <param name="Profile">CKA per block and probe, with provenance.</param>
/// <param name="Grid">The block × block grid at the grid probe, or null.</param>
/// <param name="Elapsed">Wall time of the study.</param>
public sealed record ScaleStudyResult(CkaProfile Profile, CkaGridSummary? Grid, TimeSpan Elapsed)
{
    /// <summary>The profile as JSON (<see cref="CkaProfile.ToJson"/>).</summary>
    public const string ProfileJson = ResultFiles.ProfileJson;

    /// <summary>One row per repeat (<see cref="CkaProfile.WriteRepeatsCsv"/>).</summary>
    public const string ProfileCsv = ResultFiles.ProfileCsv;

    /// <summary>One row per block and probe (<see cref="CkaProfile.WriteSummaryCsv(TextWriter)"/>).</summary>
    public const string ProfileSummaryCsv = ResultFiles.ProfileSummaryCsv;

    /// <summary>The grid as JSON (<see cref="CkaGridSummary.ToJson"/>).</summary>
    public const string GridJson = ResultFiles.GridJson;

    /// <summary>The grid, one row per entry (<see cref="CkaGridSummary.WriteCsv(TextWriter)"/>).</summary>
    public const string GridCsv = ResultFiles.GridCsv;

    /// <summary>Every file name a study may write.</summary>
    public static IReadOnlyList<string> FileNames { get; } = [ProfileJson, ProfileCsv, ProfileSummaryCsv, GridJson, GridCsv];

    /// <summary>Study files already present in <paramref name="directory"/> (none when it does not exist).</summary>
    public static IReadOnlyList<string> ExistingFiles(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        return Directory.Exists(directory) ? FileNames.Where(f => File.Exists(Path.Combine(directory, f))).ToArray() : [];
    }

    /// <summary>
    /// Writes the profile files (and the grid files when there is a grid) into <paramref name="directory"/>, each
    /// atomically (temporary file + rename), creating the folder when needed.
    /// </summary>
    /// <param name="directory">Output folder.</param>
    /// <param name="overwrite">Replace study files already there; otherwise their presence is an error and nothing is written.</param>
    /// <returns>The paths written.</returns>
    /// <exception cref="IOException">Study files exist and <paramref name="overwrite"/> is false.</exception>
    public IReadOnlyList<string> Save(string directory, bool overwrite = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var existing = ExistingFiles(directory);
        if (existing.Count > 0 && !overwrite)
            throw new IOException($"{directory} already holds {string.Join(", ", existing)}; refusing to overwrite.");
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        void Text(string name, Action<TextWriter> write)
        {
            var path = Path.Combine(directory, name);
            AtomicFile.Write(path, stream =>
            {
                using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true);
                write(writer);
            });
            written.Add(path);
        }

        Text(ProfileJson, w => w.Write(Profile.ToJson()));
        Text(ProfileCsv, Profile.WriteRepeatsCsv);
        Text(ProfileSummaryCsv, Profile.WriteSummaryCsv);
        if (Grid is not null)
        {
            Text(GridJson, w => w.Write(Grid.ToJson()));
            Text(GridCsv, Grid.WriteCsv);
        }
        return written;
    }
}
