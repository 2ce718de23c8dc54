using System.Globalization;
using Msun.Analysis.Core.IO;

namespace Msun.Analysis.Core.Results;

/// <summary>One method and scoring at one test size (or the mean over sizes), over its training seeds.</summary>
/// <param name="Method">Method name.</param>
/// <param name="Scoring">Scoring (<see cref="MultiScaleScoring"/>).</param>
/// <param name="Size">Test size in px; null for the mean over the test sizes.</param>
/// <param name="Seeds">The training seeds, in order.</param>
/// <param name="Values">Accuracy of each seed (fractions), in the order of <paramref name="Seeds"/>.</param>
public sealed record SeedAccuracyRow(string Method, string Scoring, int? Size, IReadOnlyList<int> Seeds, IReadOnlyList<double> Values)
{
    /// <summary>Mean over the seeds.</summary>
    public double Mean => Values.Average();

    /// <summary>Sample standard deviation over the seeds (n − 1); NaN for one seed.</summary>
    public double Std
    {
        get
        {
            if (Values.Count < 2) return double.NaN;
            var m = Mean;
            return Math.Sqrt(Values.Sum(v => (v - m) * (v - m)) / (Values.Count - 1));
        }
    }

    /// <inheritdoc />
    public bool Equals(SeedAccuracyRow? other) =>
        other is not null && Method == other.Method && Scoring == other.Scoring && Size == other.Size
        && Seeds.SequenceEqual(other.Seeds) && Values.SequenceEqual(other.Values);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Method, Scoring, Size, Seeds.Count);
}

/// <summary>
/// Accuracy per method, scoring and test size as mean ± std over the training seeds (and the mean over sizes), built
/// from each seed's <see cref="MultiScaleAccuracy"/>; written as <c>seeds.json</c> (with every seed's value) and
/// <c>seeds.csv</c> (<c>method, scoring, size, seeds, mean, std</c>; an empty size is the mean over the test sizes,
/// std is NaN for one seed).
/// </summary>
public sealed record SeedAccuracyTable
{
    /// <summary>The <c>format</c> tag of the JSON files.</summary>
    public const string JsonFormat = "msun.seed-accuracy/1";

    private static readonly string[] CsvColumns = ["method", "scoring", "size", "seeds", "mean", "std"];

    /// <summary>Creates a table.</summary>
    public SeedAccuracyTable(IReadOnlyList<SeedAccuracyRow> rows, IReadOnlyDictionary<string, string>? provenance = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        foreach (var r in rows)
        {
            ArgumentNullException.ThrowIfNull(r, nameof(rows));
            if (r.Values.Count == 0 || r.Values.Count != r.Seeds.Count)
                throw new ArgumentException($"{r.Method} / {r.Scoring}: {r.Values.Count} values for {r.Seeds.Count} seeds.", nameof(rows));
        }

        Rows = rows.ToArray();
        Provenance = new SortedDictionary<string, string>(
            (provenance ?? new Dictionary<string, string>()).ToDictionary(p => p.Key, p => p.Value), StringComparer.Ordinal);
    }

    /// <summary>Rows in order.</summary>
    public IReadOnlyList<SeedAccuracyRow> Rows { get; }

    /// <summary>Provenance entries, sorted by key.</summary>
    public IReadOnlyDictionary<string, string> Provenance { get; }

    /// <summary>
    /// The table of several methods: per method, one result per seed and scoring (every seed scored the same way on
    /// the same test sizes); one row per scoring and size plus one per scoring for the mean over sizes.
    /// </summary>
    /// <param name="perMethod">Per method name, per seed its results (one per scoring).</param>
    /// <param name="provenance">How the results were made.</param>
    public static SeedAccuracyTable Build(IReadOnlyList<(string Method, IReadOnlyList<(int Seed, IReadOnlyList<MultiScaleAccuracy> Results)> Seeds)> perMethod,
        IReadOnlyDictionary<string, string>? provenance = null)
    {
        ArgumentNullException.ThrowIfNull(perMethod);
        var rows = new List<SeedAccuracyRow>();
        foreach (var (method, seeds) in perMethod)
        {
            if (seeds.Count == 0) throw new ArgumentException($"method '{method}' has no seeds.", nameof(perMethod));
            var seedIds = seeds.Select(s => s.Seed).ToArray();
            foreach (var first in seeds[0].Results)
            {
                var results = seeds.Select(s => s.Results.FirstOrDefault(r => r.Scoring == first.Scoring)
                    ?? throw new ArgumentException($"method '{method}' seed {s.Seed} has no '{first.Scoring}' result.", nameof(perMethod))).ToArray();
                foreach (var size in first.TestSizes)
                    rows.Add(new SeedAccuracyRow(method, first.Scoring, size, seedIds, results.Select(r => r.AccuracyAt(size)).ToArray()));
                rows.Add(new SeedAccuracyRow(method, first.Scoring, null, seedIds, results.Select(r => r.MeanAccuracy).ToArray()));
            }
        }

        return new SeedAccuracyTable(rows, provenance);
    }

