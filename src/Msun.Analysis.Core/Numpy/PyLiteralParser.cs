using System.Globalization;
using System.Numerics;
using System.Text;

namespace Msun.Analysis.Core.Numpy;

/// <summary>A Python tuple literal, e.g. a .npy shape.</summary>
internal sealed record PyTuple(IReadOnlyList<object?> Items);

/// <summary>A Python list literal, e.g. a structured dtype descr.</summary>
internal sealed record PyList(IReadOnlyList<object?> Items);

/// <summary>A problem found while decoding a header; the reader adds the source name.</summary>
internal sealed class NpyHeaderException(string message) : Exception(message);

/// <summary>
/// Parses the small subset of Python literal syntax that .npy headers use: dicts, tuples, lists,
/// strings, integers (BigInteger, so overflow is detected later), floats, True/False/None.
/// </summary>
internal sealed class PyLiteralParser
{
    private const int MaxDepth = 32;
    private readonly string _text;
    private int _pos;

    private PyLiteralParser(string text) => _text = text;

    /// <summary>Parses one literal spanning the whole text (surrounding whitespace allowed).</summary>
    public static object? Parse(string text)
    {
        var parser = new PyLiteralParser(text);
        parser.SkipWhitespace();
        if (parser.AtEnd)
        {
            throw new NpyHeaderException("header is empty");
        }

        object? value = parser.ParseValue(0);
        parser.SkipWhitespace();
        if (!parser.AtEnd)
        {
            throw parser.Error("unexpected text after the literal");
        }

        return value;
    }

    private bool AtEnd => _pos >= _text.Length;

    private object? ParseValue(int depth)
    {
        if (depth > MaxDepth)
        {
            throw Error("literal nested too deeply");
        }

        SkipWhitespace();
        if (AtEnd)
        {
            throw Error("unexpected end of header");
        }

        char c = _text[_pos];
        switch (c)
        {
            case '{': return ParseDict(depth);
            case '(': return ParseTupleOrParenthesized(depth);
            case '[':
                _pos++;
                return new PyList(ParseItems(']', depth));
            case '\'' or '"': return ParseString();
        }

        if (c is '-' or '+' or '.' || char.IsAsciiDigit(c))
        {
            return ParseNumber();
        }

        if (char.IsAsciiLetter(c) || c == '_')
        {
            int start = _pos;
            while (!AtEnd && (char.IsAsciiLetterOrDigit(_text[_pos]) || _text[_pos] == '_'))
            {
                _pos++;
            }

            string word = _text[start.._pos];
            return word switch
            {
                "True" => true,
                "False" => false,
                "None" => null,
                _ => throw Error($"unknown name '{word}'", start),
            };
        }

        throw Error($"unexpected character '{c}'");
    }

    private Dictionary<string, object?> ParseDict(int depth)
    {
        _pos++; // '{'
        var dict = new Dictionary<string, object?>(StringComparer.Ordinal);
        while (true)
        {
            SkipWhitespace();
            if (TryConsume('}'))
            {
                return dict;
            }

            int keyPos = _pos;
            if (ParseValue(depth + 1) is not string key)
            {
                throw Error("dict keys must be strings", keyPos);
            }

            SkipWhitespace();
            Expect(':');
            object? value = ParseValue(depth + 1);
            if (!dict.TryAdd(key, value))
            {
                throw Error($"duplicate key '{key}'", keyPos);
            }

            SkipWhitespace();
            if (TryConsume('}'))
            {
                return dict;
            }

            Expect(',');
        }
    }

    private object? ParseTupleOrParenthesized(int depth)
    {
        _pos++; // '('
        SkipWhitespace();
        if (TryConsume(')'))
        {
            return new PyTuple([]);
        }

        // Python: "(5)" is just 5, "(5,)" is a one-element tuple.
        object? first = ParseValue(depth + 1);
        SkipWhitespace();
        if (TryConsume(')'))
        {
            return first;
        }

        Expect(',');
        var rest = ParseItems(')', depth);
        var items = new List<object?>(rest.Count + 1) { first };
        items.AddRange(rest);
        return new PyTuple(items);
    }

    /// <summary>Comma-separated values up to <paramref name="close"/>; a trailing comma is allowed.</summary>
    private List<object?> ParseItems(char close, int depth)
    {
        var items = new List<object?>();
        while (true)
        {
            SkipWhitespace();
            if (TryConsume(close))
            {
                return items;
            }

            items.Add(ParseValue(depth + 1));
            SkipWhitespace();
            if (TryConsume(close))
            {
                return items;
            }

            Expect(',');
        }
    }

    private string ParseString()
    {
        int start = _pos;
        char quote = _text[_pos++];
        var sb = new StringBuilder();
        while (true)
        {
            if (AtEnd || _text[_pos] == '\n')
            {
                throw Error("unterminated string", start);
            }

            char c = _text[_pos++];
            if (c == quote)
            {
                return sb.ToString();
            }

            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }

            if (AtEnd)
            {
                throw Error("unterminated string", start);
            }

            char e = _text[_pos++];
            switch (e)
            {
                case '\\' or '\'' or '"': sb.Append(e); break;
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case '0': sb.Append('\0'); break;
                case 'x': sb.Append((char)ParseHex(2)); break;
                case 'u': sb.Append((char)ParseHex(4)); break;
                case 'U': sb.Append(char.ConvertFromUtf32(ParseHex(8))); break;
                default: throw Error($"unsupported escape '\\{e}'", _pos - 2);
            }
        }
    }

    private int ParseHex(int digits)
    {
        if (_pos + digits > _text.Length
            || !int.TryParse(_text.AsSpan(_pos, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int value)
            || value is < 0 or > 0x10FFFF)
        {
            throw Error("bad hex escape");
        }

        _pos += digits;
        return value;
    }

    private object ParseNumber()
    {
        int start = _pos;
        if (_text[_pos] is '-' or '+')
        {
            _pos++;
        }

        bool isFloat = false;
        while (!AtEnd)
        {
            char c = _text[_pos];
            if (char.IsAsciiDigit(c) || c == '_')
            {
                _pos++;
            }
            else if (c is '.' or 'e' or 'E')
            {
                isFloat = true;
                _pos++;
                if (c is 'e' or 'E' && !AtEnd && _text[_pos] is '-' or '+')
                {
                    _pos++;
                }
            }
            else
            {
                break;
            }
        }

        string token = _text[start.._pos].Replace("_", "", StringComparison.Ordinal);
        if (isFloat)
        {
            if (!double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
            {
                throw Error($"bad number '{token}'", start);
            }

            return d;
        }

        if (!BigInteger.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out BigInteger n))
        {
            throw Error($"bad number '{token}'", start);
        }

        // Python 2 wrote long integers with an 'L' suffix, e.g. (5L, 3L).
        if (!AtEnd && _text[_pos] is 'L' or 'l')
        {
            _pos++;
        }

        return n;
    }

    private void SkipWhitespace()
    {
        while (!AtEnd && _text[_pos] is ' ' or '\t' or '\n' or '\r')
        {
            _pos++;
        }
    }

    private bool TryConsume(char c)
    {
        if (!AtEnd && _text[_pos] == c)
        {
            _pos++;
            return true;
        }

        return false;
    }

    private void Expect(char c)
    {
        if (!TryConsume(c))
        {
            throw AtEnd ? Error($"unexpected end of header, expected '{c}'") : Error($"expected '{c}', found '{_text[_pos]}'");
        }
    }

    private NpyHeaderException Error(string what, int? at = null) =>
        new($"{what} at position {at ?? _pos}");
}
