using System.Globalization;
using System.Text.Json;
using Msun.Analysis.Core;
using Msun.Analysis.Torch.Backbones;

namespace Msun.Analysis.Torch.Unified;

/// <summary>One input scale of an MSUN: its subnet's name, nominal input size and early-layer adaptation.</summary>
/// <param name="Name">Subnet name (<c>small</c>, <c>mid</c>, <c>large</c>): the module path <c>subnets.&lt;name&gt;</c> and the branch name.</param>
/// <param name="Size">Nominal (square) input size of the subnet: routing sends a test size to the smallest nominal size ≥ it.</param>
/// <param name="Adaptation">How the subnet's early layers are adapted to this size.</param>
public sealed record MsunScale(string Name, int Size, ScaleAdaptation Adaptation);

/// <summary>
/// An MSUN configuration (docs/METHOD.md §2): a registered backbone, the split (stages <c>[0, split)</c> become one
/// independent subnet per scale, stages <c>[split, n)</c> and the head are shared), the scales in ascending order (the
/// largest is the reference size), and the scale-invariant constraint. Validated at construction; the messages name
/// the field.
/// </summary>
public sealed record MsunConfig
{
    /// <summary>The default weight of each pairwise MSE term (the paper's 1).</summary>
    public const double DefaultConstraintWeight = 1.0;

    /// <summary>The default truncation: MSE terms below it are dropped (the paper's 0.001; 0.01 for ResNet-50).</summary>
    public const double DefaultTruncationThreshold = 0.001;

    /// <summary>Creates a validated configuration.</summary>
    /// <param name="backbone">Registry name.</param>
    /// <param name="split">Number of leading stages per subnet: 1..stages−1 (the paper's ResNet-50 "after layer1" is 2).</param>
    /// <param name="scales">Nominal input sizes, strictly ascending; the last is the reference size (at least 2 scales).</param>
    /// <param name="constraintWeight">Weight of each pairwise MSE term (paper: 1).</param>
    /// <param name="truncationThreshold">An MSE term below this is dropped (paper: 0.01 for ResNet-50, 0.001 otherwise).</param>
    /// <param name="constraint">False turns the scale-invariant constraint off (ablation): CE terms only.</param>
    /// <param name="adaptations">Per-scale adaptation; default: small for the first, standard for the last, mid between.</param>
    /// <param name="names">How the caller names the parameters in messages (e.g. the command line's options); the parameter names when null.</param>
    public MsunConfig(string backbone, int split, IReadOnlyList<int> scales, double constraintWeight = DefaultConstraintWeight,
        double truncationThreshold = DefaultTruncationThreshold, bool constraint = true, IReadOnlyList<ScaleAdaptation>? adaptations = null,
        InputNames? names = null)
        : this(BackboneRegistry.Get(backbone ?? throw new ArgumentNullException(nameof(backbone))), split, scales, constraintWeight,
            truncationThreshold, constraint, adaptations, names)
    {
    }

