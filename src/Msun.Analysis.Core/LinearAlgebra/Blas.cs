using System.Runtime.InteropServices;

namespace Msun.Analysis.Core.LinearAlgebra;

/// <summary>Which implementation runs the matrix products behind CKA.</summary>
public enum BlasBackend
{
    /// <summary>OpenBLAS through its CBLAS interface (Debian: <c>libopenblas0-pthread</c>).</summary>
    OpenBlas,
    /// <summary>Portable managed loops (SIMD + Parallel.For); correct everywhere, much slower on large inputs.</summary>
    Managed,
}

/// <summary>
/// The few level-3 products CKA needs, on row-major arrays: AᵀA (SYRK, half the work of a GEMM),
/// AAᵀ, and AᵀB, each accumulated into C (C += …). OpenBLAS is used when it can be loaded, because
/// TorchSharp's MKL matmul is about 2× slower than OpenBLAS on this CPU (STACK-NOTES.md); the
/// environment variable <c>MSUN_BLAS</c> = <c>managed</c> or <c>openblas</c> forces a backend.
/// </summary>
public static unsafe class Blas
{
    private const int RowMajor = 101, NoTrans = 111, Trans = 112, Upper = 121;

    private static readonly Lazy<NativeBlas?> Native = new(LoadOpenBlas);

    /// <summary>The backend that products run on in this process.</summary>
    public static BlasBackend Backend => Native.Value is null ? BlasBackend.Managed : BlasBackend.OpenBlas;

    /// <summary>OpenBLAS's thread count (<c>OPENBLAS_NUM_THREADS</c> or the core count), or null without OpenBLAS's thread control.</summary>
    public static int? OpenBlasThreads => Native.Value is { } native && native.GetThreads != null ? native.GetThreads() : null;

    /// <summary>Upper triangle of C (d×d) += AᵀA, with A row-major n×d. The lower triangle is left untouched.</summary>
    public static void SyrkTransposed<T>(ReadOnlySpan<T> a, int n, int d, Span<T> c) where T : unmanaged
    {
        if (n == 0) return;
        CheckSizes(a.Length, (long)n * d, c.Length, (long)d * d);
        var native = Native.Value;
        fixed (T* pa = a, pc = c)
        {
            if (native is not null && typeof(T) == typeof(double))
                native.Dsyrk(RowMajor, Upper, Trans, d, n, 1.0, (double*)pa, d, 1.0, (double*)pc, d);
            else if (native is not null && typeof(T) == typeof(float))
                native.Ssyrk(RowMajor, Upper, Trans, d, n, 1f, (float*)pa, d, 1f, (float*)pc, d);
            else
                ManagedBlas.SyrkTransposed(a, n, d, c);
        }
    }

    /// <summary>Upper triangle of C (n×n) += AAᵀ, with A row-major n×d: the linear Gram matrix.</summary>
    public static void SyrkGram(ReadOnlySpan<double> a, int n, int d, Span<double> c)
    {
        CheckSizes(a.Length, (long)n * d, c.Length, (long)n * n);
        var native = Native.Value;
        fixed (double* pa = a, pc = c)
        {
            if (native is not null) native.Dsyrk(RowMajor, Upper, NoTrans, n, d, 1.0, pa, Math.Max(d, 1), 1.0, pc, n);
            else ManagedBlas.SyrkGram(a, n, d, c);
        }
    }

    /// <summary>Upper triangle of C (n×n) += AAᵀ in float32, with A row-major n×d (products and sums in float32).</summary>
    public static void SyrkGram(ReadOnlySpan<float> a, int n, int d, Span<float> c)
    {
        CheckSizes(a.Length, (long)n * d, c.Length, (long)n * n);
        var native = Native.Value;
        fixed (float* pa = a, pc = c)
        {
            if (native is not null) native.Ssyrk(RowMajor, Upper, NoTrans, n, d, 1f, pa, Math.Max(d, 1), 1f, pc, n);
            else ManagedBlas.SyrkGram(a, n, d, c);
        }
    }

