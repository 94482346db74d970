using System.Security.Cryptography;
using System.Text.Json;

namespace SecureFuture.Core;

/// <summary>
/// An append-only log made tamper-evident by chaining: each record's hash is SHA-256 over the previous record's hash,
/// its sequence number and its own fields (as a canonical JSON array), so an edited, removed or reordered record
/// breaks every hash after it. Used by the key audit and the findings history.
/// </summary>
public static class HashChain
{
    /// <summary>The hash that precedes the first record.</summary>
    public const string GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>
    /// The hash of a record: SHA-256 (lower-case hex) over the JSON array <c>[previousHash, sequence, ...fields]</c>,
    /// the fields written by <paramref name="writeFields"/> in a fixed order.
    /// </summary>
    public static string Link(string previousHash, long sequence, Action<Utf8JsonWriter> writeFields)
    {
        ArgumentNullException.ThrowIfNull(writeFields);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            json.WriteStringValue(previousHash);
            json.WriteNumberValue(sequence);
            writeFields(json);
            json.WriteEndArray();
        }

        return Convert.ToHexStringLower(SHA256.HashData(buffer.WrittenSpan));
    }

    /// <summary>
    /// Verifies records in stored order, naming the first record of each kind of damage: an edited record (its hash no
    /// longer matches its fields), a removed record (a gap in the sequence), a reordered record (its previous-hash link
    /// points elsewhere). <paramref name="describe"/> names a record in a problem ("dismissed by alice").
    /// </summary>
    public static IReadOnlyList<string> Verify<T>(IEnumerable<T> records, Func<T, ChainLink> link, Func<T, string> describe)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(link);
        ArgumentNullException.ThrowIfNull(describe);
        var problems = new List<string>();
        var expectedPrevious = GenesisHash;
        long expectedSequence = 1;
        foreach (var record in records)
        {
            var (sequence, previousHash, hash, recomputed) = link(record);
            if (sequence != expectedSequence)
            {
                problems.Add(sequence > expectedSequence
                    ? $"record {expectedSequence}{(sequence - expectedSequence > 1 ? $"-{sequence - 1}" : string.Empty)} removed (the sequence jumps from {expectedSequence - 1} to {sequence})"
                    : $"record {sequence} out of order (expected {expectedSequence})");
            }

            if (recomputed != hash)
            {
                problems.Add($"record {sequence} edited: its hash does not match its contents ({describe(record)})");
            }
            else if (previousHash != expectedPrevious)
            {
                problems.Add($"record {sequence} does not follow the record before it (reordered, or a record before it was removed or rewritten)");
            }

            expectedPrevious = hash;
            expectedSequence = sequence + 1;
        }

        return problems;
    }
}

/// <summary>What <see cref="HashChain.Verify"/> needs of a record: its place, its stored links and its recomputed hash.</summary>
public readonly record struct ChainLink(long Sequence, string PreviousHash, string Hash, string RecomputedHash);
