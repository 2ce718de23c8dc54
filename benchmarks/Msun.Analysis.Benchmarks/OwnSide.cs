using Msun.Analysis.Torch;
using TorchSharp;

namespace Msun.Analysis.Benchmarks;

/// <summary>The start of every process that measures our side: the settings <c>msun</c> itself starts with.</summary>
internal static class OwnSide
{
    /// <summary>
    /// Keeps freed memory on the glibc heap (unless <c>--glibc-defaults</c>), sets libtorch's threads (when
    /// <paramref name="threads"/> is positive) and switches NNPACK off, as <c>msun</c> does for the commands that run networks.
    /// </summary>
    public static void Start(int threads)
    {
        if (!Environment.GetCommandLineArgs().Contains("--glibc-defaults")) NativeAllocator.KeepFreedMemory();
        torch.InitializeDeviceType(DeviceType.CPU);
        if (threads > 0) torch.set_num_threads(threads);
        LibTorchSwitches.TurnOffNnpack(); // on CPUs where NNPACK cannot start it warns at every small convolution
    }
}
