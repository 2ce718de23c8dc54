using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Tests.Weights;

/// <summary>
/// Writes a safetensors file without any library: 8-byte little-endian header length, a JSON header
/// {name: {dtype, shape, data_offsets}} padded with spaces to a multiple of 8, then the raw little-endian bytes.
/// </summary>
internal static class HandWrittenSafetensors
{
    public static void Write(string path, IEnumerable<(string Key, Tensor Tensor)> tensors)
    {
        var blobs = new List<(string Key, string DType, long[] Shape, byte[] Bytes)>();
        foreach (var (key, t) in tensors)
        {
            using var c = t.detach().cpu().contiguous();
            var (dtype, bytes) = c.dtype switch
            {
                ScalarType.Float32 => ("F32", MemoryMarshal.AsBytes(c.data<float>().ToArray().AsSpan()).ToArray()),
                ScalarType.Float64 => ("F64", MemoryMarshal.AsBytes(c.data<double>().ToArray().AsSpan()).ToArray()),
                ScalarType.Int64 => ("I64", MemoryMarshal.AsBytes(c.data<long>().ToArray().AsSpan()).ToArray()),
                _ => throw new NotSupportedException(c.dtype.ToString()),
            };
            blobs.Add((key, dtype, c.shape, bytes));
        }

        using var json = new MemoryStream();
        using (var w = new Utf8JsonWriter(json))
        {
            w.WriteStartObject();
            w.WriteStartObject("__metadata__");
            w.WriteString("format", "pt");
            w.WriteEndObject();
            long offset = 0;
            foreach (var (key, dtype, shape, bytes) in blobs)
            {
                w.WriteStartObject(key);
                w.WriteString("dtype", dtype);
                w.WriteStartArray("shape");
                foreach (var d in shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + bytes.Length);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += bytes.Length;
            }

            w.WriteEndObject();
        }

        var header = json.ToArray().ToList();
        while (header.Count % 8 != 0) header.Add((byte)' ');
        using var file = File.Create(path);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Count);
        file.Write(length);
        file.Write(header.ToArray());
        foreach (var blob in blobs) file.Write(blob.Bytes);
    }

    public static void Write(string path, Dictionary<string, Tensor> stateDict) =>
        Write(path, stateDict.Select(p => (p.Key, p.Value)));
}
