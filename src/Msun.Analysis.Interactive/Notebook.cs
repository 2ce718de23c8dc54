using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Formatting;
using Msun.Analysis.Reports;

namespace Msun.Analysis.Interactive;

/// <summary>A figure rendered to PNG: shown as an <c>image/png</c> output, which any notebook viewer draws without a kernel or script.</summary>
/// <param name="Title">The figure's title.</param>
/// <param name="Png">The PNG file's bytes.</param>
public sealed record PngImage(string Title, byte[] Png);

/// <summary>What a notebook cell calls to show a result.</summary>
public static class Notebook
{
    /// <summary>
    /// Shows <paramref name="result"/> as its interactive chart and table (HTML, see <see cref="ResultFormatters"/>), then each
    /// of its figures as a static PNG (Debian's chromium renders it, see <see cref="PngExport"/>), so the figure is in the
    /// saved notebook for viewers that run no script (GitHub, nbviewer).
    /// </summary>
    public static void Show(object result)
    {
        ArgumentNullException.ThrowIfNull(result);
        Kernel.display(result);
        foreach (var figure in ResultFigures.Of(result))
            Kernel.display(new PngImage(figure.Title, PngExport.Render(figure)));
    }

    /// <summary>Registers the <c>image/png</c> formatter of <see cref="PngImage"/> (Jupyter stores the bytes as base64).</summary>
    internal static void RegisterPngFormatter()
    {
        Formatter.Register<PngImage>((image, writer) => writer.Write(Convert.ToBase64String(image.Png)), "image/png");
        Formatter.SetPreferredMimeTypesFor(typeof(PngImage), "image/png");
    }
}
