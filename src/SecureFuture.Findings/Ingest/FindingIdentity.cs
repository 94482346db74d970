using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace SecureFuture.Findings.Ingest;

/// <summary>A result's first location: path (decoded, relative), logical location, lines and snippet.</summary>
internal readonly record struct ResultLocation(string? Path, string? LogicalName, int? StartLine, int? EndLine, string? Snippet);

/// <summary>
/// A finding's identity across analyses: SHA-256 over the producing tool, the rule, where (path, else logical
/// location) and the most stable statement the producer made about the result, in this order of preference:
/// <list type="number">
/// <item><c>primaryLocationLineHash</c> in <c>partialFingerprints</c>: GitHub's hash of the flagged line's content, with an
/// occurrence suffix, which does not change when unrelated lines move the result (SARIF §3.27.17);</item>
/// <item>the tool's own <c>fingerprints</c> (§3.27.16), else its other <c>partialFingerprints</c>, every key and value in
/// ordinal key order;</item>
/// <item>the flagged snippet (<c>region.snippet.text</c>, else <c>contextRegion.snippet.text</c>) with all white space
/// removed, and which occurrence of that snippet in the file (by distinct start line, in log order);</item>
/// <item>for a located result without any of those, the message instead of the snippet, and its occurrence;</item>
/// <item>for a result without a location, the rule and the message.</item>
/// </list>
/// The path is always part of the identity, even with a tool's fingerprints (some do not include it): a renamed file
/// starts new findings, as in GitHub code scanning, and equal lines in two files are never merged.
/// </summary>
internal static class FindingIdentity
{
    public const string LineHashKey = "primaryLocationLineHash";

    /// <summary>The identity of a result and which of the rules above gave it.</summary>
    public static (byte[] Identity, string Source) Of(
        JsonElement result, string tool, string ruleId, ResultLocation location, string message, string category, IdentityTracker identities)
    {
        var where = location.Path ?? location.LogicalName;
        if (Fingerprint(result, "partialFingerprints"u8, LineHashKey) is { } lineHash)
        {
            return (Hash([LineHashKey, tool, ruleId, where, lineHash]), LineHashKey);
        }

        if (ToolFingerprints(result, "fingerprints"u8) is { } full)
        {
            return (Hash([.. (ReadOnlySpan<string?>)["fingerprints", tool, ruleId, where], .. full]), "fingerprints");
        }

        if (ToolFingerprints(result, "partialFingerprints"u8) is { } partial)
        {
            return (Hash([.. (ReadOnlySpan<string?>)["partialFingerprints", tool, ruleId, where], .. partial]), "partialFingerprints");
        }

        if (where is null)
        {
            return (Hash(["message", tool, ruleId, Normalize(message)]), "message");
        }

        var (kind, content) = location.Snippet is { } snippet && Normalize(snippet) is { Length: > 0 } normalized
            ? ("snippet", normalized)
            : ("location", Normalize(message));
        var key = Hash([kind, tool, ruleId, where, content]);
        return (WithOccurrence(key, identities.Occurrence(category, key, location.StartLine ?? 0)), kind);
    }

    /// <summary>The identity's hash of length-prefixed UTF-8 parts (so that no two part lists hash alike).</summary>
    public static byte[] Hash(ReadOnlySpan<string?> parts)
    {
        var size = 0;
        foreach (var part in parts)
        {
            size += 4 + Encoding.UTF8.GetMaxByteCount(part?.Length ?? 0);
        }

        var rented = size > 1024 ? ArrayPool<byte>.Shared.Rent(size) : null;
        var buffer = rented is null ? stackalloc byte[1024] : rented;
        var written = 0;
        foreach (var part in parts)
        {
            var length = Encoding.UTF8.GetBytes(part ?? "", buffer[(written + 4)..]);
            BinaryPrimitives.WriteInt32LittleEndian(buffer[written..], part is null ? -1 : length);
            written += 4 + length;
        }

        var hash = SHA256.HashData(buffer[..written]);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        return hash;
    }

