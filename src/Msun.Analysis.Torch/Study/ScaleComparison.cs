using Msun.Analysis.Core.Cka;
using Msun.Analysis.Torch.Capture;
using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Study;

/// <summary>
/// Options of the pairwise engine (<see cref="ScaleComparison.Run"/>: any module, any batch pairs, every estimator including
/// the in-memory one), validated at construction; the record goes into the result as provenance. A scale study is
/// configured with <see cref="ScaleStudyOptions"/> only, which builds these for each probe
/// (<see cref="ScaleStudyOptions.Comparison"/>). The rules that tie estimator, kernel and HSIC together live here, once;
/// the study's own choices (a short final batch dropped, unbiased streaming HSIC by default) live in <see cref="ScaleStudyOptions"/>.
/// </summary>
public sealed record ScaleComparisonOptions
{
    /// <summary>Creates options.</summary>
    /// <param name="estimator">Which estimator (minibatch, the paper's, by default): the study's own enum, so one name means one estimator everywhere.</param>
    /// <param name="capture">Activation policy and multiple-call rule (flatten and fail by default).</param>
    /// <param name="kernel">Kernel for the minibatch and in-memory estimators (linear by default; RBF with the default bandwidth for <see cref="StudyEstimator.Rbf"/>); streaming is linear only, rbf is RBF only.</param>
    /// <param name="hsic">HSIC estimator of the streaming and in-memory forms (biased by default); minibatch is always unbiased.</param>
    /// <param name="fullGrid">Also report every reference layer against every probe layer.</param>
    /// <param name="ragged">Minibatch only: what to do with a short final batch.</param>
    /// <param name="evalMode">Run the model in <c>eval()</c> mode and restore each module's mode afterwards (true by default).</param>
    /// <exception cref="ArgumentException">A non-linear kernel with the streaming estimator, or a linear one with rbf.</exception>
    public ScaleComparisonOptions(
        StudyEstimator estimator = StudyEstimator.Minibatch,
        CaptureOptions? capture = null,
        CkaKernel? kernel = null,
        HsicEstimator hsic = HsicEstimator.Biased,
        bool fullGrid = false,
        RaggedBatchPolicy ragged = RaggedBatchPolicy.Error,
        bool evalMode = true)
    {
        if (!Enum.IsDefined(estimator))
            throw new ArgumentOutOfRangeException(nameof(estimator), estimator, "unknown StudyEstimator.");
        if (!Enum.IsDefined(hsic))
            throw new ArgumentOutOfRangeException(nameof(hsic), hsic, "unknown HsicEstimator.");
        if (!Enum.IsDefined(ragged))
            throw new ArgumentOutOfRangeException(nameof(ragged), ragged, "unknown RaggedBatchPolicy.");
        kernel ??= estimator == StudyEstimator.Rbf ? CkaKernel.Rbf() : CkaKernel.Linear;
        if (estimator == StudyEstimator.Streaming && kernel is not LinearKernel)
            throw new ArgumentException($"the streaming estimator is exact for the linear kernel only; the {kernel.Name} kernel needs Minibatch or InMemory.", nameof(kernel));
        if (estimator == StudyEstimator.Rbf && kernel is not RbfKernel)
            throw new ArgumentException($"the rbf estimator is minibatch CKA with RBF kernels; the {kernel.Name} kernel needs Minibatch.", nameof(kernel));
        Estimator = estimator;
        Capture = capture ?? new CaptureOptions();
        Kernel = kernel;
        Hsic = estimator is StudyEstimator.Minibatch or StudyEstimator.Rbf ? HsicEstimator.Unbiased : hsic;
        FullGrid = fullGrid;
        Ragged = ragged;
        EvalMode = evalMode;
    }

    /// <summary>The estimator.</summary>
    public StudyEstimator Estimator { get; }

    /// <summary>Activation policy and multiple-call rule.</summary>
    public CaptureOptions Capture { get; }

    /// <summary>The kernel.</summary>
    public CkaKernel Kernel { get; }

    /// <summary>The HSIC estimator actually used (always unbiased for minibatch).</summary>
    public HsicEstimator Hsic { get; }

    /// <summary>Whether the layer × layer grid is reported (settable with <c>with</c>: it changes no other option).</summary>
    public bool FullGrid { get; init; }

    /// <summary>Minibatch only: what happens to a short final batch.</summary>
    public RaggedBatchPolicy Ragged { get; }

    /// <summary>Whether the model runs in eval mode.</summary>
    public bool EvalMode { get; }

    /// <summary>Whether the sink consumes each batch in <see cref="IScalePairSink.Add"/> (minibatch, streaming) rather than keeping it (in-memory).</summary>
    public bool SinkConsumesBatches => Estimator is StudyEstimator.Minibatch or StudyEstimator.Rbf or StudyEstimator.Streaming;

    /// <summary>A fresh sink for these options: the one place an estimator choice becomes a CKA sink.</summary>
    /// <param name="sharedReferenceGrams">Minibatch only: reference-side Grams shared by the sinks of several probes fed the same reference batches.</param>
    public IScalePairSink CreateSink(SharedRowGrams? sharedReferenceGrams = null) => Estimator switch
    {
        StudyEstimator.Minibatch or StudyEstimator.Rbf => new MinibatchCkaSink(Kernel, Ragged, FullGrid, sharedReferenceGrams),
        StudyEstimator.Streaming => new StreamingCkaSink(Hsic, FullGrid),
        _ => new InMemoryScaleSink(new CkaOptions(Kernel, Hsic), FullGrid),
    };
}

