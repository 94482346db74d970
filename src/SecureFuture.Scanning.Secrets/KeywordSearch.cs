using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace SecureFuture.Scanning.Secrets;

/// <summary>One occurrence of a keyword: where it starts and which keyword (its index in the search's list).</summary>
internal readonly record struct KeywordHit(int Position, int Keyword);

/// <summary>
/// Finds every occurrence of the detectors' keywords in a text, ignoring case, in order of position and, at one
/// position, in the order of the keyword list. Two searches give the same hits:
/// <list type="bullet">
/// <item><see cref="FindInText"/>, on UTF-16 text: .NET's multi-string <see cref="SearchValues{T}"/> with
/// <see cref="StringComparison.OrdinalIgnoreCase"/>, the reference. With hundreds of case-insensitive keywords it
/// falls back to a scalar Aho-Corasick automaton over characters.</item>
/// <item><see cref="FindInAscii"/>, on the raw bytes of an ASCII file: the three bytes at every position are hashed
/// and looked up in a 32 KiB bit table of each keyword's rarest three bytes in every ASCII case; only a set bit leads
/// to comparing the few keywords in that hash bucket, ignoring case. Most positions cost a shift, a multiply and one
/// table probe, with no case folding, and the file needs no UTF-16 text for the search.</item>
/// </list>
/// The byte search needs every keyword to be ASCII and at least <see cref="FingerprintLength"/> bytes long
/// (<see cref="CanSearchBytes"/>); on ASCII text, ASCII case folding is exactly what ordinal case-insensitive
/// comparison does, so both searches agree (<c>KeywordSearchTests</c> holds them to it). Text with any non-ASCII byte
/// goes to the reference search: Unicode case mappings such as the Kelvin sign are not the byte search's business.
/// </summary>
internal sealed class KeywordSearch
{
    /// <summary>Bytes of a keyword's start that the bit table is keyed on.</summary>
    public const int FingerprintLength = 3;

    // 2^18 bits: 32 KiB, the size of a core's L1 data cache; a few thousand case variants of the fingerprints set
    // under 1% of it, so nine positions in a thousand that start no keyword are verified in vain.
    private const int HashBits = 18;

    private readonly string[] _keywords;
    private readonly SearchValues<string> _anyKeyword;
    private readonly Dictionary<char, int[]> _byFirstChar;

    // The byte search: keywords in lower case, the bit table, and its buckets (keyword indexes in ascending order,
    // bucket h is _bucketKeywords[_bucketStart[h].._bucketStart[h + 1]]).
    private readonly byte[][] _lowerKeywords;
    private readonly ulong[] _filter = new ulong[(1 << HashBits) / 64];
    private readonly int[] _bucketStart = new int[(1 << HashBits) + 1];
    private readonly int[] _bucketKeywords;

    /// <summary>Per keyword, where in it the three bytes it is fingerprinted by start.</summary>
    private readonly int[] _offsets;

    /// <param name="keywords">Distinct ignoring case; a hit names its keyword by its index here.</param>
    public KeywordSearch(IReadOnlyList<string> keywords)
    {
        ArgumentNullException.ThrowIfNull(keywords);
        _keywords = [.. keywords];
        _anyKeyword = SearchValues.Create(_keywords, StringComparison.OrdinalIgnoreCase);
        _byFirstChar = Enumerable.Range(0, _keywords.Length)
            .SelectMany(i => new[] { char.ToLowerInvariant(_keywords[i][0]), char.ToUpperInvariant(_keywords[i][0]) }.Distinct().Select(c => (c, i)))
            .GroupBy(x => x.c)
            .ToDictionary(g => g.Key, g => g.Select(x => x.i).ToArray());

        CanSearchBytes = _keywords.All(k => k.Length >= FingerprintLength && Ascii.IsValid(k));
        _lowerKeywords = CanSearchBytes ? [.. _keywords.Select(k => Encoding.ASCII.GetBytes(k.ToLowerInvariant()))] : [];
        _offsets = [.. _lowerKeywords.Select(RarestFingerprint)];
        var buckets = _lowerKeywords
            .SelectMany((k, i) => CaseVariants(k.AsSpan(_offsets[i], FingerprintLength).ToArray()).Select(f => (Hash: Hash(f), Keyword: i)))
            .Distinct()
            .OrderBy(b => b.Hash).ThenBy(b => b.Keyword)
            .ToArray();
        _bucketKeywords = [.. buckets.Select(b => b.Keyword)];
        foreach (var (hash, _) in buckets)
        {
            _filter[hash >> 6] |= 1UL << (int)hash;
            _bucketStart[hash + 1]++;
        }

        for (var h = 0; h < 1 << HashBits; h++)
        {
            _bucketStart[h + 1] += _bucketStart[h];
        }
    }

    /// <summary>The keywords, as given.</summary>
    public IReadOnlyList<string> Keywords => _keywords;

    /// <summary>Whether <see cref="FindInAscii"/> may be used: every keyword is ASCII and long enough to fingerprint.</summary>
    public bool CanSearchBytes { get; }

    /// <summary>The reference search, on any text.</summary>
    public void FindInText(ReadOnlySpan<char> text, List<KeywordHit> hits)
    {
        for (var position = 0; position < text.Length;)
        {
            var found = text[position..].IndexOfAny(_anyKeyword);
            if (found < 0)
            {
                return;
            }

            var at = position + found;
            if (_byFirstChar.TryGetValue(text[at], out var candidates))
            {
                foreach (var keyword in candidates)
                {
                    if (text[at..].StartsWith(_keywords[keyword], StringComparison.OrdinalIgnoreCase))
                    {
                        hits.Add(new KeywordHit(at, keyword));
                    }
                }
            }

            position = at + 1;
        }
    }

