using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Backbones;

/// <summary>Where the weights of a loaded backbone came from.</summary>
public enum ModelSource
{
    /// <summary>A checkpoint written by <c>msun train</c>.</summary>
    Checkpoint,

    /// <summary>A PyTorch state dict (.pt/.pth) or a safetensors file.</summary>
    PyTorchWeights,

    /// <summary>Freshly initialised from a seed: an untrained baseline.</summary>
    FreshInitialisation,

    /// <summary>A module the caller built and keeps owning (<see cref="LoadedBackbone.FromModule"/>), registered or not.</summary>
    Module,
}

/// <summary>
/// A registered backbone with its weights loaded, its input channels, and a record of where the weights came from
/// (written into the provenance of every result computed with it): what the scale study and the evaluation run.
/// Made by <c>Pipeline.ModelLoader</c>. The caller owns it (dispose it when done).
/// </summary>
public sealed class LoadedBackbone : IDisposable
{
    private readonly bool owned;

    internal LoadedBackbone(Backbone model, BackboneSpec spec, int inChannels, ModelSource source, string? path,
        IReadOnlyDictionary<string, string> provenance, int? trainedReferenceSize)
        : this(model, spec, spec.Name, spec.StageNames, inChannels, source, path, provenance, trainedReferenceSize, owned: true)
    {
    }

    private LoadedBackbone(nn.Module<Tensor, Tensor> model, BackboneSpec? spec, string name, IReadOnlyList<string> blocks, int inChannels,
        ModelSource source, string? path, IReadOnlyDictionary<string, string> provenance, int? trainedReferenceSize, bool owned)
    {
        Model = model;
        Spec = spec;
        Name = name;
        Blocks = blocks;
        this.owned = owned;
        InChannels = inChannels;
        Source = source;
        Path = path;
        Provenance = provenance;
        TrainedReferenceSize = trainedReferenceSize;
    }

    /// <summary>The module the study runs (for a registered backbone a <see cref="Backbone"/>, whose stages are the paper's blocks).</summary>
    public nn.Module<Tensor, Tensor> Model { get; }

    /// <summary>Its backbone spec (declared stage shapes, minimum input size), or null for a module without one.</summary>
    public BackboneSpec? Spec { get; }

    /// <summary>Name in messages and provenance: the backbone's registry name, or the caller's.</summary>
    public string Name { get; }

    /// <summary>The blocks studied by default, shallow to deep: module paths of <see cref="Model"/> (a backbone's stages).</summary>
    public IReadOnlyList<string> Blocks { get; }

    /// <summary>Input channels the model expects.</summary>
    public int InChannels { get; }

    /// <summary>Where the weights came from.</summary>
    public ModelSource Source { get; }

    /// <summary>The checkpoint folder or weights file; null for a fresh initialisation.</summary>
    public string? Path { get; }

    /// <summary>The input size the model was trained at, when known (checkpoints record it).</summary>
    public int? TrainedReferenceSize { get; }

    /// <summary>Provenance entries describing the model (<c>model.*</c> keys).</summary>
    public IReadOnlyDictionary<string, string> Provenance { get; }

    /// <summary>
    /// Any module the caller built (and keeps owning: disposing this leaves it alone), studied at
    /// <paramref name="blocks"/>: module paths as <c>named_modules()</c> reports them, in network order (the order is
    /// the depth the split rule reads). No registry entry is needed.
    /// </summary>
    /// <param name="module">The network; it must map one image batch to one tensor (wrap a multi-output network in a
    /// module that returns the output wanted). The study runs it in eval mode, so auxiliary heads that only run in
    /// training mode stay silent.</param>
    /// <param name="blocks">Block paths, at least one, no repeats; each must be a single-tensor module that runs once per forward.</param>
    /// <param name="inChannels">Input channels the module expects.</param>
    /// <param name="name">Name in messages and provenance.</param>
    /// <param name="spec">The module's backbone spec when it has one (declared shapes); null otherwise.</param>
    /// <exception cref="ArgumentException">An unknown path (the message lists the nearest valid ones), a repeated path, a
    /// path whose module does not map one tensor to one tensor, or no paths.</exception>
    public static LoadedBackbone FromModule(nn.Module<Tensor, Tensor> module, IReadOnlyList<string> blocks, int inChannels, string name = "module",
        BackboneSpec? spec = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        ModulePaths.Check(module, blocks); // nearest names on a miss, single-tensor modules only
        var provenance = new Dictionary<string, string>
        {
            ["model.backbone"] = name,
            ["model.source"] = "module",
            ["model.type"] = module.GetType().Name,
            ["model.parameters"] = module.parameters().Sum(p => p.numel()).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        return new LoadedBackbone(module, spec, name, blocks.ToArray(), inChannels, ModelSource.Module, null, provenance, null, owned: false);
    }

    /// <summary>Disposes the module, unless it came from <see cref="FromModule"/> (the caller owns it).</summary>
    public void Dispose()
    {
        if (owned)
            Model.Dispose();
    }
}
