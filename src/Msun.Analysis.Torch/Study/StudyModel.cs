using System.Globalization;
using Msun.Analysis.Torch.Backbones;
using Msun.Analysis.Torch.Training;
using Msun.Analysis.Torch.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Study;

/// <summary>Where the weights of a studied model came from.</summary>
public enum StudyModelSource
{
    /// <summary>A checkpoint written by <c>msun train</c> (<see cref="Checkpoint"/>).</summary>
    Checkpoint,

    /// <summary>A PyTorch state dict (.pt/.pth) or a safetensors file (<see cref="PyTorchWeights"/>).</summary>
    PyTorchWeights,

    /// <summary>Freshly initialised from a seed: an untrained baseline.</summary>
    FreshInitialisation,

    /// <summary>A module the caller built and owns the weights of (<see cref="StudyModel.FromModule"/>), registered or not.</summary>
    Module,
}

/// <summary>
/// The network a scale study runs: any single-tensor TorchSharp module with an ordered list of blocks (module paths as
/// <c>named_modules()</c> reports them, shallow to deep), its input channels, and a record of where its weights came
/// from (written into the profile's provenance). A registered backbone brings its spec, whose stages are the default
/// blocks. The caller owns it (dispose it when done).
/// </summary>
public sealed class StudyModel : IDisposable
{
    private readonly bool owned;

    private StudyModel(nn.Module<Tensor, Tensor> model, BackboneSpec? spec, string name, IReadOnlyList<string> blocks, int inChannels,
        StudyModelSource source, string? path, IReadOnlyDictionary<string, string> provenance, int? trainedReferenceSize, bool owned = true)
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
    public StudyModelSource Source { get; }

    /// <summary>The checkpoint folder or weights file; null for a fresh initialisation.</summary>
    public string? Path { get; }

    /// <summary>The input size the model was trained at, when known (checkpoints record it).</summary>
    public int? TrainedReferenceSize { get; }

    /// <summary>Provenance entries describing the model (<c>model.*</c> keys).</summary>
    public IReadOnlyDictionary<string, string> Provenance { get; }

    /// <summary>
    /// Loads the weights of a <c>msun train</c> checkpoint into the backbone it was trained with (its channels and
    /// classes from the checkpoint's dataset).
    /// </summary>
    /// <param name="directory">The run folder holding <c>checkpoint.zip</c>.</param>
    /// <param name="expectedBackbone">When given, the checkpoint must hold this backbone (a mismatch is an error, never a silent substitution).</param>
    /// <exception cref="CheckpointException">No checkpoint, unreadable, or its weights do not fit.</exception>
    /// <exception cref="ArgumentException"><paramref name="expectedBackbone"/> differs from the checkpoint's backbone.</exception>
    public static StudyModel FromCheckpoint(string directory, string? expectedBackbone = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var full = System.IO.Path.GetFullPath(directory);
        var state = Checkpoint.ReadState(full);
        if (state.Options.Method == TrainingMethod.Msun)
            throw new CheckpointException(
                $"{Checkpoint.PathIn(full)} holds an MSUN model ({state.Options.Msun!.Describe()}), not a single backbone; load it with MsunCheckpoint.");
        var spec = BackboneRegistry.Get(state.Options.Backbone);
        if (expectedBackbone is not null && !string.Equals(BackboneRegistry.Get(expectedBackbone).Name, spec.Name, StringComparison.Ordinal))
            throw new ArgumentException(
                $"the checkpoint in {full} holds a {spec.Name} ({state.Options.Method.ToName()}, trained on {state.Dataset.Name}), not a {BackboneRegistry.Get(expectedBackbone).Name}.",
                nameof(expectedBackbone));
        var model = spec.Create(state.Dataset.Channels, state.Dataset.Classes);
        try
        {
            Checkpoint.LoadModel(full, model);
        }
        catch
        {
            model.Dispose();
            throw;
        }

        var ci = CultureInfo.InvariantCulture;
        var provenance = new Dictionary<string, string>
        {
            ["model.backbone"] = spec.Name,
            ["model.source"] = "checkpoint",
            ["model.checkpoint"] = Checkpoint.PathIn(full),
            ["model.training_method"] = state.Options.Method.ToName(),
            ["model.trained_on"] = state.Dataset.Provenance,
            ["model.trained_reference_size"] = state.Options.ReferenceSize.ToString(ci),
            ["model.epochs_completed"] = state.EpochsCompleted.ToString(ci),
            ["model.training_seed"] = state.Options.Seed.ToString(ci),
            ["model.checkpoint_saved_utc"] = state.SavedUtc.ToString("O", ci),
        };
        if (state.History.Count > 0)
            provenance["model.test_accuracy"] = state.History[^1].TestAccuracy.ToString("R", ci);
        return new StudyModel(model, spec, spec.Name, spec.StageNames, state.Dataset.Channels, StudyModelSource.Checkpoint, Checkpoint.PathIn(full), provenance,
            state.Options.ReferenceSize);
    }