    /// <summary>
    /// A validated configuration of any backbone spec, registered or not (a backbone defined in a notebook or a
    /// test): the same rules as the registry-name constructor. Checkpoints record <see cref="BackboneSpec.Name"/>
    /// only, so reading one back (<see cref="ReadJson"/>) needs the backbone registered.
    /// </summary>
    public MsunConfig(BackboneSpec spec, int split, IReadOnlyList<int> scales, double constraintWeight = DefaultConstraintWeight,
        double truncationThreshold = DefaultTruncationThreshold, bool constraint = true, IReadOnlyList<ScaleAdaptation>? adaptations = null, InputNames? names = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(scales);
        var n = names ?? InputNames.Parameters;
        var depth = spec.Stages.Count;
        var outside = $"split {split} is outside 1..{depth - 1}: {spec.Name} has {depth} stages ({string.Join(", ", spec.StageNames)}) and MSUN needs at least one per subnet and one shared.";
        if (split < 1)
            throw new ArgumentOutOfRangeException(nameof(split), $"{n[nameof(split)]} {split}: must be at least 1, the number of leading stages per subnet ({outside.TrimEnd('.')}).");
        if (split > depth - 1)
            throw new ArgumentOutOfRangeException(nameof(split), n[nameof(split)] == nameof(split) ? outside : $"{n[nameof(split)]}: {outside}");
        if (scales.Count < 2)
            throw new ArgumentException($"scales has {scales.Count} size(s); MSUN needs at least 2 (the paper uses 3).", nameof(scales));
        for (var i = 0; i < scales.Count; i++)
        {
            if (scales[i] < 1)
                throw new ArgumentOutOfRangeException(nameof(scales), scales[i], $"scales: {scales[i]} is not a positive size.");
            if (i > 0 && scales[i] == scales[i - 1])
                throw new ArgumentException($"scales {string.Join(",", scales)}: {scales[i]} is duplicated.", nameof(scales));
            if (i > 0 && scales[i] < scales[i - 1])
                throw new ArgumentException($"scales {string.Join(",", scales)} are out of order: give them ascending (the last is the reference size).", nameof(scales));
        }

        if (!(constraintWeight >= 0) || !double.IsFinite(constraintWeight))
            throw new ArgumentOutOfRangeException(nameof(constraintWeight),
                string.Create(CultureInfo.InvariantCulture, $"{n[nameof(constraintWeight)]} {constraintWeight}: must be zero or positive (and finite)."));
        if (!(truncationThreshold >= 0) || !double.IsFinite(truncationThreshold))
            throw new ArgumentOutOfRangeException(nameof(truncationThreshold),
                string.Create(CultureInfo.InvariantCulture, $"{n[nameof(truncationThreshold)]} {truncationThreshold}: must be zero or positive (and finite)."));
        if (adaptations is not null && adaptations.Count != scales.Count)
            throw new ArgumentException($"adaptations has {adaptations.Count} entries for {scales.Count} scales.", nameof(adaptations));

        var scaleNames = DefaultNames(scales);
        Spec = spec;
        Backbone = spec.Name;
        Split = split;
        Scales = scales.Select((s, i) => new MsunScale(scaleNames[i], s, adaptations?[i] ?? DefaultAdaptation(i, scales.Count))).ToArray();
        ConstraintWeight = constraintWeight;
        TruncationThreshold = truncationThreshold;
        Constraint = constraint;

        // Every subnet must give at least one pixel at its nominal size, and the shared part must fit the unified size.
        foreach (var scale in Scales)
        {
            var adapted = spec.Adapt(scale.Adaptation, split);
            try
            {
                adapted.Stages[split - 1].OutputSize(scale.Size);
            }
            catch (ArgumentOutOfRangeException e)
            {
                throw new ArgumentOutOfRangeException(nameof(scales), scale.Size, $"scales: subnet '{scale.Name}' cannot take {scale.Size} px: {e.Message}");
            }
        }

        UnifiedSize = spec.Adapt(Scales[^1].Adaptation, split).Stages[split - 1].OutputSize(ReferenceSize);
        for (var i = split; i < depth; i++)
        {
            var shapeAfterSplit = spec.Stages[i].Reductions.Skip(spec.Stages[split - 1].Reductions.Count)
                .Aggregate(UnifiedSize, (s, op) => op.OutputSize(s));
            if (shapeAfterSplit < 1)
                throw new ArgumentOutOfRangeException(nameof(scales), ReferenceSize,
                    $"scales: the reference size {ReferenceSize} unifies to {UnifiedSize} px, too small for the shared stage '{spec.Stages[i].Name}'.");
        }
    }

