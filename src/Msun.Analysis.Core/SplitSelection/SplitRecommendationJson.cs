using System.Text;
using System.Text.Json;

namespace Msun.Analysis.Core.SplitSelection;

/// <summary>
/// A <see cref="SplitRecommendation"/> as JSON (<c>"format": "msun-split/1"</c>): the split, the split on the means
/// alone, the rule's options, per probe τ, contrast, knee and every block's band and status, the warnings, and the
/// text of <see cref="SplitRecommendation.Explain"/>. Non-finite numbers are written as strings ("NaN").
/// </summary>
public static class SplitRecommendationJson
{
    /// <summary>The format tag written first.</summary>
    public const string Format = "msun-split/1";

    /// <summary>Serialises <paramref name="recommendation"/>; <paramref name="source"/> (e.g. the profile's path) is recorded when given.</summary>
    public static string ToJson(SplitRecommendation recommendation, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(recommendation);
        var r = recommendation;
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("format", Format);
            if (source is not null) w.WriteString("profile", source);
            w.WriteNumber("split", r.Split);
            w.WriteNumber("split_at_means", r.SplitAtMeans);
            var o = r.Options;
            w.WriteStartObject("options");
            w.WriteString("threshold", o.Threshold == ThresholdRule.Midpoint ? "midpoint" : "fixed");
            if (o.Threshold == ThresholdRule.Fixed) Number(w, "fixed_threshold", o.FixedThreshold);
            Number(w, "minimum_contrast", o.MinimumContrast);
            w.WriteString("uncertainty", o.Uncertainty switch
            {
                UncertaintyRule.None => "none",
                UncertaintyRule.StandardDeviationBand => "std",
                UncertaintyRule.StandardErrorBand => "sem",
                _ => "ci",
            });
            Number(w, "z", o.Z);
            w.WriteNumber("head_blocks", o.HeadBlocks);
            w.WriteString("boundary", o.Boundary == SplitBoundary.SensitivePrefix ? "sensitive-prefix" : "through-first-recovered");
            w.WriteString("probes", o.Probes == ProbeChoice.Smallest ? "smallest" : "all");
            w.WriteEndObject();
            w.WriteStartArray("per_probe");
            foreach (var p in r.Probes)
            {
                w.WriteStartObject();
                w.WriteNumber("probe", p.Probe);
                Number(w, "threshold", p.Threshold);
                Number(w, "contrast", p.Contrast);
                w.WriteNumber("split", p.Split);
                w.WriteNumber("split_at_means", p.SplitAtMeans);
                w.WriteNumber("sensitive_prefix", p.SensitivePrefix);
                w.WriteNumber("sensitive_prefix_at_means", p.SensitivePrefixAtMeans);
                if (p.LargestRiseAfter is int k) w.WriteNumber("largest_rise_after", k);
                else w.WriteNull("largest_rise_after");
                w.WriteStartArray("blocks");
                foreach (var b in p.Blocks)
                {
                    w.WriteStartObject();
                    w.WriteString("block", b.Block);
                    w.WriteNumber("index", b.Index);
                    Number(w, "mean", b.Mean);
                    Number(w, "lower", b.Lower);
                    Number(w, "upper", b.Upper);
                    w.WriteString("status", b.Status.ToString().ToLowerInvariant());
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteStartArray("warnings");
                foreach (var x in p.Warnings) w.WriteStringValue(x);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("warnings");
            foreach (var x in r.Warnings) w.WriteStringValue(x);
            w.WriteEndArray();
            w.WriteString("explanation", r.Explain());
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Reads a recommendation written by <see cref="ToJson"/> (the explanation is derived and not read back).</summary>
    /// <param name="json">The file's text.</param>
    /// <param name="source">Named in error messages (e.g. the path).</param>
    /// <exception cref="InvalidDataException">Not JSON, another format tag, or a missing or invalid field (named).</exception>
    public static SplitRecommendation FromJson(string json, string source = "split JSON")
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            string? format = root.TryGetProperty("format", out var f) ? f.GetString() : null;
            if (format != Format)
                throw new InvalidDataException($"{source}: expected \"format\": \"{Format}\"; got {(format is null ? "none" : $"\"{format}\"")}.");
            var o = root.GetProperty("options");
            string threshold = o.GetProperty("threshold").GetString()!;
            var options = new SplitRuleOptions(
                threshold switch { "midpoint" => ThresholdRule.Midpoint, "fixed" => ThresholdRule.Fixed, _ => throw new FormatException($"options.threshold '{threshold}' is not midpoint or fixed.") },
                threshold == "fixed" ? ReadNumber(o, "fixed_threshold") : 0.8,
                ReadNumber(o, "minimum_contrast"),
                o.GetProperty("uncertainty").GetString() switch
                {
                    "none" => UncertaintyRule.None,
                    "std" => UncertaintyRule.StandardDeviationBand,
                    "sem" => UncertaintyRule.StandardErrorBand,
                    "ci" => UncertaintyRule.ConfidenceInterval,
                    var u => throw new FormatException($"options.uncertainty '{u}' is not none, std, sem or ci."),
                },
                ReadNumber(o, "z"),
                o.GetProperty("head_blocks").GetInt32(),
                o.GetProperty("boundary").GetString() switch
                {
                    "sensitive-prefix" => SplitBoundary.SensitivePrefix,
                    "through-first-recovered" => SplitBoundary.ThroughFirstRecovered,
                    var b => throw new FormatException($"options.boundary '{b}' is not sensitive-prefix or through-first-recovered."),
                },
                o.GetProperty("probes").GetString() switch
                {
                    "smallest" => ProbeChoice.Smallest,
                    "all" => ProbeChoice.All,
                    var p => throw new FormatException($"options.probes '{p}' is not smallest or all."),
                });
            var probes = root.GetProperty("per_probe").EnumerateArray().Select(p =>
            {
                double tau = ReadNumber(p, "threshold");
                var blocks = p.GetProperty("blocks").EnumerateArray().Select(b => new BlockDecision(
                    b.GetProperty("block").GetString()!, b.GetProperty("index").GetInt32(), ReadNumber(b, "mean"), ReadNumber(b, "lower"), ReadNumber(b, "upper"),
                    Enum.TryParse<BlockStatus>(b.GetProperty("status").GetString(), ignoreCase: true, out var st)
                        ? st : throw new FormatException($"block status '{b.GetProperty("status").GetString()}' is not sensitive, ambiguous, recovered or head."))).ToArray();
                // Files from before sensitive_prefix_at_means was written: recount it (leading considered blocks with mean < τ).
                int atMeans = p.TryGetProperty("sensitive_prefix_at_means", out var am)
                    ? am.GetInt32()
                    : blocks.TakeWhile(b => b.Status != BlockStatus.Head && b.Mean < tau).Count();
                var rise = p.GetProperty("largest_rise_after");
                return new ProbeSplit(p.GetProperty("probe").GetInt32(), tau, ReadNumber(p, "contrast"), p.GetProperty("sensitive_prefix").GetInt32(), atMeans,
                    p.GetProperty("split").GetInt32(), p.GetProperty("split_at_means").GetInt32(), rise.ValueKind == JsonValueKind.Null ? null : rise.GetInt32(),
                    blocks, p.GetProperty("warnings").EnumerateArray().Select(x => x.GetString()!).ToArray());
            }).ToArray();
            if (probes.Length == 0) throw new InvalidDataException($"{source}: per_probe is empty; a recommendation has at least one probe.");
            return new SplitRecommendation(root.GetProperty("split").GetInt32(), root.GetProperty("split_at_means").GetInt32(), probes, options,
                root.GetProperty("warnings").EnumerateArray().Select(x => x.GetString()!).ToArray());
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new InvalidDataException($"{source}: invalid split JSON: {e.Message}", e);
        }
    }

    /// <summary>The profile path recorded in a split file (<c>profile</c>), or null.</summary>
    public static string? SourceOf(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.TryGetProperty("profile", out var p) ? p.GetString() : null;
    }

    private static double ReadNumber(JsonElement e, string name)
    {
        var v = e.GetProperty(name);
        return v.ValueKind == JsonValueKind.String
            ? double.Parse(v.GetString()!, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture)
            : v.GetDouble();
    }

    private static void Number(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value)) w.WriteNumber(name, value);
        else w.WriteString(name, value.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
