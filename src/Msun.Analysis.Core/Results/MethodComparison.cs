using System.Globalization;
using System.Text;
using System.Text.Json;

using Msun.Analysis.Core.IO;
using Msun.Analysis.Core.Statistics;

namespace Msun.Analysis.Core.Results;

/// <summary>One method under one scoring, summarised over the test sizes: what the paper's comparison table holds.</summary>
public sealed record MethodComparisonRow
{
    /// <summary>Creates a row; accuracies must lie in [0, 1], counts and costs be non-negative and finite.</summary>
    /// <param name="method">Method name (<c>vanilla</c>, <c>mst</c>, <c>msun</c>).</param>
    /// <param name="scoring">Scoring (<see cref="MultiScaleScoring"/>).</param>
    /// <param name="parameters">Parameters of the whole model.</param>
    /// <param name="meanAccuracy">Mean top-1 accuracy over the test sizes.</param>
    /// <param name="smallestSize">The smallest test size.</param>
    /// <param name="accuracyAtSmallest">Accuracy at <paramref name="smallestSize"/>.</param>
    /// <param name="referenceSize">The reference (largest) size.</param>
    /// <param name="accuracyAtReference">Accuracy at <paramref name="referenceSize"/>.</param>
    /// <param name="meanMacs">Mean MACs per image over the test sizes (for best-of-branches: every branch runs).</param>
    /// <param name="macsRatioToVanilla"><paramref name="meanMacs"/> divided by Vanilla's.</param>
    public MethodComparisonRow(string method, string scoring, long parameters, double meanAccuracy, int smallestSize, double accuracyAtSmallest,
        int referenceSize, double accuracyAtReference, double meanMacs, double macsRatioToVanilla)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(method);
        ArgumentException.ThrowIfNullOrWhiteSpace(scoring);
        ArgumentOutOfRangeException.ThrowIfNegative(parameters);
        Fraction(meanAccuracy, nameof(meanAccuracy));
        Fraction(accuracyAtSmallest, nameof(accuracyAtSmallest));
        Fraction(accuracyAtReference, nameof(accuracyAtReference));
        ArgumentOutOfRangeException.ThrowIfLessThan(smallestSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(referenceSize, smallestSize);
        if (!(meanMacs >= 0) || !double.IsFinite(meanMacs))
            throw new ArgumentOutOfRangeException(nameof(meanMacs), meanMacs, "meanMacs must be a finite non-negative number.");
        if (!(macsRatioToVanilla >= 0) || !double.IsFinite(macsRatioToVanilla))
            throw new ArgumentOutOfRangeException(nameof(macsRatioToVanilla), macsRatioToVanilla, "macsRatioToVanilla must be a finite non-negative number.");
        Method = method;
        Scoring = scoring;
        Parameters = parameters;
        MeanAccuracy = meanAccuracy;
        SmallestSize = smallestSize;
        AccuracyAtSmallest = accuracyAtSmallest;
        ReferenceSize = referenceSize;
        AccuracyAtReference = accuracyAtReference;
        MeanMacs = meanMacs;
        MacsRatioToVanilla = macsRatioToVanilla;
    }

    /// <summary>Method name.</summary>
    public string Method { get; }

    /// <summary>Scoring.</summary>
    public string Scoring { get; }

    /// <summary>Parameters of the whole model.</summary>
    public long Parameters { get; }

    /// <summary>Mean accuracy over the test sizes.</summary>
    public double MeanAccuracy { get; }

    /// <summary>The smallest test size.</summary>
    public int SmallestSize { get; }

    /// <summary>Accuracy at the smallest test size.</summary>
    public double AccuracyAtSmallest { get; }

    /// <summary>The reference size.</summary>
    public int ReferenceSize { get; }

    /// <summary>Accuracy at the reference size.</summary>
    public double AccuracyAtReference { get; }

    /// <summary>Mean MACs per image over the test sizes.</summary>
    public double MeanMacs { get; }

    /// <summary>Mean MACs relative to Vanilla's.</summary>
    public double MacsRatioToVanilla { get; }

    private static void Fraction(double value, string name)
    {
        if (!(value >= 0 && value <= 1))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must lie in [0, 1].");
    }
}

