using System.Globalization;
using System.Text;

namespace SecureFuture.Scanning.Dependencies.Inventory;

/// <summary>A TOML table: its values (string, long, double, bool, <see cref="TomlTable"/>, <c>List&lt;object&gt;</c>) and the line of each key.</summary>
internal sealed class TomlTable(int line)
{
    /// <summary>The 1-based line of the table's header (or of its first key, for the root and inline tables).</summary>
    public int Line { get; } = line;

    public Dictionary<string, object> Values { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, int> KeyLines { get; } = new(StringComparer.Ordinal);

    public string? Str(string key) => Values.GetValueOrDefault(key) as string;

    public TomlTable? Table(string key) => Values.GetValueOrDefault(key) as TomlTable;

    public IEnumerable<T> List<T>(string key) => Values.GetValueOrDefault(key) is List<object> list ? list.OfType<T>() : [];

    public int LineOf(string key) => KeyLines.GetValueOrDefault(key, Line);
}

/// <summary>
/// The part of TOML 1.0 that lock files are written in (Cargo.lock, poetry.lock, uv.lock, Pipfile): tables, arrays of
/// tables, dotted and quoted keys, basic/literal/multi-line strings, numbers, booleans, arrays and inline tables.
/// Dates are kept as text. A fault is a <see cref="ManifestFormatException"/> at its line and column.
/// </summary>
internal sealed class Toml
{
    /// <summary>Nesting of arrays and inline tables: lock files use two or three; a hostile file could use a million.</summary>
    private const int MaxDepth = 64;

    private readonly string _text;
    private int _depth;
    private int _pos;
    private int _line = 1;
    private int _lineStart;

    private Toml(string text) => _text = text;

    public static TomlTable Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new Toml(text).Document();
    }

    private char Current => _pos < _text.Length ? _text[_pos] : '\0';

    private bool AtEnd => _pos >= _text.Length;

    private TomlTable Document()
    {
        var root = new TomlTable(1);
        var current = root;
        while (true)
        {
            SkipBlankLines();
            if (AtEnd)
            {
                return root;
            }

            if (Current == '[')
            {
                var headerLine = _line;
                var isArray = _pos + 1 < _text.Length && _text[_pos + 1] == '[';
                _pos += isArray ? 2 : 1;
                SkipSpaces();
                var keys = Key();
                SkipSpaces();
                Expect(']');
                if (isArray)
                {
                    Expect(']');
                }

                current = isArray ? AppendArrayTable(root, keys, headerLine) : OpenTable(root, keys, headerLine);
            }
            else
            {
                KeyValue(current);
            }

            EndOfLine();
        }
    }

    private void KeyValue(TomlTable table)
    {
        var line = _line;
        var keys = Key();
        SkipSpaces();
        Expect('=');
        SkipSpaces();
        var value = Value();
        var target = Navigate(table, keys.Take(keys.Count - 1), line);
        if (!target.Values.TryAdd(keys[^1], value))
        {
            throw Error($"duplicate key '{string.Join('.', keys)}'");
        }

        target.KeyLines[keys[^1]] = line;
    }

    private TomlTable OpenTable(TomlTable root, List<string> keys, int line)
    {
        var parent = Navigate(root, keys.Take(keys.Count - 1), line);
        switch (parent.Values.GetValueOrDefault(keys[^1]))
        {
            case null:
                var table = new TomlTable(line);
                parent.Values[keys[^1]] = table;
                parent.KeyLines[keys[^1]] = line;
                return table;
            case TomlTable existing:
                return existing;
            default:
                throw Error($"'{string.Join('.', keys)}' is already a value, not a table");
        }
    }

    private TomlTable AppendArrayTable(TomlTable root, List<string> keys, int line)
    {
        var parent = Navigate(root, keys.Take(keys.Count - 1), line);
        if (parent.Values.GetValueOrDefault(keys[^1]) is not List<object> list)
        {
            if (parent.Values.ContainsKey(keys[^1]))
            {
                throw Error($"'{string.Join('.', keys)}' is already a value, not an array of tables");
            }

            list = [];
            parent.Values[keys[^1]] = list;
        }

        var table = new TomlTable(line);
        list.Add(table);
        return table;
    }

