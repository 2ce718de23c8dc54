using System.Globalization;
using System.Text;
using System.Text.Json;
using Msun.Analysis.Core.Cka;
using Msun.Analysis.Core.Statistics;

namespace Msun.Analysis.Core.Results;

/// <summary>
/// The full block × block CKA grid at one probe size (reference block i against probe block j) over k repeats:
/// each repeat's grid, and per entry the mean ± sample std over the repeats (NaN propagates, as in <see cref="CkaProfile"/>).
/// </summary>
/// <remarks>
/// Files. JSON (<see cref="ToJson"/>): <c>"format": "msun-cka-grid/1"</c>, <c>probe</c>, <c>row_blocks</c> (reference
/// side), <c>column_blocks</c> (probe side), <c>mean</c> and <c>std</c> as row-major nested arrays, <c>repeats</c>
/// (one nested array per repeat), <c>provenance</c>; NaN is written as the string <c>"NaN"</c>. CSV
/// (<see cref="WriteCsv(TextWriter)"/>), long format, one row per entry: <c>row_block,column_block,probe,mean,std,repeats,non_finite</c>.
/// </remarks>
public sealed record CkaGridSummary
{
    /// <summary>The format tag written first in the JSON file.</summary>
    public const string JsonFormat = "msun-cka-grid/1";

