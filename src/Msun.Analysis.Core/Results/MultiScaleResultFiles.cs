using System.Text;
using System.Text.Json;

using Msun.Analysis.Core.IO;

namespace Msun.Analysis.Core.Results;

/// <summary>
/// JSON and CSV files of <see cref="MultiScaleAccuracy"/> results.
/// </summary>
/// <remarks>
/// <para>JSON (the complete record): <c>{"format": "msun.multiscale-accuracy/1", "results": [{"model",
/// "scoring", "reference_size", "images", "mean_accuracy", "test_sizes", "provenance": {..}, "sizes":
/// [{"size", "branch", "correct", "total", "accuracy", "correct_per_class", "total_per_class"}]}]}</c>.
/// Derived numbers (images, accuracies, means) are written for readers and recomputed on reading.</para>
/// <para>CSV (the table, no provenance): one header line, then one row per result and test size with the
/// columns <c>model, scoring, reference_size, size, branch, images, correct, accuracy</c> followed by
/// <c>class_K_correct, class_K_total</c> for every class K. Numbers use the invariant culture (doubles in
/// round-trip form); fields are quoted only when they hold a comma, a quote or a line break. Reading
/// groups rows by (model, scoring) in file order; the derived columns are checked against the counts.</para>
/// <para>The path-based writers go through a temporary file and a rename: a failed write leaves nothing.</para>
/// </remarks>
public static class MultiScaleResultFiles
{
    /// <summary>The <c>format</c> tag of the JSON files.</summary>
    public const string JsonFormat = "msun.multiscale-accuracy/1";

    private static readonly string[] CsvColumns = ["model", "scoring", "reference_size", "size", "branch", "images", "correct", "accuracy"];

