using System.Text;
using System.Text.Json;

using Msun.Analysis.Core.IO;

namespace Msun.Analysis.Core.Results;

/// <summary>The cost of a model for one test size: which network runs, at which input size, and its multiply-accumulates per image.</summary>
public sealed record MacTableRow
{
    /// <summary>Name of the branch of a plain network (Vanilla, MST, a registry backbone).</summary>
    public const string SingleNetworkBranch = "network";

    /// <summary>Creates a row.</summary>
    /// <param name="model">Model or registry backbone name.</param>
    /// <param name="testSize">The test size (side of the square image the model is given).</param>
    /// <param name="branch">The branch that runs at this size (<see cref="SingleNetworkBranch"/> for a plain network).</param>
    /// <param name="inputSize">The size the network actually runs at: the reference size for a network that upsamples first, the test size for a branch that takes it natively.</param>
    /// <param name="parameters">Parameters of the network that runs (buffers excluded).</param>
    /// <param name="macs">Multiply-accumulates per image (convolutions and linear layers).</param>
    /// <param name="otherOps">Non-MAC operations per image (BatchNorm, pooling), never added to <paramref name="macs"/>.</param>
    public MacTableRow(string model, int testSize, string branch, int inputSize, long parameters, long macs, long otherOps)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(testSize, 1);
        ArgumentException.ThrowIfNullOrWhiteSpace(branch);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(parameters);
        ArgumentOutOfRangeException.ThrowIfNegative(macs);
        ArgumentOutOfRangeException.ThrowIfNegative(otherOps);
        Model = model;
        TestSize = testSize;
        Branch = branch;
        InputSize = inputSize;
        Parameters = parameters;
        Macs = macs;
        OtherOps = otherOps;
    }

    /// <summary>A row of a plain backbone run at its input size (test size = input size).</summary>
    public static MacTableRow ForBackbone(string backbone, int inputSize, long parameters, long macs, long otherOps) =>
        new(backbone, inputSize, SingleNetworkBranch, inputSize, parameters, macs, otherOps);

    /// <summary>Model or backbone name.</summary>
    public string Model { get; }

    /// <summary>The test size.</summary>
    public int TestSize { get; }

    /// <summary>The branch that runs.</summary>
    public string Branch { get; }

    /// <summary>The input size the network runs at.</summary>
    public int InputSize { get; }

    /// <summary>Parameters of the network that runs.</summary>
    public long Parameters { get; }

    /// <summary>Multiply-accumulates per image.</summary>
    public long Macs { get; }

    /// <summary>Non-MAC operations per image.</summary>
    public long OtherOps { get; }

    /// <summary><see cref="Macs"/> in units of 10⁹, as papers print them.</summary>
    public double GigaMacs => Macs / 1e9;
}

/// <summary>
/// A MAC table (one row per model and test size) with its provenance, written and read as JSON or CSV.
/// </summary>
/// <remarks>
/// <para>JSON: <c>{"format": "msun.mac-table/1", "provenance": {..}, "rows": [{"model", "test_size",
/// "branch", "input_size", "parameters", "macs", "giga_macs", "other_ops"}]}</c>; <c>giga_macs</c> is for
/// readers and ignored on reading.</para>
/// <para>CSV (no provenance): header <c>model,test_size,branch,input_size,parameters,macs,other_ops</c>,
/// integers in the invariant culture, fields quoted only when they hold a comma, a quote or a line break.</para>
/// </remarks>
public sealed record MacTable
{
    /// <summary>The <c>format</c> tag of the JSON files.</summary>
    public const string JsonFormat = "msun.mac-table/1";

    private static readonly string[] CsvColumns = ["model", "test_size", "branch", "input_size", "parameters", "macs", "other_ops"];

    /// <summary>Creates a table.</summary>
    public MacTable(IReadOnlyList<MacTableRow> rows, IReadOnlyDictionary<string, string>? provenance = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        foreach (var r in rows) ArgumentNullException.ThrowIfNull(r, nameof(rows));
        Rows = rows.ToArray();
        Provenance = new SortedDictionary<string, string>(
            (provenance ?? new Dictionary<string, string>()).ToDictionary(p => p.Key, p => p.Value), StringComparer.Ordinal);
    }

    /// <summary>Rows in order.</summary>
    public IReadOnlyList<MacTableRow> Rows { get; }

    /// <summary>Provenance entries (what counts as a MAC, channels, classes, ...), sorted by key.</summary>
    public IReadOnlyDictionary<string, string> Provenance { get; }

