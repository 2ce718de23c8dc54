using Msun.Analysis.Core.LinearAlgebra;

namespace Msun.Analysis.Core.Cka;

/// <summary>What to do with a final batch smaller than the others.</summary>
public enum RaggedBatchPolicy
{
    /// <summary>Throw: every batch must have the same size.</summary>
    Error,
    /// <summary>Leave the short final batch out and say so in the result's note.</summary>
    DropFinal,
}

/// <summary>Layer × layer CKA between two sets of layers, with the HSIC terms behind each entry.</summary>
/// <param name="RowLayers">Names of the first set of layers (rows).</param>
/// <param name="ColumnLayers">Names of the second set (columns).</param>
/// <param name="Values">CKA per (row, column); NaN where undefined.</param>
/// <param name="UndefinedReasons">Why an entry is NaN, or null.</param>
/// <param name="Kernel">Kernel name.</param>
/// <param name="BatchSize">Examples per batch.</param>
/// <param name="Batches">Batches averaged.</param>
/// <param name="Note">E.g. a dropped ragged batch; null when there is nothing to say.</param>
public sealed record CkaGrid(
    IReadOnlyList<string> RowLayers, IReadOnlyList<string> ColumnLayers, double[,] Values, string?[,] UndefinedReasons,
    string Kernel, int BatchSize, int Batches, string? Note)
{
    /// <summary>Arithmetic of the Gram products (float64 unless <see cref="CkaPrecision.Float32Products"/> was asked for).</summary>
    public CkaPrecision Precision { get; init; } = CkaPrecision.Float64;
}

/// <summary>
/// Minibatch CKA (Nguyen et al. 2021): unbiased HSIC averaged over equal-size batches for every
/// layer pair and every layer with itself, the ratio taken at the end (averaging per-batch CKA would
/// be a different, biased quantity). Each layer's Gram is built once per batch; each pair then costs
/// O(b²). For RBF, σ is chosen per batch and layer by the kernel's rule.
/// </summary>
public sealed class MinibatchCka
{
    private readonly string[] _rows, _columns;
    private readonly CkaKernel _kernel;
    private readonly RaggedBatchPolicy _ragged;
    private readonly CkaPrecision _precision;
    private readonly double[,] _hsic;
    private readonly double[] _rowSelf, _columnSelf;
    private readonly string?[] _rowUndefined, _columnUndefined;
    // Reused from batch to batch: one b×b Gram per layer and the centring buffer (no large allocation per batch).
    private readonly double[]?[] _rowGrams, _columnGrams;
    private readonly GramScratch _scratch = new();
    private readonly SharedRowGrams? _sharedRows;

    /// <summary>Batches of at most this many examples have their Grams' products run on one BLAS thread (see <see cref="Blas.SingleThreaded"/>).</summary>
    internal const int SingleThreadedBlasUpTo = 256;
    private int _batchSize, _batches;
    private string? _note;

    /// <summary>Creates an empty grid accumulator.</summary>
    /// <param name="rowLayers">Names of the row layers.</param>
    /// <param name="columnLayers">Names of the column layers.</param>
    /// <param name="kernel">Kernel (linear by default).</param>
    /// <param name="ragged">What to do with a short final batch.</param>
    /// <param name="precision">
    /// Arithmetic of the Gram products. <see cref="CkaPrecision.Float32Products"/> (linear kernel only, opt-in,
    /// recorded in <see cref="CkaGrid.Precision"/>): centring and every sum in float64, the products of each block
    /// of columns (about 64 Ki values of the input) in float32 — about twice as fast, with Grams accurate to float32 only.
    /// </param>
    /// <param name="sharedRows">
    /// Row-layer Grams shared with other grids fed the same row batches (one reference batch against several probe
    /// batches): each row layer's Gram is then formed once per batch for all of them. None when null.
    /// </param>
    /// <exception cref="ArgumentException">No layers on a side, or float32 products with a non-linear kernel.</exception>
    public MinibatchCka(IReadOnlyList<string> rowLayers, IReadOnlyList<string> columnLayers,
        CkaKernel? kernel = null, RaggedBatchPolicy ragged = RaggedBatchPolicy.Error, CkaPrecision precision = CkaPrecision.Float64,
        SharedRowGrams? sharedRows = null)
    {
        ArgumentNullException.ThrowIfNull(rowLayers);
        ArgumentNullException.ThrowIfNull(columnLayers);
        if (rowLayers.Count == 0 || columnLayers.Count == 0)
            throw new ArgumentException("minibatch CKA needs at least one layer on each side.");
        _rows = [.. rowLayers];
        _columns = [.. columnLayers];
        _kernel = kernel ?? CkaKernel.Linear;
        _ragged = ragged;
        if (!Enum.IsDefined(precision))
            throw new ArgumentOutOfRangeException(nameof(precision), precision, "unknown CkaPrecision.");
        if (precision != CkaPrecision.Float64 && _kernel is not LinearKernel)
            throw new ArgumentException($"{precision} applies to the linear kernel only; the {_kernel.Name} kernel's Grams are formed in float64.", nameof(precision));
        _precision = precision;
        _hsic = new double[_rows.Length, _columns.Length];
        _rowSelf = new double[_rows.Length];
        _columnSelf = new double[_columns.Length];
        _rowUndefined = new string?[_rows.Length];
        _columnUndefined = new string?[_columns.Length];
        _rowGrams = new double[]?[_rows.Length];
        _columnGrams = new double[]?[_columns.Length];
        _sharedRows = sharedRows;
    }

