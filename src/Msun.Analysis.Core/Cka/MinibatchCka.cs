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
    string Kernel, int BatchSize, int Batches, string? Note);

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
    private readonly double[,] _hsic;
    private readonly double[] _rowSelf, _columnSelf;
    private readonly string?[] _rowUndefined, _columnUndefined;
    private int _batchSize, _batches;
    private string? _note;

    /// <summary>Creates an empty grid accumulator.</summary>
    public MinibatchCka(IReadOnlyList<string> rowLayers, IReadOnlyList<string> columnLayers,
        CkaKernel? kernel = null, RaggedBatchPolicy ragged = RaggedBatchPolicy.Error)
    {
        ArgumentNullException.ThrowIfNull(rowLayers);
        ArgumentNullException.ThrowIfNull(columnLayers);
        if (rowLayers.Count == 0 || columnLayers.Count == 0)
            throw new ArgumentException("minibatch CKA needs at least one layer on each side.");
        _rows = [.. rowLayers];
        _columns = [.. columnLayers];
        _kernel = kernel ?? CkaKernel.Linear;
        _ragged = ragged;
        _hsic = new double[_rows.Length, _columns.Length];
        _rowSelf = new double[_rows.Length];
        _columnSelf = new double[_columns.Length];
        _rowUndefined = new string?[_rows.Length];
        _columnUndefined = new string?[_columns.Length];
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

        var rowGrams = Prepare(rowBatches, _rowSelf, _rowUndefined);
        var columnGrams = Prepare(columnBatches, _columnSelf, _columnUndefined);
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
        return new CkaGrid(_rows, _columns, values, reasons, _kernel.Name, _batchSize, _batches, _note);
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

    private UnbiasedGram?[] Prepare(IReadOnlyList<FeatureMatrix> batches, double[] self, string?[] undefined)
    {
        var grams = new UnbiasedGram?[batches.Count];
        for (int i = 0; i < batches.Count; i++)
        {
            var (gram, _, problem) = GramForm.Kernel(batches[i], _kernel);
            if (problem is not null)
            {
                undefined[i] ??= $"batch {_batches + 1}: {problem}";
                continue;
            }
            grams[i] = new UnbiasedGram(gram, batches[i].Rows);
            self[i] += UnbiasedGram.Hsic(grams[i]!, grams[i]!);
        }
        return grams;
    }
}
