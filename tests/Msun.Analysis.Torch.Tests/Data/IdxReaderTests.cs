using Msun.Analysis.Torch.Data;

namespace Msun.Analysis.Torch.Tests.Data;

public class IdxReaderTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void GoodImagesFileReadsBack(bool gzip)
    {
        using var tmp = new TempFolder();
        var payload = SyntheticFiles.ImagePayload(3, 4, 5);
        var bytes = SyntheticFiles.Idx(0x08, [3, 4, 5], payload);
        var path = tmp.File(gzip ? "img.gz" : "img");
        File.WriteAllBytes(path, gzip ? SyntheticFiles.Gzip(bytes) : bytes);

        var idx = IdxReader.ReadImages(path);

        Assert.Equal([3, 4, 5], idx.Dimensions);
        Assert.Equal(payload, idx.Data.ToArray());
    }

    [Fact]
    public void GoodLabelsFileReadsBack()
    {
        using var tmp = new TempFolder();
        var path = tmp.File("labels.gz");
        File.WriteAllBytes(path, SyntheticFiles.Gzip(SyntheticFiles.Idx(0x08, [4], [9, 0, 3, 1])));

        var idx = IdxReader.ReadLabels(path);

        Assert.Equal([4], idx.Dimensions);
        Assert.Equal(new byte[] { 9, 0, 3, 1 }, idx.Data.ToArray());
    }

    [Fact]
    public void NonSeekableStreamIsRead()
    {
        var bytes = SyntheticFiles.Gzip(SyntheticFiles.Idx(0x08, [2], [5, 6]));
        using var stream = new ForwardOnlyStream(bytes);
        var idx = IdxReader.Read(stream, 1, "pipe");
        Assert.Equal(new byte[] { 5, 6 }, idx.Data.ToArray());
    }

    [Fact]
    public void WrongMagicIsRejected()
    {
        using var tmp = new TempFolder();
        var path = tmp.File("bad-magic");
        File.WriteAllBytes(path, SyntheticFiles.Idx(0x08, [2, 2, 2], new byte[8], zero0: 0x12, zero1: 0x34));

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.Equal($"{path}: not an IDX file: magic number 0x12340803, expected 0x00000803.", e.Message);
    }

    [Fact]
    public void WrongRankIsRejected()
    {
        using var tmp = new TempFolder();
        var path = tmp.File("labels-as-images");
        File.WriteAllBytes(path, SyntheticFiles.Idx(0x08, [4], new byte[4]));

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.Equal($"{path}: IDX file has 1 dimension(s) (magic 0x00000801); expected 3 (magic 0x00000803).", e.Message);
    }

    [Fact]
    public void WrongDataTypeIsRejected()
    {
        using var tmp = new TempFolder();
        var path = tmp.File("float.gz");
        File.WriteAllBytes(path, SyntheticFiles.Gzip(SyntheticFiles.Idx(0x0D, [2, 2, 2], new byte[32])));

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.Equal(
            $"{path}: IDX data type 0x0D (float32) is not supported; expected 0x08 (unsigned byte), magic 0x00000803.",
            e.Message);
    }

    [Fact]
    public void PayloadShorterThanDimensionsIsTruncation()
    {
        using var tmp = new TempFolder();
        var path = tmp.File("short");
        File.WriteAllBytes(path, SyntheticFiles.Idx(0x08, [3, 4, 5], new byte[59]));

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.Equal($"{path}: truncated: dimensions 3×4×5 need 60 payload bytes, the file holds 59.", e.Message);
    }

    [Fact]
    public void PayloadLongerThanDimensionsIsRejected()
    {
        using var tmp = new TempFolder();
        var path = tmp.File("long.gz");
        File.WriteAllBytes(path, SyntheticFiles.Gzip(SyntheticFiles.Idx(0x08, [3], new byte[5])));

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(path));

        Assert.Equal($"{path}: dimensions 3 need 3 payload bytes, the decompressed data holds 5 (2 extra).", e.Message);
    }

    [Fact]
    public void TruncatedGzipIsAnErrorNotAShortDataset()
    {
        using var tmp = new TempFolder();
        var path = tmp.File("cut.gz");
        var full = SyntheticFiles.Gzip(SyntheticFiles.Idx(0x08, [20, 28, 28], SyntheticFiles.ImagePayload(20, 28, 28)));
        File.WriteAllBytes(path, full[..(full.Length / 2)]);

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        // Either the decompressor notices the cut, or the payload comes up short: both name the file.
        Assert.StartsWith($"{path}: ", e.Message);
        Assert.True(
            e.Message.Contains("truncated: dimensions 20×28×28 need 15680 payload bytes, the decompressed data holds", StringComparison.Ordinal)
            || e.Message.Contains("corrupt gzip data", StringComparison.Ordinal),
            e.Message);
    }

    [Fact]
    public void TruncatedHeaderIsRejected()
    {
        using var tmp = new TempFolder();
        var path = tmp.File("header-cut");
        File.WriteAllBytes(path, SyntheticFiles.Idx(0x08, [3, 4, 5], [])[..10]);

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.Equal($"{path}: truncated IDX header: 3 dimension sizes need 12 bytes, found 6.", e.Message);
    }

    [Fact]
    public void ZeroDimensionIsRejected()
    {
        using var tmp = new TempFolder();
        var path = tmp.File("zero");
        File.WriteAllBytes(path, SyntheticFiles.Idx(0x08, [0], []));

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(path));

        Assert.Equal($"{path}: IDX dimension 0 is 0; sizes must be positive.", e.Message);
    }

    [Fact]
    public void ReaderDoesNotModifyTheFile()
    {
        using var tmp = new TempFolder();
        var path = tmp.File("ro.gz");
        var bytes = SyntheticFiles.Gzip(SyntheticFiles.Idx(0x08, [2], [1, 2]));
        File.WriteAllBytes(path, bytes);
        File.SetAttributes(path, FileAttributes.ReadOnly);
        var before = File.GetLastWriteTimeUtc(path);

        _ = IdxReader.ReadLabels(path);

        Assert.Equal(bytes, File.ReadAllBytes(path));
        Assert.Equal(before, File.GetLastWriteTimeUtc(path));
        File.SetAttributes(path, FileAttributes.Normal);
    }

    private sealed class ForwardOnlyStream(byte[] data) : Stream
    {
        private readonly MemoryStream _inner = new(data);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
