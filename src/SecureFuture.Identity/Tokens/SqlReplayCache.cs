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
/// <para>Identifiers are stored as their SHA-256 (fixed size whatever the client sent). Checks that arrive while one is
/// being written are written together in the next statement (at most <see cref="MaxBatch"/>), so under load a node
/// makes far fewer round trips than it checks identifiers; each identifier is still decided by the database's
/// conflict check, so two nodes can never both accept it. An identifier that appears twice in one batch is accepted
/// once. Expired rows are taken over by a new use and deleted by <see cref="PurgeAsync"/>, which the server calls
/// periodically.</para>
/// <para>On SQLite, when the machine's boot id can be read, the single writer commits on a connection of its own that
/// does not wait for the disk (WAL with <c>synchronous=NORMAL</c>): a process crash loses nothing (the commit is in
/// the operating system's page cache), an OS crash or power loss may lose the last commits, and the boot id changes
/// exactly then. So the writer keeps durable (in commits that do wait for the disk) the boot id it writes under and a
/// horizon that no identifier it commits is recorded beyond. A cache that opens the store and finds another boot id
/// there (or cannot read its own) refuses every identifier until that horizon: whatever may have been lost had
/// expired by then. Without a boot id every commit waits for the disk, as on PostgreSQL.</para>
/// </remarks>
/// <param name="store">The database the identifiers are written to.</param>
/// <param name="clock">The clock identifiers expire by.</param>
/// <param name="bootId">This machine's boot id, or null when it cannot be read; by default <see cref="ReadBootId"/>.</param>
public sealed class SqlReplayCache(SqlClientStore store, TimeProvider clock, Func<string?>? bootId = null) : IReplayCache, IAsyncDisposable
{
    /// <summary>Most identifiers written in one statement.</summary>
    public const int MaxBatch = 64;

    /// <summary>
    /// How far past the latest expiry seen the durable horizon is moved when an identifier would pass it: one commit
    /// that waits for the disk about this often under steady load, and at most this much longer a refusal window after
    /// an OS crash.
    /// </summary>
    public static readonly TimeSpan HorizonStep = TimeSpan.FromMinutes(1);

    private const string BootIdPath = "/proc/sys/kernel/random/boot_id";

    private readonly ConcurrentQueue<Pending> _pending = new();
    private readonly Func<string?> _bootId = bootId ?? ReadBootId;
    private int _writing;

    /// <summary>The single writer's state; only the writer task touches it.</summary>
    private Writer? _writer;

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

    /// <summary>Closes the writer's own connection, if it has one.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _writer, null)?.Unsynced is { } unsynced)
        {
            await unsynced.DisposeAsync();
        }
    }

    /// <summary>
    /// The boot id of the running Linux kernel (<c>/proc/sys/kernel/random/boot_id</c>), which changes exactly when
    /// the machine restarts; null when it cannot be read (another OS, a sandbox without <c>/proc</c>).
    /// </summary>
    public static string? ReadBootId()
    {
        try
        {
            var id = File.ReadAllText(BootIdPath).Trim();
            return id.Length > 0 ? id : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

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
            var accepted = await RecordAsync([.. first.Values]);
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

    /// <summary>Writes one batch through the writer (opened on first use, and again after a failure).</summary>
    private async Task<HashSet<string>> RecordAsync(List<(byte[] Id, DateTimeOffset Until)> ids)
    {
        var writer = _writer ??= await OpenWriterAsync();
        var now = clock.GetUtcNow();
        if (now < writer.RefuseUntil)
        {
            throw new ReplayCacheRecoveringException(writer.RefuseUntil);
        }

        if (writer.Unsynced is not { } unsynced)
        {
            return await store.TryRecordOnceAsync(ids, now, CancellationToken.None);
        }

        var latest = ids.Max(i => i.Until);
        DateTimeOffset? raise = latest > writer.Horizon ? latest + HorizonStep : null;
        try
        {
            var recorded = await unsynced.TryRecordOnceAsync(ids, now, raise, CancellationToken.None);
            if (raise is { } raised)
            {
                writer.Horizon = raised;
            }

            return recorded;
        }
        catch
        {
            // A fresh connection next time, which reads the guard again.
            _writer = null;
            await unsynced.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// PostgreSQL: every commit is as durable as the server makes it, nothing to guard. SQLite: reads the guard, works
    /// out the refusal window it leaves (another boot, or none to compare: until its horizon), and, when this boot's id
    /// is known, writes the guard under it, durably, before the first unsynced commit.
    /// </summary>
    private async Task<Writer> OpenWriterAsync()
    {
        if (store.IsPostgres)
        {
            return new Writer(null, DateTimeOffset.MinValue, DateTimeOffset.MinValue);
        }

        var current = _bootId();
        var unsynced = await store.OpenReplayWriterAsync(CancellationToken.None);
        try
        {
            var guard = await unsynced.ReadGuardAsync(CancellationToken.None);
            var refuseUntil = guard is null ? DateTimeOffset.MinValue
                : current is not null && string.Equals(guard.BootId, current, StringComparison.Ordinal) ? guard.RefuseUntil
                : Later(guard.RefuseUntil, guard.Horizon); // unsynced commits of another boot (or of one not comparable) may be lost
            if (current is null)
            {
                await unsynced.DisposeAsync();
                return new Writer(null, DateTimeOffset.MinValue, refuseUntil);
            }

            var horizon = Later(guard?.Horizon ?? DateTimeOffset.MinValue, clock.GetUtcNow());
            await unsynced.WriteGuardAsync(new ReplayGuardRecord(current, horizon, refuseUntil), CancellationToken.None);
            return new Writer(unsynced, horizon, refuseUntil);
        }
        catch
        {
            await unsynced.DisposeAsync();
            throw;
        }
    }

    private static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    /// <summary>
    /// The writer: its own unsynced connection (SQLite with a boot id) or none (commits that wait for the disk, on the
    /// shared pool), the durable horizon, and until when every identifier is refused.
    /// </summary>
    private sealed class Writer(SqliteReplayWriter? unsynced, DateTimeOffset horizon, DateTimeOffset refuseUntil)
    {
        public SqliteReplayWriter? Unsynced { get; } = unsynced;

        public DateTimeOffset Horizon { get; set; } = horizon;

        public DateTimeOffset RefuseUntil { get; } = refuseUntil;
    }

    /// <summary>One caller's identifiers (their SHA-256) and what the database decided for each.</summary>
    private sealed record Pending((byte[] Hash, DateTimeOffset Until)[] Ids, TaskCompletionSource<bool[]> Decided);
}

/// <summary>
/// Every single-use identifier is refused until <see cref="Until"/>: the replay cache's last unsynced commits, made
/// under another boot of the machine, may have been lost in an OS crash or power loss, and identifiers in them could
/// otherwise be accepted a second time before they expire. Callers refuse as for any cache that cannot answer.
/// </summary>
public sealed class ReplayCacheRecoveringException : Exception
{
    public ReplayCacheRecoveringException(DateTimeOffset until)
        : base($"single-use identifiers are refused until {until:O}: the machine restarted since this store last recorded some without waiting for the disk")
    {
        Until = until;
    }

    public ReplayCacheRecoveringException()
    {
    }

    public ReplayCacheRecoveringException(string message)
        : base(message)
    {
    }

    public ReplayCacheRecoveringException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>When identifiers are accepted again.</summary>
    public DateTimeOffset Until { get; }
}
