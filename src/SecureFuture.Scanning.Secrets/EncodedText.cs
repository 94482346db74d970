using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;
using System.Text.Unicode;

namespace SecureFuture.Scanning.Secrets;

/// <summary>One value in a text that decodes to readable text: where it is, how it was encoded, what it says.</summary>
/// <param name="Start">Offset of the encoded value in the text it was found in.</param>
/// <param name="Length">Length of the encoded value.</param>
/// <param name="Encoding">The encoding's name as findings report it: <c>base64</c>, <c>hex</c> or <c>percent</c>.</param>
/// <param name="Decoded">The decoded text.</param>
public sealed record EncodedValue(int Start, int Length, string Encoding, string Decoded);

/// <summary>
/// Finds values that are base64 (either alphabet), hex or percent-encoded and decode to readable text, so that the
/// detectors can run on what they say. Precision and speed both come from being strict about what counts as a
/// candidate: a base64 or hex run of at least <see cref="MinLength"/> characters, or a token with a <c>%XX</c>
/// escape, and a decoding that is valid UTF-8 with no control characters but tab and line breaks. Random bytes pass
/// that test with a probability below 1 in 10,000 for the shortest candidate, so hashes, identifiers, certificates
/// and compressed blobs are rejected after one cheap decode, and no detector ever runs on them.
/// </summary>
public static class EncodedText
{
    /// <summary>The shortest base64 or hex run considered (12 bytes of base64, 8 of hex).</summary>
    public const int MinLength = 16;

    /// <summary>The shortest percent-encoded token considered.</summary>
    public const int MinPercentLength = 8;

    /// <summary>
    /// Longest value decoded. Longer runs are data, not a configuration value (a base64 image or font, a serialized
    /// model); decoding them would cost memory for no credential, so they are passed over without a notification.
    /// </summary>
    public const int MaxLength = 256 * 1024;

    // Both base64 alphabets (RFC 4648 §4 and §5); '=' padding is only accepted at the end of a run.
    private const string Base64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_";
    private static readonly SearchValues<char> HexChars = SearchValues.Create("0123456789ABCDEFabcdef");

    private static readonly bool[] RunChar = [.. Enumerable.Range(0, 128).Select(c => Base64Alphabet.Contains((char)c, StringComparison.Ordinal))];

    // What ends a percent-encoded token: whitespace, quotes and the brackets that delimit values in markup.
    private const string TokenEndChars = " \t\r\n\"'`<>()[]{}\\";

    /// <summary>
    /// The encoded values in <paramref name="text"/>, in order and not overlapping (a percent-encoded token wins over
    /// the base64-looking runs inside it).
    /// </summary>
    public static List<EncodedValue> Find(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Find(text.AsSpan());
    }

    /// <summary>
    /// What <see cref="Find(string)"/> finds in the text that <paramref name="utf8"/> decodes to (UTF-8, valid or not),
    /// found on the bytes: a file need not be decoded to UTF-16 for its encoded values to be found. Only the
    /// candidates are widened to characters, to be decoded. A candidate is ASCII, and an ASCII byte is always its own
    /// character, so a candidate's bytes are its characters and only where it starts needs counting in characters
    /// (<see cref="CharacterOffsets"/>) when the content is not all ASCII.
    /// </summary>
    public static List<EncodedValue> Find(ReadOnlySpan<byte> utf8)
    {
        var found = Find<byte>(utf8);
        if (found.Count > 0 && !Ascii.IsValid(utf8))
        {
            var offsets = default(CharacterOffsets);
            for (var i = 0; i < found.Count; i++)
            {
                found[i] = found[i] with { Start = offsets.Of(utf8, found[i].Start) };
            }
        }

        return found;
    }