    /// <summary>Creates the summary from the grid of every repeat.</summary>
    /// <param name="probe">Probe size of the grid.</param>
    /// <param name="repeats">One grid per repeat, all over the same blocks.</param>
    /// <param name="provenance">How the numbers were made.</param>
    /// <exception cref="ArgumentException">No repeats, or grids over different blocks.</exception>
    public CkaGridSummary(int probe, IReadOnlyList<CkaGrid> repeats, IReadOnlyDictionary<string, string> provenance)
    {
        ArgumentNullException.ThrowIfNull(repeats);
        ArgumentNullException.ThrowIfNull(provenance);
        if (probe < 1) throw new ArgumentOutOfRangeException(nameof(probe), probe, "a probe size must be positive.");
        if (repeats.Count == 0) throw new ArgumentException("a grid summary needs at least one repeat.", nameof(repeats));
        var first = repeats[0];
        foreach (var g in repeats)
        {
            ArgumentNullException.ThrowIfNull(g);
            if (!g.RowLayers.SequenceEqual(first.RowLayers) || !g.ColumnLayers.SequenceEqual(first.ColumnLayers))
                throw new ArgumentException("every repeat's grid must cover the same blocks in the same order.", nameof(repeats));
        }
        Probe = probe;
        RowBlocks = [.. first.RowLayers];
        ColumnBlocks = [.. first.ColumnLayers];
        Repeats = [.. repeats];
        int rows = RowBlocks.Count, columns = ColumnBlocks.Count;
        Mean = new double[rows, columns];
        StandardDeviation = new double[rows, columns];
        Summaries = new SampleSummary[rows, columns];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++)
            {
                var s = SampleSummary.Of(Repeats.Select(g => g.Values[i, j]).ToArray());
                Summaries[i, j] = s;
                Mean[i, j] = s.Mean;
                StandardDeviation[i, j] = s.StandardDeviation;
            }
        Provenance = new SortedDictionary<string, string>(provenance.ToDictionary(), StringComparer.Ordinal);
    }

    /// <summary>Probe size.</summary>
    public int Probe { get; }

    /// <summary>Reference-side blocks (rows).</summary>
    public IReadOnlyList<string> RowBlocks { get; }

    /// <summary>Probe-side blocks (columns).</summary>
    public IReadOnlyList<string> ColumnBlocks { get; }

    /// <summary>Each repeat's grid.</summary>
    public IReadOnlyList<CkaGrid> Repeats { get; }

    /// <summary>Mean over the repeats per entry.</summary>
    public double[,] Mean { get; }

    /// <summary>Sample std over the repeats per entry (NaN with one repeat).</summary>
    public double[,] StandardDeviation { get; }

    /// <summary>The full summary per entry.</summary>
    public SampleSummary[,] Summaries { get; }

    /// <summary>How the numbers were made, sorted by key.</summary>
    public IReadOnlyDictionary<string, string> Provenance { get; }

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/> atomically.</summary>
    public void WriteJsonFile(string path) => IO.AtomicFile.WriteText(path, w => w.Write(ToJson()));

    /// <summary>Reads a grid file written by <see cref="WriteJsonFile"/> (or any <c>grid.json</c>); errors name the path.</summary>
    public static CkaGridSummary ReadJsonFile(string path) => FromJson(File.ReadAllText(path), path);

    /// <summary>The grid as indented JSON (see the remarks).</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", JsonFormat);
            w.WriteNumber("probe", Probe);
            w.WriteStartArray("row_blocks");
            foreach (var b in RowBlocks) w.WriteStringValue(b);
            w.WriteEndArray();
            w.WriteStartArray("column_blocks");
            foreach (var b in ColumnBlocks) w.WriteStringValue(b);
            w.WriteEndArray();
            w.WritePropertyName("mean");
            Matrix(w, Mean);
            w.WritePropertyName("std");
            Matrix(w, StandardDeviation);
            w.WriteStartArray("repeats");
            foreach (var g in Repeats) Matrix(w, g.Values);
            w.WriteEndArray();
            w.WriteStartObject("provenance");
            foreach (var (k, v) in Provenance) w.WriteString(k, v);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>
    /// Reads a grid written by <see cref="ToJson"/>. The per-repeat metadata of <see cref="CkaGrid"/> that the file does not
    /// hold (kernel, batch size, batch count) is taken from the provenance (<c>kernel</c>, <c>batch_size</c>) where present.
    /// </summary>
    /// <param name="json">The file's text.</param>
    /// <param name="source">Named in error messages (e.g. the path).</param>
    /// <exception cref="InvalidDataException">Not JSON, another format tag, or a missing, mis-shaped or inconsistent field (named).</exception>
    public static CkaGridSummary FromJson(string json, string source = "grid JSON")
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            string? format = root.TryGetProperty("format", out var f) ? f.GetString() : null;
            if (format != JsonFormat)
                throw new InvalidDataException($"{source}: expected \"format\": \"{JsonFormat}\"; got {(format is null ? "none" : $"\"{format}\"")}.");
            int probe = root.GetProperty("probe").GetInt32();
            string[] rows = root.GetProperty("row_blocks").EnumerateArray().Select(e => e.GetString()!).ToArray();
            string[] columns = root.GetProperty("column_blocks").EnumerateArray().Select(e => e.GetString()!).ToArray();
            var provenance = root.GetProperty("provenance").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
            string kernel = provenance.GetValueOrDefault("kernel", "unknown");
            int batchSize = int.TryParse(provenance.GetValueOrDefault("batch_size"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int b) ? b : 0;
            var repeats = root.GetProperty("repeats").EnumerateArray().Select((r, k) =>
            {
                var values = ReadMatrix(r, rows.Length, columns.Length, $"repeat {k + 1}", source);
                return new CkaGrid(rows, columns, values, new string?[rows.Length, columns.Length], kernel, batchSize, 0, null);
            }).ToArray();
            var summary = new CkaGridSummary(probe, repeats, provenance);
            // The written mean is derived; a file whose mean disagrees with its repeats has been edited or damaged.
            var mean = ReadMatrix(root.GetProperty("mean"), rows.Length, columns.Length, "mean", source);
            for (int i = 0; i < rows.Length; i++)
                for (int j = 0; j < columns.Length; j++)
                    if (!SameNumber(mean[i, j], summary.Mean[i, j], 1e-12))
                        throw new InvalidDataException($"{source}: mean[{rows[i]}, {columns[j]}] = {mean[i, j].ToString("R", CultureInfo.InvariantCulture)} disagrees with the mean of the repeats ({summary.Mean[i, j].ToString("R", CultureInfo.InvariantCulture)}).");
            return summary;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new InvalidDataException($"{source}: invalid CKA grid JSON: {e.Message}", e);
        }
    }

    /// <summary>The summary of every entry, row-major, as the rows of the CSV (<see cref="WriteCsv(TextWriter)"/>).</summary>
    public IReadOnlyList<CkaGridEntry> Entries() =>
        [.. from i in Enumerable.Range(0, RowBlocks.Count)
            from j in Enumerable.Range(0, ColumnBlocks.Count)
            let s = Summaries[i, j]
            select new CkaGridEntry(RowBlocks[i], ColumnBlocks[j], Probe, s.Mean, s.StandardDeviation, s.Count, s.NonFiniteCount)];

    /// <inheritdoc />
    public bool Equals(CkaGridSummary? other) =>
        other is not null && Probe == other.Probe && RowBlocks.SequenceEqual(other.RowBlocks) && ColumnBlocks.SequenceEqual(other.ColumnBlocks)
        && Repeats.Count == other.Repeats.Count
        && Repeats.Zip(other.Repeats).All(p => p.First.Values.Cast<double>().SequenceEqual(p.Second.Values.Cast<double>()))
        && Provenance.Count == other.Provenance.Count
        && Provenance.All(p => other.Provenance.TryGetValue(p.Key, out var v) && v == p.Value);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Probe, RowBlocks.Count, ColumnBlocks.Count, Repeats.Count);

    private static double[,] ReadMatrix(JsonElement element, int rows, int columns, string what, string source)
    {
        var values = new double[rows, columns];
        var outer = element.EnumerateArray().ToArray();
        if (outer.Length != rows) throw new InvalidDataException($"{source}: {what} has {outer.Length} rows; the grid has {rows} row blocks.");
        for (int i = 0; i < rows; i++)
        {
            var inner = outer[i].EnumerateArray().ToArray();
            if (inner.Length != columns) throw new InvalidDataException($"{source}: {what} row {i + 1} has {inner.Length} entries; the grid has {columns} column blocks.");
            for (int j = 0; j < columns; j++)
                values[i, j] = inner[j].ValueKind == JsonValueKind.String
                    ? double.Parse(inner[j].GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture)
                    : inner[j].GetDouble();
        }

        return values;
    }

    private static bool SameNumber(double a, double b, double tolerance) =>
        (double.IsNaN(a) && double.IsNaN(b)) || a == b || Math.Abs(a - b) <= tolerance * Math.Max(1, Math.Abs(b));

    /// <summary>The columns of <see cref="WriteCsv(TextWriter)"/>.</summary>
    public static IReadOnlyList<string> CsvColumns { get; } = ["row_block", "column_block", "probe", "mean", "std", "repeats", "non_finite"];

    /// <summary>Long-format CSV of <see cref="Entries"/>: <c>row_block,column_block,probe,mean,std,repeats,non_finite</c>.</summary>
    public void WriteCsv(TextWriter writer) => WriteCsv(writer, Entries());

    /// <summary>Writes grid entries as CSV (the layout of <see cref="WriteCsv(TextWriter)"/>).</summary>
    public static void WriteCsv(TextWriter writer, IEnumerable<CkaGridEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        Csv.Write(writer, CsvColumns, entries.Select(e => (IReadOnlyList<string>)
            [e.RowBlock, e.ColumnBlock, Csv.Number(e.Probe), Csv.Number(e.Mean), Csv.Number(e.StandardDeviation), Csv.Number(e.Repeats), Csv.Number(e.NonFinite)]));
    }

    /// <summary>Reads the entries of a grid CSV (the CSV holds the summary per entry, not the repeats, so it gives entries, not a summary).</summary>
    /// <exception cref="InvalidDataException">A missing column or a malformed number (named with its row).</exception>
    public static IReadOnlyList<CkaGridEntry> ReadCsv(TextReader reader, string source = "grid CSV")
    {
        ArgumentNullException.ThrowIfNull(reader);
        var (col, rows) = Csv.ReadTable(reader, CsvColumns, source);
        return [.. rows.Select((f, i) => new CkaGridEntry(f[col["row_block"]], f[col["column_block"]],
            Csv.ParseInt(f[col["probe"]], "probe", i + 1, source), Csv.ParseDouble(f[col["mean"]], "mean", i + 1, source),
            Csv.ParseDouble(f[col["std"]], "std", i + 1, source), Csv.ParseInt(f[col["repeats"]], "repeats", i + 1, source),
            Csv.ParseInt(f[col["non_finite"]], "non_finite", i + 1, source)))];
    }

    private static void Matrix(Utf8JsonWriter w, double[,] values)
    {
        w.WriteStartArray();
        for (int i = 0; i < values.GetLength(0); i++)
        {
            w.WriteStartArray();
            for (int j = 0; j < values.GetLength(1); j++)
            {
                double v = values[i, j];
                if (double.IsFinite(v)) w.WriteNumberValue(v);
                else w.WriteStringValue(v.ToString(CultureInfo.InvariantCulture));
            }
            w.WriteEndArray();
        }
        w.WriteEndArray();
    }

}

/// <summary>One entry of a <see cref="CkaGridSummary"/> as a row of its CSV.</summary>
/// <param name="RowBlock">Reference-side block.</param>
/// <param name="ColumnBlock">Probe-side block.</param>
/// <param name="Probe">Probe size.</param>
/// <param name="Mean">Mean CKA over the repeats (NaN when undefined).</param>
/// <param name="StandardDeviation">Sample std over the repeats (NaN with one repeat).</param>
/// <param name="Repeats">How many repeats.</param>
/// <param name="NonFinite">How many repeats were NaN.</param>
public sealed record CkaGridEntry(string RowBlock, string ColumnBlock, int Probe, double Mean, double StandardDeviation, int Repeats, int NonFinite);
