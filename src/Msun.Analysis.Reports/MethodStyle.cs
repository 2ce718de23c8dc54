using Msun.Analysis.Core.Results;

namespace Msun.Analysis.Reports;

/// <summary>
/// How one method (and scoring) looks in every figure: the same colour and dash wherever it appears, so
/// Vanilla, MST and MSUN can be told apart across the report at a glance.
/// </summary>
/// <param name="Key">Stable key: <c>vanilla</c>, <c>mst</c>, <c>msun</c>, <c>msun best-of-branches</c>, <c>msun branch:NAME</c> or <c>other</c>.</param>
/// <param name="Label">Text for legends: the model name, plus the scoring when it is not <c>routed</c>.</param>
/// <param name="Color">CSS hex colour.</param>
/// <param name="Dash">Plotly dash style: <c>solid</c>, <c>dash</c> or <c>dot</c>.</param>
public sealed record MethodStyle(string Key, string Label, string Color, string Dash)
{
    /// <summary>Colour of a method the palette does not know.</summary>
    public const string NeutralColor = "#7f7f7f";

    // Colour-blind-safe (Okabe–Ito) hues; MSUN's routed and oracle scorings share its hue and differ by dash.
    private static readonly IReadOnlyDictionary<string, string> Hues = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["vanilla"] = "#0072B2",
        ["mst"] = "#E69F00",
        ["msun"] = "#009E73",
    };

    // MSUN's usual subnets get fixed hues far from Vanilla's blue and MSUN's green; other names a stable pick of the rest.
    private static readonly IReadOnlyDictionary<string, string> BranchHues = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["small"] = "#CC79A7",
        ["mid"] = "#D55E00",
        ["large"] = "#8C564B",
    };

    private static readonly string[] OtherBranchColors = ["#F0E442", "#56B4E9", "#000000"];

    /// <summary>The known methods, in the order figures list them.</summary>
    public static IReadOnlyList<string> Methods { get; } = ["vanilla", "mst", "msun"];

    /// <summary>
    /// The method of a model name: its first word when that is a known method (<c>vanilla resnet18-small</c> → <c>vanilla</c>),
    /// else a known method appearing as a word anywhere in it, else <c>other</c>.
    /// </summary>
    public static string MethodOf(string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var words = model.ToLowerInvariant().Split([' ', '-', '_', '/', '(', ')', ','], StringSplitOptions.RemoveEmptyEntries);
        if (words.Length > 0 && Hues.ContainsKey(words[0])) return words[0];
        return words.FirstOrDefault(Hues.ContainsKey) ?? "other";
    }

    /// <summary>The style of a model under a scoring (<see cref="MultiScaleScoring"/>).</summary>
    public static MethodStyle For(string model, string scoring = MultiScaleScoring.Routed)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(scoring);
        string method = MethodOf(model);
        string color = Hues.TryGetValue(method, out var hue) ? hue : NeutralColor;
        string label = scoring == MultiScaleScoring.Routed ? model : $"{model} ({scoring})";
        if (scoring == MultiScaleScoring.Routed) return new MethodStyle(method, label, color, "solid");
        if (scoring == MultiScaleScoring.BestOfBranches) return new MethodStyle($"{method} {scoring}", label, color, "dash");
        if (scoring.StartsWith(MultiScaleScoring.BranchPrefix, StringComparison.Ordinal))
        {
            // Branches get their own hues (stable per name) so the three subnets are distinguishable.
            string name = scoring[MultiScaleScoring.BranchPrefix.Length..];
            string branchColor = BranchHues.TryGetValue(name, out var fixedHue)
                ? fixedHue : OtherBranchColors[(int)(StableHash(name) % (uint)OtherBranchColors.Length)];
            return new MethodStyle($"{method} {scoring}", label, branchColor, "dot");
        }

        return new MethodStyle($"{method} {scoring}", label, color, "dot");
    }

    /// <summary>
    /// The style of a MAC-table model name, which may carry a branch as its last word (<c>msun resnet18-small branch:small</c>,
    /// as <c>msun reproduce</c> writes the cost of each subnet): that branch's style, else <see cref="For"/> routed.
    /// </summary>
    public static MethodStyle ForMacModel(string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        int at = model.LastIndexOf(' ' + MultiScaleScoring.BranchPrefix, StringComparison.Ordinal);
        if (at < 0 || at + 1 + MultiScaleScoring.BranchPrefix.Length >= model.Length || model.IndexOf(' ', at + 1) >= 0) return For(model);
        return For(model[..at], model[(at + 1)..]);
    }

    /// <summary>A colour for the i-th of several series of one method (e.g. probe sizes): the palette cycled.</summary>
    public static string Series(int i)
    {
        string[] all = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"];
        return all[((i % all.Length) + all.Length) % all.Length];
    }

    /// <summary>A hex colour with an alpha, as an rgba() string (for ±std bands).</summary>
    public static string Translucent(string hex, double alpha)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(hex);
        var h = hex.TrimStart('#');
        if (h.Length != 6) throw new ArgumentException($"colour '{hex}' is not #RRGGBB.", nameof(hex));
        int r = Convert.ToInt32(h[..2], 16), g = Convert.ToInt32(h[2..4], 16), b = Convert.ToInt32(h[4..], 16);
        return FormattableString.Invariant($"rgba({r},{g},{b},{alpha})");
    }

    // FNV-1a: string.GetHashCode is randomised per process, and colours must not change between runs.
    private static uint StableHash(string s)
    {
        uint h = 2166136261;
        foreach (char c in s) h = (h ^ c) * 16777619;
        return h;
    }
}