    /// <summary>The paper's configuration of a registered ImageNet backbone: scales 32/128/224, its split and truncation.</summary>
    /// <remarks>
    /// ResNet-50: split 2 (stem + layer1), truncation 0.01. VGG-16-BN: split 3 (up to the 3rd max-pool). DenseNet-121:
    /// split 2 (stem + denseblock1; in our stage convention transition1 opens the next, shared stage). MobileNetV2: split 3
    /// (features.0–6): the paper's features[0..9] ends inside a stage, so the nearest stage boundary is used.
    /// </remarks>
    public static MsunConfig Paper(string backbone)
    {
        var name = BackboneRegistry.Get(backbone).Name;
        var (split, truncation) = PaperSplits.TryGetValue(name, out var paper)
            ? paper
            : throw new ArgumentException($"No paper configuration for '{name}'; the paper's backbones are resnet50, vgg16-bn, densenet121, mobilenetv2.", nameof(backbone));
        return new MsunConfig(name, split, [32, 128, 224], 1.0, truncation);
    }

    /// <summary>The paper's split and truncation threshold per backbone (see <see cref="Paper"/>).</summary>
    private static readonly Dictionary<string, (int Split, double Truncation)> PaperSplits = new(StringComparer.Ordinal)
    {
        ["resnet50"] = (2, 0.01),
        ["resnet18"] = (2, 0.001),
        ["vgg16-bn"] = (3, 0.001),
        ["densenet121"] = (2, 0.001),
        ["mobilenetv2"] = (3, 0.001),
    };

    /// <summary>
    /// The extra scales below a reference size when none are given, shared by MST and MSUN: ½ and ¾ of the reference
    /// (14 and 21 at 28), because the paper's ratios (32 and 128 of 224) would leave a 4-pixel image at 28.
    /// </summary>
    public static int[] DefaultScalesBelow(int referenceSize) =>
        new[] { (referenceSize + 1) / 2, (3 * referenceSize + 2) / 4 }.Where(s => s >= 1 && s < referenceSize).Distinct().Order().ToArray();

    /// <summary>
    /// The configuration of a backbone at its native input size when no training run gives one: the paper's (scales,
    /// truncation) when the paper used this backbone with this split; otherwise the paper's scales 32/128/224 for a
    /// 224-pixel backbone, <see cref="DefaultScalesBelow"/> and the native size for a smaller one.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown backbone, or a split outside the backbone's stages.</exception>
    public static MsunConfig ForBackbone(string backbone, int split)
    {
        var spec = BackboneRegistry.Get(backbone);
        var paper = spec.NativeInputSize == 224 && PaperSplits.ContainsKey(spec.Name) ? Paper(spec.Name) : null;
        if (paper is not null && paper.Split == split) return paper;
        int r = spec.NativeInputSize;
        int[] scales = r == 224 ? [32, 128, 224] : [.. DefaultScalesBelow(r), r];
        return new MsunConfig(spec.Name, split, scales);
    }

    /// <summary>Name of the backbone (its registry name when registered).</summary>
    public string Backbone { get; }

    /// <summary>The backbone's spec: what the MSUN builder instantiates.</summary>
    public BackboneSpec Spec { get; }

    /// <summary>Leading stages per subnet.</summary>
    public int Split { get; }

    /// <summary>The scales, ascending; the last is the reference.</summary>
    public IReadOnlyList<MsunScale> Scales { get; }

    /// <summary>The largest nominal size: the size training images come at.</summary>
    public int ReferenceSize => Scales[^1].Size;

    /// <summary>Side of the unified feature map: what the largest subnet outputs at the reference size (56 for ResNet-50 at 224).</summary>
    public int UnifiedSize { get; }

    /// <summary>Weight of each pairwise MSE term.</summary>
    public double ConstraintWeight { get; }

    /// <summary>MSE terms below this contribute nothing.</summary>
    public double TruncationThreshold { get; }

    /// <summary>Whether the scale-invariant constraint is on.</summary>
    public bool Constraint { get; }

