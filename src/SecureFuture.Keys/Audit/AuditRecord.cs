using System.Globalization;
using System.Text;
using System.Text.Json;
using SecureFuture.Core;

namespace SecureFuture.Keys.Audit;

/// <summary>An event to record: who did what to which ring or key, with details as flat string pairs.</summary>
public sealed record AuditEntry(string Actor, string Action, string? Ring, string? Kid, IReadOnlyDictionary<string, string>? Details = null);

/// <summary>
/// One record of the append-only audit log. <see cref="Hash"/> is SHA-256 over the previous record's hash and this
/// record's canonical form, so an edited, removed or reordered record breaks every hash after it.
/// </summary>
public sealed record AuditRecord(long Sequence, DateTimeOffset At, string Actor, string Action, string? Ring, string? Kid, string Details, string PreviousHash, string Hash)
{
    /// <summary>The hash that precedes the first record.</summary>
    public const string GenesisHash = HashChain.GenesisHash;

    /// <summary>Builds the record that follows <paramref name="previousHash"/>.</summary>
    public static AuditRecord Create(long sequence, DateTimeOffset at, AuditEntry entry, string previousHash)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var details = CanonicalDetails(entry.Details);
        var at2 = DateTimeOffset.FromUnixTimeMilliseconds(at.ToUnixTimeMilliseconds());
        return new AuditRecord(sequence, at2, entry.Actor, entry.Action, entry.Ring, entry.Kid, details, previousHash,
            ComputeHash(sequence, at2, entry.Actor, entry.Action, entry.Ring, entry.Kid, details, previousHash));
    }

    /// <summary>Recomputes the hash from the stored fields.</summary>
    public string RecomputeHash() => ComputeHash(Sequence, At, Actor, Action, Ring, Kid, Details, PreviousHash);

    private static string ComputeHash(long sequence, DateTimeOffset at, string actor, string action, string? ring, string? kid, string details, string previousHash)
        => HashChain.Link(previousHash, sequence, json =>
        {
            json.WriteNumberValue(at.ToUnixTimeMilliseconds());
            json.WriteStringValue(actor);
            json.WriteStringValue(action);
            WriteNullable(json, ring);
            WriteNullable(json, kid);
            json.WriteStringValue(details);
        });

    private static void WriteNullable(Utf8JsonWriter json, string? value)
    {
        if (value is null)
        {
            json.WriteNullValue();
        }
        else
        {
            json.WriteStringValue(value);
        }
    }

    private static string CanonicalDetails(IReadOnlyDictionary<string, string>? details)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (var pair in (details ?? new Dictionary<string, string>()).OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                json.WriteString(pair.Key, pair.Value);
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}

/// <summary>A checkpoint: the chain's head hash at <see cref="Sequence"/>, signed in the HSM by the audit key.</summary>
public sealed record AuditCheckpoint(long Sequence, DateTimeOffset At, string RecordHash, string KeyId, string Signature)
{
    /// <summary>The bytes the audit key signs for a checkpoint.</summary>
    public static byte[] SigningInput(long sequence, DateTimeOffset at, string recordHash)
        => Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"sfi-audit-checkpoint/v1\n{sequence}\n{at.ToUnixTimeMilliseconds()}\n{recordHash}"));
}
