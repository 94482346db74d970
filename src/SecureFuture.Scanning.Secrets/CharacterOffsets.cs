using System.Text;

namespace SecureFuture.Scanning.Secrets;

/// <summary>
/// Turns byte offsets in UTF-8 (valid or not) into offsets in the UTF-16 text it decodes to, for offsets where an
/// ASCII byte starts or ends: the start of a line, a keyword, a base64 run. An ASCII byte always decodes to its own
/// character and is never part of another character's sequence (a decoder ends an invalid sequence before it), so the
/// bytes before such an offset decode on their own to the characters before it. Offsets asked for in increasing order
/// are counted on from the last one, so a file costs one pass at most.
/// </summary>
internal struct CharacterOffsets
{
    private int _byte;
    private int _char;

    /// <param name="utf8">The whole content.</param>
    /// <param name="position">A byte offset that an ASCII byte starts or ends (or 0, or the end).</param>
    public int Of(ReadOnlySpan<byte> utf8, int position)
    {
        if (position < _byte)
        {
            (_byte, _char) = (0, 0);
        }

        _char += Encoding.UTF8.GetCharCount(utf8[_byte..position]);
        _byte = position;
        return _char;
    }
}
