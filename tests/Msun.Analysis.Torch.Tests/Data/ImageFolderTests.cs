using Msun.Analysis.Torch.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Msun.Analysis.Torch.Tests.Data;

[Collection("Torch")]
public class ImageFolderTests
{
    private static void WritePng(string path, int w, int h, Rgb24 colour)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var img = new Image<Rgb24>(w, h, colour);
        img.SaveAsPng(path);
    }

    private static DatasetManifest Template() => DatasetManifestLoader.LoadBuiltIn("image-folder");

    [Fact]
    public void ClassFoldersLoadInSortedOrderWithResize()
    {
        using var tmp = new TempFolder();
        WritePng(tmp.File("train/dog/b.png"), 4, 4, new Rgb24(200, 100, 50));
        WritePng(tmp.File("train/dog/a.png"), 4, 4, new Rgb24(10, 20, 30));
        WritePng(tmp.File("train/cat/x.png"), 8, 8, new Rgb24(255, 0, 128));
        File.WriteAllText(tmp.File("train/cat/notes.txt"), "ignored");

        var ds = DatasetLoader.Load(Template(), "train", tmp.Path,
            new DatasetLoadOptions { ImageFolder = new ImageFolderOptions(4, 4) });

        Assert.Equal(["cat", "dog"], ds.ClassNames);
        Assert.Equal(new long[] { 0, 1, 1 }, ds.Labels.ToArray());
        Assert.Equal((3, 4, 4), (ds.Channels, ds.Height, ds.Width));
        // Planar RGB: the 8×8 constant cat image resizes to the same constant.
        var cat = ds.GetImage(0);
        Assert.All(cat[..16].ToArray(), b => Assert.Equal(255, b));
        Assert.All(cat[16..32].ToArray(), b => Assert.Equal(0, b));
        Assert.All(cat[32..].ToArray(), b => Assert.Equal(128, b));
        // Files in ordinal order within a class: a.png before b.png.
        Assert.Equal(10, ds.GetImage(1)[0]);
        Assert.Equal(200, ds.GetImage(2)[0]);
        Assert.Contains("no fixed files to verify", ds.Provenance.Verification);
        Assert.Contains("decoded with ImageSharp", ds.Provenance.Describe());
    }

    [Fact]
    public void GreyManifestDecodesLuminance()
    {
        using var tmp = new TempFolder();
        WritePng(tmp.File("val/one/a.png"), 2, 2, new Rgb24(90, 90, 90));
        var m = Template() with { Channels = 1 };

        var ds = DatasetLoader.Load(m, "val", tmp.Path, new DatasetLoadOptions { ImageFolder = new ImageFolderOptions(2, 2) });

        Assert.Equal(1, ds.Channels);
        Assert.Equal(new byte[] { 90, 90, 90, 90 }, ds.GetImage(0).ToArray());
    }

    [Fact]
    public void ListedClassesMustMatchTheFolders()
    {
        using var tmp = new TempFolder();
        WritePng(tmp.File("train/cat/a.png"), 2, 2, new Rgb24(1, 2, 3));
        WritePng(tmp.File("train/cow/a.png"), 2, 2, new Rgb24(1, 2, 3));
        var m = Template() with { Classes = ["cat", "dog"] };

        var e = Assert.Throws<InvalidDataException>(() =>
            DatasetLoader.Load(m, "train", tmp.Path, new DatasetLoadOptions { ImageFolder = new ImageFolderOptions(2, 2) }));

        Assert.Equal($"{Path.Combine(tmp.Path, "train")}: class folders do not match the classes; missing: dog; not a listed class: cow.", e.Message);
    }

    [Fact]
    public void UndecodableFileIsNamed()
    {
        using var tmp = new TempFolder();
        Directory.CreateDirectory(tmp.File("train/cat"));
        File.WriteAllText(tmp.File("train/cat/broken.png"), "not a png");

        var e = Assert.Throws<InvalidDataException>(() =>
            DatasetLoader.Load(Template(), "train", tmp.Path, new DatasetLoadOptions { ImageFolder = new ImageFolderOptions(2, 2) }));

        Assert.StartsWith($"{tmp.File("train/cat/broken.png")}: cannot decode image", e.Message);
    }

    [Fact]
    public void SizeIsRequiredForAFolderWithoutNativeSize()
    {
        using var tmp = new TempFolder();
        WritePng(tmp.File("train/cat/a.png"), 2, 2, new Rgb24(1, 2, 3));
        var e = Assert.Throws<ArgumentException>(() => DatasetLoader.Load(Template(), "train", tmp.Path));
        Assert.StartsWith("Dataset 'image-folder' is an image folder without a fixed image size: set DatasetLoadOptions.ImageFolder.", e.Message);
    }

    [Fact]
    public void OptionsAreValidated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageFolderOptions(0, 4));
        Assert.Throws<ArgumentException>(() => new ImageFolderOptions(4, 4) { Extensions = ["PNG"] });
        Assert.Equal(new[] { ".webp" }, new ImageFolderOptions(4, 4) { Extensions = [".webp"] }.Extensions.ToArray());
    }

    [Fact]
    public void MissingSplitFolderSaysWhatToPass()
    {
        using var tmp = new TempFolder();
        var e = Assert.Throws<DirectoryNotFoundException>(() =>
            DatasetLoader.Load(Template(), "val", tmp.Path, new DatasetLoadOptions { ImageFolder = new ImageFolderOptions(2, 2) }));
        Assert.Contains("pass the folder that holds the split folders", e.Message);
    }
}
