using Msun.Analysis.Core.Cka;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Cka;

/// <summary>
/// TorchSharp tensors into the CKA engine: any device, float32 or float64, dimension 0 = examples and
/// every further dimension flattened per example in C order (C×H×W for conv activations, as the paper does).
/// </summary>
public static class TensorCka
{
    /// <summary>Copies a tensor to host memory as an examples × features matrix, keeping float32 or float64.</summary>
    /// <exception cref="ArgumentException">Other dtypes, fewer than one dimension, no examples or no features, NaN/Inf.</exception>
    public static FeatureMatrix ToFeatureMatrix(Tensor tensor, string name)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        string shape = "[" + string.Join(", ", tensor.shape) + "]";
        if (tensor.dtype != ScalarType.Float32 && tensor.dtype != ScalarType.Float64)
            throw new ArgumentException($"{name} is a {tensor.dtype} tensor {shape}; CKA takes float32 or float64 tensors.", name);
        if (tensor.dim() < 1)
            throw new ArgumentException($"{name} is a 0-dimensional tensor; dimension 0 must index the examples.", name);
        long rows = tensor.shape[0], columns = tensor.dim() == 1 ? 1 : tensor.shape.Skip(1).Aggregate(1L, (a, b) => a * b);
        if (rows < 1 || columns < 1)
            throw new ArgumentException($"{name} is empty ({shape}): CKA needs at least one example and one feature.", name);
        if (rows * columns > Array.MaxLength)
            throw new ArgumentException($"{name} {shape} has {rows * columns} values, more than one .NET array holds; stream it in batches.", name);
        using var scope = NewDisposeScope();
        // reshape of a non-contiguous tensor copies in logical (C) order, which is the flattening we want.
        var host = tensor.detach().to(CPU).reshape(rows, columns).contiguous();
        return tensor.dtype == ScalarType.Float32
            ? FeatureMatrix.FromRowMajor(name, HostValues<float>(host), (int)rows, (int)columns)
            : FeatureMatrix.FromRowMajor(name, HostValues<double>(host), (int)rows, (int)columns);
    }

    /// <summary>
    /// The values of a contiguous CPU tensor of element type <typeparamref name="T"/>, copied in one block from its storage
    /// (TorchSharp's data&lt;T&gt;().ToArray() goes element by element, about 15× slower on a 128 × 6 272 activation).
    /// </summary>
    internal static T[] HostValues<T>(Tensor host) where T : unmanaged => MemoryMarshal.Cast<byte, T>(host.bytes).ToArray();

    /// <summary>CKA between two tensors whose dimension 0 indexes the same examples.</summary>
    public static CkaResult Compute(Tensor x, Tensor y, CkaOptions? options = null, string nameX = "x", string nameY = "y") =>
        Core.Cka.Cka.Compute(ToFeatureMatrix(x, nameX), ToFeatureMatrix(y, nameY), options);

    /// <summary>Adds a batch of tensors to an exact streaming accumulator.</summary>
    public static void Add(this LinearCkaAccumulator accumulator, Tensor x, Tensor y, string nameX = "x", string nameY = "y")
    {
        ArgumentNullException.ThrowIfNull(accumulator);
        accumulator.Add(ToFeatureMatrix(x, nameX), ToFeatureMatrix(y, nameY));
    }
}
