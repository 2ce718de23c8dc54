using System.Text;
using Msun.Analysis.Core.Numpy;
using static Msun.Analysis.Core.Tests.Numpy.NpyTestUtil;

namespace Msun.Analysis.Core.Tests.Numpy;

public sealed class NpyErrorTests
{
    private const string Source = "activations/layer3.npy";

    private static readonly Dictionary<string, (byte[] Bytes, string[] Fragments)> Cases = new()
    {
        ["empty"] = ([], ["file is empty"]),
        ["bad-magic"] = (Encoding.ASCII.GetBytes("hello world, not numpy"), ["bad magic", "expected \"\\x93NUMPY\""]),
        ["zip-instead-of-npy"] = ([0x50, 0x4B, 0x03, 0x04, 0x14, 0, 0, 0, 0, 0, 0, 0], ["bad magic", "\\x93NUMPY", "ReadNpz"]),
        ["magic-only-partly"] = ([0x93, (byte)'N', (byte)'U'], ["truncated header", "3 bytes"]),
        ["preamble-truncated"] = ([.. Magic, 1, 0], ["truncated header", "8 bytes"]),
        ["v2-preamble-truncated"] = ([.. Magic, 2, 0, 0x76, 0], ["truncated header", "format 2.0"]),
        ["version-4.0"] = ([.. Magic, 4, 0, 0x76, 0, 0, 0], ["unsupported format version 4.0"]),
        ["version-1.1"] = ([.. Magic, 1, 1, 0x76, 0], ["unsupported format version 1.1"]),
        ["version-0.0"] = ([.. Magic, 0, 0, 0x76, 0], ["unsupported format version 0.0"]),
        ["header-truncated"] = ([.. Magic, 1, 0, 118, 0, .. Encoding.ASCII.GetBytes("{'descr': '<f8', 'f")], ["truncated header", "118 bytes", "only 19 present"]),
        ["header-length-huge"] = ([.. Magic, 2, 0, 0xFF, 0xFF, 0xFF, 0xFF, (byte)'{'], ["header length 4294967295", "implausibly large"]),
        ["data-truncated"] = (Build(1, Dict("<f8", "(5, 3)"), new byte[64]), ["truncated data", "(5, 3)", "needs 120 bytes", "only 64 present"]),
        ["data-missing"] = (Build(1, Dict("<i4", "(2,)"), []), ["truncated data", "needs 8 bytes", "only 0 present"]),
        ["negative-dimension"] = (Build(1, Dict("<f8", "(-1, 3)"), []), ["negative dimension -1"]),
        ["dimension-overflow"] = (Build(1, Dict("<f8", "(3000000000,)"), []), ["3000000000", "overflows"]),
        ["product-overflow"] = (Build(1, Dict("<f8", "(100000, 100000, 100000)"), []), ["1000000000000000", "overflows"]),
        ["garbage-header"] = (Build(1, "hello there\n", []), ["not parseable", "unknown name 'hello'"]),
        ["binary-garbage-header"] = (Build(1, "\u0001\u0002{\n", []), ["not parseable", "unexpected character"]),
        ["blank-header"] = (Build(1, "      \n", []), ["not parseable", "header is empty"]),
        ["unterminated-string"] = (Build(1, "{'descr': '<f8}\n", []), ["not parseable", "unterminated string at position 10"]),
        ["unclosed-dict"] = (Build(1, "{'descr': '<f8', 'fortran_order': False\n", []), ["not parseable", "unexpected end of header"]),
        ["text-after-dict"] = (Build(1, Dict("<f8", "(1,)").TrimEnd() + " xyz\n", LittleEndianDoubles(1)), ["not parseable", "unexpected text after"]),
        ["non-string-key"] = (Build(1, "{1: 2}\n", []), ["not parseable", "keys must be strings"]),
        ["duplicate-key"] = (Build(1, "{'descr': '<f8', 'descr': '<f4', 'fortran_order': False, 'shape': ()}\n", []), ["duplicate key 'descr'"]),
        ["not-a-dict"] = (Build(1, "[1, 2]\n", []), ["must be a dict", "a list of 2 items"]),
        ["missing-descr"] = (Build(1, "{'fortran_order': False, 'shape': (1,), }\n", []), ["missing key 'descr'"]),
        ["missing-fortran_order"] = (Build(1, "{'descr': '<f8', 'shape': (1,), }\n", []), ["missing key 'fortran_order'"]),
        ["missing-shape"] = (Build(1, "{'descr': '<f8', 'fortran_order': False, }\n", []), ["missing key 'shape'"]),
        ["fortran_order-not-bool"] = (Build(1, "{'descr': '<f8', 'fortran_order': 1, 'shape': (1,), }\n", []), ["'fortran_order' must be True or False", "integer 1"]),
        ["shape-is-list"] = (Build(1, "{'descr': '<f8', 'fortran_order': False, 'shape': [1], }\n", []), ["'shape' must be a tuple", "a list"]),
        ["shape-is-int"] = (Build(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (5), }\n", []), ["'shape' must be a tuple", "integer 5"]),
        ["shape-has-float"] = (Build(1, Dict("<f8", "(2.0,)"), []), ["'shape' must be a tuple of integers", "float 2"]),
        ["descr-not-string"] = (Build(1, "{'descr': 8, 'fortran_order': False, 'shape': (1,), }\n", []), ["'descr' must be a dtype string"]),
        ["object-dtype"] = (Build(1, Dict("|O", "(2,)"), new byte[16]), ["'|O'", "pickled object arrays are not supported"]),
        ["structured-dtype"] = (Build(1, "{'descr': [('a', '<i4'), ('b', '<f8')], 'fortran_order': False, 'shape': (2,), }\n", []), ["structured dtypes", "not supported"]),
        ["unicode-dtype"] = (Build(1, Dict("<U5", "(2,)"), []), ["'<U5'", "unicode string"]),
        ["bytes-dtype"] = (Build(1, Dict("|S3", "(2,)"), []), ["'|S3'", "byte string"]),
        ["complex-dtype"] = (Build(1, Dict("<c16", "(2,)"), []), ["'<c16'", "complex"]),
        ["half-dtype"] = (Build(1, Dict("<f2", "(2,)"), []), ["'<f2'", "float16"]),
        ["datetime-dtype"] = (Build(1, Dict("<M8[ns]", "(2,)"), []), ["'<M8[ns]'", "datetime"]),
        ["float128-dtype"] = (Build(1, Dict("<f16", "(2,)"), []), ["'<f16'", "unsupported dtype"]),
        ["pipe-on-multibyte"] = (Build(1, Dict("|f8", "(2,)"), []), ["'|f8'", "no byte order"]),
        ["v3-invalid-utf8"] = (Build(3, "{'descr': '<f8', 'x': '\u00ff', 'fortran_order': False, 'shape': (), }\n", new byte[8]), ["not valid UTF-8"]),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void StreamErrorNamesSourceAndProblem(string name)
    {
        var (bytes, fragments) = Cases[name];
        var e = Assert.Throws<NpyFormatException>(() => Npy.Read(new MemoryStream(bytes), Source));
        Assert.StartsWith(Source + ": ", e.Message);
        Assert.Equal(Source, e.Source);
        Assert.Null(e.Member);
        foreach (string fragment in fragments)
        {
            Assert.Contains(fragment, e.Message);
        }
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void NonSeekableStreamGivesTheSameError(string name)
    {
        var (bytes, _) = Cases[name];
        var seekable = Assert.Throws<NpyFormatException>(() => Npy.Read(new MemoryStream(bytes), Source));
        var forward = Assert.Throws<NpyFormatException>(() => Npy.Read(new ProbeStream(new MemoryStream(bytes), seekable: false), Source));
        Assert.Equal(seekable.Message, forward.Message);
    }

    [Theory]
    [InlineData("empty")]
    [InlineData("bad-magic")]
    [InlineData("header-truncated")]
    [InlineData("data-truncated")]
    [InlineData("object-dtype")]
    public void FileErrorNamesThePath(string name)
    {
        using var dir = new TempDirectory();
        string path = dir.File(name + ".npy");
        File.WriteAllBytes(path, Cases[name].Bytes);
        var e = Assert.Throws<NpyFormatException>(() => Npy.Read(path));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Equal(path, e.Source);
        Assert.Contains(Cases[name].Fragments[0], e.Message);
    }

    [Fact]
    public void MissingFileThrowsFileNotFoundWithThePath()
    {
        using var dir = new TempDirectory();
        string path = dir.File("nope.npy");
        var e = Assert.Throws<FileNotFoundException>(() => Npy.Read(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void ProblemIsAvailableWithoutThePrefix()
    {
        var e = Assert.Throws<NpyFormatException>(() => Npy.Read(new MemoryStream([]), "s"));
        Assert.StartsWith("file is empty", e.Problem);
        Assert.Equal("s: " + e.Problem, e.Message);
    }

    [Fact]
    public void NullArgumentsAreRejected()
    {
        Assert.Throws<ArgumentNullException>(() => Npy.Read((Stream)null!, "s"));
        Assert.Throws<ArgumentNullException>(() => Npy.Read(new MemoryStream(), null!));
        Assert.ThrowsAny<ArgumentException>(() => Npy.Read(""));
        Assert.Throws<ArgumentNullException>(() => Npy.Write(new MemoryStream(), null!));
    }
}