    /// <summary>Builds a registered backbone and loads PyTorch (.pt/.pth) or safetensors weights into it, strictly.</summary>
    /// <param name="backbone">Registry name.</param>
    /// <param name="weightsPath">The weights file.</param>
    /// <param name="inChannels">Input channels (the spec's default when null).</param>
    /// <param name="numClasses">Classes of the head (the spec's default when null); must match the file.</param>
    /// <param name="loadOptions">Strictness and key rename rules (a timm or wrapped checkpoint); strict without renaming by default.</param>
    /// <exception cref="ArgumentException">Unknown backbone.</exception>
    /// <exception cref="WeightLoadException">Keys or shapes do not fit.</exception>
    public static StudyModel FromPyTorchWeights(string backbone, string weightsPath, int? inChannels = null, int? numClasses = null,
        WeightLoadOptions? loadOptions = null)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentException.ThrowIfNullOrWhiteSpace(weightsPath);
        var spec = BackboneRegistry.Get(backbone);
        var full = System.IO.Path.GetFullPath(weightsPath);
        var model = spec.Create(inChannels, numClasses);
        WeightLoadReport report;
        try
        {
            report = PyTorchWeights.Load(model, full, loadOptions);
        }
        catch
        {
            model.Dispose();
            throw;
        }

        var provenance = new Dictionary<string, string>
        {
            ["model.backbone"] = spec.Name,
            ["model.source"] = "pytorch-weights",
            ["model.weights"] = full,
            ["model.weights_loaded"] = $"{report.Format}, {report.Loaded.Count} tensors, {report.Describe().ReplaceLineEndings("; ")}",
        };
        return new StudyModel(model, spec, spec.Name, spec.StageNames, inChannels ?? spec.InChannels, StudyModelSource.PyTorchWeights, full, provenance, null);
    }

    /// <summary>A freshly initialised backbone: torch's generator is seeded with <paramref name="seed"/> first, so the weights are reproducible.</summary>
    /// <param name="backbone">Registry name.</param>
    /// <param name="seed">Seed of the initialisation.</param>
    /// <param name="inChannels">Input channels (the spec's default when null).</param>
    /// <param name="numClasses">Classes of the head (the spec's default when null).</param>
    public static StudyModel FreshlyInitialised(string backbone, int seed, int? inChannels = null, int? numClasses = null)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        var spec = BackboneRegistry.Get(backbone);
        torch.manual_seed(seed);
        var model = spec.Create(inChannels, numClasses);
        var provenance = new Dictionary<string, string>
        {
            ["model.backbone"] = spec.Name,
            ["model.source"] = "fresh-initialisation",
            ["model.init_seed"] = seed.ToString(CultureInfo.InvariantCulture),
        };
        return new StudyModel(model, spec, spec.Name, spec.StageNames, inChannels ?? spec.InChannels, StudyModelSource.FreshInitialisation, null, provenance, null);
    }

    /// <summary>
    /// Any module the caller built (and keeps owning: disposing the study model leaves it alone), studied at
    /// <paramref name="blocks"/>: module paths as <c>named_modules()</c> reports them, in network order (the order
    /// is the depth the split rule reads). No registry entry is needed.
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
    public static StudyModel FromModule(nn.Module<Tensor, Tensor> module, IReadOnlyList<string> blocks, int inChannels, string name = "module",
        BackboneSpec? spec = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        Capture.ActivationCapture.Create(module, blocks); // validates the paths: nearest names on a miss, single-tensor modules
        var provenance = new Dictionary<string, string>
        {
            ["model.backbone"] = name,
            ["model.source"] = "module",
            ["model.type"] = module.GetType().Name,
            ["model.parameters"] = module.parameters().Sum(p => p.numel()).ToString(CultureInfo.InvariantCulture),
        };
        return new StudyModel(module, spec, name, blocks.ToArray(), inChannels, StudyModelSource.Module, null, provenance, null, owned: false);
    }

    /// <summary>Disposes the module, unless it came from <see cref="FromModule"/> (the caller owns it).</summary>
    public void Dispose()
    {
        if (owned)
            Model.Dispose();
    }
}