/// <summary>Progress of a scale comparison, reported after every batch.</summary>
/// <param name="Batches">Batches done.</param>
/// <param name="Examples">Examples done.</param>
public readonly record struct ScaleComparisonProgress(int Batches, long Examples);

/// <summary>Layer-wise CKA between a model's activations at a reference input scale and at a probe scale.</summary>
/// <param name="Layers">Activation names, in the order asked for.</param>
/// <param name="PerLayer">CKA of each layer with itself across the two scales (the paper's curve).</param>
/// <param name="Grid">Rows = reference layers, columns = probe layers; null unless asked for.</param>
/// <param name="Form">"minibatch", "streaming" or "in-memory".</param>
/// <param name="Examples">Examples that entered the estimate.</param>
/// <param name="Batches">Batches fed.</param>
/// <param name="Note">Anything the reader should know; null when there is nothing to say.</param>
/// <param name="Options">The options used (provenance: estimator, activation policy, kernel, …).</param>
public sealed record ScaleComparisonResult(
    IReadOnlyList<string> Layers, IReadOnlyList<LayerCka> PerLayer, CkaGrid? Grid, string Form, long Examples, int Batches,
    string? Note, ScaleComparisonOptions Options)
{
    /// <summary>CKA per layer, in order (NaN where undefined).</summary>
    public IReadOnlyList<double> Values => PerLayer.Select(l => l.Value).ToArray();
}

/// <summary>
/// The study engine's pairwise core (docs/METHOD.md §1): run any model on batch pairs holding the same images at a
/// reference and a probe scale, capture the chosen layers, and compare each layer with itself across the two.
/// <see cref="ScaleStudy"/> is the paper's protocol on a registered backbone (subsets, repeats, statistics) driving
/// this same engine: one estimator enum (<see cref="StudyEstimator"/>), its options made by
/// <see cref="ScaleStudyOptions.Comparison"/>, one sink mapping (<see cref="ScaleComparisonOptions.CreateSink"/>) and one
/// eval-mode restore (<see cref="EvalModeScope"/>); this entry point takes any module and any batches.
/// </summary>
public static class ScaleComparison
{
    /// <summary>
    /// Runs the model on every (reference, probe) batch pair, captures <paramref name="layers"/> in both,
    /// and returns per-layer CKA (and the layer × layer grid when asked for). With the minibatch and
    /// streaming estimators nothing per image is kept: memory is flat in the number of images.
    /// </summary>
    /// <param name="model">The model (put on the inputs' device by the caller).</param>
    /// <param name="layers">Stage names or module paths (see <see cref="ActivationCapture.Create"/>).</param>
    /// <param name="batches">Pairs of image batches holding the same images at the two scales (for minibatch CKA, batches of equal size).
    /// Tensors the enumeration creates while producing a pair are disposed once that pair is done; tensors that existed before are the caller's.</param>
    /// <param name="options">Estimator, policy, kernel; the paper's defaults when null.</param>
    /// <param name="progress">Told after every batch.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="ArgumentException">Unknown layers, mismatched batch pairs, and the estimators' own input errors.</exception>
    public static ScaleComparisonResult Run(
        nn.Module<Tensor, Tensor> model, IEnumerable<string> layers, IEnumerable<(Tensor Reference, Tensor Probe)> batches,
        ScaleComparisonOptions? options = null, IProgress<ScaleComparisonProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new ScaleComparisonOptions();
        var capture = ActivationCapture.Create(model, layers, options.Capture);
        var sink = options.CreateSink();
        using (options.EvalMode ? EvalModeScope.Enter(model) : null)
        using (ChannelsLastWeights.Hold(model)) // faster convolutions; the weights' order is restored after
            Feed(capture, batches, sink, progress, cancellationToken);

        var table = sink.Result();
        return new ScaleComparisonResult(table.Layers, table.Diagonal, table.Grid, table.Form, table.Examples, table.Batches, table.Note, options);
    }

    /// <summary>Feeds every batch pair through <paramref name="capture"/> into <paramref name="sink"/> (the loop behind <see cref="Run"/>, for custom sinks).</summary>
    /// <returns>The number of batch pairs fed.</returns>
    public static int Feed(
        ActivationCapture capture, IEnumerable<(Tensor Reference, Tensor Probe)> batches, IScalePairSink sink,
        IProgress<ScaleComparisonProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(capture);
        ArgumentNullException.ThrowIfNull(batches);
        ArgumentNullException.ThrowIfNull(sink);
        int count = 0;
        long examples = 0;
        using var enumerator = batches.GetEnumerator();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // The scope opens before MoveNext, so tensors a lazy enumeration makes for this pair die with it.
            using var scope = torch.NewDisposeScope();
            if (!enumerator.MoveNext()) break;
            var (reference, probe) = enumerator.Current;
            ArgumentNullException.ThrowIfNull(reference, "batches[].Reference");
            ArgumentNullException.ThrowIfNull(probe, "batches[].Probe");
            if (reference.dim() < 1 || probe.dim() < 1 || reference.shape[0] != probe.shape[0])
                throw new ArgumentException(
                    $"batch {count + 1}: the reference images [{string.Join(", ", reference.shape)}] and the probe images [{string.Join(", ", probe.shape)}] "
                    + "must be the same images (same size of dimension 0).", nameof(batches));
            var atReference = capture.Run(reference);
            var atProbe = capture.Run(probe);
            sink.Add(atReference, atProbe);
            count++;
            examples += atReference.Rows;
            progress?.Report(new ScaleComparisonProgress(count, examples));
        }

        return count;
    }

}