/// <summary>
/// Vanilla, MST and MSUN side by side on the multi-scale protocol (one row per method and scoring), with a plain-words
/// verdict on the paper's claims and the provenance of the run; written and read as JSON or CSV like <see cref="MacTable"/>.
/// </summary>
/// <remarks>
/// <para>JSON: <c>{"format": "msun.method-comparison/1", "verdict": "...", "provenance": {..}, "rows": [{"method",
/// "scoring", "parameters", "mean_accuracy", "smallest_size", "accuracy_at_smallest", "reference_size",
/// "accuracy_at_reference", "mean_macs", "macs_ratio_to_vanilla"}]}</c>.</para>
/// <para>CSV (rows only): the same columns in that order, invariant culture, doubles in round-trip form.</para>
/// </remarks>
public sealed record MethodComparison
{
    /// <summary>The <c>format</c> tag of the JSON files.</summary>
    public const string JsonFormat = "msun.method-comparison/1";

    private static readonly string[] CsvColumns =
    [
        "method", "scoring", "parameters", "mean_accuracy", "smallest_size", "accuracy_at_smallest", "reference_size",
        "accuracy_at_reference", "mean_macs", "macs_ratio_to_vanilla",
    ];

    /// <summary>Creates a comparison.</summary>
    /// <param name="rows">One row per method and scoring (means over seeds when several were trained).</param>
    /// <param name="verdict">The verdict in plain words.</param>
    /// <param name="provenance">How the numbers were made.</param>
    /// <param name="claims">The paper's claims judged from intervals (empty when not judged).</param>
    /// <param name="differences">The paired differences with their intervals behind the claims (empty when not computed).</param>
    public MethodComparison(IReadOnlyList<MethodComparisonRow> rows, string verdict, IReadOnlyDictionary<string, string>? provenance = null,
        IReadOnlyList<ClaimVerdict>? claims = null, IReadOnlyList<NamedDifference>? differences = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(verdict);
        foreach (var r in rows) ArgumentNullException.ThrowIfNull(r, nameof(rows));
        Rows = rows.ToArray();
        Verdict = verdict;
        Provenance = new SortedDictionary<string, string>(
            (provenance ?? new Dictionary<string, string>()).ToDictionary(p => p.Key, p => p.Value), StringComparer.Ordinal);
        Claims = (claims ?? []).ToArray();
        Differences = (differences ?? []).ToArray();
    }

    /// <summary>The paper's claims judged from 95 % intervals (<see cref="PaperClaims"/>); empty when not judged.</summary>
    public IReadOnlyList<ClaimVerdict> Claims { get; }

    /// <summary>Paired differences with their intervals (<see cref="PairedDifference"/>); empty when not computed.</summary>
    public IReadOnlyList<NamedDifference> Differences { get; }

    /// <summary>Rows in order.</summary>
    public IReadOnlyList<MethodComparisonRow> Rows { get; }

    /// <summary>The verdict on the paper's claims, in plain words (empty when not computed).</summary>
    public string Verdict { get; }

    /// <summary>Provenance entries, sorted by key.</summary>
    public IReadOnlyDictionary<string, string> Provenance { get; }

    /// <summary>The row of one method and scoring.</summary>
    /// <exception cref="ArgumentException">No such row; the message lists the rows there are.</exception>
    public MethodComparisonRow Row(string method, string scoring) =>
        Rows.FirstOrDefault(r => r.Method == method && r.Scoring == scoring)
        ?? throw new ArgumentException($"no row {method} / {scoring}; rows: {string.Join(", ", Rows.Select(r => $"{r.Method} / {r.Scoring}"))}.");

