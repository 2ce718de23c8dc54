using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Msun.Analysis.Core.Statistics;

namespace Msun.Analysis.Core.Results;

/// <summary>One measured block of the network.</summary>
/// <param name="Name">Layer name as captured, e.g. "layer1".</param>
/// <param name="Index">Position in the network, 1-based as on the x-axis of the paper's CKA figure (stem = 1).</param>
public sealed record ProfileBlock(string Name, int Index);

/// <summary>
/// CKA of one block at one probe size against the same block at the reference size: the value on each of
/// k repeats (random subsets), their summary, and optionally a bootstrap interval and a permutation null.
/// </summary>
public sealed record CkaProfileCell
{
    /// <summary>Creates a cell; the summary is computed here from <paramref name="repeats"/> under <paramref name="nonFinite"/>.</summary>
    /// <param name="block">Name of a block of the profile.</param>
    /// <param name="probe">Probe input size, e.g. 32.</param>
    /// <param name="repeats">CKA on each repeat, in repeat order; NaN where it was undefined.</param>
    /// <param name="nonFinite">How NaN repeats enter the summary (propagate by default).</param>
    /// <param name="interval">A bootstrap confidence interval, if computed.</param>
    /// <param name="nullDistribution">A permutation null, if computed.</param>
    /// <exception cref="ArgumentException">No block name, a non-positive probe, or no repeats.</exception>
    public CkaProfileCell(string block, int probe, IReadOnlyList<double> repeats,
        NonFinitePolicy nonFinite = NonFinitePolicy.Propagate, IntervalSummary? interval = null, NullSummary? nullDistribution = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(block);
        ArgumentNullException.ThrowIfNull(repeats);
        if (probe < 1)
            throw new ArgumentOutOfRangeException(nameof(probe), probe, $"block {block}: a probe size must be positive.");
        if (repeats.Count == 0)
            throw new ArgumentException($"block {block} at probe {probe} has no repeats.", nameof(repeats));
        Block = block;
        Probe = probe;
        Repeats = [.. repeats];
        NonFinite = nonFinite;
        Interval = interval;
        NullDistribution = nullDistribution;
        Summary = SampleSummary.Of(Repeats, nonFinite);
    }

    /// <summary>Block name.</summary>
    public string Block { get; }

    /// <summary>Probe input size.</summary>
    public int Probe { get; }

    /// <summary>CKA on each repeat.</summary>
    public IReadOnlyList<double> Repeats { get; }

    /// <summary>How NaN repeats enter <see cref="Summary"/>.</summary>
    public NonFinitePolicy NonFinite { get; }

    /// <summary>Mean ± sample std over the repeats (derived; written to JSON for readers, recomputed on reading).</summary>
    public SampleSummary Summary { get; }

    /// <summary>Bootstrap confidence interval, or null when not computed.</summary>
    public IntervalSummary? Interval { get; }

    /// <summary>Permutation null, or null when not computed.</summary>
    public NullSummary? NullDistribution { get; }

    /// <inheritdoc />
    public bool Equals(CkaProfileCell? other) =>
        other is not null && Block == other.Block && Probe == other.Probe && Repeats.SequenceEqual(other.Repeats)
        && NonFinite == other.NonFinite && Equals(Interval, other.Interval) && Equals(NullDistribution, other.NullDistribution);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Block, Probe, Repeats.Count, NonFinite);
}

