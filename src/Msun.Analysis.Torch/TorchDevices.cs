using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch;

/// <summary>Device names from options and command lines, checked once for every command.</summary>
public static class TorchDevices
{
    /// <summary>
    /// "cpu", "cuda" or "cuda:N" as a TorchSharp device. CUDA without a CUDA runtime or GPU is an error that
    /// says how to get one, never a silent fall-back to the CPU.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown name, CUDA unavailable, or no such CUDA device.</exception>
    public static Device Resolve(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name == "cpu") return CPU;
        bool cuda = name == "cuda" || (name.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(name[5..], out int n) && n >= 0);
        if (!cuda) throw new ArgumentException($"device '{name}': expected cpu, cuda or cuda:N.");
        if (!torch.cuda.is_available())
            throw new ArgumentException(
                $"device '{name}' was asked for, but CUDA is not available (torch.cuda.is_available() is false): this build or machine has "
                + "no CUDA libtorch or GPU. Use --device cpu, or build with -p:TorchBackend=cuda on a machine with a GPU.");
        var device = torch.device(name);
        if (device.index >= torch.cuda.device_count())
            throw new ArgumentException($"device '{name}' does not exist: {torch.cuda.device_count()} CUDA device(s) found.");
        return device;
    }
}
