using System.Globalization;
using Msun.Analysis.Torch.Backbones;
using Msun.Analysis.Torch.Training;
using Msun.Analysis.Torch.Weights;
using TorchSharp;

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
}

/// <summary>
/// The network a scale study runs: a registered backbone with its stages, its input channels, and a record of
/// where its weights came from (written into the profile's provenance). The caller owns it (dispose it when done).
/// </summary>
public sealed class StudyModel : IDisposable
{
    private StudyModel(Backbone model, BackboneSpec spec, int inChannels, StudyModelSource source, string? path,
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
        return new StudyModel(model, spec, state.Dataset.Channels, StudyModelSource.Checkpoint, Checkpoint.PathIn(full), provenance,
            state.Options.ReferenceSize);
    }

    /// <summary>Builds a registered backbone and loads PyTorch (.pt/.pth) or safetensors weights into it, strictly.</summary>
    /// <param name="backbone">Registry name.</param>
    /// <param name="weightsPath">The weights file.</param>
    /// <param name="inChannels">Input channels (the spec's default when null).</param>
    /// <param name="numClasses">Classes of the head (the spec's default when null); must match the file.</param>
    /// <exception cref="ArgumentException">Unknown backbone.</exception>
    /// <exception cref="WeightLoadException">Keys or shapes do not fit.</exception>
    public static StudyModel FromPyTorchWeights(string backbone, string weightsPath, int? inChannels = null, int? numClasses = null)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentException.ThrowIfNullOrWhiteSpace(weightsPath);
        var spec = BackboneRegistry.Get(backbone);
        var full = System.IO.Path.GetFullPath(weightsPath);
        var model = spec.Create(inChannels, numClasses);
        WeightLoadReport report;
        try
        {
            report = PyTorchWeights.Load(model, full);
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
        return new StudyModel(model, spec, inChannels ?? spec.InChannels, StudyModelSource.PyTorchWeights, full, provenance, null);
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
        return new StudyModel(model, spec, inChannels ?? spec.InChannels, StudyModelSource.FreshInitialisation, null, provenance, null);
    }

    /// <inheritdoc />
    public void Dispose() => Model.Dispose();
}
