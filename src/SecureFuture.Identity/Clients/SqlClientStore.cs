using System.Data.Common;
using System.Text.Json;
using static SecureFuture.Core.Storage.SqlCommands;

namespace SecureFuture.Identity.Clients;

/// <summary>
/// Registered clients and security events, in the same database as the key service (SQLite or PostgreSQL), so that
/// every node of a PostgreSQL deployment sees the same clients; single-use identifiers in that database on PostgreSQL,
/// and on SQLite (one node) in the process's memory and a journal next to the store (<see cref="ReplayJournal"/>).
/// </summary>
public sealed class SqlClientStore(DbDataSource source, bool postgres) : IAsyncDisposable
{
    private readonly ReplayJournal? _journal = postgres ? null : ReplayJournal.For(StorePath(source));

    /// <summary>SQLite's replay journal (null on PostgreSQL): <see cref="Tokens.SqlReplayCache"/> decides single use there directly.</summary>
    internal ReplayJournal? Journal => _journal;

    private static readonly string[] SqliteSchema =
    [
        "CREATE TABLE IF NOT EXISTS oauth_clients (client_id TEXT PRIMARY KEY, jwks TEXT NOT NULL, scopes TEXT NOT NULL, audiences TEXT NOT NULL, enabled INTEGER NOT NULL, require_dpop INTEGER NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, revision BIGINT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS security_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, at BIGINT NOT NULL, type TEXT NOT NULL, client_id TEXT, subject TEXT, details TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS ssf_streams (id TEXT PRIMARY KEY, endpoint TEXT NOT NULL, delivered BIGINT NOT NULL, created_at BIGINT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS security_events_at ON security_events (at)",
        "CREATE TABLE IF NOT EXISTS dpop_nonces (period BIGINT PRIMARY KEY, nonce TEXT NOT NULL)",
    ];

    private static readonly string[] PostgresSchema =
    [
        "CREATE TABLE IF NOT EXISTS oauth_clients (client_id TEXT PRIMARY KEY, jwks TEXT NOT NULL, scopes TEXT NOT NULL, audiences TEXT NOT NULL, enabled INTEGER NOT NULL, require_dpop INTEGER NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, revision BIGINT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS security_events (seq BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, type TEXT NOT NULL, client_id TEXT, subject TEXT, details TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS ssf_streams (id TEXT PRIMARY KEY, endpoint TEXT NOT NULL, delivered BIGINT NOT NULL, created_at BIGINT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS replay_ids (id BYTEA PRIMARY KEY, expires_at BIGINT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS security_events_at ON security_events (at)",
        "CREATE INDEX IF NOT EXISTS replay_ids_expires ON replay_ids (expires_at)",
        "CREATE TABLE IF NOT EXISTS dpop_nonces (period BIGINT PRIMARY KEY, nonce TEXT NOT NULL)",
    ];

    /// <summary>The advisory lock that makes one node at a time push security event tokens.</summary>
    private const long PushLeaseLock = 7460003;

    /// <summary>
    /// Columns added after the first release, as (table, column, definition), applied in order after the tables exist.
    /// A column is added only where it is missing, so a store created by any earlier version is brought up to date and
    /// a current one is left alone; existing rows take the default.
    /// </summary>
    private static readonly (string Table, string Column, string Definition)[] AddedColumns =
    [
        ("oauth_clients", "tls_client_certificate_bound", "INTEGER NOT NULL DEFAULT 0"), // RFC 8705 client metadata
        ("security_events", "source", "TEXT"), // where a refused attempt came from: throttling counts by it
    ];

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (postgres)
        {
            await ExecuteAsync(connection, transaction, "SELECT pg_advisory_xact_lock(7460002)", cancellationToken);
        }

        foreach (var statement in postgres ? PostgresSchema : SqliteSchema)
        {
            await ExecuteAsync(connection, transaction, statement, cancellationToken);
        }

        foreach (var (table, column, definition) in AddedColumns)
        {
            await AddColumnAsync(connection, transaction, table, column, definition, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        if (_journal is not null)
        {
            await _journal.OpenAsync(cancellationToken);
            await MoveEarlierReplayIdsAsync(_journal, cancellationToken);
        }
    }

    /// <summary>Closes SQLite's replay journal (nothing to close on PostgreSQL); the data source is the key store's.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_journal is not null)
        {
            await _journal.DisposeAsync();
        }
    }