    /// <summary>
    /// The byte search. <paramref name="ascii"/> must be ASCII (<see cref="Ascii.IsValid(ReadOnlySpan{byte})"/>) and
    /// <see cref="CanSearchBytes"/> true; a position in it is then also the position in the text it decodes to.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void FindInAscii(ReadOnlySpan<byte> ascii, List<KeywordHit> hits)
    {
        if (!CanSearchBytes)
        {
            throw new InvalidOperationException("A keyword is not ASCII or is shorter than the fingerprint; use FindInText.");
        }

        // Four positions per step from one 8-byte read: their fingerprints are hashed and probed independently (no
        // chain from one byte to the next), and one branch tells whether any of the four needs a closer look.
        ref var filter = ref MemoryMarshal.GetArrayDataReference(_filter);
        var first = hits.Count;
        var i = 0;
        for (; i + sizeof(ulong) <= ascii.Length; i += 4)
        {
            var eight = BinaryPrimitives.ReadUInt64LittleEndian(ascii[i..]);
            var h0 = Hash((uint)eight & 0xFF_FFFF);
            var h1 = Hash((uint)(eight >> 8) & 0xFF_FFFF);
            var h2 = Hash((uint)(eight >> 16) & 0xFF_FFFF);
            var h3 = Hash((uint)(eight >> 24) & 0xFF_FFFF);
            if (((Bit(ref filter, h0) | Bit(ref filter, h1) | Bit(ref filter, h2) | Bit(ref filter, h3)) & 1) == 0)
            {
                continue;
            }

            Probe(ascii, i, h0, ref filter, hits);
            Probe(ascii, i + 1, h1, ref filter, hits);
            Probe(ascii, i + 2, h2, ref filter, hits);
            Probe(ascii, i + 3, h3, ref filter, hits);
        }

        for (; i + FingerprintLength <= ascii.Length; i++)
        {
            Probe(ascii, i, Hash(Fingerprint(ascii[i], ascii[i + 1], ascii[i + 2])), ref filter, hits);
        }

        // A keyword is found where its fingerprint is, not where it starts: put the hits in the reference's order.
        hits.Sort(first, hits.Count - first, HitOrder.Instance);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Bit(ref ulong filter, uint hash) => Unsafe.Add(ref filter, (int)(hash >> 6)) >> (int)hash;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Probe(ReadOnlySpan<byte> ascii, int at, uint hash, ref ulong filter, List<KeywordHit> hits)
    {
        if ((Bit(ref filter, hash) & 1) != 0)
        {
            Verify(ascii, at, hash, hits);
        }
    }

    /// <param name="at">Where the fingerprint was found.</param>
    private void Verify(ReadOnlySpan<byte> ascii, int at, uint hash, List<KeywordHit> hits)
    {
        for (var b = _bucketStart[hash]; b < _bucketStart[hash + 1]; b++)
        {
            var keyword = _bucketKeywords[b];
            var lower = _lowerKeywords[keyword];
            var start = at - _offsets[keyword];
            if (start >= 0 && start + lower.Length <= ascii.Length && Ascii.EqualsIgnoreCase(ascii.Slice(start, lower.Length), lower))
            {
                hits.Add(new KeywordHit(start, keyword));
            }
        }
    }

    /// <summary>
    /// Where in a keyword its rarest three bytes start, judged by how common each byte is in source code: a
    /// fingerprint such as "con" or "int" (the start of "connection_string" or "integration_key") would send one
    /// position in thirty of C headers to verification; "n_s" or "n_k" far fewer.
    /// </summary>
    private static int RarestFingerprint(byte[] lower)
    {
        var best = 0;
        var bestScore = -1;
        for (var offset = 0; offset + FingerprintLength <= lower.Length; offset++)
        {
            var score = 0;
            for (var j = offset; j < offset + FingerprintLength; j++)
            {
                var rank = ByteCommonness.IndexOf((char)lower[j], StringComparison.Ordinal);
                score += rank < 0 ? 0 : rank;
            }

            if (score > bestScore)
            {
                (best, bestScore) = (offset, score);
            }
        }

        return best;
    }

    /// <summary>
    /// Printable bytes (letters in lower case) from the most to the least common, as counted in C headers, Python's
    /// standard library and this repository's sources. Only the order matters, and only for speed.
    /// </summary>
    private const string ByteCommonness = " etsni_roacldpfumh)*g(,kbyx/v-0.#1;w:'2\"5=z93><|j64}\\8q{&][7@+`$!%?~^";

    private sealed class HitOrder : IComparer<KeywordHit>
    {
        public static readonly HitOrder Instance = new();

        public int Compare(KeywordHit x, KeywordHit y) => x.Position != y.Position ? x.Position.CompareTo(y.Position) : x.Keyword.CompareTo(y.Keyword);
    }

    /// <summary>The first three bytes of a keyword in every ASCII case: the text's bytes are probed as they are.</summary>
    private static IEnumerable<uint> CaseVariants(byte[] lower) =>
        from first in Cases(lower[0])
        from second in Cases(lower[1])
        from third in Cases(lower[2])
        select Fingerprint(first, second, third);

    private static IEnumerable<byte> Cases(byte lower) =>
        lower is >= (byte)'a' and <= (byte)'z' ? [lower, (byte)(lower - 32)] : [lower];

    /// <summary>Three bytes as the search reads them: the first in the low byte.</summary>
    private static uint Fingerprint(byte first, byte second, byte third) => first | ((uint)second << 8) | ((uint)third << 16);

    /// <summary>Fibonacci hashing of a 24-bit fingerprint to <see cref="HashBits"/> bits.</summary>
    private static uint Hash(uint fingerprint) => (fingerprint * 0x9E3779B1u) >> (32 - HashBits);
}
