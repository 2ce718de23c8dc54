using System.Collections;
using Msun.Analysis.Core.Cka;

namespace Msun.Analysis.Torch.Capture;

/// <summary>
/// One module output of one forward pass, already on the host: examples × features in float32 or
/// float64 (the tensor's own precision; half precisions become float32).
/// </summary>
public sealed class LayerActivation
{
    private readonly float[]? single;
    private readonly double[]? dbl;

    internal LayerActivation(string name, string layer, int call, long[] tensorShape, float[]? single, double[]? dbl, int rows, int columns)
    {
        Name = name;
        Layer = layer;
        Call = call;
        TensorShape = tensorShape;
        this.single = single;
        this.dbl = dbl;
        Matrix = single is not null
            ? FeatureMatrix.FromRowMajor(name, single, rows, columns)
            : FeatureMatrix.FromRowMajor(name, dbl!, rows, columns);
    }

    /// <summary>Name of this activation: the layer name, or <c>layer#k</c> for call k of a module kept under <see cref="MultipleCalls.KeepAll"/>.</summary>
    public string Name { get; }

    /// <summary>The layer (module path or stage name) that was asked for.</summary>
    public string Layer { get; }

    /// <summary>0-based index of the call within the forward pass.</summary>
    public int Call { get; }

    /// <summary>Shape of the module's output tensor, batch dimension included (e.g. [N, C, H, W]).</summary>
    public IReadOnlyList<long> TensorShape { get; }

    /// <summary>Examples × features, validated (finite values) and named after <see cref="Name"/>.</summary>
    public FeatureMatrix Matrix { get; }

    /// <summary>Number of examples.</summary>
    public int Rows => Matrix.Rows;

    /// <summary>Number of features per example.</summary>
    public int Columns => Matrix.Columns;

    internal float[]? SingleData => single;

    internal LayerActivation Renamed(string name) =>
        new(name, Layer, Call, [.. TensorShape], single, dbl, Rows, Columns);

    internal double[]? DoubleData => dbl;
}

/// <summary>Every activation captured in one forward pass, in the order the layers were asked for (calls in order within a layer).</summary>
public sealed class CapturedBatch : IReadOnlyList<LayerActivation>
{
    private readonly LayerActivation[] items;

    internal CapturedBatch(IEnumerable<LayerActivation> activations)
    {
        items = activations.ToArray();
        Rows = items.Length == 0 ? 0 : items[0].Rows;
    }

    /// <summary>Number of examples in the batch.</summary>
    public int Rows { get; }

    /// <summary>Names of the activations, in order.</summary>
    public IReadOnlyList<string> Names => items.Select(a => a.Name).ToArray();

    /// <inheritdoc />
    public int Count => items.Length;

    /// <inheritdoc />
    public LayerActivation this[int index] => items[index];

    /// <summary>The activation with the given name.</summary>
    /// <exception cref="KeyNotFoundException">No such name; the message lists the captured ones.</exception>
    public LayerActivation this[string name] =>
        items.FirstOrDefault(a => a.Name == name)
        ?? throw new KeyNotFoundException($"no activation '{name}' in this batch; captured: {string.Join(", ", items.Select(a => a.Name))}.");

    /// <summary>The feature matrices, in order.</summary>
    public IReadOnlyList<FeatureMatrix> Matrices => items.Select(a => a.Matrix).ToArray();

    /// <inheritdoc />
    public IEnumerator<LayerActivation> GetEnumerator() => ((IEnumerable<LayerActivation>)items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
