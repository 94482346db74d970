using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace SecureFuture.Identity.Clients;

/// <summary>
/// The replay cache's single writer on SQLite: a connection outside the pool that the key store and every other part
/// of the server share (so its setting never reaches them), whose commits are written to the WAL without waiting for
/// the disk (<c>synchronous=NORMAL</c>: lost on an OS crash or power loss, never on a process crash), and the guard
/// row that makes that loss safe (<see cref="Tokens.SqlReplayCache"/> decides what the guard says).
/// </summary>
internal sealed class SqliteReplayWriter : IAsyncDisposable
{
    private readonly DbConnection _connection;

    private SqliteReplayWriter(DbConnection connection) => _connection = connection;

    public static async Task<SqliteReplayWriter> OpenAsync(DbDataSource source, CancellationToken cancellationToken)
    {
        var connection = source.CreateConnection();
        connection.ConnectionString = new SqliteConnectionStringBuilder(source.ConnectionString) { Pooling = false }.ToString();
        try
        {
            await connection.OpenAsync(cancellationToken);
            await SqlClientStore.ExecuteAsync(connection, null, "PRAGMA synchronous=NORMAL", cancellationToken);
            return new SqliteReplayWriter(connection);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    /// <summary>The guard's row: the boot it was last written under, its horizon and refusal window; null before the first.</summary>
    public async Task<ReplayGuardRecord?> ReadGuardAsync(CancellationToken cancellationToken)
    {
        await using var command = SqlClientStore.Command(_connection, null, "SELECT boot_id, horizon, refuse_until FROM replay_guard WHERE id = 1");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new ReplayGuardRecord(reader.GetString(0), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)))
            : null;
    }

    /// <summary>Writes the guard's row in a commit that waits for the disk.</summary>
    public Task WriteGuardAsync(ReplayGuardRecord guard, CancellationToken cancellationToken)
        => SyncedAsync(() => SqlClientStore.ExecuteAsync(_connection, null,
            "INSERT INTO replay_guard (id, boot_id, horizon, refuse_until) VALUES (1, @boot, @horizon, @refuse) " +
            "ON CONFLICT (id) DO UPDATE SET boot_id = excluded.boot_id, horizon = excluded.horizon, refuse_until = excluded.refuse_until", cancellationToken,
            ("boot", guard.BootId), ("horizon", guard.Horizon.ToUnixTimeMilliseconds()), ("refuse", guard.RefuseUntil.ToUnixTimeMilliseconds())), cancellationToken);

    /// <summary>
    /// As <see cref="SqlClientStore.TryRecordOnceAsync(IReadOnlyList{ValueTuple{byte[], DateTimeOffset}}, DateTimeOffset, CancellationToken)"/>,
    /// in a commit that does not wait for the disk. With <paramref name="raiseHorizonTo"/>, the identifiers and the
    /// guard's raised horizon are committed together in one that does, so no identifier is ever recorded past a horizon
    /// that is not itself durable.
    /// </summary>
    public async Task<HashSet<string>> TryRecordOnceAsync(IReadOnlyList<(byte[] Id, DateTimeOffset Until)> ids, DateTimeOffset now, DateTimeOffset? raiseHorizonTo, CancellationToken cancellationToken)
    {
        if (raiseHorizonTo is not { } horizon)
        {
            return await SqlClientStore.TryRecordOnceAsync(_connection, null, ids, now, cancellationToken);
        }

        return await SyncedAsync(async () =>
        {
            await using var transaction = await _connection.BeginTransactionAsync(cancellationToken);
            var recorded = await SqlClientStore.TryRecordOnceAsync(_connection, transaction, ids, now, cancellationToken);
            await SqlClientStore.ExecuteAsync(_connection, transaction, "UPDATE replay_guard SET horizon = MAX(horizon, @horizon) WHERE id = 1", cancellationToken,
                ("horizon", horizon.ToUnixTimeMilliseconds()));
            await transaction.CommitAsync(cancellationToken);
            return recorded;
        }, cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="write"/> with its commits waiting for the disk (<c>synchronous=FULL</c>, which SQLite lets a
    /// connection change only outside a transaction), then goes back to not waiting. Should the write or the way back
    /// fail, the connection stays on the safe setting (and the cache opens a new one).
    /// </summary>
    private async Task<T> SyncedAsync<T>(Func<Task<T>> write, CancellationToken cancellationToken)
    {
        await SqlClientStore.ExecuteAsync(_connection, null, "PRAGMA synchronous=FULL", cancellationToken);
        var result = await write();
        await SqlClientStore.ExecuteAsync(_connection, null, "PRAGMA synchronous=NORMAL", cancellationToken);
        return result;
    }
}

/// <summary>
/// What <see cref="Tokens.SqlReplayCache"/> keeps durable about its unsynced commits on SQLite: the boot
/// (<c>/proc/sys/kernel/random/boot_id</c>) they were made under, a horizon no identifier committed so is recorded
/// beyond, and until when every identifier is refused because an earlier boot's unsynced commits may have been lost.
/// </summary>
internal sealed record ReplayGuardRecord(string BootId, DateTimeOffset Horizon, DateTimeOffset RefuseUntil);
