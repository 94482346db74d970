using System.Globalization;
using System.Threading.Channels;
using SecureFuture.Keys.Storage;

namespace SecureFuture.Keys.Audit;

/// <summary>
/// The audit trail of signatures. Every signature is queued with its ring, kid, caller and the SHA-256 of what was
/// signed; a flush writes them in one transaction, as one <c>key.signed</c> record per ring and caller listing each
/// signature (<c>kid digest</c> per line). Batching keeps the audit chain from becoming the bottleneck of signing (one
/// record per signature would serialize every signature on the chain's tail). The queue is bounded: when the store
/// cannot keep up, signing waits rather than a signature going unrecorded. A crash loses at most the signatures made
/// since the last flush (the host flushes every second and on stop).
/// </summary>
internal sealed class SignatureAudit(IKeyStore store, TimeProvider clock)
{
    private const int Capacity = 65_536;
    private const int RecordsPerBatch = 512;

    private readonly Channel<Signed> _queue = Channel.CreateBounded<Signed>(new BoundedChannelOptions(Capacity) { SingleReader = false, FullMode = BoundedChannelFullMode.Wait });
    private int _flushing;

    // Signatures read from the queue whose write failed: written first by the next flush (one flush at a time).
    private readonly List<Signed> _batch = [];

    public ValueTask AddAsync(string actor, string ring, string kid, byte[] digest, CancellationToken cancellationToken)
    {
        var item = new Signed(actor, ring, kid, Base64Url.Encode(digest));
        return _queue.Writer.TryWrite(item) ? ValueTask.CompletedTask : _queue.Writer.WriteAsync(item, cancellationToken);
    }

    /// <summary>Writes every queued signature; on a store error (the transaction rolled back) the batch is kept for the next flush.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        while (Interlocked.CompareExchange(ref _flushing, 1, 0) != 0)
        {
            await Task.Delay(10, cancellationToken);
        }

        try
        {
            var batch = _batch;
            while (true)
            {
                while (batch.Count < RecordsPerBatch * 8 && _queue.Reader.TryRead(out var item))
                {
                    batch.Add(item);
                }

                if (batch.Count == 0)
                {
                    return;
                }

                var entries = batch
                    .GroupBy(s => (s.Ring, s.Actor))
                    .SelectMany(g => g.Chunk(RecordsPerBatch))
                    .Select(chunk => new AuditEntry(chunk[0].Actor, "key.signed", chunk[0].Ring, chunk.Select(s => s.Kid).Distinct(StringComparer.Ordinal).Count() == 1 ? chunk[0].Kid : null,
                        new Dictionary<string, string>
                        {
                            ["count"] = chunk.Length.ToString(CultureInfo.InvariantCulture),
                            ["signatures"] = string.Join('\n', chunk.Select(s => s.Kid + " " + s.Digest)),
                        }))
                    .ToArray();
                // Not cancellable: these signatures were handed out; stopping must not drop their record.
                if (!await store.ApplyAsync([], entries, clock.GetUtcNow(), CancellationToken.None))
                {
                    throw new InvalidOperationException("the store refused to append signature audit records");
                }

                batch.Clear();
            }
        }
        finally
        {
            Volatile.Write(ref _flushing, 0);
        }
    }

    private sealed record Signed(string Actor, string Ring, string Kid, string Digest);
}
