using Microsoft.DotNet.Interactive.Formatting;
using Msun.Analysis.Core.Results;
using Msun.Analysis.Core.SplitSelection;

namespace Msun.Analysis.Interactive;

/// <summary>
/// Registers the HTML formatters for the result records, so that a <see cref="CkaProfile"/>, a
/// <see cref="CkaGridSummary"/>, a <see cref="SplitRecommendation"/>, multi-scale accuracies or a <see cref="MacTable"/>
/// returned as the value of a notebook cell shows as its chart and table (<see cref="ResultHtml"/>).
/// </summary>
public static class ResultFormatters
{
    private const string Html = "text/html";
    private static readonly Lock Gate = new();
    private static bool _registered;

    /// <summary>
    /// Registers the formatters (idempotent) and makes HTML the preferred output for these types. Called by
    /// <see cref="MsunKernelExtension"/> when the kernel loads the extension, or directly from a notebook's first cell
    /// when the assembly is referenced with <c>#r</c> (which does not run extensions).
    /// </summary>
    public static void Register()
    {
        lock (Gate)
        {
            if (_registered) return;
            FSharpCoreBinding.Install();
            Add<CkaProfile>(ResultHtml.Profile);
            Add<IEnumerable<CkaProfile>>(ResultHtml.Profiles);
            Add<CkaGridSummary>(ResultHtml.Grid);
            Add<SplitRecommendation>(ResultHtml.Split);
            Add<MultiScaleAccuracy>(r => ResultHtml.Accuracy([r]));
            Add<IEnumerable<MultiScaleAccuracy>>(ResultHtml.Accuracy);
            Add<MultiScaleEvaluationResult>(r => ResultHtml.Accuracy(r.All));
            Add<MacTable>(ResultHtml.Macs);
            Notebook.RegisterPngFormatter();
            _registered = true;
        }
    }

    private static void Add<T>(Func<T, string> html)
    {
        Formatter.Register<T>((value, writer) => writer.Write(html(value)), Html);
        Formatter.SetPreferredMimeTypesFor(typeof(T), Html);
    }
}