    /// <summary>The row of one method, scoring and size (null: mean over sizes).</summary>
    public SeedAccuracyRow Row(string method, string scoring, int? size) =>
        Rows.FirstOrDefault(r => r.Method == method && r.Scoring == scoring && r.Size == size)
        ?? throw new ArgumentException($"no row {method} / {scoring} / {(size is int s ? s.ToString(CultureInfo.InvariantCulture) : "mean")}.");

    /// <summary>Writes the table as JSON (UTF-8).</summary>
    public void WriteJson(Stream stream, bool indented = true) =>
        ResultTableJson.Write(stream, indented, JsonFormat, Provenance, Rows, static (w, r) =>
        {
            w.WriteString("method", r.Method);
            w.WriteString("scoring", r.Scoring);
            if (r.Size is int size) w.WriteNumber("size", size);
            else w.WriteNull("size");
            w.WriteStartArray("seeds");
            foreach (var s in r.Seeds) w.WriteNumberValue(s);
            w.WriteEndArray();
            w.WriteStartArray("values");
            foreach (var v in r.Values) w.WriteNumberValue(v);
            w.WriteEndArray();
            w.WriteNumber("mean", r.Mean);
            if (double.IsNaN(r.Std)) w.WriteNull("std");
            else w.WriteNumber("std", r.Std);
        });

    /// <summary>Reads a table written by <see cref="WriteJson"/>.</summary>
    /// <exception cref="InvalidDataException">Not valid JSON, another format, or a missing or invalid field.</exception>
    public static SeedAccuracyTable ReadJson(Stream stream, string source = "JSON") =>
        ResultTableJson.Read(stream, source, JsonFormat, static (root, provenance) => new SeedAccuracyTable(
            root.GetProperty("rows").EnumerateArray().Select(r => new SeedAccuracyRow(
                r.GetProperty("method").GetString()!, r.GetProperty("scoring").GetString()!,
                r.GetProperty("size").ValueKind == System.Text.Json.JsonValueKind.Null ? null : r.GetProperty("size").GetInt32(),
                r.GetProperty("seeds").EnumerateArray().Select(s => s.GetInt32()).ToArray(),
                r.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray())).ToArray(), provenance));

    /// <summary>Writes the summary as CSV (per-seed values and provenance are JSON-only).</summary>
    public void WriteCsv(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Csv.Write(writer, CsvColumns, Rows.Select(r => (IReadOnlyList<string>)
        [
            r.Method, r.Scoring, r.Size is int s ? Csv.Number(s) : "", Csv.Number(r.Seeds.Count), Csv.Number(r.Mean), Csv.Number(r.Std),
        ]));
    }

    /// <summary>Writes a JSON file atomically.</summary>
    public void WriteJsonFile(string path) => AtomicFile.Write(path, s => WriteJson(s));

    /// <summary>Writes a CSV file atomically.</summary>
    public void WriteCsvFile(string path) => AtomicFile.WriteText(path, WriteCsv);

    /// <summary>Reads a JSON file.</summary>
    public static SeedAccuracyTable ReadJsonFile(string path) => ResultTableJson.ReadJsonFile(path, ReadJson);

    /// <inheritdoc />
    public bool Equals(SeedAccuracyTable? other) =>
        other is not null && Rows.SequenceEqual(other.Rows)
        && Provenance.Count == other.Provenance.Count && Provenance.All(p => other.Provenance.TryGetValue(p.Key, out var v) && v == p.Value);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Rows.Count, Provenance.Count);
}
