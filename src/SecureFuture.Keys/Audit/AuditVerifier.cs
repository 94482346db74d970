using SecureFuture.Core;

namespace SecureFuture.Keys.Audit;

/// <summary>The outcome of verifying the audit log.</summary>
public sealed record AuditVerification(long Records, int Checkpoints, long LastCheckpointSequence, IReadOnlyList<string> Problems)
{
    public bool IsIntact => Problems.Count == 0;
}

/// <summary>
/// Verifies the hash chain and the signed checkpoints. It names the first broken record of each kind of damage:
/// an edited record (its hash no longer matches its fields), a removed record (a gap in the sequence), a reordered
/// record (its previous-hash link points elsewhere), a truncated tail (a checkpoint beyond the last record) and a
/// rewritten chain (a checkpoint whose signed hash differs from the record's).
/// </summary>
public static class AuditVerifier
{
    /// <summary>Verifies records (in stored order) and checkpoints; <paramref name="verifyCheckpoint"/> checks a checkpoint's signature.</summary>
    public static AuditVerification Verify(IReadOnlyList<AuditRecord> records, IReadOnlyList<AuditCheckpoint> checkpoints, Func<AuditCheckpoint, bool> verifyCheckpoint)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(checkpoints);
        ArgumentNullException.ThrowIfNull(verifyCheckpoint);
        var problems = HashChain.Verify(records, r => new ChainLink(r.Sequence, r.PreviousHash, r.Hash, r.RecomputeHash()), r => $"{r.Action} by {r.Actor}").ToList();
        var bySequence = new Dictionary<long, AuditRecord>();
        foreach (var record in records)
        {
            bySequence[record.Sequence] = record;
        }

        long lastCheckpoint = 0;
        foreach (var checkpoint in checkpoints.OrderBy(c => c.Sequence))
        {
            lastCheckpoint = Math.Max(lastCheckpoint, checkpoint.Sequence);
            if (!verifyCheckpoint(checkpoint))
            {
                problems.Add($"checkpoint at record {checkpoint.Sequence}: signature does not verify with the HSM audit key");
                continue;
            }

            if (!bySequence.TryGetValue(checkpoint.Sequence, out var record))
            {
                problems.Add($"checkpoint at record {checkpoint.Sequence}: the record is missing (the log was truncated or the record removed)");
            }
            else if (record.Hash != checkpoint.RecordHash)
            {
                problems.Add($"checkpoint at record {checkpoint.Sequence}: the signed chain hash differs from the stored one (the chain was rewritten)");
            }
        }

        return new AuditVerification(records.Count, checkpoints.Count, lastCheckpoint, problems);
    }
}
