using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
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
/// <item><see cref="FindInUtf8"/>, on the raw bytes of a UTF-8 file: the three bytes at every position (eight
/// positions per step with AVX2) are hashed and looked up in a 32 KiB bit table of each keyword's rarest three bytes
/// in every ASCII case; only a set bit leads to comparing the few keywords in that hash bucket, ignoring case. Most
/// positions cost a shift, a multiply and one table probe, with no case folding, and the file needs no UTF-16 text for
/// the search.</item>
/// </list>
/// The byte search needs every keyword to be ASCII and at least <see cref="FingerprintLength"/> bytes long
/// (<see cref="CanSearchBytes"/>). On ASCII, ASCII case folding is exactly what ordinal case-insensitive comparison
/// does; and ordinal case-insensitive comparison never equates a non-ASCII character with an ASCII one (not the Kelvin
/// sign with K, nor the long s with s), while in UTF-8, valid or not, an ASCII byte is always its own character. So
/// both searches find the same keywords, the byte search at byte offsets (<see cref="CharacterOffsets"/> turns them
/// into the text's); <c>KeywordSearchTests</c> holds them to it.
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

    // The byte search: keywords in lower case, the bit table, and its buckets, one per set bit (in ascending order of
    // keyword, the bucket of the table's r-th set bit is _buckets[_bucketStart[r].._bucketStart[r + 1]]). A set bit's
    // rank is the number of bits set in the words before its own (_wordRank) and below it in its word: tables of a few
    // KiB that stay in the cache, where an array indexed by hash would take 1 MiB.
    private readonly byte[][] _lowerKeywords;
    private readonly ulong[] _filter = new ulong[(1 << HashBits) / 64];
    private readonly int[] _wordRank = new int[(1 << HashBits) / 64];
    private readonly int[] _bucketStart;
    private readonly Candidate[] _buckets;

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
        _buckets = [.. buckets.Select(b => new Candidate(b.Keyword, _offsets[b.Keyword], _lowerKeywords[b.Keyword]))];
        foreach (var (hash, _) in buckets)
        {
            _filter[hash >> 6] |= 1UL << (int)hash;
        }

        for (var word = 1; word < _wordRank.Length; word++)
        {
            _wordRank[word] = _wordRank[word - 1] + BitOperations.PopCount(_filter[word - 1]);
        }

        _bucketStart = new int[buckets.Select(b => b.Hash).Distinct().Count() + 1];
        foreach (var (hash, _) in buckets)
        {
            _bucketStart[Rank(hash) + 1]++;
        }

        for (var r = 1; r < _bucketStart.Length; r++)
        {
            _bucketStart[r] += _bucketStart[r - 1];
        }
    }

    /// <summary>How many bits of the table are set below <paramref name="hash"/>'s: its bucket's index when it is set.</summary>
    private int Rank(uint hash) =>
        _wordRank[hash >> 6] + BitOperations.PopCount(_filter[hash >> 6] & ((1UL << (int)(hash & 63)) - 1));

    /// <summary>The keywords, as given.</summary>
    public IReadOnlyList<string> Keywords => _keywords;

    /// <summary>Whether <see cref="FindInUtf8"/> may be used: every keyword is ASCII and long enough to fingerprint.</summary>
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
    /// The byte search, on UTF-8 (valid or not) when <see cref="CanSearchBytes"/> is true. Positions are byte offsets:
    /// on ASCII, the offsets in the text it decodes to; otherwise <see cref="CharacterOffsets"/> turns them into those.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void FindInUtf8(ReadOnlySpan<byte> utf8, List<KeywordHit> hits)
    {
        if (!CanSearchBytes)
        {
            throw new InvalidOperationException("A keyword is not ASCII or is shorter than the fingerprint; use FindInText.");
        }

        ref var filter = ref MemoryMarshal.GetArrayDataReference(_filter);
        var first = hits.Count;
        var i = Avx2.IsSupported ? FindEightAtATime(utf8, hits) : 0;

        // Four positions per step from one 8-byte read: their fingerprints are hashed and probed independently (no
        // chain from one byte to the next), and one branch tells whether any of the four needs a closer look.
        for (; i + sizeof(ulong) <= utf8.Length; i += 4)
        {
            var eight = BinaryPrimitives.ReadUInt64LittleEndian(utf8[i..]);
            var h0 = Hash((uint)eight & 0xFF_FFFF);
            var h1 = Hash((uint)(eight >> 8) & 0xFF_FFFF);
            var h2 = Hash((uint)(eight >> 16) & 0xFF_FFFF);
            var h3 = Hash((uint)(eight >> 24) & 0xFF_FFFF);
            if (((Bit(ref filter, h0) | Bit(ref filter, h1) | Bit(ref filter, h2) | Bit(ref filter, h3)) & 1) == 0)
            {
                continue;
            }

            Probe(utf8, i, h0, ref filter, hits);
            Probe(utf8, i + 1, h1, ref filter, hits);
            Probe(utf8, i + 2, h2, ref filter, hits);
            Probe(utf8, i + 3, h3, ref filter, hits);
        }

        for (; i + FingerprintLength <= utf8.Length; i++)
        {
            Probe(utf8, i, Hash(Fingerprint(utf8[i], utf8[i + 1], utf8[i + 2])), ref filter, hits);
        }

        // A keyword is found where its fingerprint is, not where it starts: put the hits in the reference's order.
        hits.Sort(first, hits.Count - first, HitOrder.Instance);
    }

    /// <summary>
    /// The probe of the loop in <see cref="FindInUtf8"/>, eight positions at a time with AVX2: their fingerprints are
    /// shuffled out of the bytes into eight lanes, hashed with one multiply and looked up in the bit table with one
    /// gather. Returns the position where it stopped, for the scalar loop to go on from.
    /// </summary>
    private unsafe int FindEightAtATime(ReadOnlySpan<byte> utf8, List<KeywordHit> hits)
    {
        // Lane k holds bytes k, k + 1 and k + 2 of the eight-position step, the first in its low byte (Fingerprint):
        // the lower 128-bit half is loaded from the step's start, the upper half from four bytes on.
        var fingerprints = Vector256.Create(
            (byte)0, 1, 2, 0x80, 1, 2, 3, 0x80, 2, 3, 4, 0x80, 3, 4, 5, 0x80,
            0, 1, 2, 0x80, 1, 2, 3, 0x80, 2, 3, 4, 0x80, 3, 4, 5, 0x80);
        var multiplier = Vector256.Create(0x9E3779B1u);
        var i = 0;
        fixed (byte* text = utf8)
        fixed (ulong* table = _filter)
        {
            // Bit h of the table is bit h % 32 of its 32-bit word h / 32 (the machine is little-endian: x86).
            // In bounds, the reason this pointer code is safe on hostile input: the loads read bytes i to i + 19, and
            // the loop runs while i + 20 <= utf8.Length; a hash is under 2^HashBits, so its word h / 32 is under the
            // table's 2^HashBits / 32 words (_filter holds 2^HashBits bits).
            var words = (int*)table;
            for (; i + 20 <= utf8.Length; i += 8)
            {
                var bytes = Vector256.Create(Vector128.Load(text + i), Vector128.Load(text + i + 4));
                var hashes = (Avx2.Shuffle(bytes, fingerprints).AsUInt32() * multiplier) >> (32 - HashBits);
                var words32 = Avx2.GatherVector256(words, (hashes >> 5).AsInt32(), 4).AsUInt32();
                // Each lane's bit moved to the top of its lane, where ExtractMostSignificantBits reads it.
                var set = (Avx2.ShiftRightLogicalVariable(words32, hashes & Vector256.Create(31u)) << 31).ExtractMostSignificantBits();
                for (; set != 0; set &= set - 1)
                {
                    var k = BitOperations.TrailingZeroCount(set);
                    Verify(utf8, i + k, hashes.GetElement(k), hits);
                }
            }
        }

        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Bit(ref ulong filter, uint hash) => Unsafe.Add(ref filter, (int)(hash >> 6)) >> (int)hash;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Probe(ReadOnlySpan<byte> utf8, int at, uint hash, ref ulong filter, List<KeywordHit> hits)
    {
        if ((Bit(ref filter, hash) & 1) != 0)
        {
            Verify(utf8, at, hash, hits);
        }
    }

    /// <param name="at">Where the fingerprint was found.</param>
    private void Verify(ReadOnlySpan<byte> utf8, int at, uint hash, List<KeywordHit> hits)
    {
        var bucket = Rank(hash);
        for (var b = _bucketStart[bucket]; b < _bucketStart[bucket + 1]; b++)
        {
            ref readonly var candidate = ref _buckets[b];
            var start = at - candidate.Offset;
            if (start >= 0 && start + candidate.Lower.Length <= utf8.Length && candidate.Matches(utf8[start..]))
            {
                hits.Add(new KeywordHit(start, candidate.Keyword));
            }
        }
    }

    /// <summary>
    /// A keyword as its bucket holds it. Most fingerprints found in text start no keyword ("n_s" is in many an
    /// identifier), so a candidate is first compared on its first eight bytes in one step: the text's bytes, with
    /// 0x20 set where the keyword has a letter (which folds an ASCII capital onto its lower case and nothing else onto
    /// a letter), against the keyword's lower case.
    /// </summary>
    private readonly struct Candidate
    {
        public Candidate(int keyword, int offset, byte[] lower)
        {
            (Keyword, Offset, Lower) = (keyword, offset, lower);
            for (var i = 0; i < Math.Min(lower.Length, sizeof(ulong)); i++)
            {
                _head |= (ulong)lower[i] << (8 * i);
                _headMask |= 0xFFUL << (8 * i);
                _headFold |= (lower[i] is >= (byte)'a' and <= (byte)'z' ? 0x20UL : 0) << (8 * i);
            }
        }

        public int Keyword { get; }

        /// <summary>Where in the keyword its fingerprint starts.</summary>
        public int Offset { get; }

        public byte[] Lower { get; }

        private readonly ulong _head;
        private readonly ulong _headMask;
        private readonly ulong _headFold;

        /// <summary>
        /// Whether <paramref name="text"/> (at least as long as the keyword) starts with the keyword, ignoring ASCII case.
        /// A byte over 0x7F stays over it with 0x20 set, so it never matches a keyword's (ASCII) byte.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool Matches(ReadOnlySpan<byte> text)
        {
            if (text.Length < sizeof(ulong))
            {
                return Ascii.EqualsIgnoreCase(text[..Lower.Length], Lower);
            }

            if (((BinaryPrimitives.ReadUInt64LittleEndian(text) | _headFold) & _headMask) != _head)
            {
                return false;
            }

            return Lower.Length <= sizeof(ulong)
                || Ascii.EqualsIgnoreCase(text[sizeof(ulong)..Lower.Length], Lower.AsSpan(sizeof(ulong)));
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
