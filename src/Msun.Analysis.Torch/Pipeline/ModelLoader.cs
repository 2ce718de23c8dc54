using System.Globalization;
using Msun.Analysis.Torch.Backbones;
using Msun.Analysis.Torch.Training;
using Msun.Analysis.Torch.Unified;
using Msun.Analysis.Torch.Weights;
using TorchSharp;

namespace Msun.Analysis.Torch.Pipeline;

/// <summary>
/// Loads the models the study and the evaluation run: a backbone from a <c>msun train</c> checkpoint, PyTorch weights
/// or a seed, and an MSUN from its checkpoint. Here, above Training, Study and Evaluation, because reading a training
/// checkpoint is the one thing those three must not know about each other.
/// </summary>
public static class ModelLoader
{
    /// <summary>
    /// Loads the weights of a <c>msun train</c> checkpoint into the backbone it was trained with (its channels and
    /// classes from the checkpoint's dataset).
    /// </summary>
    /// <param name="directory">The run folder holding <c>checkpoint.zip</c>.</param>
    /// <param name="expectedBackbone">When given, the checkpoint must hold this backbone (a mismatch is an error, never a silent substitution).</param>
    /// <exception cref="CheckpointException">No checkpoint, unreadable, or its weights do not fit.</exception>
    /// <exception cref="ArgumentException"><paramref name="expectedBackbone"/> differs from the checkpoint's backbone.</exception>
    public static LoadedBackbone FromCheckpoint(string directory, string? expectedBackbone = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var full = Path.GetFullPath(directory);
        var state = Checkpoint.ReadState(full);
        if (state.Options.Method == TrainingMethod.Msun)
            throw new CheckpointException(
                $"{Checkpoint.PathIn(full)} holds an MSUN model ({state.Options.Msun!.Describe()}), not a single backbone; load it with ModelLoader.MsunFromCheckpoint.");
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
        return new LoadedBackbone(model, spec, state.Dataset.Channels, ModelSource.Checkpoint, Checkpoint.PathIn(full), provenance,
            state.Options.ReferenceSize);
    }

    /// <summary>Builds a registered backbone and loads PyTorch (.pt/.pth) or safetensors weights into it, strictly.</summary>
    /// <param name="backbone">Registry name.</param>
    /// <param name="weightsPath">The weights file.</param>
    /// <param name="inChannels">Input channels (the spec's default when null).</param>
    /// <param name="numClasses">Classes of the head (the spec's default when null); must match the file.</param>
    /// <param name="loadOptions">How file keys map onto the model (prefix strip, <see cref="KeyRename"/> rules, skipped keys, strictness), as
    /// <see cref="PyTorchWeights.Load(TorchSharp.torch.nn.Module, string, WeightLoadOptions?)"/> takes them; strict and unrenamed when null.</param>
    /// <exception cref="ArgumentException">Unknown backbone.</exception>
    /// <exception cref="WeightLoadException">Keys or shapes do not fit.</exception>
    public static LoadedBackbone FromPyTorchWeights(string backbone, string weightsPath, int? inChannels = null, int? numClasses = null,
        WeightLoadOptions? loadOptions = null)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentException.ThrowIfNullOrWhiteSpace(weightsPath);
        var spec = BackboneRegistry.Get(backbone);
        var full = Path.GetFullPath(weightsPath);
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
        return new LoadedBackbone(model, spec, inChannels ?? spec.InChannels, ModelSource.PyTorchWeights, full, provenance, null);
    }

    /// <summary>A freshly initialised backbone: torch's generator is seeded with <paramref name="seed"/> first, so the weights are reproducible.</summary>
    /// <param name="backbone">Registry name.</param>
    /// <param name="seed">Seed of the initialisation.</param>
    /// <param name="inChannels">Input channels (the spec's default when null).</param>
    /// <param name="numClasses">Classes of the head (the spec's default when null).</param>
    public static LoadedBackbone FreshlyInitialised(string backbone, int seed, int? inChannels = null, int? numClasses = null)
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
        return new LoadedBackbone(model, spec, inChannels ?? spec.InChannels, ModelSource.FreshInitialisation, null, provenance, null);
    }

    /// <summary>
    /// Builds the MSUN recorded in the checkpoint in <paramref name="directory"/> and loads its weights strictly.
    /// </summary>
    /// <param name="directory">The run folder holding <c>checkpoint.zip</c>.</param>
    /// <param name="expected">When given, the checkpoint's configuration must equal it; the error lists every differing field.</param>
    /// <returns>The network (caller owns it) and the checkpoint's state.</returns>
    /// <exception cref="CheckpointException">Missing or unreadable, not an MSUN checkpoint, another configuration, or weights that do not fit.</exception>
    public static (MsunNetwork Network, CheckpointState State) MsunFromCheckpoint(string directory, MsunConfig? expected = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var full = Path.GetFullPath(directory);
        var state = Checkpoint.ReadState(full);
        var config = state.Options.Msun
            ?? throw new CheckpointException(
                $"{Checkpoint.PathIn(full)} holds a {state.Options.Method.ToName()} {state.Options.Backbone}, not an MSUN model.");
        if (expected is not null && config.Differences(expected) is { Count: > 0 } differences)
            throw new CheckpointException(
                $"{Checkpoint.PathIn(full)} holds another MSUN configuration: {string.Join("; ", differences)} (checkpoint vs requested). "
                + $"Checkpoint: {config.Describe()}; requested: {expected.Describe()}.");
        var network = new MsunNetwork(config, state.Dataset.Channels, state.Dataset.Classes);
        try
        {
            Checkpoint.LoadModel(full, network);
        }
        catch
        {
            network.Dispose();
            throw;
        }

        return (network, state);
    }
}
