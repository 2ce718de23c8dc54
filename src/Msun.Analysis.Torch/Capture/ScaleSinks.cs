using Msun.Analysis.Core.Cka;
using CoreCka = Msun.Analysis.Core.Cka.Cka;

namespace Msun.Analysis.Torch.Capture;

/// <summary>CKA between one layer at the reference scale and the same layer at the probe scale.</summary>
/// <param name="Layer">Activation name (a stage or module path, or <c>name#k</c>).</param>
/// <param name="Value">CKA, or NaN when undefined.</param>
/// <param name="UndefinedReason">Why <paramref name="Value"/> is NaN, or null.</param>
/// <param name="Detail">The HSIC terms and how they were computed (streaming and in-memory forms; null for minibatch, whose terms live in the grid's estimator).</param>
public sealed record LayerCka(string Layer, double Value, string? UndefinedReason, CkaResult? Detail);

/// <summary>What a sink computed: per-layer CKA (the diagonal) and, when asked for, the layer × layer grid.</summary>
/// <param name="Layers">Activation names, shallow to deep.</param>
/// <param name="Diagonal">Reference layer i against probe layer i, for every i.</param>
/// <param name="Grid">Rows = reference layers, columns = probe layers; null unless the full grid was asked for.</param>
/// <param name="Form">"minibatch", "streaming" or "in-memory".</param>
/// <param name="Examples">Examples that entered the estimate.</param>
/// <param name="Batches">Batches fed.</param>
/// <param name="Note">Anything the reader should know (e.g. a dropped ragged batch); null when there is nothing to say.</param>
public sealed record ScaleCkaTable(
    IReadOnlyList<string> Layers, IReadOnlyList<LayerCka> Diagonal, CkaGrid? Grid, string Form, long Examples, int Batches, string? Note);

/// <summary>
/// Receives, batch after batch, the activations of the same examples at the reference scale and at the
/// probe scale, and turns them into CKA at the end.
/// </summary>
public interface IScalePairSink
{
    /// <summary>Adds one batch: <paramref name="reference"/> and <paramref name="probe"/> hold the same examples and the same layers.</summary>
    void Add(CapturedBatch reference, CapturedBatch probe);

    /// <summary>CKA of everything added.</summary>
    ScaleCkaTable Result();
}

/// <summary>Checks shared by the sinks: same layers on both sides, same examples, same layers as earlier batches.</summary>
internal static class PairCheck
{
    public static void Check(CapturedBatch reference, CapturedBatch probe, ref string[]? names, ref int[]? referenceColumns, ref int[]? probeColumns)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(probe);
        if (!reference.Names.SequenceEqual(probe.Names))
            throw new ArgumentException(
                $"the reference batch has activations [{string.Join(", ", reference.Names)}] but the probe batch has [{string.Join(", ", probe.Names)}].");
        if (reference.Rows != probe.Rows)
            throw new ArgumentException(
                $"the reference batch has {reference.Rows} examples but the probe batch has {probe.Rows}: both must hold the same images.");
        var n1 = names;
        ActivationCollector.CheckLike(reference, ref names, ref referenceColumns, "earlier reference");
        ActivationCollector.CheckLike(probe, ref n1, ref probeColumns, "earlier probe");
    }

    public static string ReferenceName(string layer) => $"{layer}@reference";

    public static string ProbeName(string layer) => $"{layer}@probe";
}

/// <summary>
/// Keeps every activation in memory, then computes CKA with <see cref="CoreCka.Compute"/> (exact, any kernel).
/// Memory grows with the examples: for small studies and as the reference the other sinks are checked against.
/// </summary>
public sealed class InMemoryScaleSink : IScalePairSink
{
    private readonly CkaOptions cka;
    private readonly bool fullGrid;
    private string[]? names;
    private int[]? referenceColumns, probeColumns;

    /// <summary>Creates an empty sink.</summary>
    /// <param name="cka">Kernel, estimator, form and precision of each CKA (linear, biased by default).</param>
    /// <param name="fullGrid">Also compute every reference layer against every probe layer.</param>
    public InMemoryScaleSink(CkaOptions? cka = null, bool fullGrid = false)
    {
        this.cka = cka ?? new CkaOptions();
        this.fullGrid = fullGrid;
    }

