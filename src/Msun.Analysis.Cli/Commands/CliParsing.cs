using System.Globalization;
using Msun.Analysis.Torch;
using static TorchSharp.torch;

namespace Msun.Analysis.Cli.Commands;

/// <summary>Option values that several commands share, parsed with one set of messages.</summary>
internal static class CliParsing
{
    /// <summary>A comma-separated list of image sizes in pixels: positive, ascending, no repeats, not empty.</summary>
    public static int[] Sizes(string text, string option)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.All(p => p.Length == 0)) throw new ArgumentException($"{option}: the list is empty; give sizes such as 7,14,21.");
        var sizes = new List<int>();
        foreach (string part in parts)
        {
            if (!int.TryParse(part, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int size))
                throw new ArgumentException($"{option}: '{part}' is not a positive whole number of pixels.");
            if (size < 1) throw new ArgumentException($"{option}: {size} is not a positive size.");
            if (sizes.Contains(size)) throw new ArgumentException($"{option}: {size} is listed twice.");
            if (sizes.Count > 0 && size < sizes[^1])
                throw new ArgumentException($"{option} {text}: the sizes are out of order ({size} after {sizes[^1]}); give them ascending.");
            sizes.Add(size);
        }
        return [.. sizes];
    }

    /// <summary>The --device value as a TorchSharp device; the error names the option.</summary>
    public static Device Device(string value)
    {
        try
        {
            return TorchDevices.Resolve(value);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"--device {value}: {e.Message}", e);
        }
    }
}
