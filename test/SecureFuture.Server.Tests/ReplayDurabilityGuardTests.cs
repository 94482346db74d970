using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using SecureFuture.Identity.Clients;
using SecureFuture.Identity.Tokens;
using SecureFuture.Keys.Storage;

namespace SecureFuture.Server.Tests;

/// <summary>
/// <see cref="SqlReplayCache"/> on SQLite commits single-use identifiers without waiting for the disk, which an OS crash
/// or power loss (never a process crash) can undo. The attack that would open: a client assertion or DPoP proof accepted
/// just before the crash is accepted again after the reboot, within its lifetime. The guard: a cache that opens the
/// store under another boot id than the one the store was last written under (or that cannot read its own) refuses
/// every identifier until all that may have been lost has expired.
/// </summary>
public sealed class ReplayDurabilityGuardTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sfi-replay-guard-").FullName;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero));
    private readonly List<IAsyncDisposable> _opened = [];

    public void Dispose()
    {
        foreach (var opened in _opened)
        {
            opened.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task After_a_process_restart_under_the_same_boot_identifiers_are_accepted_at_once_and_replays_still_refused()
    {
        var before = await OpenAsync(() => "boot-1");
        var until = _clock.GetUtcNow().AddMinutes(10);
        Assert.True(await before.TryAddAsync("assertion:alice:a1", until, default));

        var after = await OpenAsync(() => "boot-1");
        Assert.False(await after.TryAddAsync("assertion:alice:a1", until, default));
        Assert.True(await after.TryAddAsync("assertion:alice:a2", until, default));
    }

    [Fact]
    public async Task After_a_reboot_every_identifier_is_refused_until_the_latest_one_recorded_before_it_has_expired()
    {
        var before = await OpenAsync(() => "boot-1");
        var latest = _clock.GetUtcNow().AddMinutes(10);
        Assert.True(await before.TryAddAsync("assertion:alice:a1", latest, default));
        Assert.True(await before.TryAddAsync("dpop:thumb:p1", _clock.GetUtcNow().AddMinutes(1), default));
        _clock.Advance(TimeSpan.FromSeconds(5));

        var rebooted = await OpenAsync(() => "boot-2");
        var refused = await Assert.ThrowsAsync<ReplayCacheRecoveringException>(() => rebooted.TryAddAsync("assertion:alice:a9", _clock.GetUtcNow().AddMinutes(1), default).AsTask());
        Assert.True(refused.Until >= latest, $"refused until {refused.Until:O}, but a1 could be replayed until {latest:O}");
        Assert.True(refused.Until <= latest + SqlReplayCache.HorizonStep);

        // A replay of what may have been lost is refused right up to its expiry, new identifiers with it.
        _clock.SetUtcNow(latest.AddSeconds(-1));
        await Assert.ThrowsAsync<ReplayCacheRecoveringException>(() => rebooted.TryAddAsync("assertion:alice:a1", latest, default).AsTask());
        await Assert.ThrowsAsync<ReplayCacheRecoveringException>(() => rebooted.TryAddAllAsync([("assertion:bob:b1", latest.AddMinutes(5)), ("dpop:thumb:p2", latest.AddMinutes(1))], default).AsTask());

        // Restarting the process again within the window, now under the new boot, does not end the window.
        var restartedAgain = await OpenAsync(() => "boot-2");
        await Assert.ThrowsAsync<ReplayCacheRecoveringException>(() => restartedAgain.TryAddAsync("assertion:alice:a9", latest.AddMinutes(5), default).AsTask());

        _clock.SetUtcNow(refused.Until);
        Assert.True(await rebooted.TryAddAsync("assertion:alice:a9", _clock.GetUtcNow().AddMinutes(5), default));
        Assert.False(await restartedAgain.TryAddAsync("assertion:alice:a9", _clock.GetUtcNow().AddMinutes(5), default));
    }

    [Fact]
    public async Task A_boot_id_that_cannot_be_read_counts_as_a_reboot_and_every_commit_then_waits_for_the_disk()
    {
        var before = await OpenAsync(() => "boot-1");
        var latest = _clock.GetUtcNow().AddMinutes(3);
        Assert.True(await before.TryAddAsync("assertion:alice:a1", latest, default));

        var unknown = await OpenAsync(() => null);
        await Assert.ThrowsAsync<ReplayCacheRecoveringException>(() => unknown.TryAddAsync("assertion:alice:a2", latest, default).AsTask());
        _clock.SetUtcNow(latest + SqlReplayCache.HorizonStep);
        Assert.True(await unknown.TryAddAsync("assertion:alice:a2", _clock.GetUtcNow().AddMinutes(3), default));
        Assert.False(await unknown.TryAddAsync("assertion:alice:a2", _clock.GetUtcNow().AddMinutes(3), default));
    }

    [Fact]
    public async Task A_store_never_written_without_waiting_for_the_disk_has_nothing_to_lose_whatever_the_boot_id()
    {
        var unknown = await OpenAsync(() => null);
        Assert.True(await unknown.TryAddAsync("assertion:alice:a1", _clock.GetUtcNow().AddMinutes(3), default));

        var known = await OpenAsync(() => "boot-1");
        Assert.True(await known.TryAddAsync("assertion:alice:a2", _clock.GetUtcNow().AddMinutes(3), default));
        Assert.False(await known.TryAddAsync("assertion:alice:a1", _clock.GetUtcNow().AddMinutes(3), default));
    }

    [Fact]
    public async Task The_key_store_and_the_rest_of_the_server_keep_commits_that_wait_for_the_disk()
    {
        await using var store = SqlKeyStore.OpenSqlite(Path.Combine(_directory, "sfi.db"));
        await store.InitializeAsync(default);
        var clients = new SqlClientStore(store.DataSource, store.IsPostgres);
        await clients.InitializeAsync(default);
        await using var cache = new SqlReplayCache(clients, _clock, () => "boot-1");
        for (var i = 0; i < 20; i++)
        {
            Assert.True(await cache.TryAddAsync($"assertion:alice:{i}", _clock.GetUtcNow().AddMinutes(1), default));
        }

        // Every pooled connection the other parts of the server get: synchronous=FULL (2), the default.
        var shared = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => store.DataSource.OpenConnectionAsync().AsTask()));
        foreach (var connection in shared)
        {
            await using (connection)
            {
                await using var command = connection.CreateCommand();
                command.CommandText = "PRAGMA synchronous";
                Assert.Equal(2L, await command.ExecuteScalarAsync());
            }
        }
    }

    [Fact]
    public void This_machine_s_boot_id_is_read_from_the_kernel()
    {
        var id = SqlReplayCache.ReadBootId();
        if (File.Exists("/proc/sys/kernel/random/boot_id"))
        {
            Assert.Equal(File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim(), id);
            Assert.Equal(id, SqlReplayCache.ReadBootId());
        }
        else
        {
            Assert.Null(id);
        }
    }

    /// <summary>A cache on the test's store, as a server process opening it with this boot id would have it.</summary>
    private async Task<SqlReplayCache> OpenAsync(Func<string?> bootId)
    {
        var store = SqlKeyStore.OpenSqlite(Path.Combine(_directory, "sfi.db"));
        _opened.Add(store);
        await store.InitializeAsync(default);
        var clients = new SqlClientStore(store.DataSource, store.IsPostgres);
        await clients.InitializeAsync(default);
        var cache = new SqlReplayCache(clients, _clock, bootId);
        _opened.Insert(0, cache);
        return cache;
    }
}
