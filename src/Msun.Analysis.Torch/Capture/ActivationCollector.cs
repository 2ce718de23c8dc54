using Msun.Analysis.Core.Cka;

namespace Msun.Analysis.Torch.Capture;

/// <summary>
/// Keeps every captured batch and joins them into one feature matrix per activation name. Memory grows
/// with the number of examples: meant for small studies and for checking the streaming paths.
/// </summary>
public sealed class ActivationCollector
{
    private readonly List<CapturedBatch> batches = [];
    private string[]? names;
    private int[]? columns;

    /// <summary>Examples collected so far.</summary>
    public long Rows { get; private set; }

    /// <summary>Batches collected so far.</summary>
    public int Batches => batches.Count;

    /// <summary>Activation names, fixed by the first batch (empty before it).</summary>
    public IReadOnlyList<string> Names => names ?? [];

    /// <summary>Adds one batch; its names and feature counts must match the first batch's.</summary>
    /// <exception cref="ArgumentException">Different names (e.g. a module called a different number of times) or feature counts.</exception>
    public void Add(CapturedBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        CheckLike(batch, ref names, ref columns, "collected");
        batches.Add(batch);
        Rows += batch.Rows;
    }

    /// <summary>The collected rows of one activation, in the order the batches came.</summary>
    /// <param name="name">Activation name.</param>
    /// <param name="matrixName">Name the matrix carries into CKA messages; <paramref name="name"/> when null.</param>
    /// <exception cref="KeyNotFoundException">Unknown name; the message lists the collected ones.</exception>
    /// <exception cref="InvalidOperationException">Nothing collected yet.</exception>
    public FeatureMatrix Matrix(string name, string? matrixName = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (names is null) throw new InvalidOperationException("no batch has been collected.");
        int index = Array.IndexOf(names, name);
        if (index < 0)
            throw new KeyNotFoundException($"no activation '{name}'; collected: {string.Join(", ", names)}.");
        if (Rows * columns![index] > Array.MaxLength)
            throw new InvalidOperationException($"'{name}' has {Rows} × {columns[index]} values, more than one .NET array holds; use a streaming sink.");

        int d = columns[index];
        var parts = batches.Select(b => b[index]).ToArray();
        if (parts.All(p => p.SingleData is not null))
        {
            var data = new float[Rows * d];
            long offset = 0;
            foreach (var p in parts)
            {
                p.SingleData!.CopyTo(data, offset);
                offset += p.SingleData!.LongLength;
            }

            return FeatureMatrix.FromRowMajor(matrixName ?? name, data, (int)Rows, d);
        }
        else
        {
            var data = new double[Rows * d];
            long offset = 0;
            foreach (var p in parts)
            {
                if (p.DoubleData is { } values)
                    values.CopyTo(data, offset);
                else
                    for (long i = 0; i < p.SingleData!.LongLength; i++) data[offset + i] = p.SingleData[i];
                offset += (long)p.Rows * d;
            }

            return FeatureMatrix.FromRowMajor(matrixName ?? name, data, (int)Rows, d);
        }
    }

    /// <summary>Every activation as one matrix, in name order.</summary>
    public IReadOnlyList<FeatureMatrix> Matrices() => Names.Select(n => Matrix(n)).ToArray();

    /// <summary>Checks that a batch has the same activation names and feature counts as the first one seen.</summary>
    internal static void CheckLike(CapturedBatch batch, ref string[]? names, ref int[]? columns, string what)
    {
        var batchNames = batch.Names.ToArray();
        var batchColumns = batch.Select(a => a.Columns).ToArray();
        if (names is null)
        {
            names = batchNames;
            columns = batchColumns;
            return;
        }

        if (!names.SequenceEqual(batchNames))
            throw new ArgumentException(
                $"this batch has activations [{string.Join(", ", batchNames)}] but the {what} ones are [{string.Join(", ", names)}]; "
                + "every batch must run the same modules the same number of times.");
        for (int i = 0; i < names.Length; i++)
            if (batchColumns[i] != columns![i])
                throw new ArgumentException(
                    $"'{names[i]}' has {batchColumns[i]} features in this batch (tensor [{string.Join(", ", batch[i].TensorShape)}]) but {columns[i]} in the {what} ones; "
                    + "every batch must have the same input size.");
    }
}