    /// <summary>The file of a SQLite data source.</summary>
    private static string StorePath(DbDataSource source) => new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(source.ConnectionString).DataSource;

    /// <summary>
    /// Moves into the journal the identifiers earlier versions kept in SQLite: a <c>replay_ids</c> table in the store
    /// itself, then in a file of its own next to it (<c>sfi-replay.db</c>). They are on disk in the journal before their
    /// table is dropped or their file deleted, so an interrupted move is repeated on the next start, never lost; where
    /// the two disagree the later expiry wins.
    /// </summary>
    private async Task MoveEarlierReplayIdsAsync(ReplayJournal journal, CancellationToken cancellationToken)
    {
        var store = StorePath(source);
        var file = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(store))!, Path.GetFileNameWithoutExtension(store) + "-replay" + Path.GetExtension(store));
        await using (var connection = await source.OpenConnectionAsync(cancellationToken))
        {
            var ids = await ReadReplayIdsAsync(connection, cancellationToken);
            if (ids is not null)
            {
                await journal.ImportAsync(ids, cancellationToken);
                await ExecuteAsync(connection, null, "DROP TABLE replay_ids", cancellationToken); // and an earlier version's expiry index
            }
        }

        if (File.Exists(file))
        {
            await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection(new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder { DataSource = file, Mode = Microsoft.Data.Sqlite.SqliteOpenMode.ReadWrite, Pooling = false }.ToString()))
            {
                await connection.OpenAsync(cancellationToken);
                if (await ReadReplayIdsAsync(connection, cancellationToken) is { } ids)
                {
                    await journal.ImportAsync(ids, cancellationToken);
                }
            }

            foreach (var suffix in new[] { "-wal", "-shm", "-journal", string.Empty })
            {
                File.Delete(file + suffix); // the database file last: while it exists the move is repeated
            }
        }
    }

    /// <summary>Every row of SQLite's <c>replay_ids</c> on <paramref name="connection"/>; null when there is no such table.</summary>
    private static async Task<List<(byte[] Hash, long UntilMs)>?> ReadReplayIdsAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using (var exists = Command(connection, null, "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = 'replay_ids'"))
        {
            if (Convert.ToInt64(await exists.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) == 0)
            {
                return null;
            }
        }

        var ids = new List<(byte[] Hash, long UntilMs)>();
        await using var select = Command(connection, null, "SELECT id, expires_at FROM replay_ids");
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            // Rows of another length were never written by sfi: an identifier is the SHA-256 of what the caller sent.
            if (reader.GetValue(0) is byte[] { Length: ReplayJournal.IdLength } id)
            {
                ids.Add((id, reader.GetInt64(1)));
            }
        }

        return ids;
    }

    /// <summary>Adds a column unless it exists (PostgreSQL has <c>ADD COLUMN IF NOT EXISTS</c>; SQLite needs a look first).</summary>
    private async Task AddColumnAsync(DbConnection connection, DbTransaction transaction, string table, string column, string definition, CancellationToken cancellationToken)
    {
        if (postgres)
        {
            await ExecuteAsync(connection, transaction, $"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {definition}", cancellationToken);
            return;
        }

        await using (var exists = Command(connection, transaction, "SELECT COUNT(*) FROM pragma_table_info(@table) WHERE name = @column", ("table", table), ("column", column)))
        {
            if (Convert.ToInt64(await exists.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) > 0)
            {
                return;
            }
        }

        await ExecuteAsync(connection, transaction, $"ALTER TABLE {table} ADD COLUMN {column} {definition}", cancellationToken);
    }

    public async Task<OAuthClient?> GetAsync(string clientId, CancellationToken cancellationToken)
        => (await QueryAsync("WHERE client_id = @id", cancellationToken, ("id", clientId))) is [var client, ..] ? client : null;

    public Task<IReadOnlyList<OAuthClient>> ListAsync(CancellationToken cancellationToken) => QueryAsync(string.Empty, cancellationToken);

    /// <summary>Adds a client and its event; false (nothing written) when the id is taken.</summary>
    public async Task<bool> AddAsync(OAuthClient client, SecurityEvent registered, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var rows = await ExecuteAsync(connection, transaction,
            "INSERT INTO oauth_clients (client_id, jwks, scopes, audiences, enabled, require_dpop, tls_client_certificate_bound, created_at, updated_at, revision) " +
            "VALUES (@id, @jwks, @scopes, @audiences, @enabled, @dpop, @mtls, @created, @updated, @revision) ON CONFLICT (client_id) DO NOTHING",
            cancellationToken, Row(client));
        if (rows == 0)
        {
            return false;
        }

        await AddEventAsync(connection, transaction, registered, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Replaces a client if it is still at <paramref name="expectedRevision"/>; false (nothing written) otherwise.</summary>
    public async Task<bool> UpdateAsync(OAuthClient client, long expectedRevision, SecurityEvent change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var rows = await ExecuteAsync(connection, transaction,
            "UPDATE oauth_clients SET jwks = @jwks, scopes = @scopes, audiences = @audiences, enabled = @enabled, require_dpop = @dpop, tls_client_certificate_bound = @mtls, updated_at = @updated, revision = @revision " +
            "WHERE client_id = @id AND revision = @expected",
            cancellationToken, [.. Row(client), ("expected", expectedRevision)]);
        if (rows == 0)
        {
            return false;
        }

        await AddEventAsync(connection, transaction, change, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Security events after <paramref name="afterSequence"/>, oldest first.</summary>
    public async Task<IReadOnlyList<SecurityEvent>> ReadEventsAsync(long afterSequence, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT seq, at, type, client_id, subject, details FROM security_events WHERE seq > @after ORDER BY seq LIMIT @limit",
            ("after", afterSequence), ("limit", limit));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var events = new List<SecurityEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            events.Add(new SecurityEvent(reader.GetInt64(0), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetString(5)));
        }

        return events;
    }

    /// <summary>The latest <paramref name="limit"/> security events, newest first (the web console's list).</summary>
    public async Task<IReadOnlyList<SecurityEvent>> ReadLatestEventsAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT seq, at, type, client_id, subject, details FROM security_events ORDER BY seq DESC LIMIT @limit", ("limit", limit));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var events = new List<SecurityEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            events.Add(new SecurityEvent(reader.GetInt64(0), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetString(5)));
        }

        return events;
    }

    public async Task AddEventAsync(SecurityEvent securityEvent, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await AddEventAsync(connection, null, securityEvent, cancellationToken);
    }

    /// <summary>Adds a push stream (delivery starts after its <c>Delivered</c> mark).</summary>
    public async Task AddStreamAsync(PushSubscription stream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, null, "INSERT INTO ssf_streams (id, endpoint, delivered, created_at) VALUES (@id, @endpoint, @delivered, @created)", cancellationToken,
            ("id", stream.Id), ("endpoint", stream.Endpoint.AbsoluteUri), ("delivered", stream.Delivered), ("created", stream.CreatedAt.ToUnixTimeMilliseconds()));
    }

    public async Task<IReadOnlyList<PushSubscription>> ListStreamsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT id, endpoint, delivered, created_at FROM ssf_streams ORDER BY id");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var streams = new List<PushSubscription>();
        while (await reader.ReadAsync(cancellationToken))
        {
            streams.Add(new PushSubscription(reader.GetString(0), new Uri(reader.GetString(1)), reader.GetInt64(2), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3))));
        }

        return streams;
    }

    /// <summary>Moves a stream's delivery mark forward (never back).</summary>
    public async Task MarkDeliveredAsync(string id, long sequence, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, null, "UPDATE ssf_streams SET delivered = @seq WHERE id = @id AND delivered < @seq", cancellationToken, ("id", id), ("seq", sequence));
    }

    /// <summary>Whether several nodes share this store (PostgreSQL), so per-node memory does not see every node's events.</summary>
    public bool IsShared => postgres;

    /// <summary>
    /// Refused attempts after <paramref name="since"/>, recorded by any node, whose type starts with
    /// <paramref name="prefix"/> but not with <paramref name="exceptPrefix"/>: the sources with at least
    /// <paramref name="perSource"/> of them (whatever client they named), and the (registered client, source) pairs with
    /// at least <paramref name="perPair"/>; each with the time of its oldest such attempt.
    /// </summary>
    public async Task<IReadOnlyList<(string? ClientId, string Source, DateTimeOffset Oldest)>> RecentRefusalsAsync(
        DateTimeOffset since, int perSource, int perPair, string prefix, string exceptPrefix, CancellationToken cancellationToken)
    {
        const string Refusals = "FROM security_events WHERE at > @since AND source IS NOT NULL AND type LIKE @prefix AND type NOT LIKE @except";
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null,
            $"SELECT NULL, source, MIN(at) {Refusals} GROUP BY source HAVING COUNT(*) >= @perSource " +
            $"UNION ALL SELECT client_id, source, MIN(at) {Refusals} AND client_id IS NOT NULL GROUP BY client_id, source HAVING COUNT(*) >= @perPair",
            ("since", since.ToUnixTimeMilliseconds()), ("perSource", perSource), ("perPair", perPair), ("prefix", prefix + "%"), ("except", exceptPrefix + "%"));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var over = new List<(string?, string, DateTimeOffset)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            over.Add((reader.IsDBNull(0) ? null : reader.GetString(0), reader.GetString(1), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2))));
        }

        return over;
    }

    /// <summary>
    /// The DPoP nonce of time period <paramref name="period"/>: the one some node stored first, or
    /// <paramref name="candidate"/> when this call is the first (and <paramref name="candidate"/> is not null); null when
    /// none exists and none is offered. Periods older than <paramref name="period"/> - 2 are deleted on creation.
    /// </summary>
    public async Task<string?> DpopNonceAsync(long period, string? candidate, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        if (candidate is not null)
        {
            if (await ExecuteAsync(connection, null, "INSERT INTO dpop_nonces (period, nonce) VALUES (@period, @nonce) ON CONFLICT (period) DO NOTHING", cancellationToken, ("period", period), ("nonce", candidate)) > 0)
            {
                await ExecuteAsync(connection, null, "DELETE FROM dpop_nonces WHERE period < @oldest", cancellationToken, ("oldest", period - 2));
            }
        }

        await using var command = Command(connection, null, "SELECT nonce FROM dpop_nonces WHERE period = @period", ("period", period));
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    /// <summary>
    /// Records single-use identifiers, each until its time, in one statement: returns those recorded now (base64 of the
    /// id), i.e. seen for the first time or whose earlier record had expired at <paramref name="now"/>. The database
    /// decides each one by its conflict check, so of concurrent writes of the same identifier from any number of nodes
    /// exactly one gets it. The identifiers must be distinct.
    /// </summary>
    public async Task<HashSet<string>> TryRecordOnceAsync(IReadOnlyList<(byte[] Id, DateTimeOffset Until)> ids, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var recorded = new HashSet<string>(StringComparer.Ordinal);
        if (ids.Count == 0)
        {
            return recorded;
        }

        if (_journal is not null)
        {
            var claimed = await _journal.TryAddAllAsync([.. ids.Select(i => (i.Id, i.Until.ToUnixTimeMilliseconds()))], now.ToUnixTimeMilliseconds(), cancellationToken);
            for (var i = 0; i < ids.Count; i++)
            {
                if (claimed[i])
                {
                    recorded.Add(Convert.ToBase64String(ids[i].Id));
                }
            }

            return recorded;
        }

        var values = string.Join(", ", Enumerable.Range(0, ids.Count).Select(i => $"(@id{i}, @until{i})"));
        var parameters = new List<(string, object?)>(ids.Count * 2 + 1) { ("now", now.ToUnixTimeMilliseconds()) };
        for (var i = 0; i < ids.Count; i++)
        {
            parameters.Add(($"id{i}", ids[i].Id));
            parameters.Add(($"until{i}", ids[i].Until.ToUnixTimeMilliseconds()));
        }

        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null,
            "INSERT INTO replay_ids (id, expires_at) VALUES " + values +
            " ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at WHERE replay_ids.expires_at <= @now RETURNING id",
            [.. parameters]);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            recorded.Add(Convert.ToBase64String((byte[])reader.GetValue(0)));
        }

        return recorded;
    }

    /// <summary>Deletes single-use identifiers that expired at or before <paramref name="now"/>; returns how many.</summary>
    public async Task<int> PurgeReplayIdsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (_journal is not null)
        {
            await _journal.OpenAsync(cancellationToken);
            return _journal.Purge(now.ToUnixTimeMilliseconds());
        }

        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        return await ExecuteAsync(connection, null, "DELETE FROM replay_ids WHERE expires_at <= @now", cancellationToken, ("now", now.ToUnixTimeMilliseconds()));
    }

    /// <summary>
    /// The right to push security event tokens now, held until disposed; null while another node holds it. On PostgreSQL
    /// it is a session advisory lock, so it also ends when its holder dies. SQLite serves one node, which always gets it.
    /// </summary>
    public async Task<IAsyncDisposable?> TryTakePushLeaseAsync(CancellationToken cancellationToken)
    {
        if (!postgres)
        {
            return NoLease.Instance;
        }

        var connection = await source.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = Command(connection, null, "SELECT pg_try_advisory_lock(@key)", ("key", PushLeaseLock));
            if (await command.ExecuteScalarAsync(cancellationToken) is true)
            {
                return new AdvisoryLease(connection);
            }
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        await connection.DisposeAsync();
        return null;
    }

    private sealed class NoLease : IAsyncDisposable
    {
        public static readonly NoLease Instance = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class AdvisoryLease(DbConnection connection) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                // Released explicitly, whatever the caller's cancellation; a pooled connection is reset (DISCARD ALL) anyway.
                await ExecuteAsync(connection, null, "SELECT pg_advisory_unlock(@key)", CancellationToken.None, ("key", PushLeaseLock));
            }
            finally
            {
                await connection.DisposeAsync();
            }
        }
    }

    private static (string, object?)[] Row(OAuthClient client) =>
    [
        ("id", client.ClientId), ("jwks", client.Keys.Json), ("scopes", JsonSerializer.Serialize(client.Scopes)), ("audiences", JsonSerializer.Serialize(client.Audiences)),
        ("enabled", client.Enabled ? 1 : 0), ("dpop", client.RequireDpop ? 1 : 0), ("mtls", client.TlsClientCertificateBoundAccessTokens ? 1 : 0), ("created", client.CreatedAt.ToUnixTimeMilliseconds()),
        ("updated", client.UpdatedAt.ToUnixTimeMilliseconds()), ("revision", client.Revision),
    ];

    private static Task<int> AddEventAsync(DbConnection connection, DbTransaction? transaction, SecurityEvent e, CancellationToken cancellationToken)
        => ExecuteAsync(connection, transaction, "INSERT INTO security_events (at, type, client_id, subject, details, source) VALUES (@at, @type, @client, @subject, @details, @source)",
            cancellationToken, ("at", e.At.ToUnixTimeMilliseconds()), ("type", e.Type), ("client", e.ClientId), ("subject", e.Subject), ("details", e.Details), ("source", e.Source));

    private async Task<IReadOnlyList<OAuthClient>> QueryAsync(string where, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null,
            "SELECT client_id, jwks, scopes, audiences, enabled, require_dpop, tls_client_certificate_bound, created_at, updated_at, revision FROM oauth_clients " + where + " ORDER BY client_id", parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var clients = new List<OAuthClient>();
        while (await reader.ReadAsync(cancellationToken))
        {
            clients.Add(new OAuthClient(
                reader.GetString(0), ClientKeySet.FromStored(reader.GetString(1)), JsonSerializer.Deserialize<string[]>(reader.GetString(2)) ?? [],
                JsonSerializer.Deserialize<string[]>(reader.GetString(3)) ?? [], reader.GetInt64(4) != 0, reader.GetInt64(5) != 0, reader.GetInt64(6) != 0,
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(7)), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(8)), reader.GetInt64(9)));
        }

        return clients;
    }
}
