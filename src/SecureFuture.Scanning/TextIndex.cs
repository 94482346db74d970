using SecureFuture.Core;

namespace SecureFuture.Scanning;

/// <summary>Maps offsets in a text to 1-based lines and columns; CR, LF and CRLF all end a line.</summary>
public sealed class TextIndex
{
    private readonly string _text;
    private readonly List<int> _lineStarts = [0];

    public TextIndex(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        _text = text;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\n' || (c == '\r' && (i + 1 >= text.Length || text[i + 1] != '\n')))
            {
                _lineStarts.Add(i + 1);
            }
        }
    }

    public int LineCount => _lineStarts.Count;

    /// <summary>The 1-based line containing <paramref name="offset"/>.</summary>
    public int LineOf(int offset)
    {
        var index = _lineStarts.BinarySearch(offset);
        return index >= 0 ? index + 1 : ~index;
    }

    public Region RegionOf(int start, int length)
    {
        var startLine = LineOf(start);
        var endOffset = start + Math.Max(length, 0);
        var endLine = length > 0 ? LineOf(endOffset - 1) : startLine;
        var endColumn = endOffset - _lineStarts[endLine - 1] + 1;
        return new Region(startLine, start - _lineStarts[startLine - 1] + 1, endLine, endColumn);
    }

    /// <summary>The text of a 1-based line, without its line break.</summary>
    public ReadOnlySpan<char> Line(int line)
    {
        if (line < 1 || line > _lineStarts.Count)
        {
            return [];
        }

        var start = _lineStarts[line - 1];
        var end = line < _lineStarts.Count ? _lineStarts[line] : _text.Length;
        var span = _text.AsSpan(start, end - start);
        return span.TrimEnd("\r\n");
    }
}