    /// <summary>The results as one indented JSON document.</summary>
    public static string ToJson(IReadOnlyList<MultiScaleAccuracy> results, bool indented = true)
    {
        using var stream = new MemoryStream();
        WriteJson(stream, results, indented);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Writes the results as JSON (UTF-8) to a stream.</summary>
    public static void WriteJson(Stream stream, IReadOnlyList<MultiScaleAccuracy> results, bool indented = true)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(results);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        w.WriteStartObject();
        w.WriteString("format", JsonFormat);
        w.WriteStartArray("results");
        foreach (var r in results)
        {
            w.WriteStartObject();
            w.WriteString("model", r.Model);
            w.WriteString("scoring", r.Scoring);
            w.WriteNumber("reference_size", r.ReferenceSize);
            w.WriteNumber("images", r.Images);
            w.WriteNumber("mean_accuracy", r.MeanAccuracy);
            w.WriteStartArray("test_sizes");
            foreach (var s in r.TestSizes) w.WriteNumberValue(s);
            w.WriteEndArray();
            w.WriteStartObject("provenance");
            foreach (var (key, value) in r.Provenance) w.WriteString(key, value);
            w.WriteEndObject();
            w.WriteStartArray("sizes");
            foreach (var s in r.Sizes)
            {
                w.WriteStartObject();
                w.WriteNumber("size", s.Size);
                w.WriteString("branch", s.Branch);
                w.WriteNumber("correct", s.Correct);
                w.WriteNumber("total", s.Total);
                w.WriteNumber("accuracy", s.Accuracy);
                w.WriteStartArray("correct_per_class");
                foreach (var c in s.CorrectPerClass) w.WriteNumberValue(c);
                w.WriteEndArray();
                w.WriteStartArray("total_per_class");
                foreach (var c in s.TotalPerClass) w.WriteNumberValue(c);
                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>Reads results written by <see cref="WriteJson"/>.</summary>
    /// <exception cref="InvalidDataException">Not valid JSON, another format, a missing field or inconsistent counts.</exception>
    public static IReadOnlyList<MultiScaleAccuracy> ReadJson(Stream stream, string source = "JSON")
    {
        ArgumentNullException.ThrowIfNull(stream);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(stream);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not valid JSON: {e.Message}", e);
        }

        using (doc)
        {
            try
            {
                var root = doc.RootElement;
                var format = root.GetProperty("format").GetString();
                if (format != JsonFormat)
                    throw new InvalidDataException($"{source}: format is '{format}'; expected '{JsonFormat}'.");
                var results = new List<MultiScaleAccuracy>();
                foreach (var r in root.GetProperty("results").EnumerateArray())
                {
                    var sizes = r.GetProperty("sizes").EnumerateArray().Select(s =>
                    {
                        var acc = new SizeAccuracy(
                            s.GetProperty("size").GetInt32(), s.GetProperty("branch").GetString()!,
                            s.GetProperty("correct_per_class").EnumerateArray().Select(e => e.GetInt64()).ToArray(),
                            s.GetProperty("total_per_class").EnumerateArray().Select(e => e.GetInt64()).ToArray());
                        if (acc.Correct != s.GetProperty("correct").GetInt64() || acc.Total != s.GetProperty("total").GetInt64())
                            throw new InvalidDataException($"{source}: size {acc.Size}: correct/total disagree with the per-class counts.");
                        // The stored accuracy is derived, but a reader must not keep a NaN or a stale value silently.
                        var stored = Number(s, "accuracy");
                        if (!(Math.Abs(stored - acc.Accuracy) <= 1e-12))
                            throw new InvalidDataException(FormattableString.Invariant(
                                $"{source}: size {acc.Size}: accuracy {stored} disagrees with correct/total = {acc.Accuracy}."));
                        return acc;
                    }).ToArray();
                    var provenance = r.GetProperty("provenance").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
                    var result = new MultiScaleAccuracy(
                        r.GetProperty("model").GetString()!, r.GetProperty("scoring").GetString()!,
                        r.GetProperty("reference_size").GetInt32(), sizes, provenance);
                    var storedMean = Number(r, "mean_accuracy");
                    if (!(Math.Abs(storedMean - result.MeanAccuracy) <= 1e-12))
                        throw new InvalidDataException(FormattableString.Invariant(
                            $"{source}: {result.Model} / {result.Scoring}: mean_accuracy {storedMean} disagrees with the mean over sizes = {result.MeanAccuracy}."));
                    results.Add(result);
                }

                return results;
            }
            catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
            {
                throw new InvalidDataException($"{source}: {e.Message}", e);
            }
        }
    }

    /// <summary>A JSON number, or NaN written as the string "NaN" (which a reader must then reject, not skip).</summary>
    private static double Number(JsonElement e, string name)
    {
        var value = e.GetProperty(name);
        return value.ValueKind == JsonValueKind.String && value.GetString() == "NaN" ? double.NaN : value.GetDouble();
    }

    /// <summary>Writes the results as CSV (see the remarks of <see cref="MultiScaleResultFiles"/>); all results must have the same number of classes.</summary>
    public static void WriteCsv(TextWriter writer, IReadOnlyList<MultiScaleAccuracy> results)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(results);
        if (results.Count == 0) throw new ArgumentException("results is empty; nothing to write.", nameof(results));
        int classes = results[0].Classes;
        if (results.FirstOrDefault(r => r.Classes != classes) is { } odd)
            throw new ArgumentException(
                $"results have different class counts ({classes} and {odd.Classes}); one CSV holds one class layout.", nameof(results));
        string[] header = [.. CsvColumns, .. Enumerable.Range(0, classes).SelectMany(k => new[] { $"class_{k}_correct", $"class_{k}_total" })];
        Csv.Write(writer, header, results.SelectMany(r => r.Sizes.Select(s => (IReadOnlyList<string>)
        [
            r.Model, r.Scoring, Csv.Number(r.ReferenceSize), Csv.Number(s.Size), s.Branch,
            Csv.Number(s.Total), Csv.Number(s.Correct), Csv.Number(s.Accuracy),
            .. Enumerable.Range(0, classes).SelectMany(k => new[] { Csv.Number(s.CorrectPerClass[k]), Csv.Number(s.TotalPerClass[k]) }),
        ])));
    }

    /// <summary>Reads results written by <see cref="WriteCsv"/> (without provenance, which only JSON holds).</summary>
    /// <exception cref="InvalidDataException">A missing column, a malformed number or inconsistent counts.</exception>
    public static IReadOnlyList<MultiScaleAccuracy> ReadCsv(TextReader reader, string source = "CSV")
    {
        ArgumentNullException.ThrowIfNull(reader);
        var (col, records) = Csv.ReadTable(reader, CsvColumns, source);
        int classes = 0;
        while (col.ContainsKey($"class_{classes}_correct") && col.ContainsKey($"class_{classes}_total")) classes++;
        if (classes == 0) throw new InvalidDataException($"{source}: no class_0_correct / class_0_total columns.");

        var groups = new List<(string Model, string Scoring, int Reference, List<SizeAccuracy> Sizes)>();
        for (int i = 0; i < records.Count; i++)
        {
            var f = records[i];
            int row = i + 1;
            string model = f[col["model"]], scoring = f[col["scoring"]];
            int reference = Csv.ParseInt(f[col["reference_size"]], "reference_size", row, source);
            var correct = new long[classes];
            var total = new long[classes];
            for (int k = 0; k < classes; k++)
            {
                correct[k] = Csv.ParseLong(f[col[$"class_{k}_correct"]], $"class_{k}_correct", row, source);
                total[k] = Csv.ParseLong(f[col[$"class_{k}_total"]], $"class_{k}_total", row, source);
            }

            SizeAccuracy s;
            try
            {
                s = new SizeAccuracy(Csv.ParseInt(f[col["size"]], "size", row, source), f[col["branch"]], correct, total);
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"{source}: row {row}: {e.Message}", e);
            }

            if (s.Correct != Csv.ParseLong(f[col["correct"]], "correct", row, source)
                || s.Total != Csv.ParseLong(f[col["images"]], "images", row, source))
                throw new InvalidDataException($"{source}: row {row}: correct/images disagree with the per-class columns.");
            if (groups.Count == 0 || groups[^1].Model != model || groups[^1].Scoring != scoring)
                groups.Add((model, scoring, reference, []));
            else if (groups[^1].Reference != reference)
                throw new InvalidDataException($"{source}: row {row}: reference_size changes within {model} / {scoring}.");
            groups[^1].Sizes.Add(s);
        }

        try
        {
            return groups.Select(g => new MultiScaleAccuracy(g.Model, g.Scoring, g.Reference, g.Sizes)).ToArray();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{source}: {e.Message}", e);
        }
    }

    /// <summary>Writes a JSON file atomically (temporary file + rename).</summary>
    public static void WriteJsonFile(string path, IReadOnlyList<MultiScaleAccuracy> results) =>
        AtomicFile.Write(path, s => WriteJson(s, results));

    /// <summary>Reads a JSON file written by <see cref="WriteJsonFile"/>.</summary>
    public static IReadOnlyList<MultiScaleAccuracy> ReadJsonFile(string path)
    {
        using var stream = File.OpenRead(path);
        return ReadJson(stream, path);
    }

    /// <summary>Writes a CSV file atomically (temporary file + rename).</summary>
    public static void WriteCsvFile(string path, IReadOnlyList<MultiScaleAccuracy> results) =>
        AtomicFile.WriteText(path, w => WriteCsv(w, results));

    /// <summary>Reads a CSV file written by <see cref="WriteCsvFile"/>.</summary>
    public static IReadOnlyList<MultiScaleAccuracy> ReadCsvFile(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8);
        return ReadCsv(reader, path);
    }
}