    /// <summary>C (d1×d2) += AᵀB, with A row-major n×d1 and B row-major n×d2.</summary>
    public static void GemmTransposedA<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, int n, int d1, int d2, Span<T> c) where T : unmanaged
    {
        if (n == 0) return;
        CheckSizes(a.Length, (long)n * d1, c.Length, (long)d1 * d2);
        CheckSizes(b.Length, (long)n * d2, c.Length, (long)d1 * d2);
        var native = Native.Value;
        fixed (T* pa = a, pb = b, pc = c)
        {
            if (native is not null && typeof(T) == typeof(double))
                native.Dgemm(RowMajor, Trans, NoTrans, d1, d2, n, 1.0, (double*)pa, d1, (double*)pb, d2, 1.0, (double*)pc, d2);
            else if (native is not null && typeof(T) == typeof(float))
                native.Sgemm(RowMajor, Trans, NoTrans, d1, d2, n, 1f, (float*)pa, d1, (float*)pb, d2, 1f, (float*)pc, d2);
            else
                ManagedBlas.GemmTransposedA(a, b, n, d1, d2, c);
        }
    }

    /// <summary>
    /// Until disposed, OpenBLAS runs every product on the calling thread. For many small products (the b×b
    /// Grams of minibatch CKA, b ≈ 128): OpenBLAS threads even a 128×512 SYRK, which gains nothing there and,
    /// when other jobs share the cores, made it 2.7× slower in wall time. The setting is process-wide and only
    /// changes speed, never results (OpenBLAS splits the output among threads, not the sums); a no-op without
    /// OpenBLAS or when it already runs one thread.
    /// </summary>
    internal static IDisposable SingleThreaded()
    {
        var native = Native.Value;
        if (native is null || native.GetThreads is null || native.SetThreads is null) return NoOp.Instance;
        int threads = native.GetThreads();
        if (threads <= 1) return NoOp.Instance;
        native.SetThreads(1);
        return new Restore(native, threads);
    }

    private sealed class NoOp : IDisposable
    {
        public static readonly NoOp Instance = new();

        public void Dispose()
        {
        }
    }

    private sealed class Restore(NativeBlas native, int threads) : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            native.SetThreads(threads);
        }
    }

    /// <summary>Copies the upper triangle of a square row-major matrix into its lower triangle.</summary>
    public static void MirrorUpper<T>(Span<T> c, int d)
    {
        for (int i = 1; i < d; i++)
            for (int j = 0; j < i; j++)
                c[i * d + j] = c[j * d + i];
    }

    private static void CheckSizes(long aLength, long aNeeded, long cLength, long cNeeded)
    {
        if (aLength < aNeeded || cLength < cNeeded)
            throw new ArgumentException($"BLAS operand too small: A has {aLength} elements for {aNeeded}, C has {cLength} for {cNeeded}.");
    }

    private static NativeBlas? LoadOpenBlas()
    {
        string? choice = Environment.GetEnvironmentVariable("MSUN_BLAS")?.Trim().ToLowerInvariant();
        if (choice == "managed") return null;
        string[] candidates = ["libopenblas.so.0", "libopenblas.so", "libopenblas.dylib", "libopenblas.dll", "openblas"];
        foreach (string name in candidates)
        {
            if (NativeLibrary.TryLoad(name, out IntPtr handle) && NativeBlas.TryCreate(handle, out NativeBlas? blas))
                return blas;
        }
        if (choice == "openblas")
            throw new DllNotFoundException(
                "MSUN_BLAS=openblas but OpenBLAS could not be loaded (tried " + string.Join(", ", candidates) +
                "). On Debian/Ubuntu: sudo apt-get install libopenblas0-pthread");
        return null;
    }

    private sealed class NativeBlas
    {
        public delegate* unmanaged<int, int, int, int, int, double, double*, int, double, double*, int, void> Dsyrk;
        public delegate* unmanaged<int, int, int, int, int, float, float*, int, float, float*, int, void> Ssyrk;
        public delegate* unmanaged<int, int, int, int, int, int, double, double*, int, double*, int, double, double*, int, void> Dgemm;
        public delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> Sgemm;
        public delegate* unmanaged<int> GetThreads;
        public delegate* unmanaged<int, void> SetThreads;

        public static bool TryCreate(IntPtr handle, out NativeBlas? blas)
        {
            blas = null;
            if (!NativeLibrary.TryGetExport(handle, "cblas_dsyrk", out IntPtr dsyrk)
                || !NativeLibrary.TryGetExport(handle, "cblas_ssyrk", out IntPtr ssyrk)
                || !NativeLibrary.TryGetExport(handle, "cblas_dgemm", out IntPtr dgemm)
                || !NativeLibrary.TryGetExport(handle, "cblas_sgemm", out IntPtr sgemm))
                return false;
            NativeLibrary.TryGetExport(handle, "openblas_get_num_threads", out IntPtr getThreads);
            NativeLibrary.TryGetExport(handle, "openblas_set_num_threads", out IntPtr setThreads);
            bool threadControl = getThreads != IntPtr.Zero && setThreads != IntPtr.Zero;
            blas = new NativeBlas
            {
                GetThreads = threadControl ? (delegate* unmanaged<int>)getThreads : null,
                SetThreads = threadControl ? (delegate* unmanaged<int, void>)setThreads : null,
                Dsyrk = (delegate* unmanaged<int, int, int, int, int, double, double*, int, double, double*, int, void>)dsyrk,
                Ssyrk = (delegate* unmanaged<int, int, int, int, int, float, float*, int, float, float*, int, void>)ssyrk,
                Dgemm = (delegate* unmanaged<int, int, int, int, int, int, double, double*, int, double*, int, double, double*, int, void>)dgemm,
                Sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)sgemm,
            };
            return true;
        }
    }
}
