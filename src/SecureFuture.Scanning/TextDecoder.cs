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
    /// The content as a <see cref="ScanTarget"/>, or null when the bytes are binary. UTF-8 content (with or without its
    /// byte-order mark) stays bytes, decoded only if an analyzer asks for the text; UTF-16 is decoded here. Either way
    /// the target's text is exactly <see cref="Decode"/>'s.
    /// </summary>
    public static ScanTarget? Read(string path, ReadOnlyMemory<byte> bytes)
    {
        var span = bytes.Span;
        if (span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            return ScanTarget.FromUtf8(path, bytes[3..]);
        }

        if (span.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || span.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
        {
            return new ScanTarget(path, Decode(span)!);
        }

        return IsBinary(span) ? null : ScanTarget.FromUtf8(path, bytes);
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

        return IsBinary(bytes) ? null : Encoding.UTF8.GetString(bytes);
    }

    /// <summary>Git's heuristic, for content without a byte-order mark: a NUL byte in the first 8,000 bytes.</summary>
    private static bool IsBinary(ReadOnlySpan<byte> bytes) => bytes[..Math.Min(bytes.Length, BinaryProbeLength)].Contains((byte)0);
}
