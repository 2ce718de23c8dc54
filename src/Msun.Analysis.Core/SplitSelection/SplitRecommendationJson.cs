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

    private static void Number(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value)) w.WriteNumber(name, value);
        else w.WriteString(name, value.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
