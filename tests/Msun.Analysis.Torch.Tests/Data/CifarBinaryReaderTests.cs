using Msun.Analysis.Torch.Data;

namespace Msun.Analysis.Torch.Tests.Data;

public class CifarBinaryReaderTests
{
    private static readonly string[] Ten = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];
    private static readonly DatasetProvenance Prov = new("synthetic", "train", null, "none");

    [Fact]
    public void Cifar10RecordsAreConcatenatedInFileOrder()
    {
        using var tmp = new TempFolder();
        File.WriteAllBytes(tmp.File("a.bin"), SyntheticFiles.Cifar(3, false, i => (0, (byte)i)));
        File.WriteAllBytes(tmp.File("b.bin"), SyntheticFiles.Cifar(2, false, i => (0, (byte)(9 - i))));

        var ds = CifarBinaryReader.Read([tmp.File("a.bin"), tmp.File("b.bin")], DatasetFormat.Cifar10Binary, Ten, Prov);

        Assert.Equal(5, ds.Count);
        Assert.Equal((3, 32, 32), (ds.Channels, ds.Height, ds.Width));
        Assert.Equal(new long[] { 0, 1, 2, 9, 8 }, ds.Labels.ToArray());
        // Record 1 of file a: pixel k = (1 + k) mod 256; planes are R, G, B in that order.
        var img = ds.GetImage(1);
        Assert.Equal(1, img[0]);
        Assert.Equal((byte)((1 + 1024) % 256), img[1024]);
        Assert.Equal((byte)((1 + 3071) % 256), img[3071]);
        // First record of file b is example 3, again with pixel k = k mod 256.
        Assert.Equal(5, ds.GetImage(3)[5]);
    }

    [Fact]
    public void Cifar100KeepsFineOrCoarseLabel()
    {
        using var tmp = new TempFolder();
        var path = tmp.File("train.bin");
        File.WriteAllBytes(path, SyntheticFiles.Cifar(4, true, i => ((byte)(19 - i), (byte)(50 + i))));
        var fine = Enumerable.Range(0, 100).Select(i => $"f{i}").ToArray();
        var coarse = Enumerable.Range(0, 20).Select(i => $"c{i}").ToArray();

        var f = CifarBinaryReader.Read([path], DatasetFormat.Cifar100Binary, fine, Prov);
        var c = CifarBinaryReader.Read([path], DatasetFormat.Cifar100Binary, coarse, Prov, CifarLabelKind.Coarse);

        Assert.Equal(new long[] { 50, 51, 52, 53 }, f.Labels.ToArray());
        Assert.Equal(new long[] { 19, 18, 17, 16 }, c.Labels.ToArray());
        Assert.Equal(2, f.GetImage(2)[0]);
    }

    [Fact]
    public void LoaderReadsCifar100ThroughItsManifestAndSaysOnlySizesWereChecked()
    {
        using var tmp = new TempFolder();
        var bytes = SyntheticFiles.Cifar(3, true, i => ((byte)(i + 1), (byte)(97 + i)));
        File.WriteAllBytes(tmp.File("train.bin"), bytes);
        var official = DatasetManifestLoader.LoadBuiltIn("cifar-100");
        // The official manifest scaled down to 3 records: same layout, sizes to match the synthetic file.
        var m = official with
        {
            Splits = [new ManifestSplit { Name = "train", Examples = 3 }],
            Files = [official.FilesOf("train").Single() with { Size = bytes.Length }],
        };

        var fine = DatasetLoader.Load(m, "train", tmp.Path);
        var coarse = DatasetLoader.Load(m, "train", tmp.Path, new DatasetLoadOptions { CifarLabel = CifarLabelKind.Coarse });

        Assert.Equal(new long[] { 97, 98, 99 }, fine.Labels.ToArray());
        Assert.Equal("wolf", fine.ClassNames[97]);
        Assert.Equal(new long[] { 1, 2, 3 }, coarse.Labels.ToArray());
        Assert.Equal(20, coarse.ClassNames.Count);
        Assert.Equal("1 files: sizes only verified (the manifest records no sha256)", fine.Provenance.Verification);
        Assert.EndsWith("; coarse (superclass) labels", coarse.Provenance.Describe());
    }

    [Fact]
    public void LengthNotAMultipleOfTheRecordIsRejected()
    {
        using var tmp = new TempFolder();
        var path = tmp.File("cut.bin");
        File.WriteAllBytes(path, SyntheticFiles.Cifar(3, false, _ => (0, 1))[..(2 * 3073 + 100)]);

        var e = Assert.Throws<InvalidDataException>(() =>
            CifarBinaryReader.Read([path], DatasetFormat.Cifar10Binary, Ten, Prov));

        Assert.Equal(
            $"{path}: length 6246 is not a positive multiple of the 3073-byte Cifar10Binary record (2 whole records and 100 bytes left over): truncated or not Cifar10Binary.",
            e.Message);
    }

    [Fact]
    public void Cifar100FileReadAsCifar10IsCaughtByLength()
    {
        using var tmp = new TempFolder();
        var path = tmp.File("c100.bin");
        File.WriteAllBytes(path, SyntheticFiles.Cifar(5, true, _ => (1, 2)));

        var e = Assert.Throws<InvalidDataException>(() =>
            CifarBinaryReader.Read([path], DatasetFormat.Cifar10Binary, Ten, Prov));

        Assert.Contains("not a positive multiple of the 3073-byte", e.Message);
    }

    [Fact]
    public void LabelOutOfRangeIsRejected()
    {
        using var tmp = new TempFolder();
        var path = tmp.File("bad-label.bin");
        File.WriteAllBytes(path, SyntheticFiles.Cifar(2, false, i => (0, (byte)(i == 1 ? 10 : 0))));

        var e = Assert.Throws<InvalidDataException>(() =>
            CifarBinaryReader.Read([path], DatasetFormat.Cifar10Binary, Ten, Prov));

        Assert.Equal($"{path}: record 1 has label 10; there are 10 classes. Wrong format (Cifar10Binary) for this file?", e.Message);
    }
}
