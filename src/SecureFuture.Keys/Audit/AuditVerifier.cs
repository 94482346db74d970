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
        var problems = new List<string>();
        var bySequence = new Dictionary<long, AuditRecord>();
        var expectedPrevious = AuditRecord.GenesisHash;
        long expectedSequence = 1;
        foreach (var record in records)
        {
            if (record.Sequence != expectedSequence)
            {
                problems.Add(record.Sequence > expectedSequence
                    ? $"record {expectedSequence}{(record.Sequence - expectedSequence > 1 ? $"-{record.Sequence - 1}" : string.Empty)} removed (the sequence jumps from {expectedSequence - 1} to {record.Sequence})"
                    : $"record {record.Sequence} out of order (expected {expectedSequence})");
            }

            if (record.RecomputeHash() != record.Hash)
            {
                problems.Add($"record {record.Sequence} edited: its hash does not match its contents ({record.Action} by {record.Actor})");
            }
            else if (record.PreviousHash != expectedPrevious)
            {
                problems.Add($"record {record.Sequence} does not follow the record before it (reordered, or a record before it was removed or rewritten)");
            }

            bySequence[record.Sequence] = record;
            expectedPrevious = record.Hash;
            expectedSequence = record.Sequence + 1;
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
