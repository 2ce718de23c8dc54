using System.Reflection;
using System.Runtime.Loader;

namespace Msun.Analysis.Interactive;

/// <summary>
/// Plotly.NET 6 (under the Reports figures) is built against FSharp.Core 10.1, while the notebook tools run with their own
/// FSharp.Core 10.0 already loaded and cannot load a second copy into the default context. Answering the failed request with
/// the loaded copy lets the charts render (the notebook tests draw every chart kind this way).
/// </summary>
internal static class FSharpCoreBinding
{
    private static int _installed;

    /// <summary>Hooks <see cref="AssemblyLoadContext.Resolving"/> of the default context once per process.</summary>
    public static void Install()
    {
        if (Interlocked.Exchange(ref _installed, 1) == 1) return;
        AssemblyLoadContext.Default.Resolving += (_, name) => name.Name == "FSharp.Core" ? Loaded(name.Name) : null;
    }

    private static Assembly? Loaded(string name) =>
        AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == name);
}
