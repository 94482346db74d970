using System.Text;

namespace SecureFuture.Scanning;

/// <summary>
/// Turns file bytes into text the way editors do: a UTF-8 or UTF-16 byte-order mark decides the encoding;
/// otherwise a NUL byte in the first 8,000 bytes means binary (git's own heuristic), and anything else is
/// decoded as UTF-8 with invalid sequences replaced, so a Latin-1 file is still scanned.
/// </summary>
public static class TextDecoder
{
    private const int BinaryProbeLength = 8000;

    /// <summary>
    /// The UTF-8 bytes that <see cref="Decode"/> turns into text: <paramref name="bytes"/> without its UTF-8
    /// byte-order mark, or empty when they are UTF-16 (or binary, when <see cref="Decode"/> returns null).
    /// </summary>
    public static ReadOnlyMemory<byte> Utf8Body(ReadOnlyMemory<byte> bytes)
    {
        var span = bytes.Span;
        if (span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            return bytes[3..];
        }

        return span.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || span.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]) ? default : bytes;
    }

    /// <summary>Returns the text, or null when the bytes are binary.</summary>
    public static string? Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            return Encoding.UTF8.GetString(bytes[3..]);
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]))
        {
            return Encoding.Unicode.GetString(bytes[2..]);
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
        {
            return Encoding.BigEndianUnicode.GetString(bytes[2..]);
        }

        if (bytes[..Math.Min(bytes.Length, BinaryProbeLength)].Contains((byte)0))
        {
            return null;
        }

        return Encoding.UTF8.GetString(bytes);
    }
}
