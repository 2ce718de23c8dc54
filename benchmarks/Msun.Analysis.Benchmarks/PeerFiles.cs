using Msun.Analysis.Core.Numpy;
using TorchSharp;

namespace Msun.Analysis.Benchmarks;

/// <summary>Files the peers read: how our weights reach PyTorch.</summary>
internal static class PeerFiles
{
    /// <summary>
    /// The module's state dict as one .npy per entry in <paramref name="folder"/> (named by key): int64 buffers as int64,
    /// everything else as float32, the dtype the peers' networks hold.
    /// </summary>
    public static void WriteStateDict(torch.nn.Module module, string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (var (name, tensor) in module.state_dict())
        {
            using var host = tensor.detach().cpu().contiguous();
            int[] shape = host.shape.Select(d => (int)d).ToArray();
            var array = host.dtype == torch.ScalarType.Int64
                ? new NpyArray(shape, host.data<long>().ToArray())
                : new NpyArray(shape, host.to_type(torch.ScalarType.Float32).data<float>().ToArray());
            Npy.Write(Path.Combine(folder, name + ".npy"), array);
        }
    }
}