    /// <summary>
    /// Builds the rows from each method's accuracy result and its MACs per test size; the MACs ratio is taken to the
    /// routed result of <paramref name="vanillaMethod"/>.
    /// </summary>
    /// <param name="entries">Per method and scoring: the accuracy, the whole model's parameters and one MAC figure per test size.</param>
    /// <param name="vanillaMethod">The method all MACs are compared to.</param>
    public static IReadOnlyList<MethodComparisonRow> BuildRows(
        IReadOnlyList<(string Method, MultiScaleAccuracy Accuracy, long Parameters, IReadOnlyList<long> MacsPerSize)> entries,
        string vanillaMethod = "vanilla")
    {
        ArgumentNullException.ThrowIfNull(entries);
        var vanilla = entries.FirstOrDefault(e => e.Method == vanillaMethod && e.Accuracy.Scoring == MultiScaleScoring.Routed);
        if (vanilla.Accuracy is null) throw new ArgumentException($"entries hold no routed result of '{vanillaMethod}' to compare MACs with.", nameof(entries));
        var vanillaMacs = vanilla.MacsPerSize.Average(m => (double)m);
        return entries.Select(e =>
        {
            if (e.MacsPerSize.Count != e.Accuracy.Sizes.Count)
                throw new ArgumentException($"{e.Method} / {e.Accuracy.Scoring}: {e.MacsPerSize.Count} MAC figures for {e.Accuracy.Sizes.Count} test sizes.", nameof(entries));
            var sizes = e.Accuracy.TestSizes;
            int smallest = sizes.Min(), largest = sizes.Max();
            var macs = e.MacsPerSize.Average(m => (double)m);
            return new MethodComparisonRow(e.Method, e.Accuracy.Scoring, e.Parameters, e.Accuracy.MeanAccuracy, smallest, e.Accuracy.AccuracyAt(smallest),
                largest, e.Accuracy.AccuracyAt(largest), macs, vanillaMacs > 0 ? macs / vanillaMacs : 0);
        }).ToArray();
    }

