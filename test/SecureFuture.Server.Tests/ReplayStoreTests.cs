using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using SecureFuture.Identity.Clients;
using SecureFuture.Identity.Tokens;
using SecureFuture.Keys.Storage;

namespace SecureFuture.Server.Tests;

/// <summary>
/// SQLite's single-use identifiers: decided in memory by the one store that holds the journal next to <c>sfi.db</c>
/// (<c>sfi-replay/</c>), on disk before any is accepted, read back by the next start; a write cut short by a crash is cut
/// off, damage to what was acknowledged stops the store from opening; the move from the SQLite tables earlier versions
/// kept; the purge of expired identifiers and segments.
/// </summary>
public sealed class ReplayStoreTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sfi-replay-store-").FullName;

    private string Database => Path.Combine(_directory, "sfi.db");

    private string JournalDirectory => Path.Combine(_directory, "sfi-replay");

    private string EarlierReplayFile => Path.Combine(_directory, "sfi-replay.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Accepted_identifiers_are_written_with_O_DSYNC_into_zeros_written_ahead_and_refused_after_a_restart()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var until = clock.GetUtcNow().AddMinutes(5);
        await using var store = SqlKeyStore.OpenSqlite(Database);
        await store.InitializeAsync(default);
        var ids = Enumerable.Range(0, 500).Select(i => $"assertion:worker:{i}").ToArray();
        await using (var clients = await OpenAsync(store))
        {
            var replays = new SqlReplayCache(clients, clock);
            Assert.All(await Task.WhenAll(ids.Select(id => replays.TryAddAsync(id, until, default).AsTask())), Assert.True);

            // The segment being appended to is open with O_DSYNC (a write returns once its data is on disk), and its
            // batches overwrite zeros written ahead of them (the file's size and blocks do not change with a write).
            var segment = Assert.Single(clients.Journal!.SegmentFiles);
            Assert.Equal(JournalDirectory, Path.GetDirectoryName(segment));
            Assert.True(OpenFlags(segment) is { } flags && (flags & ODsync) == ODsync, $"{segment} is not open with O_DSYNC");
            var written = clients.Journal.AppendOffset;
            Assert.True(written > 500 * 40, $"{written} bytes of batches for 500 identifiers");
            Assert.True(new FileInfo(segment).Length > written, "no zeros ahead of the batches");
        }

        // What the store answered "new" is read back by the next one (a restart), every identifier refused.
        await using (var restarted = await OpenAsync(store))
        {
            var replays = new SqlReplayCache(restarted, clock);
            Assert.All(await Task.WhenAll(ids.Select(id => replays.TryAddAsync(id, until, default).AsTask())), Assert.False);
            Assert.True(await replays.TryAddAsync("assertion:worker:new", until, default));
        }

        await using (var again = await OpenAsync(store))
        {
            Assert.False(await new SqlReplayCache(again, clock).TryAddAsync("assertion:worker:new", until, default));
            Assert.Equal(ids.Length + 1, again.Journal!.Count);
        }
    }

    [Fact]
    public async Task Of_concurrent_uses_of_one_request_exactly_one_gets_both_identifiers_and_each_identifier_is_decided_alone()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var until = clock.GetUtcNow().AddMinutes(1);
        await using var store = SqlKeyStore.OpenSqlite(Database);
        await store.InitializeAsync(default);
        await using var clients = await OpenAsync(store);
        var replays = new SqlReplayCache(clients, clock);

        var pair = new[] { ("assertion:alice:a1", until), ("dpop:thumb:p1", until) };
        var attempts = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => Task.Run(() => replays.TryAddAllAsync(pair, default).AsTask())));
        Assert.Single(attempts, a => a.SequenceEqual([true, true]));
        Assert.All(attempts.Where(a => !a.SequenceEqual([true, true])), a => Assert.Equal(new[] { false, false }, a));

        Assert.Equal(new[] { true, false }, await replays.TryAddAllAsync([("assertion:alice:a2", until), ("dpop:thumb:p1", until)], default));
        Assert.Equal(new[] { false, true }, await replays.TryAddAllAsync([("assertion:alice:a2", until), ("dpop:thumb:p2", until)], default));
        Assert.Equal(new[] { true, false }, await replays.TryAddAllAsync([("dpop:thumb:p3", until), ("dpop:thumb:p3", until)], default)); // the same twice in one call

        // Expired: seen again as new (what it came from could not be accepted any more anyway).
        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.True(await replays.TryAddAsync("assertion:alice:a1", clock.GetUtcNow().AddMinutes(1), default));
        Assert.False(await replays.TryAddAsync("assertion:alice:a1", clock.GetUtcNow().AddMinutes(1), default));
    }

    [Fact]
    public async Task A_second_store_on_the_same_database_cannot_take_the_journal_and_refuses_instead_of_deciding_alone()
    {
        var until = DateTimeOffset.UtcNow.AddMinutes(1);
        await using var store = SqlKeyStore.OpenSqlite(Database);
        await store.InitializeAsync(default);
        var first = await OpenAsync(store);
        Assert.True(await new SqlReplayCache(first, TimeProvider.System).TryAddAsync("assertion:worker:j1", until, default));

        // In this process or another: SQLite serves one node, and two deciding from two memories would both accept.
        await using var second = new SqlClientStore(store.DataSource, postgres: false);
        var refused = await Assert.ThrowsAsync<IOException>(() => second.InitializeAsync(default));
        Assert.Contains("held by another store", refused.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<IOException>(async () => await new SqlReplayCache(second, TimeProvider.System).TryAddAsync("assertion:worker:j1", until, default));

        await first.DisposeAsync();
        await using var third = await OpenAsync(store);
        Assert.False(await new SqlReplayCache(third, TimeProvider.System).TryAddAsync("assertion:worker:j1", until, default));
    }

    [Fact]
    public async Task A_closed_store_refuses_to_decide_instead_of_accepting()
    {
        await using var store = SqlKeyStore.OpenSqlite(Database);
        await store.InitializeAsync(default);
        var clients = await OpenAsync(store);
        var replays = new SqlReplayCache(clients, TimeProvider.System);
        Assert.True(await replays.TryAddAsync("dpop:key:1", DateTimeOffset.UtcNow.AddMinutes(1), default));
        await clients.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await replays.TryAddAsync("dpop:key:2", DateTimeOffset.UtcNow.AddMinutes(1), default));

        await using var restarted = await OpenAsync(store);
        Assert.False(await new SqlReplayCache(restarted, TimeProvider.System).TryAddAsync("dpop:key:1", DateTimeOffset.UtcNow.AddMinutes(1), default));
    }

    [Fact]
    public async Task A_failed_write_refuses_its_callers_and_their_replays_and_the_journal_goes_on_after_the_last_whole_batch()
    {
        var until = DateTimeOffset.UtcNow.AddMinutes(5);
        await using var store = SqlKeyStore.OpenSqlite(Database);
        await store.InitializeAsync(default);
        await using (var clients = await OpenAsync(store))
        {
            var replays = new SqlReplayCache(clients, TimeProvider.System);
            Assert.True(await replays.TryAddAsync("assertion:worker:before", until, default));
            var segment = Assert.Single(clients.Journal!.SegmentFiles);
            var length = clients.Journal.AppendOffset;

            // Half a batch reaches the file, then the write fails (a full disk, an I/O error).
            clients.Journal.TearNextWriteForTests = 30;
            await Assert.ThrowsAsync<IOException>(async () => await replays.TryAddAllAsync([("assertion:worker:torn", until), ("dpop:thumb:torn", until)], default));
            Assert.Equal(length, new FileInfo(segment).Length); // cut back to the last whole batch
            Assert.Equal(length, clients.Journal.AppendOffset);

            // Its identifiers stay claimed: the request was refused, and so is its replay.
            Assert.Equal(new[] { false, false }, await replays.TryAddAllAsync([("assertion:worker:torn", until), ("dpop:thumb:torn", until)], default));
            Assert.True(await replays.TryAddAsync("assertion:worker:after", until, default));
        }

        // The journal reads back whole: what was accepted is refused; what was refused was never recorded.
        await using var restarted = await OpenAsync(store);
        var again = new SqlReplayCache(restarted, TimeProvider.System);
        Assert.False(await again.TryAddAsync("assertion:worker:before", until, default));
        Assert.False(await again.TryAddAsync("assertion:worker:after", until, default));
        Assert.True(await again.TryAddAsync("assertion:worker:torn", until, default));
    }

    [Fact]
    public async Task The_callers_of_one_write_are_all_answered_and_a_slow_one_does_not_hold_the_others_back()
    {
        var until = DateTimeOffset.UtcNow.AddMinutes(5);
        await using var store = SqlKeyStore.OpenSqlite(Database);
        await store.InitializeAsync(default);
        await using var clients = await OpenAsync(store);
        var journal = clients.Journal!;
        var replays = new SqlReplayCache(clients, TimeProvider.System);

        // Each round is held at its write until eight callers wait behind it; they then share the next write. Each
        // caller, once answered, waits for another to be running at the same time and then takes 20 ms, as requests
        // signing on an HSM across the network would: had the writer run the round's callers one after another on its
        // own thread, the first would wait for the rest (30 s, then false). The first round is answered before the
        // writer has measured what a caller costs; the next two after it measured them slow.
        for (var round = 0; round < 3; round++)
        {
            var running = 0;
            var (lead, callers) = await EightBehindOneWriteAsync($"assertion:slow:{round}", async i =>
            {
                var accepted = await replays.TryAddAsync($"assertion:slow:{round}:{i}", until, default);
                Interlocked.Increment(ref running);
                var together = SpinWait.SpinUntil(() => Volatile.Read(ref running) >= 2, TimeSpan.FromSeconds(30));
                Thread.Sleep(20);
                return accepted && together;
            });
            Assert.True(lead);
            Assert.All(await Task.WhenAll(callers), Assert.True);
        }

        // And a failed write fails every caller it held, answered on the writer's thread or not.
        var (tornLead, torn) = await EightBehindOneWriteAsync(
            "assertion:torn",
            i => replays.TryAddAsync($"assertion:torn:{i}", until, default).AsTask(),
            beforeTheirWrite: () => journal.TearNextWriteForTests = 30); // the write the eight share is torn
        Assert.True(tornLead);
        foreach (var caller in torn)
        {
            await Assert.ThrowsAsync<IOException>(() => caller);
        }

        // Holds the next write (a lead caller's) until eight callers queue behind it, then lets it go; returns the lead's
        // answer and the eight callers, which share the write after it.
        async Task<(bool Lead, Task<T>[] Callers)> EightBehindOneWriteAsync<T>(string name, Func<int, Task<T>> call, Action? beforeTheirWrite = null)
        {
            using var held = new ManualResetEventSlim();
            using var release = new ManualResetEventSlim();
            journal.BeforeNextWriteForTests = () =>
            {
                held.Set();
                release.Wait(TimeSpan.FromSeconds(30));
                journal.BeforeNextWriteForTests = beforeTheirWrite;
            };
            // The lead and the callers start on threads of their own, not the thread pool's: in the whole suite other
            // tests' blocked workers can keep the pool busy for longer than these waits (a CI run saw the lead's write
            // not start in 30 s). Like thread-pool threads, they have no synchronization context, so each caller's
            // continuation still runs where the journal completes it.
            var lead = OnOwnThread(() => replays.TryAddAsync($"{name}:lead", until, default).AsTask());
            Assert.True(held.Wait(TimeSpan.FromSeconds(30)), "the first write never started");
            var callers = Enumerable.Range(0, 8).Select(i => OnOwnThread(() => call(i))).ToArray();
            Assert.True(SpinWait.SpinUntil(() => journal.QueuedForTests == 8, TimeSpan.FromSeconds(30)), "the callers did not queue behind the write");
            release.Set();
            return (await lead, callers);
        }

        static Task<T> OnOwnThread<T>(Func<Task<T>> start)
            => Task.Factory.StartNew(start, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    [Fact]
    public async Task A_write_cut_short_by_a_crash_at_the_end_of_the_journal_is_cut_off_and_everything_before_it_stays_refused()
    {
        var until = DateTimeOffset.UtcNow.AddMinutes(5);
        await using var store = SqlKeyStore.OpenSqlite(Database);
        await store.InitializeAsync(default);
        string segment;
        long length;
        await using (var clients = await OpenAsync(store))
        {
            var replays = new SqlReplayCache(clients, TimeProvider.System);
            for (var i = 0; i < 20; i++)
            {
                Assert.True(await replays.TryAddAsync($"assertion:worker:{i}", until, default));
            }

            segment = Assert.Single(clients.Journal!.SegmentFiles);
            length = clients.Journal.AppendOffset;
        }

        // What a crash in the middle of the next write leaves: the start of a batch (its header and part of a record)
        // where the next batch goes, over the zeros written ahead.
        var whole = await File.ReadAllBytesAsync(segment);
        Assert.True(whole.Length > length && whole.AsSpan((int)length).IndexOfAnyExcept((byte)0) < 0, "zeros after the last batch");
        using (var file = File.OpenHandle(segment, FileMode.Open, FileAccess.Write))
        {
            RandomAccess.Write(file, whole.AsSpan(ReplayJournal.HeaderLength, 30), length);
        }

        await using (var restarted = await OpenAsync(store))
        {
            Assert.Equal(length, new FileInfo(segment).Length);
            var replays = new SqlReplayCache(restarted, TimeProvider.System);
            for (var i = 0; i < 20; i++)
            {
                Assert.False(await replays.TryAddAsync($"assertion:worker:{i}", until, default), $"identifier {i}");
            }

            Assert.True(await replays.TryAddAsync("assertion:worker:next", until, default));
        }

        // A segment cut short while it was made (nothing in it was ever acknowledged) is removed.
        var empty = Path.Combine(JournalDirectory, "9000000000000000.log");
        await File.WriteAllBytesAsync(empty, "SFIRP"u8.ToArray());
        await using (var restarted = await OpenAsync(store))
        {
            Assert.False(File.Exists(empty));
            Assert.False(await new SqlReplayCache(restarted, TimeProvider.System).TryAddAsync("assertion:worker:next", until, default));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Damage_to_an_acknowledged_batch_stops_the_store_from_opening_instead_of_forgetting_identifiers(bool lastSegment)
    {
        var until = DateTimeOffset.UtcNow.AddMinutes(5);
        await using var store = SqlKeyStore.OpenSqlite(Database);
        await store.InitializeAsync(default);
        string damaged;
        await using (var clients = await OpenAsync(store))
        {
            var replays = new SqlReplayCache(clients, TimeProvider.System);
            Assert.True(await replays.TryAddAsync("assertion:worker:1", until, default));
            Assert.True(await replays.TryAddAsync("assertion:worker:2", until, default));
            damaged = Assert.Single(clients.Journal!.SegmentFiles);
        }

        if (!lastSegment)
        {
            // A later start wrote a segment of its own after it.
            await using var later = await OpenAsync(store);
            Assert.True(await new SqlReplayCache(later, TimeProvider.System).TryAddAsync("assertion:worker:3", until, default));
        }

        // One bit of the first batch's record flipped on disk: the second batch, acknowledged after it, is still there.
        var bytes = await File.ReadAllBytesAsync(damaged);
        bytes[ReplayJournal.HeaderLength + 8 + 5] ^= 0x10;
        await File.WriteAllBytesAsync(damaged, bytes);

        await using var clientsAfter = new SqlClientStore(store.DataSource, postgres: false);
        var refused = await Assert.ThrowsAsync<InvalidDataException>(() => clientsAfter.InitializeAsync(default));
        Assert.Contains(damaged, refused.Message, StringComparison.Ordinal);
        Assert.Contains($"byte {ReplayJournal.HeaderLength}", refused.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidDataException>(async () => await new SqlReplayCache(clientsAfter, TimeProvider.System).TryAddAsync("assertion:worker:1", until, default));
        Assert.Equal(bytes, await File.ReadAllBytesAsync(damaged)); // nothing cut off
    }

    [Fact]
    public async Task Earlier_versions_identifiers_in_the_store_and_in_their_own_file_move_to_the_journal_and_stay_refused()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var until = clock.GetUtcNow().AddMinutes(5).ToUnixTimeMilliseconds();
        var spent = clock.GetUtcNow().AddMinutes(-1).ToUnixTimeMilliseconds();
        await using var store = SqlKeyStore.OpenSqlite(Database);
        await store.InitializeAsync(default);
        await using (var connection = await store.DataSource.OpenConnectionAsync())
        {
            // The table and index as an earlier release created them in the store, with identifiers it recorded.
            await Execute(connection, "CREATE TABLE replay_ids (id BLOB PRIMARY KEY, expires_at BIGINT NOT NULL)");
            await Execute(connection, "CREATE INDEX replay_ids_expires ON replay_ids (expires_at)");
            for (var i = 0; i < 300; i++)
            {
                await Execute(connection, "INSERT INTO replay_ids (id, expires_at) VALUES (@id, @until)", ("id", Hash($"assertion:worker:{i}")), ("until", i < 200 ? until : spent));
            }
        }

        // And the file of their own the release after kept them in.
        await CreateEarlierReplayFileAsync(Enumerable.Range(300, 50).Select(i => (Hash($"dpop:key:{i}"), until)));

        await using (var clients = await OpenAsync(store))
        {
            Assert.False(await StoreHasReplayTableAsync(store), "the store's table is dropped once its rows are in the journal");
            Assert.False(File.Exists(EarlierReplayFile), "the earlier replay file is deleted once its rows are in the journal");
            var replays = new SqlReplayCache(clients, clock);
            var later = clock.GetUtcNow().AddMinutes(5);
            for (var i = 0; i < 200; i++)
            {
                Assert.False(await replays.TryAddAsync($"assertion:worker:{i}", later, default), $"identifier {i}, recorded before the upgrade, accepted again");
            }

            for (var i = 300; i < 350; i++)
            {
                Assert.False(await replays.TryAddAsync($"dpop:key:{i}", later, default), $"proof {i}, recorded before the upgrade, accepted again");
            }

            Assert.Equal(100, await replays.PurgeAsync(default)); // the ones that had expired before the upgrade
            Assert.True(await replays.TryAddAsync("assertion:worker:250", later, default));
        }

        // In the journal itself, not only in memory: the next start refuses them without the old tables.
        await using var restarted = await OpenAsync(store);
        Assert.False(await new SqlReplayCache(restarted, clock).TryAddAsync("assertion:worker:17", clock.GetUtcNow().AddMinutes(5), default));
        Assert.False(await new SqlReplayCache(restarted, clock).TryAddAsync("dpop:key:317", clock.GetUtcNow().AddMinutes(5), default));
    }

    [Fact]
    public async Task A_move_interrupted_after_the_copy_is_repeated_and_never_shortens_an_identifiers_life()
    {
        // The crash this order allows: the rows are in the journal but their table or file is still there. The next
        // start moves them again; where the journal and the table disagree, the later expiry is kept.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var soon = clock.GetUtcNow().AddMinutes(1);
        var later = clock.GetUtcNow().AddMinutes(9);
        await using var store = SqlKeyStore.OpenSqlite(Database);
        await store.InitializeAsync(default);
        await using (var clients = await OpenAsync(store))
        {
            var replays = new SqlReplayCache(clients, clock);
            Assert.True(await replays.TryAddAsync("assertion:a:in-journal-later", later, default));
            Assert.True(await replays.TryAddAsync("assertion:a:in-journal-sooner", soon, default));
        }

        await using (var connection = await store.DataSource.OpenConnectionAsync())
        {
            await Execute(connection, "CREATE TABLE replay_ids (id BLOB PRIMARY KEY, expires_at BIGINT NOT NULL) WITHOUT ROWID");
            await Execute(connection, "INSERT INTO replay_ids (id, expires_at) VALUES (@id, @until)", ("id", Hash("assertion:a:in-journal-later")), ("until", soon.ToUnixTimeMilliseconds()));
        }

        await CreateEarlierReplayFileAsync([(Hash("assertion:a:in-journal-sooner"), later.ToUnixTimeMilliseconds())]);

        await using (var clients = await OpenAsync(store))
        {
            var replays = new SqlReplayCache(clients, clock);
            clock.Advance(TimeSpan.FromMinutes(5)); // past the sooner expiry of each
            Assert.Equal(0, await replays.PurgeAsync(default));
            Assert.False(await replays.TryAddAsync("assertion:a:in-journal-later", clock.GetUtcNow().AddMinutes(5), default));
            Assert.False(await replays.TryAddAsync("assertion:a:in-journal-sooner", clock.GetUtcNow().AddMinutes(5), default));
        }
    }

    [Fact]
    public async Task The_purge_forgets_exactly_the_expired_identifiers_and_deletes_the_segments_that_hold_only_such()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var journal = new ReplayJournal(JournalDirectory, segmentAge: TimeSpan.Zero); // a segment per write
        await journal.OpenAsync(default);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        (byte[], long) Id(string name, TimeSpan life) => (Hash(name), now + (long)life.TotalMilliseconds);

        Assert.Equal(new[] { true, true }, await journal.TryAddAllAsync([Id("short:1", TimeSpan.FromMinutes(1)), Id("short:2", TimeSpan.FromMinutes(1))], now, default));
        Assert.Equal(new[] { true }, await journal.TryAddAllAsync([Id("short:3", TimeSpan.FromMinutes(1))], now, default));
        Assert.Equal(new[] { true, true }, await journal.TryAddAllAsync([Id("long:1", TimeSpan.FromMinutes(10)), Id("short:4", TimeSpan.FromMinutes(1))], now, default));
        Assert.Equal(new[] { true }, await journal.TryAddAllAsync([Id("long:2", TimeSpan.FromMinutes(10))], now, default));
        var segments = journal.SegmentFiles;
        Assert.Equal(4, segments.Count);

        Assert.Equal(0, journal.Purge(now)); // nothing has expired yet
        var then = now + (long)TimeSpan.FromMinutes(2).TotalMilliseconds;
        Assert.Equal(4, journal.Purge(then));
        Assert.Equal(2, journal.Count);
        Assert.Equal(0, journal.Purge(then));

        // The first two segments held only expired identifiers; the third holds a live one; the fourth is being appended to.
        Assert.Equal(new[] { false, false, true, true }, segments.Select(File.Exists));
        Assert.Equal(new[] { true, false, false, true }, await journal.TryAddAllAsync(
            [(Hash("short:1"), then + 60_000), (Hash("long:1"), then + 60_000), (Hash("long:2"), then + 60_000), (Hash("short:4"), then + 60_000)], then, default));
        await journal.DisposeAsync();

        await using var reopened = new ReplayJournal(JournalDirectory);
        Assert.Equal(new[] { false, false, false, false }, await reopened.TryAddAllAsync(
            [(Hash("short:1"), then + 60_000), (Hash("long:1"), then + 60_000), (Hash("long:2"), then + 60_000), (Hash("short:4"), then + 60_000)], then, default));
    }

    /// <summary>O_DSYNC on Linux x86-64 and arm64, as /proc/PID/fdinfo prints flags (octal).</summary>
    private const int ODsync = 0x1000;

    /// <summary>The flags this process opened <paramref name="path"/> with, from /proc/self/fdinfo; null when it is not open.</summary>
    private static int? OpenFlags(string path)
    {
        foreach (var fd in Directory.GetFiles("/proc/self/fd"))
        {
            string? target;
            try
            {
                target = new FileInfo(fd).LinkTarget;
            }
            catch (IOException)
            {
                continue;
            }

            if (target == path)
            {
                var flags = File.ReadLines($"/proc/self/fdinfo/{Path.GetFileName(fd)}").First(l => l.StartsWith("flags:", StringComparison.Ordinal));
                return Convert.ToInt32(flags["flags:".Length..].Trim(), 8);
            }
        }

        return null;
    }

    private static async Task<SqlClientStore> OpenAsync(SqlKeyStore store)
    {
        var clients = new SqlClientStore(store.DataSource, postgres: false);
        await clients.InitializeAsync(default);
        return clients;
    }

    private async Task CreateEarlierReplayFileAsync(IEnumerable<(byte[] Id, long Until)> rows)
    {
        await using var replay = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={EarlierReplayFile};Pooling=False");
        await replay.OpenAsync();
        await Execute(replay, "PRAGMA journal_mode=WAL");
        await Execute(replay, "CREATE TABLE replay_ids (id BLOB PRIMARY KEY, expires_at BIGINT NOT NULL) WITHOUT ROWID");
        foreach (var (id, until) in rows)
        {
            await Execute(replay, "INSERT INTO replay_ids (id, expires_at) VALUES (@id, @until)", ("id", id), ("until", until));
        }
    }

    private static async Task<bool> StoreHasReplayTableAsync(SqlKeyStore store)
    {
        await using var connection = await store.DataSource.OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'replay_ids'";
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    private static byte[] Hash(string id) => SHA256.HashData(Encoding.UTF8.GetBytes(id));

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