    /// <summary>The reference-scale activations collected so far.</summary>
    public ActivationCollector Reference { get; } = new();

    /// <summary>The probe-scale activations collected so far.</summary>
    public ActivationCollector Probe { get; } = new();

    /// <inheritdoc />
    public void Add(CapturedBatch reference, CapturedBatch probe)
    {
        PairCheck.Check(reference, probe, ref names, ref referenceColumns, ref probeColumns);
        Reference.Add(reference);
        Probe.Add(probe);
    }

    /// <inheritdoc />
    public ScaleCkaTable Result()
    {
        if (names is null) throw new InvalidOperationException("no batch has been added.");
        var x = names.Select(n => Reference.Matrix(n, PairCheck.ReferenceName(n))).ToArray();
        var y = names.Select(n => Probe.Matrix(n, PairCheck.ProbeName(n))).ToArray();
        var diagonal = names.Select((n, i) => Layer(n, CoreCka.Compute(x[i], y[i], cka))).ToArray();
        CkaGrid? grid = null;
        if (fullGrid)
        {
            grid = GridBuilder.Build(names, (i, j) => i == j ? diagonal[i].Detail! : CoreCka.Compute(x[i], y[j], cka), cka.Kernel.Name,
                Reference.Batches, Reference.Rows, "in-memory");
        }

        return new ScaleCkaTable(names, diagonal, grid, "in-memory", Reference.Rows, Reference.Batches, null);
    }

    internal static LayerCka Layer(string name, CkaResult r) => new(name, r.Value, r.UndefinedReason, r);
}

/// <summary>
/// Exact linear CKA streamed with one <see cref="LinearCkaAccumulator"/> per (reference layer, probe layer)
/// pair: memory O((d₁ + d₂)²) per pair, flat in the number of examples. With flattened conv activations d is
/// C×H×W, and each pair holds about (d₁ + d₂)² float64 values: fine for small inputs, too much for 56×56 maps
/// (use <see cref="ActivationPolicy.SpatialMean"/> or <see cref="MinibatchCkaSink"/> there).
/// </summary>
public sealed class StreamingCkaSink : IScalePairSink
{
    private readonly HsicEstimator estimator;
    private readonly bool fullGrid;
    private LinearCkaAccumulator?[,]? accumulators;
    private string[]? names;
    private int[]? referenceColumns, probeColumns;
    private int batches;

    /// <summary>Creates an empty sink.</summary>
    /// <param name="estimator">HSIC estimator applied at the end (biased by default).</param>
    /// <param name="fullGrid">Accumulate every reference layer against every probe layer (L² accumulators instead of L).</param>
    public StreamingCkaSink(HsicEstimator estimator = HsicEstimator.Biased, bool fullGrid = false)
    {
        if (!Enum.IsDefined(estimator))
            throw new ArgumentOutOfRangeException(nameof(estimator), estimator, "unknown HsicEstimator.");
        this.estimator = estimator;
        this.fullGrid = fullGrid;
    }

    /// <inheritdoc />
    public void Add(CapturedBatch reference, CapturedBatch probe)
    {
        PairCheck.Check(reference, probe, ref names, ref referenceColumns, ref probeColumns);
        int layers = names!.Length;
        accumulators ??= new LinearCkaAccumulator?[layers, layers];
        for (int i = 0; i < layers; i++)
            for (int j = 0; j < layers; j++)
            {
                if (!fullGrid && i != j) continue;
                var acc = accumulators[i, j] ??= new LinearCkaAccumulator(
                    referenceColumns![i], probeColumns![j], PairCheck.ReferenceName(names[i]), PairCheck.ProbeName(names[j]));
                acc.Add(reference[i].Matrix, probe[j].Matrix);
            }

        batches++;
    }

