using System.Buffers.Binary;

namespace Msun.Analysis.Reports.Tests;

/// <summary>PNG export through Debian's chromium (installed by .ci/run).</summary>
public class PngExportTests
{
    [Fact]
    public void AFigureRendersToAPngOfTheFigureSize()
    {
        using var tmp = new TempFolder();
        string path = Path.Combine(tmp.Path, "accuracy.png");
        PngExport.Save(Figures.AccuracyBySize(SampleResults.Accuracies()), path);
        byte[] png = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        // IHDR: width and height, big-endian, right after the chunk length and type.
        Assert.Equal(Figures.Width, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16, 4)));
        Assert.Equal(Figures.Height, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20, 4)));
        Assert.True(png.Length > 20_000, "a drawn chart, not a blank page");
        Assert.Single(Directory.GetFiles(tmp.Path));
    }

    [Fact]
    public void AMissingBrowserIsNamedWithTheFix()
    {
        using var tmp = new TempFolder();
        string path = Path.Combine(tmp.Path, "a.png");
        var e = Assert.Throws<FileNotFoundException>(() => PngExport.Save(Figures.MacsBySize(SampleResults.Macs()), path, Path.Combine(tmp.Path, "no-chromium")));
        Assert.Contains("apt-get install chromium", e.Message);
        Assert.False(File.Exists(path));
        Assert.Contains("ends in .png", Assert.Throws<ArgumentException>(() => PngExport.Save(Figures.MacsBySize(SampleResults.Macs()), path + ".jpg")).Message);
    }
}
