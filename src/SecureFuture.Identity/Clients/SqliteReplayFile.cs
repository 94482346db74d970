using Microsoft.Data.Sqlite;
using static SecureFuture.Core.Storage.SqlCommands;

namespace SecureFuture.Identity.Clients;

/// <summary>
/// SQLite's single-use identifiers, in a database file of their own next to the store's (<c>sfi.db</c> →
/// <c>sfi-replay.db</c>), written through one connection this object keeps.
/// </summary>
/// <remarks>
/// <para>Every issued token records two identifiers, each a random 32-byte key and so a random leaf of the table, and
/// each commit waits for the disk (<c>synchronous=FULL</c>: an identifier is accepted only once it would survive a
/// crash or power loss). In the store's own file that cost more than it needs to: the connection pool's connections
/// dropped their page cache whenever another connection had written (re-reading the tree), and the default checkpoint
/// every 1,000 WAL pages copied almost every page written back into the database, doubling the writes. Here the one
/// connection keeps its cache (only it writes this file), statements are prepared once per batch size, and a
/// checkpoint runs every <see cref="CheckpointPages"/> pages, by which time most leaves of the table have been written
/// several times and each is copied back once.</para>
/// <para>The file is an ordinary SQLite database in WAL mode with normal locking, so another connection to it (another
/// process) sees the same identifiers and the same conflict check; <c>sfi serve</c> holds its data directory alone.</para>
/// </remarks>
internal sealed class SqliteReplayFile : IAsyncDisposable
{
    /// <summary>WAL pages between automatic checkpoints (SQLite's default is 1,000).</summary>
    internal const int CheckpointPages = 8000;

    /// <summary>The table: rows in the primary key's tree, no index on the expiry (the purge scans in key order).</summary>
    internal const string Schema = "CREATE TABLE IF NOT EXISTS replay_ids (id BLOB PRIMARY KEY, expires_at BIGINT NOT NULL) WITHOUT ROWID";

    private readonly string _connectionString;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<int, SqliteCommand> _inserts = [];
    private SqliteConnection? _connection;
    private bool _disposed;

    private SqliteReplayFile(string path, string connectionString)
    {
        Path = path;
        _connectionString = connectionString;
    }

    /// <summary>The replay database's file.</summary>
    public string Path { get; }

