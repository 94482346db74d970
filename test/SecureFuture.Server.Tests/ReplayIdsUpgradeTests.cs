using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using SecureFuture.Identity.Clients;
using SecureFuture.Identity.Tokens;
using SecureFuture.Keys.Storage;

namespace SecureFuture.Server.Tests;

/// <summary>
/// A SQLite store whose single-use identifiers were written by an earlier version (a rowid table) is rebuilt as a
/// <c>WITHOUT ROWID</c> table on start, and keeps them: an assertion or DPoP proof used before the upgrade is still
/// refused after it.
/// </summary>
public sealed class ReplayIdsUpgradeTests
{
    [Fact]
    public async Task Identifiers_recorded_before_the_WITHOUT_ROWID_upgrade_are_still_refused_after_it()
    {
        var directory = Directory.CreateTempSubdirectory("sfi-replay-upgrade-").FullName;
        var path = Path.Combine(directory, "sfi.db");
        try
        {
            var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
            var now = clock.GetUtcNow();
            await using (var old = new SqliteConnection($"Data Source={path}"))
            {
                await old.OpenAsync();
                await using var command = old.CreateCommand();
                command.CommandText =
                    "CREATE TABLE replay_ids (id BLOB PRIMARY KEY, expires_at BIGINT NOT NULL);" +
                    "CREATE INDEX replay_ids_expires ON replay_ids (expires_at);" +
                    "INSERT INTO replay_ids (id, expires_at) VALUES (@used, @later), (@expired, @earlier)";
                command.Parameters.AddWithValue("used", Hash("assertion:alice:used-before"));
                command.Parameters.AddWithValue("expired", Hash("dpop:thumb:expired-before"));
                command.Parameters.AddWithValue("later", now.AddMinutes(5).ToUnixTimeMilliseconds());
                command.Parameters.AddWithValue("earlier", now.AddMinutes(-5).ToUnixTimeMilliseconds());
                await command.ExecuteNonQueryAsync();
            }

            await using var keys = SqlKeyStore.OpenSqlite(path);
            await keys.InitializeAsync(default);
            var clients = new SqlClientStore(keys.DataSource, keys.IsPostgres);
            await clients.InitializeAsync(default);
            await clients.InitializeAsync(default); // a second start leaves the upgraded table and its rows alone

            Assert.Contains("WITHOUT ROWID", (string?)await ScalarAsync(path, "SELECT sql FROM sqlite_master WHERE name = 'replay_ids'"), StringComparison.OrdinalIgnoreCase);
            Assert.Equal(2L, await ScalarAsync(path, "SELECT COUNT(*) FROM replay_ids"));
            Assert.Equal(1L, await ScalarAsync(path, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'replay_ids_expires' AND tbl_name = 'replay_ids'"));

            await using var replays = new SqlReplayCache(clients, clock);
            Assert.False(await replays.TryAddAsync("assertion:alice:used-before", now.AddMinutes(5), default));
            Assert.True(await replays.TryAddAsync("dpop:thumb:expired-before", now.AddMinutes(5), default)); // its record had expired
            Assert.Equal(new[] { true, false, true }, await replays.TryAddAllAsync(
                [("assertion:alice:new", now.AddMinutes(1)), ("assertion:alice:new", now.AddMinutes(1)), ("dpop:thumb:new", now.AddMinutes(1))], default));
            Assert.False(await replays.TryAddAsync("dpop:thumb:expired-before", now.AddMinutes(5), default));
            Assert.Equal(0, await replays.PurgeAsync(default)); // the index on expiry still serves the purge
            Assert.Equal(2, await clients.PurgeReplayIdsAsync(now.AddMinutes(2), default));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static byte[] Hash(string id) => SHA256.HashData(Encoding.UTF8.GetBytes(id));

    private static async Task<object?> ScalarAsync(string path, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }
}
