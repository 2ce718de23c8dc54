namespace Msun.Analysis.Torch.Backbones;

/// <summary>
/// A backbone described as data: its defaults, its ordered stages (declared output shapes for any
/// input size) and a factory for the module. Capture, split selection and the MSUN builder read
/// the same description, and a contract test checks it against the real module.
/// </summary>
public sealed record BackboneSpec
{
    private readonly Func<int, int, Backbone> factory;
    private readonly Func<ScaleAdaptation, int, BackboneSpec>? adapter;

    /// <summary>Creates a spec; prefer the family helpers (<see cref="ResNet.Spec"/>, ...) that derive stages from the same config as the module.</summary>
    /// <param name="name">Registry name.</param>
    /// <param name="description">One line: what this is and which torchvision model it matches.</param>
    /// <param name="inChannels">Default input channels.</param>
    /// <param name="numClasses">Default number of classes.</param>
    /// <param name="nativeInputSize">The input size the network is designed and trained for (square).</param>
    /// <param name="stages">Ordered stages, shallow to deep.</param>
    /// <param name="factory">Builds the module from (inChannels, numClasses).</param>
    /// <param name="adapter">Builds the spec of this backbone adapted to a smaller input scale for an MSUN subnet of the given split (null: the family has no adaptation).</param>
    public BackboneSpec(string name, string description, int inChannels, int numClasses, int nativeInputSize,
        IReadOnlyList<StageSpec> stages, Func<int, int, Backbone> factory, Func<ScaleAdaptation, int, BackboneSpec>? adapter = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(description);
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        ArgumentNullException.ThrowIfNull(stages);
        ArgumentNullException.ThrowIfNull(factory);
        if (stages.Count == 0)
        {
            throw new ArgumentException("A backbone needs at least one stage.", nameof(stages));
        }

        Name = name;
        Description = description;
        InChannels = inChannels;
        NumClasses = numClasses;
        Stages = stages.ToArray();
        this.factory = factory;
        this.adapter = adapter;
        NativeInputSize = nativeInputSize;
        MinimumInputSize = FindMinimumInputSize(Stages);
        ArgumentOutOfRangeException.ThrowIfLessThan(nativeInputSize, MinimumInputSize);
    }

    /// <summary>Registry name (lower case, e.g. <c>resnet50</c>, <c>resnet18-small</c>).</summary>
    public string Name { get; }

    /// <summary>What this backbone is, and which torchvision model it matches.</summary>
    public string Description { get; }

    /// <summary>Default input channels (3 for ImageNet nets, 1 for the small variants meant for Fashion-MNIST).</summary>
    public int InChannels { get; }

    /// <summary>Default number of classes.</summary>
    public int NumClasses { get; }

    /// <summary>The (square) input size the architecture is designed for: 224 for the ImageNet nets, 28 for the small ones.</summary>
    public int NativeInputSize { get; }

    /// <summary>Ordered stages, shallow to deep; stage <c>i</c> of the module has the same name.</summary>
    public IReadOnlyList<StageSpec> Stages { get; }

    /// <summary>The smallest square input for which every stage has at least one pixel (the classifier head accepts any size that passes).</summary>
    public int MinimumInputSize { get; }

    /// <summary>Names of the stages in order (module paths for hooks).</summary>
    public IReadOnlyList<string> StageNames => Stages.Select(s => s.Name).ToArray();

    /// <summary>Builds a freshly initialised module (weights drawn from torch's global generator: seed it for reproducibility).</summary>
    /// <param name="inChannels">Input channels; the spec's default when null.</param>
    /// <param name="numClasses">Number of classes; the spec's default when null.</param>
    public Backbone Create(int? inChannels = null, int? numClasses = null)
    {
        var c = inChannels ?? InChannels;
        var k = numClasses ?? NumClasses;
        ArgumentOutOfRangeException.ThrowIfLessThan(c, 1, nameof(inChannels));
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1, nameof(numClasses));
        return factory(c, k);
    }

    /// <summary>
    /// This backbone with its early layers adapted to a smaller input scale (<see cref="ScaleAdaptation"/>), for
    /// the subnet made of stages <c>[0, split)</c>; <see cref="ScaleAdaptation.Standard"/> returns this spec. Stage
    /// names and channels are unchanged, so the adapted subnet's output fits the shared network.
    /// </summary>
    /// <exception cref="NotSupportedException">The family has no adaptation rule.</exception>
    public BackboneSpec Adapt(ScaleAdaptation adaptation, int split)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(split, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(split, Stages.Count);
        if (adaptation == ScaleAdaptation.Standard)
        {
            return this;
        }

        return adapter is null
            ? throw new NotSupportedException($"Backbone '{Name}' has no rule for adapting its early layers to a smaller scale.")
            : adapter(adaptation, split);
    }

    /// <summary>Index of the stage with the given module path.</summary>
    /// <exception cref="ArgumentException">No stage has that name; the message lists the valid ones.</exception>
    public int StageIndex(string stageName)
    {
        for (var i = 0; i < Stages.Count; i++)
        {
            if (Stages[i].Name == stageName)
            {
                return i;
            }
        }

        throw new ArgumentException(
            $"Backbone '{Name}' has no stage '{stageName}'. Its stages: {string.Join(", ", StageNames)}.", nameof(stageName));
    }

    /// <summary>Declared output shape (without batch) of every stage for a square input of the given size.</summary>
    public IReadOnlyList<FeatureShape> StageOutputShapes(int inputSize) => StageOutputShapes(inputSize, inputSize);

    /// <summary>Declared output shape (without batch) of every stage for an input of the given height and width.</summary>
    public IReadOnlyList<FeatureShape> StageOutputShapes(int height, int width) =>
        Stages.Select(s => s.OutputShape(height, width)).ToArray();

    /// <inheritdoc />
    public override string ToString() => Name;

    private static int FindMinimumInputSize(IReadOnlyList<StageSpec> stages)
    {
        // Output size is monotone in the input size, so the first size that works is the minimum.
        for (var s = 1; s <= 4096; s++)
        {
            if (stages.All(st => Fits(st, s)))
            {
                return s;
            }
        }

        throw new ArgumentException("No input size up to 4096 gives every stage at least one pixel.", nameof(stages));
    }

    private static bool Fits(StageSpec stage, int size)
    {
        var s = size;
        foreach (var op in stage.Reductions)
        {
            s = op.OutputSize(s);
            if (s < 1)
            {
                return false;
            }
        }

        return true;
    }
}