    /// <summary>One search over characters or ASCII bytes; <see cref="Units{T}"/> holds what differs.</summary>
    private static List<EncodedValue> Find<T>(ReadOnlySpan<T> span)
        where T : unmanaged, IEquatable<T>
    {
        // Where byte candidates are widened to characters to be decoded: one pooled buffer for the whole search.
        char[]? widened = null;
        try
        {
            var percent = new List<EncodedValue>();
            for (var at = span.IndexOf(Units<T>.Percent); at >= 0;)
            {
                var tokenStart = span[..at].LastIndexOfAny(Units<T>.TokenEnd) + 1;
                var tokenEnd = span[at..].IndexOfAny(Units<T>.TokenEnd);
                tokenEnd = tokenEnd < 0 ? span.Length : at + tokenEnd;
                // Percent-encoding (RFC 3986 §2.1) is of ASCII text: a token with any other character is not a URL
                // component (TryPercent checks its characters; bytes are checked here, before they are widened).
                if (tokenEnd - tokenStart is >= MinPercentLength and <= MaxLength && Units<T>.IsAscii(span[tokenStart..tokenEnd])
                    && TryPercent(Units<T>.Chars(span[tokenStart..tokenEnd], ref widened)) is { } decoded)
                {
                    percent.Add(new EncodedValue(tokenStart, tokenEnd - tokenStart, "percent", decoded));
                }

                var next = span[tokenEnd..].IndexOf(Units<T>.Percent);
                at = next < 0 ? -1 : tokenEnd + next;
            }

            var found = new List<EncodedValue>(percent.Count);
            var nextPercent = 0;

            // Invariant: i is 0 or follows a character outside the alphabet, so a run found from i starts where it is found.
            for (var i = 0; NextRun(span, i) is var start and >= 0;)
            {
                var end = span[(start + MinLength)..].IndexOfAnyExcept(Units<T>.Base64);
                end = end < 0 ? span.Length : start + MinLength + end;
                var padded = end;
                while (padded < span.Length && padded - end < 2 && span[padded].Equals(Units<T>.Padding))
                {
                    padded++;
                }

                i = end + 1;

                // Runs inside a percent-encoded token are decoded with it, as the next layer.
                while (nextPercent < percent.Count && percent[nextPercent].Start + percent[nextPercent].Length <= start)
                {
                    found.Add(percent[nextPercent++]);
                }

                if (nextPercent < percent.Count && percent[nextPercent].Start < padded)
                {
                    continue;
                }

                // Most runs are identifiers, rejected by their first characters before they are widened and decoded.
                var run = span[start..end];
                if (run.Length <= MaxLength && (StartsLikeHexText(run) || (StartsLikeBase64Text(run) && StartsReadableAsBase64(run)))
                    && TryRun(Units<T>.Chars(run, ref widened)) is var (encoding, decoded))
                {
                    found.Add(new EncodedValue(start, padded - start, encoding, decoded));
                }
            }

            found.AddRange(percent.Skip(nextPercent));
            return found;
        }
        finally
        {
            if (widened is not null)
            {
                ArrayPool<char>.Shared.Return(widened);
            }
        }
    }

    private static (string Encoding, string Text)? TryRun(ReadOnlySpan<char> run)
    {
        if (run.Length > MaxLength)
        {
            return null;
        }

        // An even run of hex digits is hex first: "68656c6c6f" is valid base64 too, but decodes to noise.
        if (run.Length % 2 == 0 && !run.ContainsAnyExcept(HexChars) && StartsLikeHexText(run))
        {
            var bytes = new byte[run.Length / 2];
            if (Convert.FromHexString(run, bytes, out _, out _) == OperationStatus.Done && Readable(bytes) is { } hex)
            {
                return ("hex", hex);
            }
        }

        return StartsLikeBase64Text(run) && TryBase64(run) is { } text ? ("base64", text) : null;
    }

