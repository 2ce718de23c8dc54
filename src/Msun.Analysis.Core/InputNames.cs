namespace Msun.Analysis.Core;

/// <summary>
/// How a caller names the parameters of an options record in its messages: the command line says <c>--images</c>
/// where the record says <c>imagesPerSubset</c>. The record keeps its rules and messages; the caller only lends
/// the names, so a rule is written once and its message names the input the user actually gave.
/// </summary>
public sealed class InputNames
{
    private readonly IReadOnlyDictionary<string, string> names;

    /// <summary>Names from a parameter → input map; a parameter not in the map keeps its own name.</summary>
    public InputNames(IReadOnlyDictionary<string, string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        this.names = names;
    }

    /// <summary>Every parameter under its own name (the API's view).</summary>
    public static InputNames Parameters { get; } = new(new Dictionary<string, string>());

    /// <summary>The name the caller gives <paramref name="parameter"/>.</summary>
    public string this[string parameter] => names.TryGetValue(parameter, out var name) ? name : parameter;
}
