using System.Reflection;

namespace Msun.Analysis.Reports;

/// <summary>The plotly.js bundle that Plotly.NET embeds in its assembly (what its <c>PlotlyJSReference.Full</c> inlines), read once.</summary>
public static class PlotlyJs
{
    private static readonly Lazy<(string Name, string Source)> Bundle = new(Load);

    /// <summary>The minified plotly.js source.</summary>
    public static string Source => Bundle.Value.Source;

    /// <summary>The resource name, which carries the version (e.g. <c>Plotly.NET.plotly-2.28.0.min.js</c>).</summary>
    public static string ResourceName => Bundle.Value.Name;

    private static (string, string) Load()
    {
        var assembly = typeof(Plotly.NET.GenericChart).Assembly;
        string name = assembly.GetManifestResourceNames().SingleOrDefault(n => n.StartsWith("Plotly.NET.plotly-", StringComparison.Ordinal) && n.EndsWith(".min.js", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"{assembly.GetName()} holds no plotly-*.min.js resource; the Plotly.NET version changed how it ships plotly.js.");
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return (name, reader.ReadToEnd());
    }
}