    /// <summary>The hash with the occurrence number added, for identities that need it.</summary>
    public static byte[] WithOccurrence(byte[] baseHash, int occurrence)
    {
        Span<byte> input = stackalloc byte[baseHash.Length + 4];
        baseHash.CopyTo(input);
        BinaryPrimitives.WriteInt32LittleEndian(input[baseHash.Length..], occurrence);
        return SHA256.HashData(input);
    }

    /// <summary>Text with every white-space character removed: re-indenting or re-wrapping code keeps the identity.</summary>
    public static string Normalize(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (!char.IsWhiteSpace(c))
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private static string? Fingerprint(JsonElement result, ReadOnlySpan<byte> property, string key) =>
        result.TryGetProperty(property, out var bag) && bag.ValueKind == JsonValueKind.Object ? RunContext.Text(bag, key) : null;

    /// <summary>Every key and value of a fingerprint bag but GitHub's line hash, in ordinal key order; null when there are none.</summary>
    private static string[]? ToolFingerprints(JsonElement result, ReadOnlySpan<byte> property)
    {
        if (!result.TryGetProperty(property, out var bag) || bag.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var pairs = bag.EnumerateObject()
            .Where(p => p.Name != LineHashKey && IsOpaqueId(p.Value))
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .SelectMany(p => new[] { p.Name, p.Value.GetString()! })
            .ToArray();
        return pairs.Length == 0 ? null : pairs;
    }

    /// <summary>
    /// A fingerprint that can be an identity: a string of at least 8 characters without white space. Semgrep run
    /// without a login writes the same placeholder, <c>"requires login"</c>, as every result's <c>matchBasedId/v1</c>;
    /// trusted, it would merge every finding of a rule in a file into one, so such values are passed over and the
    /// identity comes from the snippet.
    /// </summary>
    private static bool IsOpaqueId(JsonElement value) =>
        value.ValueKind == JsonValueKind.String && value.GetString() is { Length: >= 8 } text && !text.Any(char.IsWhiteSpace);

    public static UInt128 Key(byte[] hash) =>
        new(BinaryPrimitives.ReadUInt64LittleEndian(hash), BinaryPrimitives.ReadUInt64LittleEndian(hash.AsSpan(8)));
}

/// <summary>
/// Per-category memory of one log: which identities were produced (a second result with one is a duplicate) and which
/// start lines each snippet or message key was seen at (its occurrence number). 128-bit keys keep a million results
/// in a few tens of megabytes.
/// </summary>
internal sealed class IdentityTracker
{
    private readonly Dictionary<string, CategoryState> _categories = new(StringComparer.Ordinal);

    /// <summary>1 for the first start line a key is seen at, 2 for the second distinct one, and so on; the same line again gives the same number.</summary>
    public int Occurrence(string category, byte[] keyHash, int line)
    {
        var state = State(category);
        var key = (FindingIdentity.Key(keyHash), line);
        if (state.Occurrences.TryGetValue(key, out var occurrence))
        {
            return occurrence;
        }

        var baseKey = key.Item1;
        state.Counts.TryGetValue(baseKey, out var count);
        state.Counts[baseKey] = ++count;
        state.Occurrences[key] = count;
        return count;
    }

    /// <summary>True the first time an identity is seen in a category; false for a duplicate.</summary>
    public bool FirstTime(string category, byte[] identity) => State(category).Seen.Add(FindingIdentity.Key(identity));

    private CategoryState State(string category)
    {
        if (!_categories.TryGetValue(category, out var state))
        {
            state = new CategoryState();
            _categories[category] = state;
        }

        return state;
    }

    private sealed class CategoryState
    {
        public HashSet<UInt128> Seen { get; } = [];

        public Dictionary<(UInt128, int), int> Occurrences { get; } = [];

        public Dictionary<UInt128, int> Counts { get; } = [];
    }
}