    /// <summary>
    /// A cheap look before decoding: base64 of ASCII text has the top bit of every third byte clear, so the first
    /// character of each 4-character group encodes a value below 32 (<c>A</c>-<c>Z</c>, <c>a</c>-<c>f</c>). Only the
    /// first three groups are looked at; identifiers and random data fail here about 7 times in 8.
    /// </summary>
    private static bool StartsLikeBase64Text<T>(ReadOnlySpan<T> run)
        where T : unmanaged, IEquatable<T>
    {
        for (var i = 0; i < Math.Min(run.Length, 12); i += 4)
        {
            if (Char(run[i]) is not ((>= 'A' and <= 'Z') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The first bytes a run decodes to as base64 (either alphabet), the first two 4-character groups, hold no control
    /// character that <see cref="Readable"/> would reject. Upper-case identifiers (<c>GLIBC_PRIVATE_DEFS</c>) look like
    /// base64 of text by <see cref="StartsLikeBase64Text"/> but decode to control characters at once: they are
    /// rejected here, without widening and decoding the whole run.
    /// </summary>
    private static bool StartsReadableAsBase64<T>(ReadOnlySpan<T> run)
        where T : unmanaged, IEquatable<T>
    {
        for (var group = 0; group + 4 <= Math.Min(run.Length, 8); group += 4)
        {
            var bits = 0;
            for (var i = group; i < group + 4; i++)
            {
                bits = (bits << 6) | Char(run[i]) switch
                {
                    >= 'A' and <= 'Z' and var c => c - 'A',
                    >= 'a' and <= 'z' and var c => c - 'a' + 26,
                    >= '0' and <= '9' and var c => c - '0' + 52,
                    '+' or '-' => 62,
                    _ => 63,
                };
            }

            if (IsControl((byte)(bits >> 16)) || IsControl((byte)(bits >> 8)) || IsControl((byte)bits))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Hex of text: the high digit of each of the first eight bytes is 0 (tab, line breaks) or 2 to 7 (printable ASCII).</summary>
    private static bool StartsLikeHexText<T>(ReadOnlySpan<T> run)
        where T : unmanaged, IEquatable<T>
    {
        for (var i = 0; i < Math.Min(run.Length, 16); i += 2)
        {
            if (Char(run[i]) is not ('0' or (>= '2' and <= '7')))
            {
                return false;
            }
        }

        return true;
    }

    private static string? TryBase64(ReadOnlySpan<char> run)
    {
        if (run.Length % 4 == 1)
        {
            return null;
        }

        // Either alphabet, never both: a run with '+' or '/' and '-' or '_' is a path or an identifier.
        var standard = run.ContainsAny('+', '/');
        var urlSafe = run.ContainsAny('-', '_');
        if (standard && urlSafe)
        {
            return null;
        }

        var length = run.Length + ((4 - (run.Length % 4)) % 4);
        var chars = ArrayPool<char>.Shared.Rent(length);
        var bytes = ArrayPool<byte>.Shared.Rent(length / 4 * 3);
        try
        {
            run.CopyTo(chars);
            for (var i = 0; i < run.Length; i++)
            {
                chars[i] = chars[i] switch { '-' => '+', '_' => '/', var c => c };
            }

            chars.AsSpan(run.Length, length - run.Length).Fill('=');
            return Convert.TryFromBase64Chars(chars.AsSpan(0, length), bytes, out var written) ? Readable(bytes.AsSpan(0, written)) : null;
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    private static string? TryPercent(ReadOnlySpan<char> token)
    {
        if (token.Length < MinPercentLength)
        {
            return null;
        }

        if (token.Length > MaxLength)
        {
            return null;
        }

        var bytes = new byte[token.Length];
        var written = 0;
        var escapes = 0;
        for (var i = 0; i < token.Length; i++)
        {
            var c = token[i];
            if (c == '%' && i + 2 < token.Length && IsHex(token[i + 1]) && IsHex(token[i + 2]))
            {
                bytes[written++] = (byte)((HexValue(token[i + 1]) << 4) | HexValue(token[i + 2]));
                escapes++;
                i += 2;
            }
            else if (c > 0x7F)
            {
                // Percent-encoding (RFC 3986 §2.1) is of ASCII text; anything else is not a URL component.
                return null;
            }
            else
            {
                bytes[written++] = (byte)c;
            }
        }

        return escapes > 0 ? Readable(bytes.AsSpan(0, written)) : null;
    }

    // Generic math (IBinaryInteger) would be simpler, but methods that use it are left out of the ReadyToRun image and
    // compiled at run time; a typeof test is folded away in each instantiation.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsRunChar<T>(T unit)
        where T : unmanaged, IEquatable<T>
    {
        var c = Char(unit);
        return c < 128 && RunChar[c];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static char Char<T>(T unit)
        where T : unmanaged, IEquatable<T> =>
        typeof(T) == typeof(char) ? Unsafe.As<T, char>(ref unit) : (char)Unsafe.As<T, byte>(ref unit);

    /// <summary>
    /// Where the first run of at least <see cref="MinLength"/> base64 characters at or after <paramref name="from"/>
    /// starts, or -1. <paramref name="from"/> must be 0 or follow a character outside the alphabet, so that a run found
    /// from it is found at its start.
    /// </summary>
    private static int NextRun<T>(ReadOnlySpan<T> span, int from)
        where T : unmanaged, IEquatable<T>
    {
        var i = from;
        if (typeof(T) == typeof(byte) && Vector256.IsHardwareAccelerated)
        {
            // 64 bytes at a time: a bit per byte in the alphabet, and-ed with itself shifted by 1, 2, 4 and 8 leaves
            // a bit where MinLength alphabet bytes in a row start. The first such bit is the run's start: any earlier
            // start would have been found at or before it, in this block or in the one before.
            var bytes = MemoryMarshal.Cast<T, byte>(span);
            const int Stride = 64 - MinLength + 1;
            for (; i + 64 <= bytes.Length; i += Stride)
            {
                ref var at = ref Unsafe.Add(ref MemoryMarshal.GetReference(bytes), i);
                var starts = RunBits(Vector256.LoadUnsafe(ref at)) | ((ulong)RunBits(Vector256.LoadUnsafe(ref at, 32)) << 32);
                starts &= starts >> 1;
                starts &= starts >> 2;
                starts &= starts >> 4;
                starts &= starts >> 8;
                starts &= (1UL << Stride) - 1;
                if (starts != 0)
                {
                    return i + BitOperations.TrailingZeroCount(starts);
                }
            }
        }

        // A skip loop (Boyer-Moore's idea): a run of MinLength or more that starts at or after i covers i + MinLength
        // - 1, so when that character is not in the alphabet the whole stretch is skipped after one look. Where the
        // loop above stopped, a run cannot start before i and reach past it: it would have been found there.
        while (i + MinLength <= span.Length)
        {
            var probe = i + MinLength - 1;
            if (!IsRunChar(span[probe]))
            {
                i = probe + 1;
                continue;
            }

            var start = probe;
            while (start > i && IsRunChar(span[start - 1]))
            {
                start--;
            }

            var end = probe + 1;
            while (end < start + MinLength && end < span.Length && IsRunChar(span[end]))
            {
                end++;
            }

            if (end == start + MinLength)
            {
                return start;
            }

            i = end + 1;
        }

        return -1;
    }

    /// <summary>A bit per byte of <paramref name="v"/>: set for the base64 alphabets' characters (both of them).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint RunBits(Vector256<byte> v)
    {
        var letter = Vector256.LessThan((v | Vector256.Create((byte)0x20)) - Vector256.Create((byte)'a'), Vector256.Create((byte)26));
        var digit = Vector256.LessThan(v - Vector256.Create((byte)'0'), Vector256.Create((byte)10));
        var symbol = Vector256.Equals(v, Vector256.Create((byte)'+')) | Vector256.Equals(v, Vector256.Create((byte)'/'))
            | Vector256.Equals(v, Vector256.Create((byte)'-')) | Vector256.Equals(v, Vector256.Create((byte)'_'));
        return (letter | digit | symbol).ExtractMostSignificantBits();
    }

    /// <summary>The alphabets of the search, as characters or as bytes.</summary>
    private static class Units<T>
        where T : unmanaged, IEquatable<T>
    {
        public static readonly T Percent = Unit('%');

        public static readonly T Padding = Unit('=');

        public static readonly SearchValues<T> Base64 = Create(Base64Alphabet);

        public static readonly SearchValues<T> TokenEnd = Create(TokenEndChars);

        /// <summary>
        /// A candidate's characters: the span itself, or its ASCII bytes widened into <paramref name="buffer"/> (rented
        /// from the shared pool, grown as needed; the caller gives it back).
        /// </summary>
        public static ReadOnlySpan<char> Chars(ReadOnlySpan<T> units, ref char[]? buffer)
        {
            if (typeof(T) == typeof(char))
            {
                return MemoryMarshal.Cast<T, char>(units);
            }

            if (buffer is null || buffer.Length < units.Length)
            {
                if (buffer is not null)
                {
                    ArrayPool<char>.Shared.Return(buffer);
                }

                buffer = ArrayPool<char>.Shared.Rent(units.Length);
            }

            return buffer.AsSpan(0, Encoding.ASCII.GetChars(MemoryMarshal.Cast<T, byte>(units), buffer));
        }

        public static bool IsAscii(ReadOnlySpan<T> units) =>
            typeof(T) == typeof(char) || Ascii.IsValid(MemoryMarshal.Cast<T, byte>(units));

        private static T Unit(char c)
        {
            var b = (byte)c;
            return typeof(T) == typeof(char) ? Unsafe.As<char, T>(ref c) : Unsafe.As<byte, T>(ref b);
        }

        private static SearchValues<T> Create(string values) =>
            typeof(T) == typeof(char)
                ? (SearchValues<T>)(object)SearchValues.Create(values)
                : (SearchValues<T>)(object)SearchValues.Create(Encoding.ASCII.GetBytes(values));
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    /// <summary>A control character other than tab, CR and LF: not in readable text.</summary>
    private static bool IsControl(byte b) => (b < 0x20 && b is not (byte)'\t' and not (byte)'\r' and not (byte)'\n') || b == 0x7F;

    /// <summary>The bytes as text when they are UTF-8 with no control characters but tab, CR and LF; else null.</summary>
    private static string? Readable(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 8)
        {
            return null;
        }

        foreach (var b in bytes)
        {
            if (IsControl(b))
            {
                return null;
            }
        }

        // Checked first: a decoder that throws on invalid input costs microseconds per rejected candidate.
        return Utf8.IsValid(bytes) ? Encoding.UTF8.GetString(bytes) : null;
    }
}
