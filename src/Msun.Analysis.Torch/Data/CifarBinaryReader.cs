namespace Msun.Analysis.Torch.Data;

/// <summary>Which label of a CIFAR-100 record becomes the dataset's label.</summary>
public enum CifarLabelKind
{
    /// <summary>The 100 fine classes (the usual CIFAR-100 task; CIFAR-10's only label).</summary>
    Fine,

    /// <summary>CIFAR-100's 20 superclasses.</summary>
    Coarse,
}

/// <summary>
/// Reader for the CIFAR binary version: fixed-size records of label byte(s) followed by 3072 pixel bytes
/// (1024 red, 1024 green, 1024 blue, each 32 rows of 32), which is already C×H×W order.
/// </summary>
/// <remarks>
/// CIFAR-10 records have 1 label byte (3073 bytes); CIFAR-100 records have a coarse then a fine label
/// byte (3074 bytes). A file whose length is not a whole number of records is rejected, never read short.
/// </remarks>
public static class CifarBinaryReader
{
    /// <summary>Pixel bytes per record: 3×32×32.</summary>
    public const int PixelBytes = 3 * 32 * 32;

    /// <summary>CIFAR-10 record: 1 label byte + pixels.</summary>
    public const int Cifar10RecordSize = 1 + PixelBytes;

    /// <summary>CIFAR-100 record: coarse + fine label bytes + pixels.</summary>
    public const int Cifar100RecordSize = 2 + PixelBytes;

    /// <summary>
    /// Reads and concatenates CIFAR binary files, in the order given, into one dataset; files are opened
    /// read-only. Labels outside the class list are errors naming the file and record.
    /// </summary>
    /// <param name="paths">Record files, e.g. data_batch_1..5.bin.</param>
    /// <param name="format"><see cref="DatasetFormat.Cifar10Binary"/> or <see cref="DatasetFormat.Cifar100Binary"/>.</param>
    /// <param name="classNames">Names of the labels that will be kept (fine, or coarse for <see cref="CifarLabelKind.Coarse"/>).</param>
    /// <param name="provenance">Provenance recorded on the result.</param>
    /// <param name="labelKind">For CIFAR-100, which label to keep; must be <see cref="CifarLabelKind.Fine"/> for CIFAR-10.</param>
    public static ImageDataset Read(
        IReadOnlyList<string> paths, DatasetFormat format, IReadOnlyList<string> classNames,
        DatasetProvenance provenance, CifarLabelKind labelKind = CifarLabelKind.Fine)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentNullException.ThrowIfNull(provenance);
        if (paths.Count == 0)
            throw new ArgumentException("paths is empty.", nameof(paths));
        var recordSize = format switch
        {
            DatasetFormat.Cifar10Binary => Cifar10RecordSize,
            DatasetFormat.Cifar100Binary => Cifar100RecordSize,
            _ => throw new ArgumentException($"format {format} is not a CIFAR binary format.", nameof(format)),
        };
        if (format == DatasetFormat.Cifar10Binary && labelKind != CifarLabelKind.Fine)
            throw new ArgumentException("CIFAR-10 has one label; labelKind must be Fine.", nameof(labelKind));

        var lengths = new long[paths.Count];
        long records = 0;
        for (var f = 0; f < paths.Count; f++)
        {
            var info = new FileInfo(paths[f]);
            if (!info.Exists)
                throw new FileNotFoundException($"CIFAR file '{paths[f]}' does not exist.", paths[f]);
            lengths[f] = info.Length;
            if (info.Length == 0 || info.Length % recordSize != 0)
                throw new InvalidDataException(
                    $"{paths[f]}: length {info.Length} is not a positive multiple of the {recordSize}-byte {format} record "
                    + $"({info.Length / recordSize} whole records and {info.Length % recordSize} bytes left over): truncated or not {format}.");
            records += info.Length / recordSize;
        }

        if (records * PixelBytes > Array.MaxLength)
            throw new InvalidDataException($"{records} CIFAR records do not fit one in-memory array.");

        var pixels = new byte[records * PixelBytes];
        var labels = new long[records];
        var record = new byte[recordSize];
        long n = 0;
        for (var f = 0; f < paths.Count; f++)
        {
            using var file = new FileStream(paths[f], FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 20);
            var inFile = lengths[f] / recordSize;
            for (long r = 0; r < inFile; r++, n++)
            {
                var got = file.ReadAtLeast(record, recordSize, throwOnEndOfStream: false);
                if (got < recordSize)
                    throw new InvalidDataException($"{paths[f]}: record {r} is truncated ({got} of {recordSize} bytes); the file changed while being read.");
                var label = recordSize == Cifar10RecordSize ? record[0] : labelKind == CifarLabelKind.Coarse ? record[0] : record[1];
                if (recordSize == Cifar100RecordSize && record[0] >= 20)
                    throw new InvalidDataException($"{paths[f]}: record {r} has coarse label {record[0]}; CIFAR-100 has 20 superclasses.");
                if (label >= classNames.Count)
                    throw new InvalidDataException(
                        $"{paths[f]}: record {r} has label {label}; there are {classNames.Count} classes. Wrong format ({format}) for this file?");
                labels[n] = label;
                record.AsSpan(recordSize - PixelBytes).CopyTo(pixels.AsSpan((int)(n * PixelBytes), PixelBytes));
            }
        }

        return ImageDataset.FromOwnedArrays(pixels, labels, 3, 32, 32, classNames, provenance);
    }
}
