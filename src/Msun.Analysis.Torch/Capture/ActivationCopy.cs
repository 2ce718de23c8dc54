using System.Runtime.InteropServices;
using Msun.Analysis.Torch.Cka;
using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Capture;

/// <summary>Copies a module output to host memory as examples × features; called inside the forward hook.</summary>
internal static class ActivationCopy
{
    /// <remarks><paramref name="recycle"/>: an earlier activation of this layer that nobody reads any more, whose array is
    /// overwritten when it has the same element type and size (no new large allocation per batch); null to allocate.</remarks>
    public static LayerActivation ToHost(Tensor output, string layer, int call, ActivationPolicy policy, LayerActivation? recycle = null)
    {
        var shape = output.shape;
        string shown = "[" + string.Join(", ", shape) + "]";
        if (!output.is_floating_point())
            throw new ArgumentException($"layer '{layer}' produced a {output.dtype} tensor {shown}; CKA takes floating-point activations.");
        if (output.dim() < 1 || shape[0] < 1)
            throw new ArgumentException($"layer '{layer}' produced a tensor {shown} without a batch dimension of examples.");

        // Temporaries (the mean, the host copy) die here; the module's output itself is not ours to dispose.
        using var scope = torch.NewDisposeScope();
        var t = output.detach();
        if (policy == ActivationPolicy.SpatialMean && t.dim() > 2)
            t = t.mean(Enumerable.Range(2, (int)t.dim() - 2).Select(d => (long)d).ToArray());
        long rows = t.shape[0], columns = t.dim() == 1 ? 1 : t.shape.Skip(1).Aggregate(1L, (a, b) => a * b);
        if (columns < 1)
            throw new ArgumentException($"layer '{layer}' produced a tensor {shown} with no features per example.");
        if (rows * columns > Array.MaxLength)
            throw new ArgumentException($"layer '{layer}' produced {rows * columns} values {shown}, more than one .NET array holds; use smaller batches or SpatialMean.");
        if (t.dtype != ScalarType.Float64 && t.dtype != ScalarType.Float32)
            t = t.to_type(ScalarType.Float32);
        // reshape of a non-contiguous tensor copies in logical (C) order: the flattening wanted. ToArray copies
        // the values out, so an in-place change made by a later module cannot reach them.
        var host = t.to(CPU).reshape(rows, columns).contiguous();
        string name = layer;
        return t.dtype == ScalarType.Float64
            ? new LayerActivation(name, layer, call, shape, null, Values(host, recycle?.DoubleData), (int)rows, (int)columns)
            : new LayerActivation(name, layer, call, shape, Values(host, recycle?.SingleData), null, (int)rows, (int)columns);
    }

    private static T[] Values<T>(Tensor host, T[]? recycle) where T : unmanaged
    {
        if (recycle is null || recycle.LongLength != host.numel()) return TensorCka.HostValues<T>(host);
        MemoryMarshal.Cast<byte, T>(host.bytes).CopyTo(recycle);
        return recycle;
    }
}
