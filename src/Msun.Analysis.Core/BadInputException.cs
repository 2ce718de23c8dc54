namespace Msun.Analysis.Core;

/// <summary>
/// Bad input found after a command's boundary checks: an option, file or field the user gave that turns out to be
/// wrong only once the work has started (e.g. a result file whose content contradicts its options). The message
/// names the input and what is wrong with it. Every other <see cref="ArgumentException"/> raised during the work is
/// a bug of ours, not bad input.
/// </summary>
public sealed class BadInputException : ArgumentException
{
    /// <summary>Creates the exception; <paramref name="message"/> names the input and the problem.</summary>
    public BadInputException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
