namespace SecureFuture.Findings.Ingest;

/// <summary>
/// Line and column of a byte of the JSON while only a window of it is in memory: a forward cursor counts the line
/// breaks up to each position asked for (positions come in reading order, so the count costs one pass over the
/// bytes), and the line that the window's first byte is on is kept when the window moves, for the rare position
/// behind the cursor. Columns count bytes, as System.Text.Json's do.
/// </summary>
internal sealed class LineCounter
{
    private long _discarded;
    private int _scanIndex;
    private long _scanLine = 1;
    private long _scanLineStart;
    private long _windowLine = 1;
    private long _windowLineStart;

    /// <summary>Bytes of the JSON before the window.</summary>
    public long Discarded => _discarded;

    /// <summary>Where the byte at <paramref name="index"/> of the window is.</summary>
    public JsonPosition At(ReadOnlySpan<byte> window, int index)
    {
        var (line, lineStart) = LineAt(window, index);
        var absolute = _discarded + index;
        return new JsonPosition(line, absolute - lineStart + 1, absolute);
    }

    /// <summary>The window index where 1-based <paramref name="line"/> starts, or the cursor's line start when the window ends first.</summary>
    public int LineStart(ReadOnlySpan<byte> window, long line)
    {
        while (_scanLine < line)
        {
            var next = window[_scanIndex..].IndexOf((byte)'\n');
            if (next < 0)
            {
                break;
            }

            LineAt(window, _scanIndex + next + 1);
        }

        return (int)(_scanLineStart - _discarded);
    }

    /// <summary>The window's first <paramref name="count"/> bytes are about to be dropped.</summary>
    public void Discard(ReadOnlySpan<byte> window, int count)
    {
        (_windowLine, _windowLineStart) = LineAt(window, count);
        _discarded += count;
        _scanIndex = Math.Max(0, _scanIndex - count);
        if (_scanIndex == 0)
        {
            (_scanLine, _scanLineStart) = (_windowLine, _windowLineStart);
        }
    }

    /// <summary>The line (1-based) and the absolute offset of its first byte, for a window index.</summary>
    private (long Line, long LineStart) LineAt(ReadOnlySpan<byte> window, int index)
    {
        if (index >= _scanIndex)
        {
            var segment = window[_scanIndex..index];
            var newlines = segment.Count((byte)'\n');
            if (newlines > 0)
            {
                _scanLine += newlines;
                _scanLineStart = _discarded + _scanIndex + segment.LastIndexOf((byte)'\n') + 1;
            }

            _scanIndex = index;
            return (_scanLine, _scanLineStart);
        }

        var before = window[..index];
        var last = before.LastIndexOf((byte)'\n');
        return (_windowLine + before.Count((byte)'\n'), last >= 0 ? _discarded + last + 1 : _windowLineStart);
    }
}
