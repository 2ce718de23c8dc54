using System.Buffers.Binary;
using Msun.Analysis.Core.Numpy;
using static Msun.Analysis.Core.Tests.Numpy.NpyTestUtil;

namespace Msun.Analysis.Core.Tests.Numpy;

/// <summary>
/// Arrays of 4 MiB and more are read into unzeroed, huge-page-advised memory: every element must still come from the
/// file, and a short file must fail rather than hand back what the memory held before.
/// </summary>
public sealed class NpyLargeArrayTests
{
    private const int Count = 1_500_007; // 12 MB of float64, 6 MB of float32: past the 4 MiB threshold, not a page multiple

    [Fact]
    public void EveryElementOfALargeLittleEndianFloat64ArrayComesFromTheFile()
    {
        var data = new byte[Count * 8];
        for (int i = 0; i < Count; i++) BinaryPrimitives.WriteDoubleLittleEndian(data.AsSpan(i * 8), 1.0 + i * 0.5);
        var array = Npy.Read(new MemoryStream(Build(1, Dict("<f8", $"({Count},)"), data)), "large.npy");
        var values = (double[])array.Data;
        Assert.Equal(Count, values.Length);
        for (int i = 0; i < Count; i++)
            if (values[i] != 1.0 + i * 0.5) Assert.Fail($"element {i} is {values[i]}, the file holds {1.0 + i * 0.5}");
    }

    [Fact]
    public void EveryElementOfALargeBigEndianFloat32ArrayComesFromTheFile()
    {
        var data = new byte[Count * 4];
        for (int i = 0; i < Count; i++) BinaryPrimitives.WriteSingleBigEndian(data.AsSpan(i * 4), -2.0f - (i % 4096));
        var values = (float[])Npy.Read(new MemoryStream(Build(1, Dict(">f4", $"({Count},)"), data)), "large.npy").Data;
        Assert.Equal(Count, values.Length);
        for (int i = 0; i < Count; i++)
            if (values[i] != -2.0f - (i % 4096)) Assert.Fail($"element {i} is {values[i]}, the file holds {-2.0f - (i % 4096)}");
    }

    [Fact]
    public void ALargeArrayCutShortFailsWithTheSizes()
    {
        var bytes = Build(1, Dict("<f8", $"({Count},)"), new byte[Count * 8 - 4096]);
        var e = Assert.Throws<NpyFormatException>(() => Npy.Read(new MemoryStream(bytes), "short.npy"));
        Assert.Contains("truncated data", e.Message);
        Assert.Contains($"needs {Count * 8} bytes", e.Message);
    }
}
