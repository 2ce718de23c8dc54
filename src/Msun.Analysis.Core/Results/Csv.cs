using System.Globalization;
using CsvHelper;

namespace Msun.Analysis.Core.Results;

/// <summary>
/// The one CSV dialect of the result files, read and written through CsvHelper: comma-separated, one header line, LF line
/// ends, numbers in the invariant culture (round-trip format for doubles, <c>NaN</c> for an undefined value, an empty field
/// for one that was not computed), and a field quoted with <c>"</c> (inner quotes doubled) only when it holds a comma, a
/// quote or a line break (RFC 4180). No formula-injection escaping: a leading '-' is a negative number, not a formula.
/// </summary>
internal static class Csv
{
    private static readonly CsvWriterOptions WriterOptions = new()
    {
        Separator = ',',
        NewLine = "\n",
        Quoting = CsvQuoting.WhenNeeded,
        Injection = CsvInjection.None,
        ValidateFieldCount = true,
    };

    private static readonly CsvReaderOptions ReaderOptions = new()
    {
        // Never guess the separator: a result file is comma-separated, and a one-column file has nothing to detect.
        Separator = ',',
        HasHeader = false,
        AllowLineBreaksInQuotes = true,
        TrimWhitespace = false,
        MalformedData = CsvMalformedDataHandling.Throw,
        // Field counts are checked by the callers, whose messages name the row and the header's count.
        FieldCountMismatch = CsvFieldCountHandling.Allow,
        FormatProvider = CultureInfo.InvariantCulture,
    };

    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Number(double value) => double.IsNaN(value) ? "NaN" : value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>An optional number: empty when it was not computed.</summary>
    public static string Optional(double? value) => value is { } v ? Number(v) : "";

    /// <summary>Writes a header and the rows; every row must have as many fields as the header.</summary>
    public static void Write(TextWriter writer, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        ArgumentNullException.ThrowIfNull(writer);
        using var csv = CsvWriter.Create(writer, WriterOptions, leaveOpen: true);
        csv.WriteHeader([.. header]);
        foreach (var row in rows) csv.WriteRecord([.. row]);
        csv.Flush();
    }

    /// <summary>Reads every record (a list of fields) of a CSV text, the header included; a quoted field may span lines.</summary>
    /// <exception cref="InvalidDataException">Malformed quoting (the message names <paramref name="source"/> and the line).</exception>
    public static List<string[]> ReadAll(TextReader reader, string source)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var records = new List<string[]>();
        try
        {
            using var csv = CsvReader.Create(reader, ReaderOptions, leaveOpen: true);
            while (csv.Read())
            {
                var fields = new string[csv.FieldCount];
                for (int i = 0; i < fields.Length; i++) fields[i] = csv.GetString(i);
                records.Add(fields);
            }
        }
        catch (CsvFormatException e)
        {
            throw new InvalidDataException($"{source}: malformed CSV: {e.Message}", e);
        }

        return records;
    }

    /// <summary>Reads a CSV with a header that must hold <paramref name="required"/>: the column map and the data rows (each checked to have the header's field count).</summary>
    public static (Dictionary<string, int> Columns, List<string[]> Rows) ReadTable(TextReader reader, IEnumerable<string> required, string source)
    {
        var records = ReadAll(reader, source);
        if (records.Count == 0) throw new InvalidDataException($"{source}: empty; expected a header line.");
        var columns = Header(records[0], required, source);
        for (int row = 1; row < records.Count; row++)
            if (records[row].Length != records[0].Length)
                throw new InvalidDataException($"{source}: row {row} has {records[row].Length} fields; the header has {records[0].Length}.");
        return (columns, records.GetRange(1, records.Count - 1));
    }

    /// <summary>Maps header names to column indices, failing with the missing names.</summary>
    public static Dictionary<string, int> Header(string[] header, IEnumerable<string> required, string source)
    {
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < header.Length; i++)
        {
            if (!map.TryAdd(header[i], i)) throw new InvalidDataException($"{source}: column '{header[i]}' appears twice in the header.");
        }

        var missing = required.Where(r => !map.ContainsKey(r)).ToArray();
        if (missing.Length > 0)
            throw new InvalidDataException($"{source}: the header lacks column(s) {string.Join(", ", missing)}.");
        return map;
    }

    public static long ParseLong(string text, string column, int row, string source) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v)
            ? v
            : throw new InvalidDataException($"{source}: row {row}: column {column} is '{text}', not an integer.");

    public static int ParseInt(string text, string column, int row, string source) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v)
            ? v
            : throw new InvalidDataException($"{source}: row {row}: column {column} is '{text}', not an integer.");

    /// <summary>A number written by <see cref="Number(double)"/> (<c>NaN</c> included).</summary>
    public static double ParseDouble(string text, string column, int row, string source) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)
            ? v
            : throw new InvalidDataException($"{source}: row {row}: column {column} is '{text}', not a number.");

    /// <summary>An optional number written by <see cref="Optional"/>: null when the field is empty.</summary>
    public static double? ParseOptional(string text, string column, int row, string source) =>
        text.Length == 0 ? null : ParseDouble(text, column, row, source);
}