    /// <summary>Batches averaged so far.</summary>
    public int Batches => _batches;

    /// <summary>
    /// Adds one batch: the activations of every row layer and every column layer for the same examples.
    /// </summary>
    /// <exception cref="ArgumentException">Wrong layer count, rows that differ between layers, a batch of
    /// fewer than 4 examples, a batch size that differs from the first (under <see cref="RaggedBatchPolicy.Error"/>),
    /// or any batch after a dropped short one.</exception>
    public void Add(IReadOnlyList<FeatureMatrix> rowBatches, IReadOnlyList<FeatureMatrix> columnBatches)
    {
        ArgumentNullException.ThrowIfNull(rowBatches);
        ArgumentNullException.ThrowIfNull(columnBatches);
        if (rowBatches.Count != _rows.Length || columnBatches.Count != _columns.Length)
            throw new ArgumentException(
                $"expected {_rows.Length} row layers and {_columns.Length} column layers, got {rowBatches.Count} and {columnBatches.Count}.");
        int b = rowBatches[0].Rows;
        foreach (var m in rowBatches.Concat(columnBatches))
            if (m.Rows != b)
                throw new ArgumentException($"{m.Name} has {m.Rows} rows ({m.Shape}) but {rowBatches[0].Name} has {b}: every layer of a batch holds the same examples.");
        if (_note is not null)
            throw new ArgumentException($"a batch of {b} arrived after a short batch was dropped; only the final batch may be short.");
        if (_batches > 0 && b != _batchSize)
        {
            string what = $"batch {_batches + 1} has {b} examples but the earlier ones have {_batchSize}: minibatch CKA averages HSIC over equal-size batches";
            if (_ragged == RaggedBatchPolicy.Error || b > _batchSize)
                throw new ArgumentException(what + ".");
            _note = $"dropped a final batch of {b} examples (batches have {_batchSize}).";
            return;
        }
        Cka.CheckExampleCount(b, HsicEstimator.Unbiased, $"the batches of {rowBatches[0].Name}");

        // Every layer's Gram once, then every pair in O(b²). (Building several layers' Grams in parallel
        // was tried: on the 2-core benchmark machine it showed no gain, at twice the CPU time.) Small Grams'
        // products run single-threaded: BLAS threads gain nothing at this size and cost much on a busy machine.
        var rowGrams = new UnbiasedGram?[_rows.Length];
        var columnGrams = new UnbiasedGram?[_columns.Length];
        using (b <= SingleThreadedBlasUpTo ? Blas.SingleThreaded() : null)
        {
            for (int i = 0; i < _rows.Length; i++)
                rowGrams[i] = _sharedRows is null
                    ? Prepare(rowBatches[i], i, _rowGrams, _rowSelf, _rowUndefined)
                    : Record(_sharedRows.Get(i, rowBatches[i], _kernel, _precision, _scratch), i, _rowSelf, _rowUndefined);
            for (int j = 0; j < _columns.Length; j++)
                columnGrams[j] = Prepare(columnBatches[j], j, _columnGrams, _columnSelf, _columnUndefined);
        }
        for (int i = 0; i < _rows.Length; i++)
            for (int j = 0; j < _columns.Length; j++)
                if (rowGrams[i] is { } k && columnGrams[j] is { } l)
                    _hsic[i, j] += UnbiasedGram.Hsic(k, l);
        _batchSize = b;
        _batches++;
    }

    /// <summary>The grid so far: CKA = mean HSIC(X, Y) / √(mean HSIC(X, X) · mean HSIC(Y, Y)).</summary>
    public CkaGrid Result()
    {
        if (_batches == 0) throw new InvalidOperationException("no batch has been added.");
        var values = new double[_rows.Length, _columns.Length];
        var reasons = new string?[_rows.Length, _columns.Length];
        for (int i = 0; i < _rows.Length; i++)
            for (int j = 0; j < _columns.Length; j++)
            {
                var (value, reason) = CkaResult.Ratio(_hsic[i, j], _rowSelf[i], _columnSelf[j], _rows[i], _columns[j]);
                reason = _rowUndefined[i] ?? _columnUndefined[j] ?? reason;
                values[i, j] = reason is null ? value : double.NaN;
                reasons[i, j] = reason;
            }
        return new CkaGrid(_rows, _columns, values, reasons, _kernel.Name, _batchSize, _batches, _note) { Precision = _precision };
    }