    /// <summary>
    /// The verdict in plain words: the point estimates of <c>vanilla</c>, <c>mst</c> and <c>msun</c> (routed, and
    /// best-of-branches when present) without any judging word, then each claim with the word its intervals give
    /// (<see cref="PaperClaims"/>), then the abstract's "7.01–16.13 % fewer FLOPs" against our MACs (exact counts).
    /// </summary>
    /// <param name="rows">The comparison rows.</param>
    /// <param name="claims">The judged claims; empty: the verdict says no claim was judged.</param>
    public static string ComposeVerdict(IReadOnlyList<MethodComparisonRow> rows, IReadOnlyList<ClaimVerdict> claims)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(claims);
        MethodComparisonRow Get(string m, string s) =>
            rows.FirstOrDefault(r => r.Method == m && r.Scoring == s) ?? throw new ArgumentException($"no row {m} / {s} for the verdict.", nameof(rows));
        var v = Get("vanilla", MultiScaleScoring.Routed);
        var t = Get("mst", MultiScaleScoring.Routed);
        var u = Get("msun", MultiScaleScoring.Routed);
        var best = rows.FirstOrDefault(r => r.Method == "msun" && r.Scoring == MultiScaleScoring.BestOfBranches);
        static string P(double x) => (100 * x).ToString("F2", CultureInfo.InvariantCulture) + " %";
        var sb = new StringBuilder();
        sb.Append($"Average over test sizes: MSUN routed {P(u.MeanAccuracy)} vs MST {P(t.MeanAccuracy)} vs Vanilla {P(v.MeanAccuracy)}");
        if (best is not null) sb.Append($" (MSUN best-of-subnets {P(best.MeanAccuracy)})");
        sb.Append($"; at {u.SmallestSize} px {P(u.AccuracyAtSmallest)} vs {P(t.AccuracyAtSmallest)} vs {P(v.AccuracyAtSmallest)}");
        sb.Append($"; at {u.ReferenceSize} px {P(u.AccuracyAtReference)} vs {P(t.AccuracyAtReference)} vs {P(v.AccuracyAtReference)}. ");
        if (claims.Count == 0)
            sb.Append("No claim is judged: there are no intervals. ");
        foreach (var c in claims)
            sb.Append($"Claim '{c.Claim}': {c.OutcomeName.ToUpperInvariant()} at 95 % ({c.Evidence}). ");
        var saving = 1 - u.MacsRatioToVanilla;
        sb.Append($"Cost: MSUN routed needs {P(u.MacsRatioToVanilla)} of Vanilla's mean MACs per image over the test sizes ({(saving >= 0 ? P(saving) + " fewer" : P(-saving) + " more")}; exact counts); ");
        sb.Append(saving >= 0.0701 && saving <= 0.1613
            ? "this lies inside the abstract's 7.01-16.13 % range."
            : saving > 0.1613
                ? "this is more than the abstract's 7.01-16.13 % (consistent with the 26-53 % its own figure data implies)."
                : "this is less than the abstract's 7.01-16.13 %.");
        if (best is not null)
            sb.Append($" The best-of-subnets figure is an oracle that runs every subnet: {P(best.MacsRatioToVanilla)} of Vanilla's MACs.");
        return sb.ToString();
    }

    /// <summary>The comparison as a JSON document.</summary>
    public string ToJson(bool indented = true) => ResultTableJson.ToJson(s => WriteJson(s, indented));

    /// <summary>Writes the comparison as JSON (UTF-8).</summary>
    public void WriteJson(Stream stream, bool indented = true) =>
        ResultTableJson.Write(stream, indented, JsonFormat, Provenance, Rows, static (w, r) =>
        {
            w.WriteString("method", r.Method);
            w.WriteString("scoring", r.Scoring);
            w.WriteNumber("parameters", r.Parameters);
            w.WriteNumber("mean_accuracy", r.MeanAccuracy);
            w.WriteNumber("smallest_size", r.SmallestSize);
            w.WriteNumber("accuracy_at_smallest", r.AccuracyAtSmallest);
            w.WriteNumber("reference_size", r.ReferenceSize);
            w.WriteNumber("accuracy_at_reference", r.AccuracyAtReference);
            w.WriteNumber("mean_macs", r.MeanMacs);
            w.WriteNumber("macs_ratio_to_vanilla", r.MacsRatioToVanilla);
        }, w =>
        {
            w.WriteString("verdict", Verdict);
            if (Claims.Count > 0)
            {
                w.WriteStartArray("claims");
                foreach (var c in Claims)
                {
                    w.WriteStartObject();
                    w.WriteString("id", c.Id);
                    w.WriteString("claim", c.Claim);
                    w.WriteString("outcome", c.OutcomeName);
                    w.WriteString("evidence", c.Evidence);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            }

            if (Differences.Count > 0)
            {
                w.WriteStartArray("differences");
                foreach (var d in Differences)
                {
                    var i = d.Interval;
                    w.WriteStartObject();
                    w.WriteString("minuend", d.Minuend);
                    w.WriteString("subtrahend", d.Subtrahend);
                    if (d.Size is int size) w.WriteNumber("size", size);
                    else w.WriteNull("size");
                    w.WriteNumber("mean", i.Mean);
                    w.WriteNumber("low", i.Low);
                    w.WriteNumber("high", i.High);
                    w.WriteNumber("level", i.Level);
                    w.WriteNumber("image_variance", i.ImageVariance);
                    JsonNumber(w, "seed_variance", i.SeedVariance);
                    JsonNumber(w, "degrees_of_freedom", i.DegreesOfFreedom);
                    w.WriteNumber("minuend_seeds", i.MinuendSeeds);
                    w.WriteNumber("subtrahend_seeds", i.SubtrahendSeeds);
                    w.WriteNumber("images", i.Images);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            }
        });

    // JSON has no NaN: an undefined number (seed variance of one seed, ν of a zero variance) is written as null.
    private static void JsonNumber(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsNaN(value)) w.WriteNull(name);
        else w.WriteNumber(name, value);
    }

    private static double ReadNumber(JsonElement e) => e.ValueKind == JsonValueKind.Null ? double.NaN : e.GetDouble();

    /// <summary>Reads a comparison written by <see cref="WriteJson"/>.</summary>
    /// <exception cref="InvalidDataException">Not valid JSON, another format, or a missing or invalid field.</exception>
    public static MethodComparison ReadJson(Stream stream, string source = "JSON") =>
        ResultTableJson.Read(stream, source, JsonFormat, static (root, provenance) => new MethodComparison(
            root.GetProperty("rows").EnumerateArray().Select(r => new MethodComparisonRow(
                r.GetProperty("method").GetString()!, r.GetProperty("scoring").GetString()!, r.GetProperty("parameters").GetInt64(),
                r.GetProperty("mean_accuracy").GetDouble(), r.GetProperty("smallest_size").GetInt32(), r.GetProperty("accuracy_at_smallest").GetDouble(),
                r.GetProperty("reference_size").GetInt32(), r.GetProperty("accuracy_at_reference").GetDouble(), r.GetProperty("mean_macs").GetDouble(),
                r.GetProperty("macs_ratio_to_vanilla").GetDouble())).ToArray(),
            root.GetProperty("verdict").GetString() ?? "", provenance,
            root.TryGetProperty("claims", out var claims)
                ? claims.EnumerateArray().Select(c => new ClaimVerdict(c.GetProperty("id").GetString()!, c.GetProperty("claim").GetString()!,
                    Enum.Parse<ClaimOutcome>(c.GetProperty("outcome").GetString()!, ignoreCase: true), c.GetProperty("evidence").GetString()!)).ToArray()
                : null,
            root.TryGetProperty("differences", out var differences)
                ? differences.EnumerateArray().Select(d => new NamedDifference(d.GetProperty("minuend").GetString()!, d.GetProperty("subtrahend").GetString()!,
                    d.GetProperty("size").ValueKind == JsonValueKind.Null ? null : d.GetProperty("size").GetInt32(),
                    new DifferenceInterval(d.GetProperty("mean").GetDouble(), d.GetProperty("low").GetDouble(), d.GetProperty("high").GetDouble(),
                        d.GetProperty("level").GetDouble(), d.GetProperty("image_variance").GetDouble(), ReadNumber(d.GetProperty("seed_variance")),
                        ReadNumber(d.GetProperty("degrees_of_freedom")), d.GetProperty("minuend_seeds").GetInt32(), d.GetProperty("subtrahend_seeds").GetInt32(),
                        d.GetProperty("images").GetInt32()))).ToArray()
                : null));

    /// <summary>Writes the rows as CSV (verdict and provenance are JSON-only).</summary>
    public void WriteCsv(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Csv.Write(writer, CsvColumns, Rows.Select(r => (IReadOnlyList<string>)
        [
            r.Method, r.Scoring, Csv.Number(r.Parameters), Csv.Number(r.MeanAccuracy), Csv.Number(r.SmallestSize),
            Csv.Number(r.AccuracyAtSmallest), Csv.Number(r.ReferenceSize), Csv.Number(r.AccuracyAtReference),
            Csv.Number(r.MeanMacs), Csv.Number(r.MacsRatioToVanilla),
        ]));
    }

    /// <summary>Reads rows written by <see cref="WriteCsv"/> into a comparison without verdict or provenance.</summary>
    /// <exception cref="InvalidDataException">A missing column, a malformed number or an invalid row.</exception>
    public static MethodComparison ReadCsv(TextReader reader, string source = "CSV")
    {
        ArgumentNullException.ThrowIfNull(reader);
        var (col, records) = Csv.ReadTable(reader, CsvColumns, source);
        var rows = new List<MethodComparisonRow>();
        for (int k = 0; k < records.Count; k++)
        {
            var f = records[k];
            int row = k + 1;
            double D(string name) => Csv.ParseDouble(f[col[name]], name, row, source);
            try
            {
                rows.Add(new MethodComparisonRow(f[col["method"]], f[col["scoring"]], Csv.ParseLong(f[col["parameters"]], "parameters", row, source),
                    D("mean_accuracy"), Csv.ParseInt(f[col["smallest_size"]], "smallest_size", row, source), D("accuracy_at_smallest"),
                    Csv.ParseInt(f[col["reference_size"]], "reference_size", row, source), D("accuracy_at_reference"), D("mean_macs"),
                    D("macs_ratio_to_vanilla")));
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"{source}: row {row}: {e.Message}", e);
            }
        }

        return new MethodComparison(rows, "");
    }

    /// <summary>Writes a JSON file atomically (temporary file + rename).</summary>
    public void WriteJsonFile(string path) => AtomicFile.Write(path, s => WriteJson(s));

    /// <summary>Writes a CSV file atomically (temporary file + rename).</summary>
    public void WriteCsvFile(string path) => AtomicFile.WriteText(path, WriteCsv);

    /// <summary>Reads a JSON file.</summary>
    public static MethodComparison ReadJsonFile(string path) => ResultTableJson.ReadJsonFile(path, ReadJson);

    /// <summary>Reads a CSV file.</summary>
    public static MethodComparison ReadCsvFile(string path) => ResultTableJson.ReadCsvFile(path, ReadCsv);

    /// <inheritdoc />
    public bool Equals(MethodComparison? other) =>
        other is not null && Rows.SequenceEqual(other.Rows) && Verdict == other.Verdict
        && Claims.SequenceEqual(other.Claims) && Differences.SequenceEqual(other.Differences)
        && Provenance.Count == other.Provenance.Count
        && Provenance.All(p => other.Provenance.TryGetValue(p.Key, out var v) && v == p.Value);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Rows.Count, Verdict, Provenance.Count);
}
