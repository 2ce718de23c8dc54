using System.Text;
using System.Text.Json;

namespace Msun.Analysis.Core.Results;

/// <summary>
/// The JSON shape shared by the tabular result files (MAC table, method comparison):
/// <c>{ "format": ..., [header fields], "provenance": { ... }, "rows": [ { ... }, ... ] }</c>.
/// </summary>
internal static class ResultTableJson
{
    // Result files hold names such as "±" and "<="; relaxed escaping keeps them readable in the file.
    private static readonly System.Text.Encodings.Web.JavaScriptEncoder Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    /// <summary>The document <paramref name="write"/> produces, as a string.</summary>
    public static string ToJson(Action<Stream> write)
    {
        using var stream = new MemoryStream();
        write(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Writes the document: format, optional header fields, provenance, then one object per row.</summary>
    public static void Write<TRow>(Stream stream, bool indented, string format, IReadOnlyDictionary<string, string> provenance,
        IEnumerable<TRow> rows, Action<Utf8JsonWriter, TRow> writeRow, Action<Utf8JsonWriter>? header = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented, Encoder = Encoder });
        w.WriteStartObject();
        w.WriteString("format", format);
        header?.Invoke(w);
        w.WriteStartObject("provenance");
        foreach (var (key, value) in provenance) w.WriteString(key, value);
        w.WriteEndObject();
        w.WriteStartArray("rows");
        foreach (var row in rows)
        {
            w.WriteStartObject();
            writeRow(w, row);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>Parses a document of <paramref name="format"/> and builds the result from its root and provenance.</summary>
    /// <exception cref="InvalidDataException">Not valid JSON, another format, or a missing or invalid field (named with <paramref name="source"/>).</exception>
    public static T Read<T>(Stream stream, string source, string format, Func<JsonElement, IReadOnlyDictionary<string, string>, T> build)
    {
        ArgumentNullException.ThrowIfNull(stream);
        try
        {
            using var doc = JsonDocument.Parse(stream);
            var root = doc.RootElement;
            var found = root.GetProperty("format").GetString();
            if (found != format) throw new InvalidDataException($"{source}: format is '{found}'; expected '{format}'.");
            var provenance = root.GetProperty("provenance").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
            return build(root, provenance);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new InvalidDataException($"{source}: {e.Message}", e);
        }
    }

    /// <summary>Opens <paramref name="path"/> and reads it with <paramref name="read"/>, naming the file in errors.</summary>
    public static T ReadJsonFile<T>(string path, Func<Stream, string, T> read)
    {
        using var stream = File.OpenRead(path);
        return read(stream, path);
    }

    /// <summary>Opens <paramref name="path"/> as UTF-8 text and reads it with <paramref name="read"/>, naming the file in errors.</summary>
    public static T ReadCsvFile<T>(string path, Func<TextReader, string, T> read)
    {
        using var reader = new StreamReader(path, Encoding.UTF8);
        return read(reader, path);
    }

}
