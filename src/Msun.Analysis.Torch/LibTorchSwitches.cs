using System.Runtime.InteropServices;
using TorchSharp;

namespace Msun.Analysis.Torch;

/// <summary>
/// libtorch's process-wide backend switches that TorchSharp does not expose (PyTorch's
/// <c>torch.backends.nnpack.enabled</c> and <c>torch.backends.mkldnn.enabled</c>). Linux x64 only: elsewhere the
/// switches cannot be reached and stay as libtorch sets them.
/// </summary>
/// <remarks>
/// NNPACK: a CPU convolution that oneDNN declines (float32, batch 1, one thread: what <c>msun macs</c> runs) first asks
/// whether NNPACK is available. On a CPU that NNPACK's bundled cpuinfo does not know (seen: an AMD EPYC with AVX-512)
/// that check fails and prints "Could not initialize NNPACK! Reason: Unsupported hardware." to stderr on every such
/// call. libtorch reads the user switch before it tries, so switching NNPACK off stops the attempts. No result changes:
/// NNPACK only takes batches of 16 or more, which oneDNN takes first in this build. oneDNN: see
/// <see cref="Training.ConvolutionGradientCheck"/>.
/// </remarks>
public static partial class LibTorchSwitches
{
    private static bool Reachable => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    /// <summary>Switches NNPACK off for the process. Returns false (and changes nothing) where the switch cannot be reached.</summary>
    public static bool TurnOffNnpack()
    {
        if (!Reachable) return false;
        SetUserEnabledNnpack(Context(), false);
        return !NnpackIsOn;
    }

    /// <summary>Whether libtorch's user switch for NNPACK is on (its default).</summary>
    public static bool NnpackIsOn => Reachable && UserEnabledNnpack(Context());

    /// <summary>Whether libtorch may run CPU convolutions on oneDNN (its default), as libtorch reads it at each convolution.</summary>
    public static bool OneDnnIsOn
    {
        get => Reachable && UserEnabledMkldnn(Context());
        set
        {
            if (!Reachable) throw new PlatformNotSupportedException("libtorch's oneDNN switch is reached on Linux x64 only.");
            SetUserEnabledMkldnn(Context(), value);
        }
    }

    /// <summary>libtorch's global context, after TorchSharp has loaded libtorch (so the calls reach the instance it uses).</summary>
    private static IntPtr Context()
    {
        torch.InitializeDeviceType(DeviceType.CPU);
        return GlobalContext();
    }

    // at::globalContext() and members of at::Context (Itanium C++ ABI, the object as the first argument).
    [LibraryImport("libtorch_cpu", EntryPoint = "_ZN2at13globalContextEv")]
    private static partial IntPtr GlobalContext();

    [LibraryImport("libtorch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")]
    private static partial void SetUserEnabledNnpack(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [LibraryImport("libtorch_cpu", EntryPoint = "_ZNK2at7Context17userEnabledNNPACKEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    private static partial bool UserEnabledNnpack(IntPtr context);

    [LibraryImport("libtorch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledMkldnnEb")]
    private static partial void SetUserEnabledMkldnn(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [LibraryImport("libtorch_cpu", EntryPoint = "_ZNK2at7Context17userEnabledMkldnnEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    private static partial bool UserEnabledMkldnn(IntPtr context);
}