    /// <inheritdoc />
    public ScaleCkaTable Result()
    {
        if (names is null || accumulators is null) throw new InvalidOperationException("no batch has been added.");
        var acc = accumulators;
        var results = new CkaResult?[names.Length, names.Length];
        CkaResult Get(int i, int j) => results[i, j] ??= acc[i, j]!.Result(estimator);
        var diagonal = names.Select((n, i) => InMemoryScaleSink.Layer(n, Get(i, i))).ToArray();
        long examples = acc[0, 0]!.Count;
        var grid = fullGrid ? GridBuilder.Build(names, Get, CkaKernel.Linear.Name, batches, examples, "streaming") : null;
        return new ScaleCkaTable(names, diagonal, grid, "streaming", examples, batches, null);
    }
}

/// <summary>
/// Minibatch CKA (Nguyen et al. 2021), the paper's estimator: unbiased HSIC averaged over the batches as fed
/// (each batch is one minibatch, so feed equal-size batches, e.g. 128), the ratio taken at the end. Every
/// layer's Gram is built once per batch; memory is O(L · b²), flat in the number of examples.
/// </summary>
public sealed class MinibatchCkaSink : IScalePairSink
{
    private readonly CkaKernel kernel;
    private readonly RaggedBatchPolicy ragged;
    private readonly bool fullGrid;
    private readonly SharedRowGrams? sharedReferenceGrams;
    private MinibatchCka? grid;
    private string[]? names;
    private int[]? referenceColumns, probeColumns;
    private int fed;
    private long examples;

    /// <summary>Creates an empty sink.</summary>
    /// <param name="kernel">Kernel (linear by default).</param>
    /// <param name="ragged">What to do with a short final batch.</param>
    /// <param name="fullGrid">Report the whole layer × layer grid, not only the diagonal (it is computed either way; it costs O(b²) per pair).</param>
    /// <param name="sharedReferenceGrams">Reference-side Grams shared with the sinks of the other probes fed the same reference batches (see <see cref="SharedRowGrams"/>); none when null.</param>
    public MinibatchCkaSink(CkaKernel? kernel = null, RaggedBatchPolicy ragged = RaggedBatchPolicy.Error, bool fullGrid = false,
        SharedRowGrams? sharedReferenceGrams = null)
    {
        if (!Enum.IsDefined(ragged))
            throw new ArgumentOutOfRangeException(nameof(ragged), ragged, "unknown RaggedBatchPolicy.");
        this.kernel = kernel ?? CkaKernel.Linear;
        this.ragged = ragged;
        this.fullGrid = fullGrid;
        this.sharedReferenceGrams = sharedReferenceGrams;
    }

    /// <inheritdoc />
    public void Add(CapturedBatch reference, CapturedBatch probe)
    {
        PairCheck.Check(reference, probe, ref names, ref referenceColumns, ref probeColumns);
        grid ??= new MinibatchCka(names!, names!, kernel, ragged, sharedRows: sharedReferenceGrams);
        int before = grid.Batches;
        grid.Add(reference.Matrices, probe.Matrices);
        fed++;
        if (grid.Batches > before) examples += reference.Rows;
    }

    /// <inheritdoc />
    public ScaleCkaTable Result()
    {
        if (grid is null || names is null) throw new InvalidOperationException("no batch has been added.");
        var full = grid.Result();
        var diagonal = names.Select((n, i) => new LayerCka(n, full.Values[i, i], full.UndefinedReasons[i, i], null)).ToArray();
        return new ScaleCkaTable(names, diagonal, fullGrid ? full : null, "minibatch", examples, fed, full.Note);
    }
}

/// <summary>Builds a <see cref="CkaGrid"/> from per-pair results.</summary>
internal static class GridBuilder
{
    public static CkaGrid Build(string[] names, Func<int, int, CkaResult> pair, string kernel, int batches, long examples, string form)
    {
        int l = names.Length;
        var values = new double[l, l];
        var reasons = new string?[l, l];
        for (int i = 0; i < l; i++)
            for (int j = 0; j < l; j++)
            {
                var r = pair(i, j);
                values[i, j] = r.Value;
                reasons[i, j] = r.UndefinedReason;
            }

        int batchSize = batches == 0 ? 0 : (int)Math.Min(int.MaxValue, examples / batches);
        return new CkaGrid(names, names, values, reasons, kernel, batchSize, batches,
            $"{form}: each entry is CKA over all {examples} examples, not a minibatch average; batch size and count say how they were fed.");
    }
}