    /// <summary>The replay file that goes with the SQLite store <paramref name="storeConnectionString"/> (its timeout kept).</summary>
    public static SqliteReplayFile For(string storeConnectionString)
    {
        var builder = new SqliteConnectionStringBuilder(storeConnectionString);
        var store = System.IO.Path.GetFullPath(builder.DataSource);
        var path = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(store)!,
            System.IO.Path.GetFileNameWithoutExtension(store) + "-replay" + System.IO.Path.GetExtension(store));
        builder.DataSource = path;
        builder.Mode = SqliteOpenMode.ReadWriteCreate;
        builder.Pooling = false; // the one connection is kept here, not in the pool
        return new SqliteReplayFile(path, builder.ToString());
    }

    /// <summary>
    /// Creates the table and takes over the identifiers an earlier version kept in the store's own file
    /// (<paramref name="storePath"/>'s <c>replay_ids</c>): copied here and committed first, then dropped there, so an
    /// interrupted upgrade is repeated, never lost.
    /// </summary>
    public async Task InitializeAsync(string storePath, CancellationToken cancellationToken)
    {
        await RunAsync(async connection =>
        {
            await ExecuteAsync(connection, null, Schema, cancellationToken);
            await ExecuteAsync(connection, null, "ATTACH DATABASE @store AS store", cancellationToken, ("store", storePath));
            try
            {
                await using (var exists = Command(connection, null, "SELECT COUNT(*) FROM store.sqlite_schema WHERE type = 'table' AND name = 'replay_ids'"))
                {
                    if (Convert.ToInt64(await exists.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) == 0)
                    {
                        return 0;
                    }
                }

                // Later expiry wins: the copy may be repeated after an interrupted upgrade, and must never shorten one.
                await ExecuteAsync(connection, null, "INSERT INTO main.replay_ids (id, expires_at) SELECT id, expires_at FROM store.replay_ids WHERE true " +
                    "ON CONFLICT (id) DO UPDATE SET expires_at = max(replay_ids.expires_at, excluded.expires_at)", cancellationToken);
                await ExecuteAsync(connection, null, "DROP TABLE store.replay_ids", cancellationToken); // and an earlier version's expiry index
                return 0;
            }
            finally
            {
                await ExecuteAsync(connection, null, "DETACH DATABASE store", CancellationToken.None);
            }
        }, cancellationToken);
    }

    /// <summary>
    /// Records distinct identifiers in one statement and commit; returns the rows recorded now (new, or whose earlier
    /// record had expired at <paramref name="nowMs"/>), as <see cref="SqlClientStore.TryRecordOnceAsync"/> describes.
    /// </summary>
    public Task<List<byte[]>> RecordAsync(IReadOnlyList<(byte[] Id, DateTimeOffset Until)> ids, long nowMs, CancellationToken cancellationToken)
        => RunAsync(async connection =>
        {
            var insert = InsertFor(connection, ids.Count);
            insert.Parameters[0].Value = nowMs;
            for (var i = 0; i < ids.Count; i++)
            {
                insert.Parameters[1 + 2 * i].Value = ids[i].Id;
                insert.Parameters[2 + 2 * i].Value = ids[i].Until.ToUnixTimeMilliseconds();
            }

            var recorded = new List<byte[]>(ids.Count);
            await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                recorded.Add((byte[])reader.GetValue(0));
            }

            return recorded;
        }, cancellationToken);

    /// <summary>
    /// Deletes the expired identifiers among the next <paramref name="chunk"/> keys after <paramref name="after"/>, in
    /// one commit; returns the last key looked at (null when none was left) and how many were deleted.
    /// </summary>
    public Task<(byte[]? Last, int Deleted)> PurgeChunkAsync(byte[] after, int chunk, long nowMs, CancellationToken cancellationToken)
        => RunAsync(async connection =>
        {
            byte[] last;
            await using (var next = Command(connection, null, "SELECT max(id) FROM (SELECT id FROM replay_ids WHERE id > @after ORDER BY id LIMIT @chunk)", ("after", after), ("chunk", chunk)))
            {
                if (await next.ExecuteScalarAsync(cancellationToken) is not byte[] end)
                {
                    return ((byte[]?)null, 0);
                }

                last = end;
            }

            var deleted = await ExecuteAsync(connection, null, "DELETE FROM replay_ids WHERE id > @after AND id <= @last AND expires_at <= @now", cancellationToken,
                ("after", after), ("last", last), ("now", nowMs));
            return (last, deleted);
        }, cancellationToken);

    /// <summary>A setting of the kept connection (<c>PRAGMA name</c>), as text.</summary>
    internal Task<string?> PragmaAsync(string name)
        => RunAsync(async connection =>
        {
            await using var command = Command(connection, null, "PRAGMA " + name);
            return Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
        }, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            _disposed = true;
            await CloseAsync();
        }
        finally
        {
            _gate.Release();
        }

        // The gate is left undisposed: a call that arrives after this finds the file closed and throws, instead of
        // failing on a disposed semaphore.
    }

    /// <summary>One operation at a time on the kept connection; after a failure the connection is reopened next time.</summary>
    private async Task<T> RunAsync<T>(Func<SqliteConnection, Task<T>> operation, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var connection = _connection ??= await OpenAsync(cancellationToken);
            try
            {
                return await operation(connection);
            }
            catch
            {
                // Whatever state the failure left (a statement mid-way, a broken file handle), the next call starts clean.
                await CloseAsync();
                throw;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            foreach (var pragma in new[]
            {
                "PRAGMA journal_mode=WAL",
                "PRAGMA synchronous=FULL", // SQLite's default, stated: the acceptance of an identifier waits for the disk
                "PRAGMA busy_timeout=30000",
                "PRAGMA cache_size=-65536", // up to 64 MiB of this table's pages, kept between commits
                $"PRAGMA wal_autocheckpoint={CheckpointPages}",
                "PRAGMA journal_size_limit=33554432", // the WAL is cut back to 32 MiB after a checkpoint
            })
            {
                await using var command = Command(connection, null, pragma);
                await command.ExecuteScalarAsync(cancellationToken);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private async Task CloseAsync()
    {
        foreach (var insert in _inserts.Values)
        {
            await insert.DisposeAsync();
        }

        _inserts.Clear();
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
            _connection = null;
        }
    }

    /// <summary>The insert of <paramref name="count"/> identifiers, prepared on the kept connection once per count.</summary>
    private SqliteCommand InsertFor(SqliteConnection connection, int count)
    {
        if (_inserts.TryGetValue(count, out var insert))
        {
            return insert;
        }

        var values = string.Join(", ", Enumerable.Range(0, count).Select(i => $"(@id{i}, @until{i})"));
        insert = (SqliteCommand)Command(connection, null, "INSERT INTO replay_ids (id, expires_at) VALUES " + values +
            " ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at WHERE replay_ids.expires_at <= @now RETURNING id");
        insert.Parameters.Add("@now", SqliteType.Integer);
        for (var i = 0; i < count; i++)
        {
            insert.Parameters.Add($"@id{i}", SqliteType.Blob);
            insert.Parameters.Add($"@until{i}", SqliteType.Integer);
        }

        insert.Prepare();
        _inserts[count] = insert;
        return insert;
    }
}
