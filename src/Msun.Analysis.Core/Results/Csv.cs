using System.Globalization;
using System.Text;

namespace Msun.Analysis.Core.Results;

/// <summary>
/// The small CSV dialect of the result files: comma-separated, one header line, LF line ends, numbers in
/// the invariant culture (round-trip format for doubles), and a field quoted with <c>"</c> (inner quotes
/// doubled) only when it holds a comma, a quote or a line break (RFC 4180).
/// </summary>
internal static class Csv
{
    public static string Field(string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") < 0 ? value : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    public static void WriteLine(TextWriter writer, IEnumerable<string> fields)
    {
        writer.Write(string.Join(',', fields.Select(Field)));
        writer.Write('\n');
    }

    /// <summary>Reads every record (a list of fields) of a CSV text; a quoted field may span lines.</summary>
    public static List<string[]> ReadAll(TextReader reader, string source)
    {
        var records = new List<string[]>();
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false, fieldStarted = false, any = false;
        int line = 1;
        int c;
        while ((c = reader.Read()) >= 0)
        {
            char ch = (char)c;
            any = true;
            if (quoted)
            {
                if (ch == '"')
                {
                    if (reader.Peek() == '"')
                    {
                        reader.Read();
                        field.Append('"');
                    }
                    else
                    {
                        quoted = false;
                    }
                }
                else
                {
                    if (ch == '\n') line++;
                    field.Append(ch);
                }

                continue;
            }

            switch (ch)
            {
                case '"' when !fieldStarted:
                    quoted = true;
                    fieldStarted = true;
                    break;
                case '"':
                    throw new InvalidDataException($"{source}: line {line}: a quote inside an unquoted field.");
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    fieldStarted = false;
                    break;
                case '\r':
                    break;
                case '\n':
                    fields.Add(field.ToString());
                    records.Add([.. fields]);
                    fields.Clear();
                    field.Clear();
                    fieldStarted = false;
                    any = false;
                    line++;
                    break;
                default:
                    field.Append(ch);
                    fieldStarted = true;
                    break;
            }
        }

        if (quoted) throw new InvalidDataException($"{source}: line {line}: a quoted field is not closed.");
        if (any)
        {
            fields.Add(field.ToString());
            records.Add([.. fields]);
        }

        return records;
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
}
