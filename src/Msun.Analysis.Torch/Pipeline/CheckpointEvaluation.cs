using System.Collections.Immutable;
using System.Globalization;
using Msun.Analysis.Core.Results;
using Msun.Analysis.Torch.Data;
using Msun.Analysis.Torch.Evaluation;
using Msun.Analysis.Torch.Training;
using Msun.Analysis.Torch.Unified;
using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Pipeline;

/// <summary>What the multi-scale protocol gave for one trained checkpoint.</summary>
/// <param name="ModelName">The name recorded in the results.</param>
/// <param name="State">The checkpoint's state (options, dataset, history).</param>
/// <param name="Parameters">Parameters of the whole model (for MSUN: every subnet and the shared network).</param>
/// <param name="Accuracy">Routed, and for MSUN best-of-branches and every branch.</param>
/// <param name="Macs">MACs per image per test size of the routed branch (Vanilla/MST: the network at the reference size).</param>
/// <param name="BranchMacs">For a model with several branches: each branch's MACs at every test size; empty otherwise.</param>
public sealed record CheckpointEvaluationResult(
    string ModelName, CheckpointState State, long Parameters, MultiScaleEvaluationResult Accuracy,
    IReadOnlyList<MacTableRow> Macs, IReadOnlyDictionary<string, IReadOnlyList<MacTableRow>> BranchMacs);

/// <summary>
/// The multi-scale test protocol on a checkpoint written by <see cref="Trainer"/>, whatever its method: Vanilla and
/// MST as a <see cref="SingleNetworkClassifier"/> (upsampled to the reference size), MSUN as its
/// <see cref="BranchedClassifier"/> (native size, size routing, best-of-branches and every branch).
/// </summary>
public static class CheckpointEvaluation
{
    /// <summary>Evaluates the checkpoint in <paramref name="directory"/> on <paramref name="data"/>.</summary>
    /// <param name="directory">Run folder holding <c>checkpoint.zip</c>.</param>
    /// <param name="data">Test images.</param>
    /// <param name="testSizes">Test sizes (each at most the trained reference size); the default ladder when null.</param>
    /// <param name="batchSize">Images per forward pass.</param>
    /// <param name="antialias">Antialias the shrink (not the paper's protocol).</param>
    /// <param name="device">Where to run.</param>
    /// <param name="modelName">Name for the results; "&lt;method&gt; &lt;backbone&gt;" when null.</param>
    /// <param name="progress">Called after every batch.</param>
    /// <exception cref="CheckpointException">No usable checkpoint.</exception>
    /// <exception cref="ArgumentException">A test size above the reference size.</exception>
    public static CheckpointEvaluationResult Run(string directory, ImageDataset data, IReadOnlyList<int>? testSizes, int batchSize,
        bool antialias, Device device, string? modelName = null, Action<EvaluationProgress>? progress = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentNullException.ThrowIfNull(data);
        var full = Path.GetFullPath(directory);
        var state = Checkpoint.ReadState(full);
        var reference = state.Options.ReferenceSize;
        var sizes = testSizes ?? MultiScaleEvaluationOptions.DefaultTestSizes(reference);
        if (sizes.FirstOrDefault(s => s > reference) is var big and > 0)
            throw new ArgumentException($"test size {big} is larger than the reference size {reference} the model was trained at.", nameof(testSizes));
        var name = modelName ?? $"{state.Options.Method.ToName()} {state.Options.Backbone}";

        nn.Module<Tensor, Tensor> network;
        IScaleAwareClassifier classifier;
        IReadOnlyDictionary<string, string> provenance;
        if (state.Options.Msun is { } config)
        {
            var (net, _) = ModelLoader.MsunFromCheckpoint(full, config);
            network = net;
            classifier = net.AsClassifier(name);
            var ci = CultureInfo.InvariantCulture;
            provenance = new Dictionary<string, string>
            {
                ["model.method"] = "msun",
                ["model.msun"] = config.Describe(),
                ["model.checkpoint"] = Checkpoint.PathIn(full),
                ["model.trained_on"] = state.Dataset.Provenance,
                ["model.trained_reference_size"] = reference.ToString(ci),
                ["model.epochs_completed"] = state.EpochsCompleted.ToString(ci),
                ["model.training_seed"] = state.Options.Seed.ToString(ci),
                ["model.checkpoint_saved_utc"] = state.SavedUtc.ToString("O", ci),
            };
        }
        else
        {
            var trained = ModelLoader.FromCheckpoint(full);
            network = trained.Model;
            classifier = new SingleNetworkClassifier(name, trained.Model, reference);
            provenance = trained.Provenance;
        }

        using (network)
        {
            network.to(device);
            var options = new MultiScaleEvaluationOptions(reference, sizes, batchSize, antialias, device)
            {
                Checkpoint = Checkpoint.PathIn(full),
                Seed = state.Options.Seed,
                ExtraProvenance = provenance.ToImmutableDictionary(),
            };
            var accuracy = MultiScaleEvaluator.Evaluate(classifier, data, options, progress);
            var macs = EvaluationCost.MacsPerSize(classifier, sizes, data.Channels);
            var branchMacs = classifier.Branches.Count < 2
                ? new Dictionary<string, IReadOnlyList<MacTableRow>>()
                : classifier.Branches.ToDictionary(b => b, b => EvaluationCost.MacsPerSize(classifier, sizes, data.Channels, b));
            return new CheckpointEvaluationResult(name, state, network.parameters().Sum(p => p.numel()), accuracy, macs, branchMacs);
        }
    }
}
