using System.Numerics;
using Msun.Analysis.Core.Numpy;

namespace Msun.Analysis.Core.Tests.Numpy;

public sealed class PyLiteralParserTests
{
    [Theory]
    [InlineData("'a\\'b'", "a'b")]
    [InlineData("\"a\\\"b\"", "a\"b")]
    [InlineData("\"it's\"", "it's")]
    [InlineData("'\\x41\\u00e9\\\\'", "Aé\\")]
    [InlineData("''", "")]
    public void Strings(string literal, string expected) => Assert.Equal(expected, PyLiteralParser.Parse(literal));

    [Fact]
    public void Tuples()
    {
        Assert.Empty(Assert.IsType<PyTuple>(PyLiteralParser.Parse("()")).Items);
        Assert.Equal([new BigInteger(5)], Assert.IsType<PyTuple>(PyLiteralParser.Parse("(5,)")).Items);
        Assert.Equal(new BigInteger(5), PyLiteralParser.Parse("(5)"));
        Assert.Equal([new BigInteger(-3), BigInteger.Parse("123456789012345678901234567890")],
            Assert.IsType<PyTuple>(PyLiteralParser.Parse("(-3, 123456789012345678901234567890)")).Items);
    }

    [Fact]
    public void DictOfMixedValues()
    {
        var dict = Assert.IsType<Dictionary<string, object?>>(PyLiteralParser.Parse("{'a': True, \"b\": None, 'c': [1.5, False], 'd': {}}"));
        Assert.Equal(true, dict["a"]);
        Assert.Null(dict["b"]);
        Assert.Equal([1.5, false], Assert.IsType<PyList>(dict["c"]).Items);
        Assert.Empty(Assert.IsType<Dictionary<string, object?>>(dict["d"]));
    }

    [Theory]
    [InlineData("{'a' 1}", "expected ':'")]
    [InlineData("{'a': 1 'b': 2}", "expected ','")]
    [InlineData("(1, 2", "unexpected end of header")]
    [InlineData("true", "unknown name 'true'")]
    [InlineData("'\\q'", "unsupported escape")]
    [InlineData("{'a': 1}}", "unexpected text after the literal")]
    [InlineData("((((((((((((((((((((((((((((((((((((((((1))))))))))))))))))))))))))))))))))))))))", "nested too deeply")]
    [InlineData("1.2.3", "bad number")]
    public void Errors(string literal, string fragment)
    {
        var e = Assert.Throws<NpyHeaderException>(() => PyLiteralParser.Parse(literal));
        Assert.Contains(fragment, e.Message);
        Assert.Contains("at position", e.Message);
    }
}
