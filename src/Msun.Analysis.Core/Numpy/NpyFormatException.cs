namespace Msun.Analysis.Core.Numpy;

/// <summary>
/// A .npy/.npz file could not be decoded. The message always names the file (and npz member) and what
/// is wrong, so a failing run points straight at the bad input.
/// </summary>
public sealed class NpyFormatException : Exception
{
    /// <summary>Creates the exception; the message is built from <paramref name="source"/>, <paramref name="member"/> and <paramref name="problem"/>.</summary>
    /// <param name="source">File path or stream name being read.</param>
    /// <param name="member">Npz member name (e.g. <c>x.npy</c>), or null for a plain .npy.</param>
    /// <param name="problem">What is wrong, in words.</param>
    /// <param name="innerException">Underlying cause, if any.</param>
    public NpyFormatException(string source, string? member, string problem, Exception? innerException = null)
        : base(FormatMessage(source, member, problem), innerException)
    {
        Source = source;
        base.Source = source;
        Member = member;
        Problem = problem;
    }

    /// <summary>The file path or stream name that failed to decode (hides <see cref="Exception.Source"/>, which is set to the same value).</summary>
    public new string Source { get; }

    /// <summary>The npz member that failed, or null for a plain .npy.</summary>
    public string? Member { get; }

    /// <summary>The problem alone, without the source prefix.</summary>
    public string Problem { get; }

    private static string FormatMessage(string source, string? member, string problem) =>
        member is null ? $"{source}: {problem}" : $"{source} (member '{member}'): {problem}";
}