    /// <summary>The table at the dotted path below <paramref name="from"/>, created as needed; an array of tables means its last table.</summary>
    private TomlTable Navigate(TomlTable from, IEnumerable<string> keys, int line)
    {
        var table = from;
        foreach (var key in keys)
        {
            switch (table.Values.GetValueOrDefault(key))
            {
                case null:
                    var created = new TomlTable(line);
                    table.Values[key] = created;
                    table.KeyLines[key] = line;
                    table = created;
                    break;
                case TomlTable next:
                    table = next;
                    break;
                case List<object> { Count: > 0 } list when list[^1] is TomlTable last:
                    table = last;
                    break;
                default:
                    throw Error($"'{key}' is a value, not a table");
            }
        }

        return table;
    }

    private List<string> Key()
    {
        var keys = new List<string>();
        while (true)
        {
            SkipSpaces();
            keys.Add(Current switch
            {
                '"' => BasicString(),
                '\'' => LiteralString(),
                _ => BareKey(),
            });
            SkipSpaces();
            if (Current != '.')
            {
                return keys;
            }

            _pos++;
        }
    }

    private string BareKey()
    {
        var start = _pos;
        while (!AtEnd && (char.IsAsciiLetterOrDigit(Current) || Current is '_' or '-'))
        {
            _pos++;
        }

        return _pos > start ? _text[start.._pos] : throw Error(AtEnd ? "unexpected end of file, expected a key" : $"unexpected '{Current}', expected a key");
    }

    private object Value()
    {
        var container = Current is '[' or '{';
        if (container && ++_depth > MaxDepth)
        {
            throw Error($"arrays and inline tables nested deeper than {MaxDepth}");
        }

        var value = ScalarOrContainer(); // a fault throws and ends the parse, so the depth needs no unwinding then
        if (container)
        {
            _depth--;
        }

        return value;
    }

    private object ScalarOrContainer()
    {
        switch (Current)
        {
            case '"':
                return BasicString();
            case '\'':
                return LiteralString();
            case '[':
                return Array();
            case '{':
                return InlineTable();
            default:
                var start = _pos;
                while (!AtEnd && Current is not (',' or ']' or '}' or '#' or '\n' or '\r') && !(Current is ' ' or '\t' && !LooksLikeDateTimeSpace()))
                {
                    _pos++;
                }

                var token = _text[start.._pos];
                if (token.Length == 0)
                {
                    throw Error(AtEnd ? "unexpected end of file, expected a value" : $"unexpected '{Current}', expected a value");
                }

                if (token is "true" or "false")
                {
                    return token == "true";
                }

                var digits = token.Replace("_", string.Empty, StringComparison.Ordinal);
                if (long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
                {
                    return integer;
                }

                if (double.TryParse(digits, NumberStyles.Float, CultureInfo.InvariantCulture, out var real))
                {
                    return real;
                }

                if (char.IsAsciiDigit(token[0]))
                {
                    return token; // a date or time, kept as written
                }

                _pos = start;
                throw Error($"unexpected '{token}', expected a value (a string needs quotes)");
        }
    }

    // A date-time may separate date and time with a space ("1979-05-27 07:32:00Z").
    private bool LooksLikeDateTimeSpace() =>
        Current == ' ' && _pos >= 10 && _pos + 1 < _text.Length && char.IsAsciiDigit(_text[_pos + 1]) && _text[_pos - 3] == '-';

    private List<object> Array()
    {
        Expect('[');
        var list = new List<object>();
        while (true)
        {
            SkipBlankLines();
            if (Current == ']')
            {
                _pos++;
                return list;
            }

            list.Add(Value());
            SkipBlankLines();
            if (Current == ',')
            {
                _pos++;
            }
            else if (Current != ']')
            {
                throw Error(AtEnd ? "unexpected end of file in an array" : $"unexpected '{Current}' in an array, expected ',' or ']'");
            }
        }
    }

    private TomlTable InlineTable()
    {
        var table = new TomlTable(_line);
        Expect('{');
        while (true)
        {
            SkipBlankLines();
            if (Current == '}')
            {
                _pos++;
                return table;
            }

            KeyValue(table);
            SkipBlankLines();
            if (Current == ',')
            {
                _pos++;
            }
            else if (Current != '}')
            {
                throw Error(AtEnd ? "unexpected end of file in an inline table" : $"unexpected '{Current}' in an inline table, expected ',' or '}}'");
            }
        }
    }

