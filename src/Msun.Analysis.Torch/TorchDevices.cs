using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch;

/// <summary>Device names from options and command lines, checked once for every command.</summary>
public static class TorchDevices
{
    /// <summary>The device every options record uses unless told otherwise.</summary>
    public const string DefaultName = "cpu";

    /// <summary>
    /// "cpu", "cuda" or "cuda:N" as a TorchSharp device. CUDA without a CUDA runtime or GPU is an error that
    /// says how to get one, never a silent fall-back to the CPU.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown name, CUDA unavailable, or no such CUDA device.</exception>
    public static Device Resolve(string name)
    {
        name = CheckName(name);
        if (name == "cpu") return CPU;
        if (!torch.cuda.is_available())
            throw new ArgumentException(
                $"device '{name}' was asked for, but CUDA is not available (torch.cuda.is_available() is false): this build or machine has "
                + "no CUDA libtorch or GPU. Use --device cpu, or build with -p:TorchBackend=cuda on a machine with a GPU.");
        var device = torch.device(name);
        if (device.index >= torch.cuda.device_count())
            throw new ArgumentException($"device '{name}' does not exist: {torch.cuda.device_count()} CUDA device(s) found.");
        return device;
    }

    /// <summary>
    /// The device name in lower case when it is <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c> (any case): the toolkit's one
    /// check of a device name, used by the options records and <see cref="Resolve"/>. Says nothing about availability.
    /// </summary>
    /// <param name="name">The name.</param>
    /// <param name="inputName">How the caller names the input (a parameter, or a command-line option such as <c>--device</c>).</param>
    /// <exception cref="ArgumentException">Another name.</exception>
    public static string CheckName(string name, string inputName = "device")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name, inputName);
        var lower = name.ToLowerInvariant();
        bool valid = lower == "cpu" || lower == "cuda"
            || (lower.StartsWith("cuda:", StringComparison.Ordinal) && lower.Length > 5 && lower[5..].All(char.IsAsciiDigit));
        return valid ? lower : throw new ArgumentException($"{inputName} '{name}': expected cpu, cuda or cuda:N.", inputName);
    }
}
