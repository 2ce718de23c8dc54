using System.Runtime.InteropServices;
using TorchSharp;

namespace Msun.Analysis.Torch;

/// <summary>
/// libtorch's NNPACK switch, which TorchSharp does not expose (PyTorch's <c>torch.backends.nnpack.enabled</c>).
/// </summary>
/// <remarks>
/// A CPU convolution that oneDNN declines (float32, batch 1, one thread: what <c>msun macs</c> runs) first asks whether
/// NNPACK is available. On a CPU that NNPACK's bundled cpuinfo does not know (seen: an AMD EPYC with AVX-512) that
/// check fails and prints "Could not initialize NNPACK! Reason: Unsupported hardware." to stderr on every such call.
/// libtorch reads the user switch before it tries, so switching NNPACK off stops the attempts. No result changes:
/// NNPACK only takes batches of 16 or more, which oneDNN takes first in this build.
/// </remarks>
public static partial class NnpackSwitch
{
    /// <summary>
    /// Switches NNPACK off for the process. Returns false (and changes nothing) where the switch cannot be reached
    /// (not Linux x64, or a libtorch without these symbols).
    /// </summary>
    public static bool TurnOff()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return false;
        torch.InitializeDeviceType(DeviceType.CPU); // loads libtorch, so that the calls below reach the instance TorchSharp uses
        try
        {
            SetUserEnabledNnpack(GlobalContext(), false);
            return !IsOn;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Whether libtorch's user switch for NNPACK is on (its default).</summary>
    public static bool IsOn => UserEnabledNnpack(GlobalContext());

    // at::globalContext() and two members of at::Context (Itanium C++ ABI, the object as the first argument).
    [LibraryImport("libtorch_cpu", EntryPoint = "_ZN2at13globalContextEv")]
    private static partial IntPtr GlobalContext();

    [LibraryImport("libtorch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")]
    private static partial void SetUserEnabledNnpack(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [LibraryImport("libtorch_cpu", EntryPoint = "_ZNK2at7Context17userEnabledNNPACKEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    private static partial bool UserEnabledNnpack(IntPtr context);
}