    private string BasicString()
    {
        var multiline = _text.AsSpan(_pos).StartsWith("\"\"\"");
        _pos += multiline ? 3 : 1;
        if (multiline)
        {
            SkipOneNewline();
        }

        var value = new StringBuilder();
        while (true)
        {
            if (AtEnd)
            {
                throw Error("unterminated string");
            }

            var c = Current;
            if (multiline ? _text.AsSpan(_pos).StartsWith("\"\"\"") : c == '"')
            {
                _pos += multiline ? 3 : 1;
                return value.ToString();
            }

            if (c == '\n')
            {
                if (!multiline)
                {
                    throw Error("newline in a string");
                }

                NewLine();
                value.Append('\n');
                continue;
            }

            _pos++;
            if (c != '\\')
            {
                value.Append(c);
                continue;
            }

            var escape = Current;
            _pos++;
            switch (escape)
            {
                case 'b': value.Append('\b'); break;
                case 't': value.Append('\t'); break;
                case 'n': value.Append('\n'); break;
                case 'f': value.Append('\f'); break;
                case 'r': value.Append('\r'); break;
                case '"': value.Append('"'); break;
                case '\\': value.Append('\\'); break;
                case 'u' or 'U':
                    var length = escape == 'u' ? 4 : 8;
                    if (_pos + length > _text.Length || !int.TryParse(_text.AsSpan(_pos, length), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code) || !Rune.IsValid(code))
                    {
                        throw Error("invalid unicode escape");
                    }

                    value.Append(new Rune(code).ToString());
                    _pos += length;
                    break;
                case '\n' or '\r' or ' ' or '\t' when multiline:
                    _pos--;
                    while (!AtEnd && Current is ' ' or '\t' or '\r' or '\n')
                    {
                        if (Current == '\n')
                        {
                            _pos++;
                            NewLineAt(_pos);
                        }
                        else
                        {
                            _pos++;
                        }
                    }

                    break;
                default:
                    _pos--;
                    throw Error($"invalid escape '\\{escape}'");
            }
        }
    }

    private string LiteralString()
    {
        var multiline = _text.AsSpan(_pos).StartsWith("'''");
        _pos += multiline ? 3 : 1;
        if (multiline)
        {
            SkipOneNewline();
        }

        var start = _pos;
        while (true)
        {
            if (AtEnd)
            {
                throw Error("unterminated string");
            }

            if (multiline ? _text.AsSpan(_pos).StartsWith("'''") : Current == '\'')
            {
                var value = _text[start.._pos];
                _pos += multiline ? 3 : 1;
                return value;
            }

            if (Current == '\n')
            {
                if (!multiline)
                {
                    throw Error("newline in a string");
                }

                NewLine();
                continue;
            }

            _pos++;
        }
    }

    private void SkipOneNewline()
    {
        if (Current == '\r')
        {
            _pos++;
        }

        if (Current == '\n')
        {
            NewLine();
        }
    }

    private void SkipSpaces()
    {
        while (Current is ' ' or '\t')
        {
            _pos++;
        }
    }

    /// <summary>Spaces, comments and newlines.</summary>
    private void SkipBlankLines()
    {
        while (!AtEnd)
        {
            SkipSpaces();
            if (Current == '#')
            {
                while (!AtEnd && Current != '\n')
                {
                    _pos++;
                }
            }

            if (Current == '\r')
            {
                _pos++;
            }
            else if (Current == '\n')
            {
                NewLine();
            }
            else
            {
                return;
            }
        }
    }

    private void EndOfLine()
    {
        SkipSpaces();
        if (Current == '#')
        {
            while (!AtEnd && Current != '\n')
            {
                _pos++;
            }
        }

        if (Current == '\r')
        {
            _pos++;
        }

        if (AtEnd)
        {
            return;
        }

        if (Current != '\n')
        {
            throw Error($"unexpected '{Current}', expected the end of the line");
        }

        NewLine();
    }

    private void NewLine()
    {
        _pos++;
        NewLineAt(_pos);
    }

    private void NewLineAt(int start)
    {
        _line++;
        _lineStart = start;
    }

    private void Expect(char c)
    {
        if (Current != c)
        {
            throw Error(AtEnd ? $"unexpected end of file, expected '{c}'" : $"unexpected '{Current}', expected '{c}'");
        }

        _pos++;
    }

    private ManifestFormatException Error(string message) => new(_line, _pos - _lineStart + 1, $"not valid TOML: {message}");
}
