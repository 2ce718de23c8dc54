using System.Buffers.Binary;
using System.Text.Json;

namespace Msun.Analysis.Torch.Weights;

/// <summary>
/// Checks a safetensors header before any tensor is read: the length prefix fits the file, the header is a
/// JSON object, every entry has a known dtype, a non-negative shape and data offsets that lie inside the
/// data section and match the shape's byte count. Errors name the file and the key.
/// </summary>
internal static class SafetensorsHeader
{
    private static readonly Dictionary<string, int> ElementSizes = new(StringComparer.Ordinal)
    {
        ["F64"] = 8, ["F32"] = 4, ["F16"] = 2, ["BF16"] = 2, ["I64"] = 8, ["I32"] = 4, ["I16"] = 2, ["I8"] = 1, ["U8"] = 1, ["BOOL"] = 1,
    };

    /// <summary>Validates the header of <paramref name="stream"/> (left at position 0) and returns each key's shape.</summary>
    public static Dictionary<string, long[]> Validate(Stream stream, string source)
    {
        long fileLength = stream.Length;
        stream.Position = 0;
        Span<byte> prefix = stackalloc byte[8];
        if (fileLength < 8 || stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false) < 8)
            throw new WeightFormatException($"{source}: {fileLength} bytes is too short for a safetensors file (8-byte header length first).");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > (ulong)(fileLength - 8) || headerLength > int.MaxValue)
            throw new WeightFormatException($"{source}: the safetensors header claims {headerLength} bytes but the file has {fileLength - 8} after the length prefix.");
        var header = new byte[(int)headerLength];
        stream.ReadExactly(header);
        long dataLength = fileLength - 8 - (long)headerLength;
        stream.Position = 0;

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw new WeightFormatException($"{source}: the safetensors header is not valid JSON ({e.Message}).", e);
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new WeightFormatException($"{source}: the safetensors header is a JSON {doc.RootElement.ValueKind}, not an object.");
            var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
            foreach (var entry in doc.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__") continue;
                shapes.Add(entry.Name, Entry(entry, dataLength, source));
            }

            return shapes;
        }
    }

    private static long[] Entry(JsonProperty entry, long dataLength, string source)
    {
        string where = $"{source}: tensor '{entry.Name}'";
        var e = entry.Value;
        if (e.ValueKind != JsonValueKind.Object
            || !e.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String
            || !e.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array
            || !e.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            throw new WeightFormatException($"{where} needs \"dtype\" (string), \"shape\" (array) and \"data_offsets\" ([begin, end]).");
        if (!ElementSizes.TryGetValue(dtype.GetString()!, out int size))
            throw new WeightFormatException($"{where} has dtype '{dtype.GetString()}'; readable: {string.Join(", ", ElementSizes.Keys)}.");
        var dims = new long[shape.GetArrayLength()];
        long count = 1;
        int i = 0;
        foreach (var d in shape.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out dims[i]) || dims[i] < 0)
                throw new WeightFormatException($"{where} has shape {shape.GetRawText()}; every extent must be a non-negative integer.");
            count = checked(count * dims[i++]);
        }

        var o = offsets.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.Number && x.TryGetInt64(out long v) ? v : -1).ToArray();
        if (o[0] < 0 || o[1] < o[0] || o[1] > dataLength)
            throw new WeightFormatException($"{where} has data_offsets {offsets.GetRawText()} outside the {dataLength}-byte data section.");
        if (o[1] - o[0] != count * size)
            throw new WeightFormatException(
                $"{where} ({dtype.GetString()}, shape {shape.GetRawText()}) needs {count * size} bytes but data_offsets {offsets.GetRawText()} span {o[1] - o[0]}.");
        return dims;
    }
}