/// <summary>
/// Layer-wise CKA between a network's activations at a reference input size and at one or more probe
/// sizes (the MSUN scale-sensitivity study, docs/METHOD.md §1): every block × probe has a cell.
/// Provenance is a flat string dictionary (model, checkpoint, reference and probe sizes, estimator,
/// kernel, sigma rule, n, batch size, seeds, transform, …), kept sorted so files diff cleanly.
/// </summary>
/// <remarks>
/// Files. JSON (<see cref="ToJson"/>): snake_case keys, a leading <c>"format": "msun-cka-profile/1"</c>,
/// NaN written as the literal <c>"NaN"</c>; reading it back gives an equal profile. Two CSVs, written and read
/// through CsvHelper with the invariant culture, comma-separated, a header line, fields quoted only when they hold a
/// comma, quote or line break, numbers in round-trip form, <c>NaN</c> for an undefined value and an empty
/// field for one that was not computed:
/// <list type="bullet">
/// <item><see cref="WriteRepeatsCsv"/>, long format, one row per repeat: <c>block,block_index,probe,repeat,cka</c> (repeat 1-based).</item>
/// <item><see cref="WriteSummaryCsv(TextWriter)"/>, one row per block and probe:
/// <c>block,block_index,probe,mean,std,ci_low,ci_high,null_mean,null_std,repeats,non_finite</c>.</item>
/// </list>
/// </remarks>
public sealed record CkaProfile
{
    /// <summary>The format tag written first in every JSON file.</summary>
    public const string JsonFormat = "msun-cka-profile/1";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        WriteIndented = true,
    };

    /// <summary>Creates a profile and checks that it is complete.</summary>
    /// <param name="blocks">Blocks in network order, indices strictly increasing, names unique.</param>
    /// <param name="probes">Probe sizes, unique; stored ascending.</param>
    /// <param name="cells">Exactly one cell per block and probe.</param>
    /// <param name="provenance">How the numbers were made; may be empty, never null.</param>
    /// <exception cref="ArgumentException">An empty profile, duplicates, a block out of order, or a missing, extra or repeated cell (named).</exception>
    public CkaProfile(IReadOnlyList<ProfileBlock> blocks, IReadOnlyList<int> probes, IReadOnlyList<CkaProfileCell> cells,
        IReadOnlyDictionary<string, string> provenance)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentNullException.ThrowIfNull(probes);
        ArgumentNullException.ThrowIfNull(cells);
        ArgumentNullException.ThrowIfNull(provenance);
        if (blocks.Count == 0) throw new ArgumentException("a CKA profile needs at least one block; got none.", nameof(blocks));
        if (probes.Count == 0) throw new ArgumentException("a CKA profile needs at least one probe size; got none.", nameof(probes));
        for (int i = 0; i < blocks.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(blocks[i]);
            ArgumentException.ThrowIfNullOrWhiteSpace(blocks[i].Name);
            if (i > 0 && blocks[i].Index <= blocks[i - 1].Index)
                throw new ArgumentException(
                    $"blocks must be in network order with increasing indices: {blocks[i].Name} (index {blocks[i].Index}) follows {blocks[i - 1].Name} (index {blocks[i - 1].Index}).", nameof(blocks));
        }
        string? twice = blocks.GroupBy(b => b.Name).FirstOrDefault(g => g.Count() > 1)?.Key;
        if (twice is not null) throw new ArgumentException($"block {twice} appears more than once.", nameof(blocks));
        int? probeTwice = probes.GroupBy(p => p).FirstOrDefault(g => g.Count() > 1)?.Key;
        if (probeTwice is not null) throw new ArgumentException($"probe {probeTwice} appears more than once.", nameof(probes));

        var byKey = new Dictionary<(string, int), CkaProfileCell>();
        foreach (var cell in cells)
        {
            ArgumentNullException.ThrowIfNull(cell);
            if (!blocks.Any(b => b.Name == cell.Block))
                throw new ArgumentException($"a cell names block {cell.Block}, which is not among the blocks ({string.Join(", ", blocks.Select(b => b.Name))}).", nameof(cells));
            if (!probes.Contains(cell.Probe))
                throw new ArgumentException($"a cell of block {cell.Block} has probe {cell.Probe}, which is not among the probes ({string.Join(", ", probes)}).", nameof(cells));
            if (!byKey.TryAdd((cell.Block, cell.Probe), cell))
                throw new ArgumentException($"block {cell.Block} at probe {cell.Probe} has more than one cell.", nameof(cells));
        }
        foreach (var b in blocks)
            foreach (int p in probes)
                if (!byKey.ContainsKey((b.Name, p)))
                    throw new ArgumentException($"block {b.Name} has no cell for probe {p}: every block needs one per probe.", nameof(cells));

        Blocks = [.. blocks];
        Probes = [.. probes.Order()];
        Cells = [.. Blocks.SelectMany(b => Probes.Select(p => byKey[(b.Name, p)]))];
        Provenance = new SortedDictionary<string, string>(provenance.ToDictionary(), StringComparer.Ordinal);
    }

    /// <summary>Blocks in network order.</summary>
    public IReadOnlyList<ProfileBlock> Blocks { get; }

    /// <summary>Probe sizes, ascending.</summary>
    public IReadOnlyList<int> Probes { get; }

    /// <summary>One cell per block and probe, block-major in network order, probes ascending.</summary>
    public IReadOnlyList<CkaProfileCell> Cells { get; }

    /// <summary>How the numbers were made, sorted by key.</summary>
    public IReadOnlyDictionary<string, string> Provenance { get; }

    /// <summary>The cell of one block at one probe size.</summary>
    /// <exception cref="KeyNotFoundException">No such block or probe.</exception>
    public CkaProfileCell Cell(string block, int probe) =>
        Cells.FirstOrDefault(c => c.Block == block && c.Probe == probe)
        ?? throw new KeyNotFoundException($"the profile has no cell for block {block} at probe {probe} (blocks: {string.Join(", ", Blocks.Select(b => b.Name))}; probes: {string.Join(", ", Probes)}).");

    /// <inheritdoc />
    public bool Equals(CkaProfile? other) =>
        other is not null && Blocks.SequenceEqual(other.Blocks) && Probes.SequenceEqual(other.Probes)
        && Cells.SequenceEqual(other.Cells) && Provenance.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .SequenceEqual(other.Provenance.OrderBy(kv => kv.Key, StringComparer.Ordinal));

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Blocks.Count, Probes.Count, Cells.Count, Provenance.Count);

    /// <summary>The profile as indented JSON, <see cref="JsonFormat"/> first (see the remarks for the layout).</summary>
    public string ToJson()
    {
        var body = JsonSerializer.SerializeToNode(this, Json)!.AsObject();
        var root = new JsonObject { ["format"] = JsonFormat };
        foreach (var (key, value) in body.ToList())
        {
            body.Remove(key);
            root[key] = value;
        }
        return root.ToJsonString(Json);
    }

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/> atomically (a reader never sees half a file).</summary>
    public void WriteJsonFile(string path) => IO.AtomicFile.WriteText(path, w => w.Write(ToJson()));

    /// <summary>Reads a profile file written by <see cref="WriteJsonFile"/> (or any <c>profile.json</c>).</summary>
    /// <exception cref="InvalidDataException">See <see cref="FromJson"/>.</exception>
    public static CkaProfile ReadJsonFile(string path) => FromJson(File.ReadAllText(path));

    /// <summary>Reads a profile written by <see cref="ToJson"/>; the result is validated like any other.</summary>
    /// <exception cref="InvalidDataException">Not JSON, another format tag, or content that fails validation (the message says which).</exception>
    public static CkaProfile FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            var root = JsonNode.Parse(json)?.AsObject()
                ?? throw new InvalidDataException("a CKA profile file holds a JSON object; got null.");
            string? format = root["format"]?.GetValue<string>();
            if (format != JsonFormat)
                throw new InvalidDataException($"expected \"format\": \"{JsonFormat}\" in a CKA profile file; got {(format is null ? "none" : $"\"{format}\"")}.");
            root.Remove("format");
            return root.Deserialize<CkaProfile>(Json)
                ?? throw new InvalidDataException("the CKA profile JSON is null.");
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"invalid CKA profile JSON: {e.Message}", e);
        }
    }

    /// <summary>The columns of <see cref="WriteRepeatsCsv"/>.</summary>
    public static IReadOnlyList<string> RepeatsCsvColumns { get; } = ["block", "block_index", "probe", "repeat", "cka"];

    /// <summary>The columns of <see cref="WriteSummaryCsv(TextWriter)"/>.</summary>
    public static IReadOnlyList<string> SummaryCsvColumns { get; } =
        ["block", "block_index", "probe", "mean", "std", "ci_low", "ci_high", "null_mean", "null_std", "repeats", "non_finite"];

    /// <summary>Long-format CSV, one row per repeat: <c>block,block_index,probe,repeat,cka</c>.</summary>
    public void WriteRepeatsCsv(TextWriter writer) =>
        Csv.Write(writer, RepeatsCsvColumns, Cells.SelectMany(cell => cell.Repeats.Select((v, r) => (IReadOnlyList<string>)
            [cell.Block, Csv.Number(IndexOf(cell.Block)), Csv.Number(cell.Probe), Csv.Number(r + 1), Csv.Number(v)])));

    /// <summary>
    /// Reads a profile from its repeats CSV (<see cref="WriteRepeatsCsv"/>). The CSV holds the repeats only: the profile read
    /// back has no provenance, intervals or null distributions and the default <see cref="NonFinitePolicy"/>; blocks keep
    /// their indices, repeats are ordered by their <c>repeat</c> number.
    /// </summary>
    /// <exception cref="InvalidDataException">A missing column, a malformed number, a gap in the repeats or an incomplete profile (named).</exception>
    public static CkaProfile ReadRepeatsCsv(TextReader reader, string source = "profile CSV")
    {
        ArgumentNullException.ThrowIfNull(reader);
        var (col, rows) = Csv.ReadTable(reader, RepeatsCsvColumns, source);
        if (rows.Count == 0) throw new InvalidDataException($"{source}: no rows; a profile needs at least one block and probe.");
        var blocks = new List<ProfileBlock>();
        var values = new Dictionary<(string Block, int Probe), SortedDictionary<int, double>>();
        for (int i = 0; i < rows.Count; i++)
        {
            var f = rows[i];
            int row = i + 1;
            string block = f[col["block"]];
            int index = Csv.ParseInt(f[col["block_index"]], "block_index", row, source);
            if (blocks.FirstOrDefault(b => b.Name == block) is { } known)
            {
                if (known.Index != index) throw new InvalidDataException($"{source}: row {row}: block {block} has index {index}; earlier rows gave {known.Index}.");
            }
            else
            {
                blocks.Add(new ProfileBlock(block, index));
            }

            var key = (block, Csv.ParseInt(f[col["probe"]], "probe", row, source));
            int repeat = Csv.ParseInt(f[col["repeat"]], "repeat", row, source);
            if (!values.TryGetValue(key, out var repeats)) values[key] = repeats = [];
            if (!repeats.TryAdd(repeat, Csv.ParseDouble(f[col["cka"]], "cka", row, source)))
                throw new InvalidDataException($"{source}: row {row}: block {block} at probe {key.Item2} has repeat {repeat} twice.");
        }

        try
        {
            var cells = values.Select(kv =>
            {
                if (!kv.Value.Keys.SequenceEqual(Enumerable.Range(1, kv.Value.Count)))
                    throw new InvalidDataException($"{source}: block {kv.Key.Block} at probe {kv.Key.Probe} has repeats {string.Join(", ", kv.Value.Keys)}; expected 1..{kv.Value.Count}.");
                return new CkaProfileCell(kv.Key.Block, kv.Key.Probe, [.. kv.Value.Values]);
            }).ToArray();
            return new CkaProfile([.. blocks.OrderBy(b => b.Index)], [.. values.Keys.Select(k => k.Probe).Distinct()], cells, new Dictionary<string, string>());
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{source}: {e.Message}", e);
        }
    }

    /// <summary>One row per block and probe, as <see cref="WriteSummaryCsv(TextWriter)"/> writes them.</summary>
    public IReadOnlyList<CkaProfileSummaryRow> SummaryRows() =>
        [.. Cells.Select(c => new CkaProfileSummaryRow(c.Block, IndexOf(c.Block), c.Probe, c.Summary.Mean, c.Summary.StandardDeviation,
            c.Interval?.Low, c.Interval?.High, c.NullDistribution?.Mean, c.NullDistribution?.StandardDeviation, c.Summary.Count, c.Summary.NonFiniteCount))];

    /// <summary>
    /// Summary CSV, one row per block and probe:
    /// <c>block,block_index,probe,mean,std,ci_low,ci_high,null_mean,null_std,repeats,non_finite</c>.
    /// </summary>
    public void WriteSummaryCsv(TextWriter writer) => WriteSummaryCsv(writer, SummaryRows());

    /// <summary>Writes summary rows as CSV (the layout of <see cref="WriteSummaryCsv(TextWriter)"/>).</summary>
    public static void WriteSummaryCsv(TextWriter writer, IEnumerable<CkaProfileSummaryRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        Csv.Write(writer, SummaryCsvColumns, rows.Select(r => (IReadOnlyList<string>)
        [
            r.Block, Csv.Number(r.BlockIndex), Csv.Number(r.Probe), Csv.Number(r.Mean), Csv.Number(r.StandardDeviation),
            Csv.Optional(r.IntervalLow), Csv.Optional(r.IntervalHigh), Csv.Optional(r.NullMean), Csv.Optional(r.NullStandardDeviation),
            Csv.Number(r.Repeats), Csv.Number(r.NonFinite),
        ]));
    }

    /// <summary>Reads the rows of a summary CSV (<see cref="WriteSummaryCsv(TextWriter)"/>).</summary>
    /// <exception cref="InvalidDataException">A missing column or a malformed number (named with its row).</exception>
    public static IReadOnlyList<CkaProfileSummaryRow> ReadSummaryCsv(TextReader reader, string source = "profile summary CSV")
    {
        ArgumentNullException.ThrowIfNull(reader);
        var (col, rows) = Csv.ReadTable(reader, SummaryCsvColumns, source);
        return [.. rows.Select((f, i) => new CkaProfileSummaryRow(
            f[col["block"]], Csv.ParseInt(f[col["block_index"]], "block_index", i + 1, source), Csv.ParseInt(f[col["probe"]], "probe", i + 1, source),
            Csv.ParseDouble(f[col["mean"]], "mean", i + 1, source), Csv.ParseDouble(f[col["std"]], "std", i + 1, source),
            Csv.ParseOptional(f[col["ci_low"]], "ci_low", i + 1, source), Csv.ParseOptional(f[col["ci_high"]], "ci_high", i + 1, source),
            Csv.ParseOptional(f[col["null_mean"]], "null_mean", i + 1, source), Csv.ParseOptional(f[col["null_std"]], "null_std", i + 1, source),
            Csv.ParseInt(f[col["repeats"]], "repeats", i + 1, source), Csv.ParseInt(f[col["non_finite"]], "non_finite", i + 1, source)))];
    }

    private int IndexOf(string block) => Blocks.First(b => b.Name == block).Index;
}

/// <summary>One block at one probe size as a row of the profile's summary CSV.</summary>
/// <param name="Block">Block name.</param>
/// <param name="BlockIndex">1-based position in the network.</param>
/// <param name="Probe">Probe size.</param>
/// <param name="Mean">Mean CKA over the repeats (NaN when undefined).</param>
/// <param name="StandardDeviation">Sample std over the repeats.</param>
/// <param name="IntervalLow">Bootstrap interval low end, or null when not computed.</param>
/// <param name="IntervalHigh">Bootstrap interval high end, or null.</param>
/// <param name="NullMean">Permutation-null mean, or null when not computed.</param>
/// <param name="NullStandardDeviation">Permutation-null std, or null.</param>
/// <param name="Repeats">How many repeats.</param>
/// <param name="NonFinite">How many repeats were NaN.</param>
public sealed record CkaProfileSummaryRow(string Block, int BlockIndex, int Probe, double Mean, double StandardDeviation,
    double? IntervalLow, double? IntervalHigh, double? NullMean, double? NullStandardDeviation, int Repeats, int NonFinite);
