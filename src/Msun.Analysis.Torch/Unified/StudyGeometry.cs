using System.Globalization;
using Msun.Analysis.Torch.Backbones;

namespace Msun.Analysis.Torch.Unified;

/// <summary>
/// Every size of one study path: the reference size the images are brought to, the backbone, the sizes below the
/// reference that MST trains at and MSUN gives subnets to, the test ladder of the multi-scale protocol and the CKA probes.
/// One place, so the CLI, the pipeline and the notebooks cannot disagree.
/// </summary>
/// <param name="Name"><c>paper</c> or <c>cifar</c>.</param>
/// <param name="ReferenceSize">Side of the reference image (Fashion-MNIST's 28 px upsampled bilinearly when larger).</param>
/// <param name="Backbone">Registry name of the backbone.</param>
/// <param name="Scales">Sizes below the reference, ascending: MST's extra training sizes and MSUN's smaller subnets.</param>
/// <param name="TestSizes">The test ladder, ascending, ending at the reference size.</param>
/// <param name="Probes">CKA probe sizes, ascending; the split rule reads the smallest.</param>
/// <param name="Description">One line for logs and provenance.</param>
public sealed record StudyGeometry(
    string Name, int ReferenceSize, string Backbone, IReadOnlyList<int> Scales, IReadOnlyList<int> TestSizes, IReadOnlyList<int> Probes,
    string Description)
{
    /// <summary>The geometry names, for option help.</summary>
    public static IReadOnlyList<string> Names { get; } = ["paper", "cifar"];

    /// <summary>Reference sizes of the paper geometry (the paper's sizes ÷ 4 and ÷ 2).</summary>
    public static IReadOnlyList<int> PaperReferenceSizes { get; } = [56, 112];

    /// <summary>The reference size of the paper geometry when none is given: the one whose smallest test size holds as little of the 28 px content as the paper's 32 px holds of ImageNet.</summary>
    public const int DefaultPaperReferenceSize = 56;

    /// <summary>
    /// The paper's geometry scaled by R/224 (docs/METHOD.md §6): the ImageNet-stem ResNet-18, MSUN subnets and MST sizes
    /// at R/7 and 4R/7 with R (the paper's 32 / 128 / 224), the ladder R/14 × 2..14 (the paper's 32…224 step 16, 13
    /// sizes), probes R/7, 2R/7, 4R/7 (the paper's 32 → 224 first).
    /// </summary>
    /// <exception cref="ArgumentException">A reference size other than 56 or 112 (no backbone is sized for it).</exception>
    public static StudyGeometry Paper(int referenceSize = DefaultPaperReferenceSize)
    {
        var backbone = referenceSize switch
        {
            56 => "resnet18-imagenet-w32",
            112 => "resnet18-imagenet-w16",
            _ => throw new ArgumentException(
                $"--reference-size {referenceSize}: the paper geometry is defined at {string.Join(" and ", PaperReferenceSizes)} (the paper's sizes ÷ 4 and ÷ 2).",
                nameof(referenceSize)),
        };
        int step = referenceSize / 14, small = referenceSize / 7;
        var ci = CultureInfo.InvariantCulture;
        return new StudyGeometry("paper", referenceSize, backbone, [small, 4 * small],
            Enumerable.Range(2, 13).Select(k => k * step).ToArray(), [small, 2 * small, 4 * small],
            string.Create(ci, $"paper geometry at R = {referenceSize} (the paper's sizes × {referenceSize}/224): {backbone}, subnets/MST at {small}/{4 * small}/{referenceSize}, ladder {2 * step}…{referenceSize} step {step}, probes {small},{2 * small},{4 * small}"));
    }

    /// <summary>
    /// The CIFAR-style path at the dataset's 28 px: resnet18-small (3×3 stride-1 stem, no max-pool), MST/MSUN at 14 and
    /// 21, ladder 8…28 step 4, probes 7, 14, 21. The stem keeps small images at full resolution, so the mechanism MSUN
    /// fixes is absent here (docs/METHOD.md §6).
    /// </summary>
    public static StudyGeometry Cifar() =>
        new("cifar", 28, "resnet18-small", [14, 21], [8, 12, 16, 20, 24, 28], [7, 14, 21],
            "cifar geometry at 28 px: resnet18-small (CIFAR stem), subnets/MST at 14/21/28, ladder 8…28 step 4, probes 7,14,21");

    /// <summary>The geometry named <paramref name="name"/> at <paramref name="referenceSize"/> (its default when null).</summary>
    /// <exception cref="ArgumentException">Unknown name, or a reference size the geometry does not define; the message names the option.</exception>
    public static StudyGeometry Get(string name, int? referenceSize = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        switch (name.ToLowerInvariant())
        {
            case "paper":
                return Paper(referenceSize ?? DefaultPaperReferenceSize);
            case "cifar":
                if (referenceSize is int r && r != 28)
                    throw new ArgumentException($"--reference-size {r}: the cifar geometry runs at the dataset's 28 px only.", nameof(referenceSize));
                return Cifar();
            default:
                throw new ArgumentException($"--geometry '{name}': unknown; geometries: {string.Join(", ", Names)}.", nameof(name));
        }
    }

    /// <summary>The backbone's registry spec.</summary>
    public BackboneSpec Spec => BackboneRegistry.Get(Backbone);

    /// <summary>One line of every size, for configuration keys.</summary>
    public string Key() =>
        string.Create(CultureInfo.InvariantCulture,
            $"geometry={Name}; reference={ReferenceSize}; backbone={Backbone}; scales={string.Join(",", Scales)}; tests={string.Join(",", TestSizes)}; probes={string.Join(",", Probes)}");
}
