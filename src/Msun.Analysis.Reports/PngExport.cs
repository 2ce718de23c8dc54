using Microsoft.FSharp.Core;
using Msun.Analysis.Core.IO;
using Plotly.NET.ImageExport;
using PuppeteerSharp;

namespace Msun.Analysis.Reports;

/// <summary>
/// Figures as PNG through Plotly.NET.ImageExport and a local headless Chromium (Debian's <c>chromium</c> package; nothing
/// is downloaded). Optional: HTML needs no browser, PNG does.
/// </summary>
public static class PngExport
{
    /// <summary>Where Debian's chromium package puts the browser.</summary>
    public const string DefaultChromium = "/usr/bin/chromium";

    /// <summary>Environment variable that points at another Chromium or Chrome executable.</summary>
    public const string ChromiumVariable = "MSUN_CHROMIUM";

    private static readonly Lock Gate = new();

    /// <summary>The Chromium to use: <paramref name="candidate"/> when given, else <c>$MSUN_CHROMIUM</c> when set, else <see cref="DefaultChromium"/>.</summary>
    /// <exception cref="FileNotFoundException">No such executable (the message says how to install it).</exception>
    public static string FindChromium(string? candidate = null)
    {
        string path = candidate ?? (Environment.GetEnvironmentVariable(ChromiumVariable) is { Length: > 0 } env ? env : DefaultChromium);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException(
                $"PNG export needs a headless Chromium and {path} does not exist: install Debian's chromium (sudo apt-get install chromium) or set {ChromiumVariable} to a Chromium executable.", path);
    }

    /// <summary>Renders <paramref name="figure"/> at its layout size and writes it atomically to <paramref name="path"/> (a .png file).</summary>
    /// <param name="figure">The figure.</param>
    /// <param name="path">Output file; must end in .png.</param>
    /// <param name="chromium">The browser executable (default: <see cref="FindChromium"/>).</param>
    public static void Save(Figure figure, string path, string? chromium = null)
    {
        ArgumentNullException.ThrowIfNull(figure);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!path.EndsWith(".png", StringComparison.OrdinalIgnoreCase)) throw new ArgumentException($"{path}: a PNG file name ends in .png.", nameof(path));
        byte[] png = Render(figure, chromium, path);
        AtomicFile.Write(path, s => s.Write(png));
    }

    /// <summary>The PNG bytes of <paramref name="figure"/> at its layout size (e.g. a notebook's static image output).</summary>
    /// <param name="figure">The figure.</param>
    /// <param name="chromium">The browser executable (default: <see cref="FindChromium"/>).</param>
    public static byte[] Render(Figure figure, string? chromium = null) => Render(figure, chromium, "an image");

    private static byte[] Render(Figure figure, string? chromium, string target)
    {
        ArgumentNullException.ThrowIfNull(figure);
        chromium = FindChromium(chromium);
        string base64;
        try
        {
            // The renderer's options are process-wide statics of ImageExport: set and use them under one lock.
            lock (Gate)
            {
                PuppeteerSharpRendererOptions.localBrowserExecutablePath = FSharpOption<string>.Some(chromium);
                PuppeteerSharpRendererOptions.launchOptions = new LaunchOptions
                {
                    Headless = true,
                    ExecutablePath = chromium,
                    Args = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-dev-shm-usage"],
                };
                // The page the renderer loads would take plotly.js from a CDN; embed it (offline machines, and no network in CI).
                var chart = Plotly.NET.Chart.withDisplayOptionsStyle(
                    FSharpOption<string>.None, FSharpOption<string>.None, FSharpOption<string>.None, FSharpOption<Giraffe.ViewEngine.HtmlElements.XmlNode>.None,
                    FSharpOption<Microsoft.FSharp.Collections.FSharpList<Giraffe.ViewEngine.HtmlElements.XmlNode>>.None,
                    FSharpOption<Microsoft.FSharp.Collections.FSharpList<Giraffe.ViewEngine.HtmlElements.XmlNode>>.None,
                    FSharpOption<Plotly.NET.PlotlyJSReference>.Some(Plotly.NET.PlotlyJSReference.Full)).Invoke(figure.Chart);
                base64 = chart.ToBase64PNGString(FSharpOption<ExportEngine>.None, FSharpOption<int>.Some(Figures.Width), FSharpOption<int>.Some(Figures.Height));
            }
        }
        catch (Exception e) when (e is AggregateException or PuppeteerException or TimeoutException or InvalidOperationException)
        {
            throw new FigureExportException($"rendering figure '{figure.Title}' to {target} with {chromium} failed: {(e.InnerException ?? e).GetBaseException().Message}", e);
        }

        // The string is a data URL ("data:image/png;base64,...") or bare base64, depending on the renderer.
        int comma = base64.IndexOf(',');
        return Convert.FromBase64String(comma >= 0 ? base64[(comma + 1)..] : base64);
    }
}

/// <summary>A figure could not be rendered to an image (the browser failed to start or to draw it).</summary>
public sealed class FigureExportException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FigureExportException(string message, Exception inner) : base(message, inner)
    {
    }
}
