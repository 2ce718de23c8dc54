using System.Runtime.InteropServices;

namespace Msun.Analysis.Core.LinearAlgebra;

/// <summary>
/// Transparent huge pages for large arrays, as NumPy asks for its own: on Linux with THP in "madvise" mode (Debian's
/// default) a 2 MiB page is one fault where 4 KiB pages are 512, so filling an 80 MB array from a file costs a few
/// hundred faults instead of ~20 000, and the BLAS kernels that stream it miss the TLB less.
/// </summary>
internal static unsafe partial class HugePages
{
    /// <summary>Size of one transparent huge page on x86-64 and arm64 Linux.</summary>
    internal const nuint Size = 2 << 20;
    private const int MadvHugePage = 14;

    /// <summary>Advises the whole huge pages inside [address, address + bytes). Advice only: failure changes speed, not results.</summary>
    internal static void Advise(nint address, nuint bytes)
    {
        if (!OperatingSystem.IsLinux()) return;
        nuint start = ((nuint)address + Size - 1) & ~(Size - 1), end = ((nuint)address + bytes) & ~(Size - 1);
        if (end <= start) return;
        try
        {
            _ = Madvise((nint)start, end - start, MadvHugePage);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }

    /// <summary>
    /// An array of <paramref name="count"/> elements that the caller overwrites completely: large ones are left
    /// unzeroed (the caller's writes are the first touch of their pages) and advised to use huge pages.
    /// </summary>
    internal static T[] ArrayToFill<T>(int count) where T : unmanaged
    {
        if ((nuint)count * (nuint)sizeof(T) < 2 * Size) return new T[count];
        var data = GC.AllocateUninitializedArray<T>(count);
        fixed (T* first = data) Advise((nint)first, (nuint)count * (nuint)sizeof(T));
        return data;
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);
}