    /// <summary>The fields that define the network and its loss, as (name, value) in invariant text; checkpoints compare them.</summary>
    public IReadOnlyList<(string Name, string Value)> Key() =>
    [
        ("msun_backbone", Backbone),
        ("msun_split", Split.ToString(CultureInfo.InvariantCulture)),
        ("msun_scales", string.Join(",", Scales.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Name}:{s.Size}:{s.Adaptation.ToName()}")))),
        ("msun_constraint", Constraint ? "on" : "off"),
        ("msun_constraint_weight", ConstraintWeight.ToString("R", CultureInfo.InvariantCulture)),
        ("msun_truncation", TruncationThreshold.ToString("R", CultureInfo.InvariantCulture)),
    ];

    /// <summary>Every field where <paramref name="other"/> differs, as "field mine vs other"; empty when equal.</summary>
    public IReadOnlyList<string> Differences(MsunConfig other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var theirs = other.Key().ToDictionary(p => p.Name, p => p.Value);
        return Key().Where(p => theirs[p.Name] != p.Value).Select(p => $"{p.Name} {p.Value} vs {theirs[p.Name]}").ToArray();
    }

    /// <summary>One line: e.g. "MSUN resnet18-small split 2, scales small:14:small,mid:21:mid,large:28:standard, unified 28 px, constraint on (w 1, truncation 0.001)".</summary>
    public string Describe() =>
        string.Create(CultureInfo.InvariantCulture,
            $"MSUN {Backbone} split {Split}, scales {Key()[2].Value}, unified {UnifiedSize} px, constraint {(Constraint ? $"on (w {ConstraintWeight}, truncation {TruncationThreshold})" : "off")}");

    /// <summary>Writes the configuration as one JSON object.</summary>
    public void WriteJson(Utf8JsonWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject();
        w.WriteString("backbone", Backbone);
        w.WriteNumber("split", Split);
        w.WriteStartArray("scales");
        foreach (var s in Scales)
        {
            w.WriteStartObject();
            w.WriteString("name", s.Name);
            w.WriteNumber("size", s.Size);
            w.WriteString("adaptation", s.Adaptation.ToName());
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteNumber("unified_size", UnifiedSize);
        w.WriteBoolean("constraint", Constraint);
        w.WriteNumber("constraint_weight", ConstraintWeight);
        w.WriteNumber("truncation_threshold", TruncationThreshold);
        w.WriteEndObject();
    }

    /// <summary>Reads a configuration written by <see cref="WriteJson"/>, validating it again.</summary>
    /// <exception cref="InvalidDataException">A field is missing or malformed.</exception>
    public static MsunConfig ReadJson(JsonElement e)
    {
        try
        {
            var scales = e.GetProperty("scales").EnumerateArray().ToArray();
            return new MsunConfig(e.GetProperty("backbone").GetString()!, e.GetProperty("split").GetInt32(),
                scales.Select(s => s.GetProperty("size").GetInt32()).ToArray(), e.GetProperty("constraint_weight").GetDouble(),
                e.GetProperty("truncation_threshold").GetDouble(), e.GetProperty("constraint").GetBoolean(),
                scales.Select(s => ScaleAdaptationNames.Parse(s.GetProperty("adaptation").GetString()!)).ToArray());
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"MSUN configuration in JSON is incomplete or malformed: {ex.Message}", ex);
        }
    }

    /// <inheritdoc />
    public bool Equals(MsunConfig? other) => other is not null && Key().SequenceEqual(other.Key());

    /// <inheritdoc />
    public override int GetHashCode() => string.Join(";", Key()).GetHashCode(StringComparison.Ordinal);

    private static string[] DefaultNames(IReadOnlyList<int> scales) => scales.Count switch
    {
        2 => ["small", "large"],
        3 => ["small", "mid", "large"],
        _ => scales.Select(s => "s" + s.ToString(CultureInfo.InvariantCulture)).ToArray(),
    };

    private static ScaleAdaptation DefaultAdaptation(int index, int count) =>
        index == count - 1 ? ScaleAdaptation.Standard : index == 0 ? ScaleAdaptation.Small : ScaleAdaptation.Mid;
}
