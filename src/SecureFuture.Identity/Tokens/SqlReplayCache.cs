using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using SecureFuture.Identity.Clients;
using SecureFuture.Identity.Validation;

namespace SecureFuture.Identity.Tokens;

/// <summary>
/// Single-use identifiers (client-assertion and DPoP proof <c>jti</c>s) remembered in the store's database until they
/// expire, so every node of a PostgreSQL deployment sees the others' and a replay to another node behind the load
/// balancer is refused as it is on the first, and, on SQLite as on PostgreSQL, a replay right after a restart is
/// refused as it was before.
/// </summary>
/// <remarks>
/// Identifiers are stored as their SHA-256 (fixed size whatever the client sent). On SQLite, which serves one node, they
/// are decided by the store's <see cref="ReplayJournal"/>. On PostgreSQL, checks that arrive while one is
/// being written are written together in the next statement (at most <see cref="MaxBatch"/>), so under load a node
/// makes far fewer round trips than it checks identifiers; each identifier is still decided by the database's
/// conflict check, so two nodes can never both accept it. An identifier that appears twice in one batch is accepted
/// once. Expired rows are taken over by a new use and deleted by <see cref="PurgeAsync"/>, which the server calls
/// periodically.
/// </remarks>
public sealed class SqlReplayCache(SqlClientStore store, TimeProvider clock) : IReplayCache
{
    /// <summary>Most identifiers written in one statement.</summary>
    public const int MaxBatch = 64;

    private readonly ConcurrentQueue<Pending> _pending = new();
    private int _writing;

    /// <inheritdoc/>
    public async ValueTask<bool> TryAddAsync(string id, DateTimeOffset until, CancellationToken cancellationToken)
        => (await TryAddAllAsync([(id, until)], cancellationToken))[0];

    /// <inheritdoc/>
    /// <remarks>The identifiers of one call are written in the same statement and commit.</remarks>
    public async ValueTask<bool[]> TryAddAllAsync(IReadOnlyList<(string Id, DateTimeOffset Until)> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count is 0 or > MaxBatch)
        {
            throw new ArgumentException($"one to {MaxBatch} identifiers at a time", nameof(ids));
        }

        if (store.Journal is { } journal)
        {
            // SQLite: one node, which decides in memory and writes the journal in groups of its own.
            var hashes = new (byte[] Hash, long UntilMs)[ids.Count];
            for (var i = 0; i < hashes.Length; i++)
            {
                hashes[i] = (SHA256.HashData(Encoding.UTF8.GetBytes(ids[i].Id)), ids[i].Until.ToUnixTimeMilliseconds());
            }

            return await journal.TryAddAllAsync(hashes, clock.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken);
        }

        var pending = new Pending([.. ids.Select(i => (SHA256.HashData(Encoding.UTF8.GetBytes(i.Id)), i.Until))], new TaskCompletionSource<bool[]>(TaskCreationOptions.RunContinuationsAsynchronously));
        _pending.Enqueue(pending);
        if (Interlocked.CompareExchange(ref _writing, 1, 0) == 0)
        {
            _ = Task.Run(WriteAllAsync, CancellationToken.None);
        }

        return await pending.Decided.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Deletes expired identifiers; returns how many.</summary>
    public Task<int> PurgeAsync(CancellationToken cancellationToken) => store.PurgeReplayIdsAsync(clock.GetUtcNow(), cancellationToken);

    /// <summary>Writes batches until nothing is pending, then lets the next caller start a writer.</summary>
    private async Task WriteAllAsync()
    {
        while (true)
        {
            // A request's identifiers go in whole: the batch may hold up to MaxBatch - 1 more than MaxBatch.
            var batch = new List<Pending>(MaxBatch);
            var identifiers = 0;
            while (identifiers < MaxBatch && _pending.TryDequeue(out var next))
            {
                batch.Add(next);
                identifiers += next.Ids.Length;
            }

            if (batch.Count > 0)
            {
                await WriteAsync(batch);
                continue;
            }

            Volatile.Write(ref _writing, 0);
            // A caller may have enqueued after the queue looked empty but before the flag was cleared: it saw the flag
            // set and started no writer, so this one carries on.
            if (_pending.IsEmpty || Interlocked.CompareExchange(ref _writing, 1, 0) != 0)
            {
                return;
            }
        }
    }

    private async Task WriteAsync(List<Pending> batch)
    {
        // The first of equal identifiers in a batch is the one written; the others are replays of it.
        var first = new Dictionary<string, (byte[] Id, DateTimeOffset Until)>(StringComparer.Ordinal);
        foreach (var pending in batch)
        {
            foreach (var id in pending.Ids)
            {
                first.TryAdd(Convert.ToBase64String(id.Hash), (id.Hash, id.Until));
            }
        }

        try
        {
            var accepted = await store.TryRecordOnceAsync([.. first.Values], clock.GetUtcNow(), CancellationToken.None);
            foreach (var pending in batch)
            {
                var decided = new bool[pending.Ids.Length];
                for (var i = 0; i < decided.Length; i++)
                {
                    // Remove: a later copy of the same identifier, in this batch, is a replay of the first.
                    decided[i] = accepted.Remove(Convert.ToBase64String(pending.Ids[i].Hash));
                }

                pending.Decided.TrySetResult(decided);
            }
        }
        catch (Exception e)
        {
            foreach (var pending in batch)
            {
                pending.Decided.TrySetException(e); // callers refuse what could not be checked
            }
        }
    }

    /// <summary>One caller's identifiers (their SHA-256) and what the database decided for each.</summary>
    private sealed record Pending((byte[] Hash, DateTimeOffset Until)[] Ids, TaskCompletionSource<bool[]> Decided);
}
