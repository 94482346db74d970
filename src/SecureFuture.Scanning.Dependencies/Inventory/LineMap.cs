namespace SecureFuture.Scanning.Dependencies.Inventory;

/// <summary>1-based line numbers of offsets into a text (or its UTF-8 bytes), by binary search over line starts.</summary>
internal sealed class LineMap
{
    private readonly List<int> _starts = [0];

    public LineMap(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        for (var i = text.IndexOf('\n', StringComparison.Ordinal); i >= 0; i = text.IndexOf('\n', i + 1))
        {
            _starts.Add(i + 1);
        }
    }

    public LineMap(ReadOnlySpan<byte> utf8)
    {
        for (var i = 0; i < utf8.Length; i++)
        {
            if (utf8[i] == (byte)'\n')
            {
                _starts.Add(i + 1);
            }
        }
    }

    public int LineOf(long offset)
    {
        var index = _starts.BinarySearch((int)Math.Min(offset, int.MaxValue));
        return (index >= 0 ? index : ~index - 1) + 1;
    }

    public int ColumnOf(long offset) => (int)(offset - _starts[LineOf(offset) - 1]) + 1;
}
