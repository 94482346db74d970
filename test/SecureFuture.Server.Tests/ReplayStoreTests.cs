using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using SecureFuture.Identity.Clients;
using SecureFuture.Identity.Tokens;
using SecureFuture.Keys.Storage;

namespace SecureFuture.Server.Tests;

/// <summary>
/// SQLite's single-use identifiers: their file of their own next to the store's (<c>sfi-replay.db</c>) and its table's
/// shape (rows in the primary key's tree, no index on the expiry, which keeps each token's durable write small), the
/// commit that waits for the disk, the upgrade from the store's own table as earlier versions kept it, and the purge that
/// walks the table in chunks instead of an index.
/// </summary>
public sealed class ReplayStoreTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sfi-replay-store-").FullName;

    private string Database => Path.Combine(_directory, "sfi.db");

    private string ReplayFile => Path.Combine(_directory, "sfi-replay.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task A_replay_table_an_earlier_version_kept_in_the_store_is_moved_to_the_replay_file_and_every_identifier_stays_refused()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var until = clock.GetUtcNow().AddMinutes(5).ToUnixTimeMilliseconds();
        var spent = clock.GetUtcNow().AddMinutes(-1).ToUnixTimeMilliseconds();
        await using var store = SqlKeyStore.OpenSqlite(Database);
        await store.InitializeAsync(default);
        await using (var connection = await store.DataSource.OpenConnectionAsync())
        {
            // The table and index as the previous release created them, with identifiers it recorded (as their SHA-256).
            await Execute(connection, "CREATE TABLE replay_ids (id BLOB PRIMARY KEY, expires_at BIGINT NOT NULL)");
            await Execute(connection, "CREATE INDEX replay_ids_expires ON replay_ids (expires_at)");
            for (var i = 0; i < 300; i++)
            {
                await Execute(connection, "INSERT INTO replay_ids (id, expires_at) VALUES (@id, @until)", ("id", Hash($"assertion:worker:{i}")), ("until", i < 200 ? until : spent));
            }
        }

        await using var clients = new SqlClientStore(store.DataSource, postgres: false);
        await clients.InitializeAsync(default);
        await clients.InitializeAsync(default); // a second start finds nothing left to move

        Assert.Equal((1L, 300L, 0L), await ShapeAsync());
        Assert.False(await StoreHasReplayTableAsync(store), "the store's own table is dropped once its rows are in the replay file");
        var replays = new SqlReplayCache(clients, clock);
        var later = clock.GetUtcNow().AddMinutes(5);
        for (var i = 0; i < 200; i++)
        {
            Assert.False(await replays.TryAddAsync($"assertion:worker:{i}", later, default), $"identifier {i}, recorded before the upgrade, accepted again");
        }

        Assert.Equal(100, await replays.PurgeAsync(default)); // the ones that had expired before the upgrade
        Assert.True(await replays.TryAddAsync("assertion:worker:250", later, default));
        Assert.True(await replays.TryAddAsync("assertion:worker:new", later, default));
        Assert.False(await replays.TryAddAsync("assertion:worker:new", later, default));
    }

    [Fact]
    public async Task A_new_store_keeps_identifiers_in_the_replay_files_primary_key_tree_with_no_expiry_index()
    {
        await using var store = SqlKeyStore.OpenSqlite(Database);
        await store.InitializeAsync(default);
        await using (var clients = new SqlClientStore(store.DataSource, postgres: false))
        {
            await clients.InitializeAsync(default);
        }

        Assert.Equal((1L, 0L, 0L), await ShapeAsync());
        Assert.False(await StoreHasReplayTableAsync(store));
    }

    [Fact]
    public async Task An_upgrade_interrupted_after_the_copy_is_repeated_and_never_shortens_an_identifiers_life()
    {
        // The crash this order allows: the rows are in the replay file (committed there) but the store's table was not
        // dropped yet. The next start copies again; where the two disagree, the later expiry is kept.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var soon = clock.GetUtcNow().AddMinutes(1).ToUnixTimeMilliseconds();
        var later = clock.GetUtcNow().AddMinutes(9).ToUnixTimeMilliseconds();
        await using var store = SqlKeyStore.OpenSqlite(Database);
        await store.InitializeAsync(default);
        await using (var connection = await store.DataSource.OpenConnectionAsync())
        {
            await Execute(connection, "CREATE TABLE replay_ids (id BLOB PRIMARY KEY, expires_at BIGINT NOT NULL) WITHOUT ROWID");
            await Execute(connection, "INSERT INTO replay_ids (id, expires_at) VALUES (@id, @until)", ("id", Hash("assertion:a:copied-later")), ("until", soon));
            await Execute(connection, "INSERT INTO replay_ids (id, expires_at) VALUES (@id, @until)", ("id", Hash("assertion:a:copied-sooner")), ("until", later));
        }

        await using (var replay = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={ReplayFile};Pooling=False"))
        {
            await replay.OpenAsync();
            await Execute(replay, SqliteReplayFile.Schema);
            await Execute(replay, "INSERT INTO replay_ids (id, expires_at) VALUES (@id, @until)", ("id", Hash("assertion:a:copied-later")), ("until", later));
            await Execute(replay, "INSERT INTO replay_ids (id, expires_at) VALUES (@id, @until)", ("id", Hash("assertion:a:copied-sooner")), ("until", soon));
        }

        await using var clients = new SqlClientStore(store.DataSource, postgres: false);
        await clients.InitializeAsync(default);
        Assert.False(await StoreHasReplayTableAsync(store));
        var replays = new SqlReplayCache(clients, clock);
        clock.Advance(TimeSpan.FromMinutes(5)); // past the sooner expiry of each
        Assert.False(await replays.TryAddAsync("assertion:a:copied-later", clock.GetUtcNow().AddMinutes(5), default));
        Assert.False(await replays.TryAddAsync("assertion:a:copied-sooner", clock.GetUtcNow().AddMinutes(5), default));
        Assert.Equal((1L, 2L, 0L), await ShapeAsync());
    }

    [Fact]
    public async Task The_replay_files_commits_wait_for_the_disk_and_checkpoint_rarely()
    {
        await using var store = SqlKeyStore.OpenSqlite(Database);
        await store.InitializeAsync(default);
        await using var clients = new SqlClientStore(store.DataSource, postgres: false);
        await clients.InitializeAsync(default);
        var replays = new SqlReplayCache(clients, TimeProvider.System);
        Assert.True(await replays.TryAddAsync("dpop:key:1", DateTimeOffset.UtcNow.AddMinutes(1), default));

        var file = clients.ReplayFileForTests!;
        Assert.Equal(ReplayFile, file.Path);
        Assert.Equal("wal", await file.PragmaAsync("journal_mode"));
        Assert.Equal("2", await file.PragmaAsync("synchronous")); // FULL: an identifier is accepted once it is on disk
        Assert.Equal(SqliteReplayFile.CheckpointPages.ToString(System.Globalization.CultureInfo.InvariantCulture), await file.PragmaAsync("wal_autocheckpoint"));
    }

    [Fact]
    public async Task A_closed_store_refuses_to_decide_instead_of_accepting()
    {
        await using var store = SqlKeyStore.OpenSqlite(Database);
        await store.InitializeAsync(default);
        var clients = new SqlClientStore(store.DataSource, postgres: false);
        await clients.InitializeAsync(default);
        var replays = new SqlReplayCache(clients, TimeProvider.System);
        Assert.True(await replays.TryAddAsync("dpop:key:1", DateTimeOffset.UtcNow.AddMinutes(1), default));
        await clients.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await replays.TryAddAsync("dpop:key:2", DateTimeOffset.UtcNow.AddMinutes(1), default));

        // What it accepted is on disk: a store opened afterwards (the next start) refuses it.
        await using var restarted = new SqlClientStore(store.DataSource, postgres: false);
        await restarted.InitializeAsync(default);
        Assert.False(await new SqlReplayCache(restarted, TimeProvider.System).TryAddAsync("dpop:key:1", DateTimeOffset.UtcNow.AddMinutes(1), default));
    }

    [Fact]
    public async Task The_purge_walks_every_chunk_of_the_table_and_deletes_exactly_the_expired_identifiers()
    {
        await using var store = SqlKeyStore.OpenSqlite(Database);
        await store.InitializeAsync(default);
        await using var clients = new SqlClientStore(store.DataSource, postgres: false);
        await clients.InitializeAsync(default);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var replays = new SqlReplayCache(clients, clock);

        // Two and a half chunks, every third identifier long-lived; the keys are hashes, so both kinds are spread over
        // every chunk, and the last chunk is a partial one.
        var count = SqlClientStore.ReplayPurgeChunk * 5 / 2;
        var ids = Enumerable.Range(0, count).Select(i => $"dpop:key:{i}").ToArray();
        bool LongLived(int i) => i % 3 == 0;
        var accepted = await Task.WhenAll(ids.Select((id, i) => replays.TryAddAsync(id, clock.GetUtcNow().AddMinutes(LongLived(i) ? 10 : 1), default).AsTask()));
        Assert.All(accepted, Assert.True);

        Assert.Equal(0, await replays.PurgeAsync(default)); // nothing has expired yet
        clock.Advance(TimeSpan.FromMinutes(2));
        var expired = Enumerable.Range(0, count).Count(i => !LongLived(i));
        Assert.Equal(expired, await replays.PurgeAsync(default));
        Assert.Equal(count - expired, (await ShapeAsync()).Rows);
        Assert.Equal(0, await replays.PurgeAsync(default));

        // What is left is exactly the long-lived ones: each still refused.
        var later = clock.GetUtcNow().AddMinutes(10);
        var again = await Task.WhenAll(ids.Select(id => replays.TryAddAsync(id, later, default).AsTask()));
        Assert.All(Enumerable.Range(0, count), i => Assert.Equal(!LongLived(i), again[i]));
    }

    /// <summary>The replay file's replay_ids: whether it is WITHOUT ROWID (1), its rows, and how many indexes it has besides its key.</summary>
    private async Task<(long WithoutRowid, long Rows, long Indexes)> ShapeAsync()
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={ReplayFile};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        return (await Scalar(connection, "SELECT wr FROM pragma_table_list WHERE schema = 'main' AND name = 'replay_ids'"),
            await Scalar(connection, "SELECT COUNT(*) FROM replay_ids"),
            await Scalar(connection, "SELECT COUNT(*) FROM pragma_index_list('replay_ids') WHERE origin = 'c'"));
    }

    private static async Task<bool> StoreHasReplayTableAsync(SqlKeyStore store)
    {
        await using var connection = await store.DataSource.OpenConnectionAsync();
        return await Scalar(connection, "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'replay_ids'") > 0;
    }

    private static byte[] Hash(string id) => SHA256.HashData(Encoding.UTF8.GetBytes(id));

    private static async Task<long> Scalar(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task Execute(DbConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        await command.ExecuteNonQueryAsync();
    }
}
