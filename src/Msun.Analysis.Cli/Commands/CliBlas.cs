using Msun.Analysis.Core.LinearAlgebra;

namespace Msun.Analysis.Cli.Commands;

/// <summary>Says once, on stderr, when CKA products run on the managed fallback because OpenBLAS could not be loaded.</summary>
internal static class CliBlas
{
    /// <summary>Prints the note for <paramref name="command"/> when the backend is managed and the user did not ask for it (MSUN_BLAS=managed).</summary>
    public static void NoteIfManaged(string command)
    {
        if (Blas.Backend != BlasBackend.Managed) return;
        if (string.Equals(Environment.GetEnvironmentVariable("MSUN_BLAS")?.Trim(), "managed", StringComparison.OrdinalIgnoreCase)) return;
        Console.Error.WriteLine($"msun {command}: note: OpenBLAS could not be loaded, so CKA runs on the managed fallback (correct, but many times slower); " +
                                "install it with: sudo apt-get install libopenblas0-pthread. The backend is recorded as \"blas\" in the results.");
    }
}
