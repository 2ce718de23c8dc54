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
}

/// <summary>
/// A registered backbone with its weights loaded, its input channels, and a record of where the weights came from
/// (written into the provenance of every result computed with it): what the scale study and the evaluation run.
/// Made by <c>Pipeline.ModelLoader</c>. The caller owns it (dispose it when done).
/// </summary>
public sealed class LoadedBackbone : IDisposable
{
    internal LoadedBackbone(Backbone model, BackboneSpec spec, int inChannels, ModelSource source, string? path,
        IReadOnlyDictionary<string, string> provenance, int? trainedReferenceSize)
    {
        Model = model;
        Spec = spec;
        InChannels = inChannels;
        Source = source;
        Path = path;
        Provenance = provenance;
        TrainedReferenceSize = trainedReferenceSize;
    }

    /// <summary>The module (stages = the paper's blocks).</summary>
    public Backbone Model { get; }

    /// <summary>Its registry entry (stage names, declared shapes, minimum input size).</summary>
    public BackboneSpec Spec { get; }

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

    /// <inheritdoc />
    public void Dispose() => Model.Dispose();
}