    /// <summary>The table as a JSON document.</summary>
    public string ToJson(bool indented = true) => ResultTableJson.ToJson(s => WriteJson(s, indented));

    /// <summary>Writes the table as JSON (UTF-8).</summary>
    public void WriteJson(Stream stream, bool indented = true) =>
        ResultTableJson.Write(stream, indented, JsonFormat, Provenance, Rows, static (w, r) =>
        {
            w.WriteString("model", r.Model);
            w.WriteNumber("test_size", r.TestSize);
            w.WriteString("branch", r.Branch);
            w.WriteNumber("input_size", r.InputSize);
            w.WriteNumber("parameters", r.Parameters);
            w.WriteNumber("macs", r.Macs);
            w.WriteNumber("giga_macs", r.GigaMacs);
            w.WriteNumber("other_ops", r.OtherOps);
        });

    /// <summary>Reads a table written by <see cref="WriteJson"/>.</summary>
    /// <exception cref="InvalidDataException">Not valid JSON, another format, or a missing or invalid field.</exception>
    public static MacTable ReadJson(Stream stream, string source = "JSON") =>
        ResultTableJson.Read(stream, source, JsonFormat, static (root, provenance) => new MacTable(
            root.GetProperty("rows").EnumerateArray().Select(r => new MacTableRow(
                r.GetProperty("model").GetString()!, r.GetProperty("test_size").GetInt32(), r.GetProperty("branch").GetString()!,
                r.GetProperty("input_size").GetInt32(), r.GetProperty("parameters").GetInt64(), r.GetProperty("macs").GetInt64(),
                r.GetProperty("other_ops").GetInt64())).ToArray(),
            provenance));

    /// <summary>Writes the rows as CSV (provenance is JSON-only).</summary>
    public void WriteCsv(TextWriter writer) =>
        Csv.Write(writer, CsvColumns, Rows.Select(r => (IReadOnlyList<string>)
        [
            r.Model, Csv.Number(r.TestSize), r.Branch, Csv.Number(r.InputSize),
            Csv.Number(r.Parameters), Csv.Number(r.Macs), Csv.Number(r.OtherOps),
        ]));

    /// <summary>Reads rows written by <see cref="WriteCsv"/> into a table without provenance.</summary>
    /// <exception cref="InvalidDataException">A missing column, a malformed number or an invalid row.</exception>
    public static MacTable ReadCsv(TextReader reader, string source = "CSV")
    {
        ArgumentNullException.ThrowIfNull(reader);
        var (col, records) = Csv.ReadTable(reader, CsvColumns, source);
        var rows = new List<MacTableRow>();
        for (int k = 0; k < records.Count; k++)
        {
            var f = records[k];
            int row = k + 1;
            try
            {
                rows.Add(new MacTableRow(
                    f[col["model"]], Csv.ParseInt(f[col["test_size"]], "test_size", row, source), f[col["branch"]],
                    Csv.ParseInt(f[col["input_size"]], "input_size", row, source),
                    Csv.ParseLong(f[col["parameters"]], "parameters", row, source),
                    Csv.ParseLong(f[col["macs"]], "macs", row, source),
                    Csv.ParseLong(f[col["other_ops"]], "other_ops", row, source)));
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"{source}: row {row}: {e.Message}", e);
            }
        }

        return new MacTable(rows);
    }

    /// <summary>Writes a JSON file atomically (temporary file + rename).</summary>
    public void WriteJsonFile(string path) => AtomicFile.Write(path, s => WriteJson(s));

    /// <summary>Writes a CSV file atomically (temporary file + rename).</summary>
    public void WriteCsvFile(string path) => AtomicFile.WriteText(path, WriteCsv);

    /// <summary>Reads a JSON file.</summary>
    public static MacTable ReadJsonFile(string path) => ResultTableJson.ReadJsonFile(path, ReadJson);

    /// <summary>Reads a CSV file.</summary>
    public static MacTable ReadCsvFile(string path) => ResultTableJson.ReadCsvFile(path, ReadCsv);

    /// <inheritdoc />
    public bool Equals(MacTable? other) =>
        other is not null && Rows.SequenceEqual(other.Rows)
        && Provenance.Count == other.Provenance.Count
        && Provenance.All(p => other.Provenance.TryGetValue(p.Key, out var v) && v == p.Value);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Rows.Count, Provenance.Count);
}