    /// <summary>Minibatch CKA between two inputs split in order into batches of <paramref name="batchSize"/>.</summary>
    public static CkaResult Compute(FeatureMatrix x, FeatureMatrix y, int batchSize,
        CkaKernel? kernel = null, RaggedBatchPolicy ragged = RaggedBatchPolicy.Error)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        Cka.CheckPair(x, y, HsicEstimator.Unbiased);
        if (batchSize < 4)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "minibatch CKA uses unbiased HSIC, which needs batches of at least 4 examples.");
        if (batchSize > x.Rows)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"batch size {batchSize} is larger than the {x.Rows} examples of {x.Name}.");
        var grid = new MinibatchCka([x.Name], [y.Name], kernel, ragged);
        for (int start = 0; start < x.Rows; start += batchSize)
        {
            int count = Math.Min(batchSize, x.Rows - start);
            grid.Add([x.SliceRows(start, count)], [y.SliceRows(start, count)]);
        }
        var result = grid.Result();
        int batches = grid._batches;
        return CkaResult.FromHsic(grid._hsic[0, 0] / batches, grid._rowSelf[0] / batches, grid._columnSelf[0] / batches,
            x.Name, y.Name, grid._kernel.Name, HsicEstimator.Unbiased, "minibatch", (long)batches * grid._batchSize, x.Columns, y.Columns) with
        {
            // A bandwidth problem in some batch makes the grid entry undefined even when the ratio exists.
            Value = result.Values[0, 0],
            UndefinedReason = result.UndefinedReasons[0, 0],
            SigmaRule = grid._kernel is RbfKernel rbf ? rbf.Sigma.Describe() + ", per batch" : null,
            BatchSize = grid._batchSize,
            Batches = batches,
            Note = result.Note,
        };
    }

    /// <summary>Layer <paramref name="i"/>'s Gram for this batch (into its reused buffer), its self-HSIC added; null when undefined.</summary>
    private UnbiasedGram? Prepare(FeatureMatrix batch, int i, double[]?[] buffers, double[] self, string?[] undefined)
    {
        var layer = SharedRowGrams.Form(batch, _kernel, _precision, buffers[i], _scratch);
        buffers[i] = layer.Buffer;
        return Record(layer, i, self, undefined);
    }

    /// <summary>Adds a prepared layer's self-HSIC to this grid (or records why it is undefined) and returns its Gram.</summary>
    private UnbiasedGram? Record(PreparedLayer layer, int i, double[] self, string?[] undefined)
    {
        if (layer.Problem is not null)
        {
            undefined[i] ??= $"batch {_batches + 1}: {layer.Problem}";
            return null;
        }
        self[i] += layer.SelfHsic;
        return layer.Gram;
    }
}

/// <summary>One layer's Gram for one batch, ready for unbiased HSIC: the zero-diagonal Gram and its self-HSIC, or why it is undefined.</summary>
internal sealed record PreparedLayer(FeatureMatrix Batch, CkaKernel Kernel, CkaPrecision Precision, double[] Buffer, UnbiasedGram? Gram,
    double SelfHsic, string? Problem);

/// <summary>
/// Row-layer Grams shared by several <see cref="MinibatchCka"/> grids that are fed the same row batches, e.g. a scale
/// study's reference batch against one probe batch per probe size: each row layer's Gram (and its self-HSIC) is formed
/// by the first grid that sees the batch and reused by the others, so the reference side costs one Gram per layer
/// and batch instead of one per probe. A batch is recognised by identity (the same <see cref="FeatureMatrix"/>
/// object) and by the grid's kernel and precision; only the latest batch of each layer is kept. Not thread-safe.
/// </summary>
public sealed class SharedRowGrams
{
    private readonly List<PreparedLayer?> _layers = [];

    /// <summary>Gram computations done so far (layers × distinct batches): what the sharing saves can be checked.</summary>
    public int GramsFormed { get; private set; }

    internal PreparedLayer Get(int layer, FeatureMatrix batch, CkaKernel kernel, CkaPrecision precision, GramScratch scratch)
    {
        while (_layers.Count <= layer) _layers.Add(null);
        var known = _layers[layer];
        if (known is not null && ReferenceEquals(known.Batch, batch) && known.Kernel.Equals(kernel) && known.Precision == precision)
            return known;
        var prepared = Form(batch, kernel, precision, known?.Buffer, scratch);
        GramsFormed++;
        _layers[layer] = prepared;
        return prepared;
    }

    /// <summary>The batch's Gram in <paramref name="buffer"/> (allocated when null or of another size), diagonal zeroed, and its self-HSIC.</summary>
    internal static PreparedLayer Form(FeatureMatrix batch, CkaKernel kernel, CkaPrecision precision, double[]? buffer, GramScratch scratch)
    {
        var (gram, _, problem) = GramForm.Kernel(batch, kernel, buffer, scratch, precision);
        if (problem is not null) return new PreparedLayer(batch, kernel, precision, gram, null, 0, problem);
        var prepared = new UnbiasedGram(gram, batch.Rows);
        return new PreparedLayer(batch, kernel, precision, gram, prepared, UnbiasedGram.Hsic(prepared, prepared), null);
    }
}
