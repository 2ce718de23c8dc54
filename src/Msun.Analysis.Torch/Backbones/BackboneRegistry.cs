using System.Collections.Frozen;

namespace Msun.Analysis.Torch.Backbones;

/// <summary>
/// The backbones this toolkit knows, by name: the paper's eight CKA backbones (ResNet-50, ResNeXt-50, DenseNet-121,
/// MobileNetV2, VGG-16, GoogLeNet, Inception-v3, AlexNet; VGG-16 with batch norm), ResNet-18, and small-input
/// variants that train on a CPU. One place that capture, split selection, the MSUN
/// builder and the MAC tables all read from.
/// </summary>
public static class BackboneRegistry
{
    private const int ImageNetSize = 224;
    private const int InceptionSize = 299;
    private const int SmallSize = 28;

    private static readonly BackboneSpec[] All =
    [
        ResNet.Spec("resnet18", "ResNet-18 (torchvision resnet18).", ResNetConfig.ResNet18, 3, 1000, ImageNetSize),
        ResNet.Spec("resnet50", "ResNet-50 (torchvision resnet50, v1.5: stride on the 3×3).", ResNetConfig.ResNet50, 3, 1000, ImageNetSize),
        Vgg.Spec("vgg16-bn", "VGG-16 with batch norm (torchvision vgg16_bn).", VggConfig.Vgg16Bn, 3, 1000, ImageNetSize),
        DenseNet.Spec("densenet121", "DenseNet-121 (torchvision densenet121).", DenseNetConfig.DenseNet121, 3, 1000, ImageNetSize),
        MobileNetV2.Spec("mobilenetv2", "MobileNetV2, width 1.0 (torchvision mobilenet_v2).", MobileNetV2Config.ImageNet, 3, 1000, ImageNetSize),
        ResNet.Spec("resnext50-32x4d", "ResNeXt-50 32×4d (torchvision resnext50_32x4d).", ResNetConfig.ResNeXt50, 3, 1000, ImageNetSize),
        GoogLeNet.Spec("googlenet", "GoogLeNet / Inception v1 without auxiliary heads (torchvision googlenet).", GoogLeNetConfig.ImageNet, 3, 1000, ImageNetSize),
        InceptionV3.Spec("inception-v3", "Inception-v3 with its auxiliary head's weights (torchvision inception_v3); native 299 px.",
            InceptionV3Config.ImageNet, 3, 1000, InceptionSize),
        AlexNet.Spec("alexnet", "AlexNet (torchvision alexnet).", AlexNetConfig.ImageNet, 3, 1000, ImageNetSize),
        ResNet.Spec("resnet18-small", "ResNet-18 layout, CIFAR stem (3×3/1, no max-pool), widths 16/32/64/128; for 28–32 px.",
            ResNetConfig.Small(16), 1, 10, SmallSize),
        Vgg.Spec("vgg16-bn-small", "VGG-16-BN layout, widths 16/32/64/128/128, no pool after block 1, global-pool head; for 28–32 px.",
            VggConfig.Small(16), 1, 10, SmallSize),
        DenseNet.Spec("densenet-small", "DenseNet-BC, CIFAR stem, growth 12, blocks 6/6/6/6; for 28–32 px.",
            DenseNetConfig.Small(12), 1, 10, SmallSize),
        // The paper's geometry at CPU scale (docs/METHOD.md §6): the ImageNet stem, so a small image is crushed before layer1
        // as in the paper; widths chosen so that a run costs about what resnet18-small costs at 28 px (layer1 at 14×14 with
        // width 32 at R = 56, at 28×28 with width 16 at R = 112).
        ResNet.Spec("resnet18-imagenet-w32", "ResNet-18 layout, ImageNet stem (7×7/2 + max-pool), widths 32/64/128/256; the paper's geometry at 56 px.",
            ResNetConfig.ImageNetStem(32), 1, 10, 56),
        ResNet.Spec("resnet18-imagenet-w16", "ResNet-18 layout, ImageNet stem (7×7/2 + max-pool), widths 16/32/64/128; the paper's geometry at 112 px.",
            ResNetConfig.ImageNetStem(16), 1, 10, 112),
        MobileNetV2.Spec("mobilenetv2-small", "MobileNetV2, width 0.5, stride-1 first conv and 24-channel row (reduction 8); for 28–32 px.",
            MobileNetV2Config.Small(0.5), 1, 10, SmallSize),
    ];

    private static readonly FrozenDictionary<string, BackboneSpec> ByName =
        All.ToFrozenDictionary(s => s.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>Registered names, in registration order (ImageNet backbones first, then the small variants).</summary>
    public static IReadOnlyList<string> Names { get; } = All.Select(s => s.Name).ToArray();

    /// <summary>Every registered spec, in the order of <see cref="Names"/>.</summary>
    public static IReadOnlyList<BackboneSpec> Specs { get; } = All.ToArray();

    /// <summary>The spec registered under <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the known ones.</exception>
    public static BackboneSpec Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return ByName.TryGetValue(name, out var spec)
            ? spec
            : throw new ArgumentException($"Unknown backbone '{name}'. Known backbones: {string.Join(", ", Names)}.", nameof(name));
    }

    /// <summary>Looks a spec up without throwing.</summary>
    public static bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out BackboneSpec? spec)
    {
        ArgumentNullException.ThrowIfNull(name);
        return ByName.TryGetValue(name, out spec);
    }
}
