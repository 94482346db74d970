using System.Collections.Concurrent;
using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Npgsql;
using SecureFuture.Keys.Audit;
using static SecureFuture.Core.Storage.SqlCommands;

namespace SecureFuture.Keys.Storage;

/// <summary>
/// The key store over ADO.NET: SQLite (embedded, one node; the default under <c>DIR/sfi.db</c>) or PostgreSQL
/// (scale-out; leases are advisory locks). Both share one schema and one set of statements. The database itself
/// refuses a second active or pending key per ring, a key state moving backwards, and any change to an audit record.
/// </summary>
public sealed class SqlKeyStore : IKeyStore
{
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> LocalLeases = new(StringComparer.Ordinal);

    private readonly DbDataSource _source;
    private readonly bool _postgres;
    private readonly string _leaseScope;

    private SqlKeyStore(DbDataSource source, bool postgres, string description, string leaseScope)
    {
        _source = source;
        _postgres = postgres;
        Description = description;
        _leaseScope = leaseScope;
    }

    public string Description { get; }

    /// <summary>The database itself, for stores of other services that keep their tables next to the key service's.</summary>
    public DbDataSource DataSource => _source;

    /// <summary>True for PostgreSQL, false for SQLite.</summary>
    public bool IsPostgres => _postgres;

    public string InstallationId { get; private set; } = string.Empty;

    /// <summary>Opens (creating if needed) a SQLite database file.</summary>
    public static SqlKeyStore OpenSqlite(string path)
    {
        var full = Path.GetFullPath(path);
        var builder = new SqliteConnectionStringBuilder { DataSource = full, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true, DefaultTimeout = 30 };
        return new SqlKeyStore(SqliteFactory.Instance.CreateDataSource(builder.ToString()), postgres: false, $"sqlite:{full}", full);
    }

    /// <summary>Opens a PostgreSQL database from an Npgsql connection string.</summary>
    public static SqlKeyStore OpenPostgres(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var description = $"postgresql://{builder.Host}:{builder.Port}/{builder.Database}";
        return new SqlKeyStore(NpgsqlDataSource.Create(builder), postgres: true, description, description);
    }

    public async ValueTask DisposeAsync() => await _source.DisposeAsync();

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        if (!_postgres)
        {
            await ExecuteAsync(connection, null, "PRAGMA journal_mode=WAL", cancellationToken);
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (_postgres)
        {
            await ExecuteAsync(connection, transaction, "SELECT pg_advisory_xact_lock(7460001)", cancellationToken);
        }

        foreach (var statement in _postgres ? Schema.Postgres : Schema.Sqlite)
        {
            await ExecuteAsync(connection, transaction, statement, cancellationToken);
        }

        await ExecuteAsync(connection, transaction, "INSERT INTO sfi_meta (key, value) VALUES ('installation', @id) ON CONFLICT (key) DO NOTHING", cancellationToken,
            ("id", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))));
        await using (var select = Command(connection, transaction, "SELECT value FROM sfi_meta WHERE key = 'installation'"))
        {
            InstallationId = (string)(await select.ExecuteScalarAsync(cancellationToken))!;
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task PingAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT 1");
        await command.ExecuteScalarAsync(cancellationToken);
    }

    public async Task<KeyRing?> GetRingAsync(string name, CancellationToken cancellationToken)
        => (await QueryRingsAsync("WHERE name = @name", cancellationToken, ("name", name))) is [var ring, ..] ? ring : null;

    public Task<IReadOnlyList<KeyRing>> ListRingsAsync(CancellationToken cancellationToken) => QueryRingsAsync(string.Empty, cancellationToken);

    public async Task<bool> CreateRingAsync(KeyRing ring, KeyVersion firstKey, IReadOnlyList<AuditEntry> audit, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ring);
        ArgumentNullException.ThrowIfNull(audit);
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var policy = ring.Policy;
        var inserted = await TryExecuteAsync(connection, transaction,
            "INSERT INTO key_rings (name, algorithm, rotation_period_ms, pre_publication_ms, verification_grace_ms, max_token_lifetime_ms, retention_ms, issuer, audiences, created_at, is_default) " +
            "VALUES (@name, @algorithm, @rotation, @prepub, @grace, @lifetime, @retention, @issuer, @audiences, @created, @isdefault)",
            cancellationToken,
            ("name", ring.Name), ("algorithm", policy.Algorithm.Id), ("rotation", Ms(policy.RotationPeriod)), ("prepub", Ms(policy.PrePublication)),
            ("grace", Ms(policy.VerificationGrace)), ("lifetime", Ms(policy.MaxTokenLifetime)), ("retention", Ms(policy.Retention)),
            ("issuer", policy.Issuer), ("audiences", JsonSerializer.Serialize(policy.Audiences)), ("created", ring.CreatedAt.ToUnixTimeMilliseconds()),
            ("isdefault", ring.IsDefault ? 1 : 0));
        if (!inserted || !await TryInsertVersionAsync(connection, transaction, firstKey, cancellationToken))
        {
            await transaction.RollbackAsync(cancellationToken);
            return false;
        }

        foreach (var entry in audit)
        {
            await AppendAsync(connection, transaction, entry, at, cancellationToken);
        }

        await NotifyAsync(connection, transaction, [ring.Name], cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<IReadOnlyList<KeyVersion>> ListVersionsAsync(string ring, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null,
            "SELECT v.kid, v.ring, v.version, v.state, v.hsm_id, v.algorithm, v.public_jwk, v.created_at, v.activate_at, v.activated_at, v.expires_at, v.deactivated_at, v.verify_until, v.retired_at, v.destroyed_at " +
            "FROM key_versions v WHERE v.ring = @ring ORDER BY v.version", ("ring", ring));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var versions = new List<KeyVersion>();
        while (await reader.ReadAsync(cancellationToken))
        {
            versions.Add(new KeyVersion
            {
                Kid = reader.GetString(0),
                Ring = reader.GetString(1),
                Version = Convert.ToInt32(reader.GetValue(2), System.Globalization.CultureInfo.InvariantCulture),
                State = (KeyState)Convert.ToInt32(reader.GetValue(3), System.Globalization.CultureInfo.InvariantCulture),
                HsmId = reader.GetString(4),
                PublicKey = PublicKeyMaterial.FromJwk(SigningAlgorithm.FromId(reader.GetString(5)), reader.GetString(6)),
                CreatedAt = Time(reader, 7)!.Value,
                ActivateAt = Time(reader, 8)!.Value,
                ActivatedAt = Time(reader, 9),
                ExpiresAt = Time(reader, 10),
                DeactivatedAt = Time(reader, 11),
                VerifyUntil = Time(reader, 12),
                RetiredAt = Time(reader, 13),
                DestroyedAt = Time(reader, 14),
            });
        }

        return versions;
    }

    public async Task<bool> InsertVersionAsync(KeyVersion key, AuditEntry audit, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (!await TryInsertVersionAsync(connection, transaction, key, cancellationToken))
        {
            await transaction.RollbackAsync(cancellationToken);
            return false;
        }

        await AppendAsync(connection, transaction, audit, at, cancellationToken);
        await NotifyAsync(connection, transaction, [key.Ring], cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<bool> ApplyAsync(IReadOnlyList<KeyTransition> transitions, IReadOnlyList<AuditEntry> audit, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transitions);
        ArgumentNullException.ThrowIfNull(audit);
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // Retire before activating, so that the one-active-key index holds after every statement.
        foreach (var transition in transitions.OrderByDescending(t => t.From))
        {
            var to = transition.To;
            int changed;
            try
            {
                await using var command = Command(connection, transaction,
                    "UPDATE key_versions SET state = @state, activated_at = @activated, expires_at = @expires, deactivated_at = @deactivated, " +
                    "verify_until = @verify, retired_at = @retired, destroyed_at = @destroyed WHERE kid = @kid AND state = @from",
                    ("state", (int)to.State), ("activated", Ms(to.ActivatedAt)), ("expires", Ms(to.ExpiresAt)), ("deactivated", Ms(to.DeactivatedAt)),
                    ("verify", Ms(to.VerifyUntil)), ("retired", Ms(to.RetiredAt)), ("destroyed", Ms(to.DestroyedAt)), ("kid", to.Kid), ("from", (int)transition.From));
                changed = await command.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (DbException e) when (IsConstraintViolation(e))
            {
                changed = 0;
            }

            if (changed != 1)
            {
                await transaction.RollbackAsync(cancellationToken);
                return false;
            }
        }

        foreach (var entry in audit)
        {
            await AppendAsync(connection, transaction, entry, at, cancellationToken);
        }

        await NotifyAsync(connection, transaction, transitions.Select(t => t.To.Ring), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task AppendAuditAsync(AuditEntry entry, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await AppendAsync(connection, transaction, entry, at, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<AuditRecord>> ReadAuditAsync(CancellationToken cancellationToken)
        => await QueryAuditAsync(null, "ORDER BY seq", cancellationToken);

    public async Task<AuditRecord?> LastAuditAsync(CancellationToken cancellationToken)
        => (await QueryAuditAsync(null, "ORDER BY seq DESC LIMIT 1", cancellationToken)) is [var last, ..] ? last : null;

    public async Task AddCheckpointAsync(AuditCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        await using var connection = await OpenAsync(cancellationToken);
        await TryExecuteAsync(connection, null,
            "INSERT INTO audit_checkpoints (seq, at, record_hash, key_id, signature) VALUES (@seq, @at, @hash, @key, @signature)",
            cancellationToken,
            ("seq", checkpoint.Sequence), ("at", checkpoint.At.ToUnixTimeMilliseconds()), ("hash", checkpoint.RecordHash), ("key", checkpoint.KeyId), ("signature", checkpoint.Signature));
    }

    public Task<IReadOnlyList<AuditCheckpoint>> ReadCheckpointsAsync(CancellationToken cancellationToken) => QueryCheckpointsAsync("ORDER BY seq", cancellationToken);

    public async Task<AuditCheckpoint?> LastCheckpointAsync(CancellationToken cancellationToken)
        => await QueryCheckpointsAsync("ORDER BY seq DESC LIMIT 1", cancellationToken) is [var last, ..] ? last : null;

    private async Task<IReadOnlyList<AuditCheckpoint>> QueryCheckpointsAsync(string suffix, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT seq, at, record_hash, key_id, signature FROM audit_checkpoints " + suffix);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var checkpoints = new List<AuditCheckpoint>();
        while (await reader.ReadAsync(cancellationToken))
        {
            checkpoints.Add(new AuditCheckpoint(reader.GetInt64(0), Time(reader, 1)!.Value, reader.GetString(2), reader.GetString(3), reader.GetString(4)));
        }

        return checkpoints;
    }

    public async Task<IAsyncDisposable?> TryAcquireLeaseAsync(string name, CancellationToken cancellationToken)
    {
        if (!_postgres)
        {
            var gate = LocalLeases.GetOrAdd($"{_leaseScope}\n{name}", _ => new SemaphoreSlim(1, 1));
            return await gate.WaitAsync(TimeSpan.Zero, cancellationToken) ? new Lease(() => { gate.Release(); return ValueTask.CompletedTask; }) : null;
        }

        var key = BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes("sfi-lease/" + name)), 0);
        var connection = await OpenAsync(cancellationToken);
        try
        {
            await using var command = Command(connection, null, "SELECT pg_try_advisory_lock(@key)", ("key", key));
            if (await command.ExecuteScalarAsync(cancellationToken) is true)
            {
                return new Lease(async () =>
                {
                    try
                    {
                        await using var unlock = Command(connection, null, "SELECT pg_advisory_unlock(@key)", ("key", key));
                        await unlock.ExecuteScalarAsync(CancellationToken.None);
                    }
                    finally
                    {
                        // Closing the session releases the lock even if the unlock failed.
                        await connection.DisposeAsync();
                    }
                });
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

    public async Task<bool> AddFirstAdminCredentialAsync(AdminCredential credential, AuditEntry audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(credential);
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (_postgres)
        {
            await ExecuteAsync(connection, transaction, "SELECT pg_advisory_xact_lock(7460003)", cancellationToken);
        }

        await using (var count = Command(connection, transaction, "SELECT COUNT(*) FROM admin_credentials"))
        {
            if (Convert.ToInt64(await count.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) > 0)
            {
                await transaction.RollbackAsync(cancellationToken);
                return false;
            }
        }

        await ExecuteAsync(connection, transaction, "INSERT INTO admin_credentials (id, key_hash, created_at) VALUES (@id, @hash, @created)", cancellationToken,
            ("id", credential.Id), ("hash", credential.KeyHash), ("created", credential.CreatedAt.ToUnixTimeMilliseconds()));
        await AppendAsync(connection, transaction, audit, credential.CreatedAt, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<IReadOnlyList<AdminCredential>> ListAdminCredentialsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT id, key_hash, created_at FROM admin_credentials ORDER BY created_at");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var credentials = new List<AdminCredential>();
        while (await reader.ReadAsync(cancellationToken))
        {
            credentials.Add(new AdminCredential(reader.GetString(0), reader.GetString(1), Time(reader, 2)!.Value));
        }

        return credentials;
    }

    public async Task ListenAsync(Action<string> ringChanged, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ringChanged);
        if (!_postgres)
        {
            return;
        }

        await using var connection = (NpgsqlConnection)await _source.OpenConnectionAsync(cancellationToken);
        connection.Notification += (_, e) => ringChanged(e.Payload);
        await using (var listen = new NpgsqlCommand("LISTEN " + NotifyChannel, connection))
        {
            await listen.ExecuteNonQueryAsync(cancellationToken);
        }

        while (true)
        {
            await connection.WaitAsync(cancellationToken);
        }
    }

    /// <summary>The PostgreSQL channel ring changes are announced on (the payload is the ring's name).</summary>
    internal const string NotifyChannel = "sfi_key_rings";

    private async Task NotifyAsync(DbConnection connection, DbTransaction transaction, IEnumerable<string> rings, CancellationToken cancellationToken)
    {
        if (!_postgres)
        {
            return;
        }

        // Delivered to every listening node when the transaction commits, and not at all if it rolls back.
        foreach (var ring in rings.Distinct(StringComparer.Ordinal))
        {
            await ExecuteAsync(connection, transaction, "SELECT pg_notify(@channel, @ring)", cancellationToken, ("channel", NotifyChannel), ("ring", ring));
        }
    }

    private async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = await _source.OpenConnectionAsync(cancellationToken);
        if (!_postgres)
        {
            await ExecuteAsync(connection, null, "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000", cancellationToken);
        }

        return connection;
    }

    private async Task AppendAsync(DbConnection connection, DbTransaction transaction, AuditEntry entry, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (_postgres)
        {
            // One writer at a time extends the chain; the lock ends with the transaction.
            await ExecuteAsync(connection, transaction, "SELECT pg_advisory_xact_lock(7460002)", cancellationToken);
        }

        var last = (await QueryAuditAsync((connection, transaction), "ORDER BY seq DESC LIMIT 1", cancellationToken)) is [var tail, ..] ? tail : null;
        var record = AuditRecord.Create((last?.Sequence ?? 0) + 1, at, entry, last?.Hash ?? AuditRecord.GenesisHash);
        await ExecuteAsync(connection, transaction,
            "INSERT INTO audit_records (seq, at, actor, action, ring, kid, details, prev_hash, hash) VALUES (@seq, @at, @actor, @action, @ring, @kid, @details, @prev, @hash)",
            cancellationToken,
            ("seq", record.Sequence), ("at", record.At.ToUnixTimeMilliseconds()), ("actor", record.Actor), ("action", record.Action), ("ring", record.Ring),
            ("kid", record.Kid), ("details", record.Details), ("prev", record.PreviousHash), ("hash", record.Hash));
    }

    private async Task<IReadOnlyList<AuditRecord>> QueryAuditAsync((DbConnection Connection, DbTransaction Transaction)? within, string suffix, CancellationToken cancellationToken)
    {
        var owned = within is null ? await OpenAsync(cancellationToken) : null;
        try
        {
            var connection = within?.Connection ?? owned!;
            await using var command = Command(connection, within?.Transaction, "SELECT seq, at, actor, action, ring, kid, details, prev_hash, hash FROM audit_records " + suffix);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var records = new List<AuditRecord>();
            while (await reader.ReadAsync(cancellationToken))
            {
                records.Add(new AuditRecord(reader.GetInt64(0), Time(reader, 1)!.Value, reader.GetString(2), reader.GetString(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetString(6), reader.GetString(7), reader.GetString(8)));
            }

            return records;
        }
        finally
        {
            if (owned is not null)
            {
                await owned.DisposeAsync();
            }
        }
    }

    private async Task<IReadOnlyList<KeyRing>> QueryRingsAsync(string where, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null,
            "SELECT name, algorithm, rotation_period_ms, pre_publication_ms, verification_grace_ms, max_token_lifetime_ms, retention_ms, issuer, audiences, created_at, is_default FROM key_rings " + where + " ORDER BY name",
            parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rings = new List<KeyRing>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var policy = new KeyRingPolicy
            {
                Algorithm = SigningAlgorithm.FromId(reader.GetString(1)),
                RotationPeriod = TimeSpan.FromMilliseconds(reader.GetInt64(2)),
                PrePublication = TimeSpan.FromMilliseconds(reader.GetInt64(3)),
                VerificationGrace = TimeSpan.FromMilliseconds(reader.GetInt64(4)),
                MaxTokenLifetime = TimeSpan.FromMilliseconds(reader.GetInt64(5)),
                Retention = TimeSpan.FromMilliseconds(reader.GetInt64(6)),
                Issuer = reader.IsDBNull(7) ? null : reader.GetString(7),
                Audiences = JsonSerializer.Deserialize<string[]>(reader.GetString(8)) ?? [],
            };
            rings.Add(new KeyRing(reader.GetString(0), policy, Time(reader, 9)!.Value, Convert.ToInt64(reader.GetValue(10), System.Globalization.CultureInfo.InvariantCulture) != 0));
        }

        return rings;
    }

    private async Task<bool> TryInsertVersionAsync(DbConnection connection, DbTransaction transaction, KeyVersion key, CancellationToken cancellationToken)
        => await TryExecuteAsync(connection, transaction,
            "INSERT INTO key_versions (kid, ring, version, state, hsm_id, algorithm, public_jwk, created_at, activate_at, activated_at, expires_at, deactivated_at, verify_until, retired_at, destroyed_at) " +
            "VALUES (@kid, @ring, @version, @state, @hsm, @algorithm, @jwk, @created, @activate, @activated, @expires, @deactivated, @verify, @retired, @destroyed)",
            cancellationToken,
            ("kid", key.Kid), ("ring", key.Ring), ("version", key.Version), ("state", (int)key.State), ("hsm", key.HsmId), ("algorithm", key.Algorithm.Id),
            ("jwk", key.PublicKey.ToJwk(key.Kid).ToJsonString()), ("created", Ms(key.CreatedAt)), ("activate", Ms(key.ActivateAt)), ("activated", Ms(key.ActivatedAt)),
            ("expires", Ms(key.ExpiresAt)), ("deactivated", Ms(key.DeactivatedAt)), ("verify", Ms(key.VerifyUntil)), ("retired", Ms(key.RetiredAt)), ("destroyed", Ms(key.DestroyedAt)));

    private async Task<bool> TryExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        // PostgreSQL aborts the whole transaction on a failed statement; a savepoint keeps the caller's transaction usable.
        var savepoint = _postgres && transaction is not null;
        if (savepoint)
        {
            await transaction!.SaveAsync("sfi_try", cancellationToken);
        }

        try
        {
            await ExecuteAsync(connection, transaction, sql, cancellationToken, parameters);
            if (savepoint)
            {
                await transaction!.ReleaseAsync("sfi_try", cancellationToken);
            }

            return true;
        }
        catch (DbException e) when (IsConstraintViolation(e))
        {
            if (savepoint)
            {
                await transaction!.RollbackAsync("sfi_try", cancellationToken);
            }

            return false;
        }
    }

    private static bool IsConstraintViolation(DbException e)
        => e is SqliteException { SqliteErrorCode: 19 } || e is PostgresException { SqlState: "23505" or "23503" or "23514" or "P0001" };

    private static long Ms(TimeSpan value) => (long)value.TotalMilliseconds;

    private static long? Ms(DateTimeOffset? value) => value?.ToUnixTimeMilliseconds();

    private static DateTimeOffset? Time(DbDataReader reader, int ordinal)
        => reader.IsDBNull(ordinal) ? null : DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(reader.GetValue(ordinal), System.Globalization.CultureInfo.InvariantCulture));

    private sealed class Lease(Func<ValueTask> release) : IAsyncDisposable
    {
        private int _released;

        public ValueTask DisposeAsync() => Interlocked.Exchange(ref _released, 1) == 0 ? release() : ValueTask.CompletedTask;
    }

    private static class Schema
    {
        private const string Tables = """
            CREATE TABLE IF NOT EXISTS key_rings (
              name TEXT PRIMARY KEY, algorithm TEXT NOT NULL, rotation_period_ms BIGINT NOT NULL, pre_publication_ms BIGINT NOT NULL,
              verification_grace_ms BIGINT NOT NULL, max_token_lifetime_ms BIGINT NOT NULL, retention_ms BIGINT NOT NULL,
              issuer TEXT NULL, audiences TEXT NOT NULL, created_at BIGINT NOT NULL, is_default INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS key_versions (
              kid TEXT PRIMARY KEY, ring TEXT NOT NULL REFERENCES key_rings(name), version INTEGER NOT NULL, state INTEGER NOT NULL,
              hsm_id TEXT NOT NULL, algorithm TEXT NOT NULL, public_jwk TEXT NOT NULL, created_at BIGINT NOT NULL, activate_at BIGINT NOT NULL,
              activated_at BIGINT NULL, expires_at BIGINT NULL, deactivated_at BIGINT NULL, verify_until BIGINT NULL, retired_at BIGINT NULL,
              destroyed_at BIGINT NULL, UNIQUE (ring, version), CHECK (state BETWEEN 0 AND 4));
            CREATE UNIQUE INDEX IF NOT EXISTS key_versions_one_active ON key_versions (ring) WHERE state = 1;
            CREATE UNIQUE INDEX IF NOT EXISTS key_versions_one_pending ON key_versions (ring) WHERE state = 0;
            CREATE TABLE IF NOT EXISTS audit_records (
              seq BIGINT PRIMARY KEY, at BIGINT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, ring TEXT NULL, kid TEXT NULL,
              details TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS audit_checkpoints (
              seq BIGINT PRIMARY KEY, at BIGINT NOT NULL, record_hash TEXT NOT NULL, key_id TEXT NOT NULL, signature TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS admin_credentials (id TEXT PRIMARY KEY, key_hash TEXT NOT NULL, created_at BIGINT NOT NULL);
            CREATE TABLE IF NOT EXISTS sfi_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)
            """;

        // Refused by the database itself: a backwards state, a changed identity, and a later end of signing or verifying
        // than the one already recorded (a key's life can be shortened by an emergency rotation, never lengthened).
        private const string Forward =
            "NEW.state < OLD.state OR NEW.kid <> OLD.kid OR NEW.hsm_id <> OLD.hsm_id OR NEW.public_jwk <> OLD.public_jwk " +
            "OR (OLD.expires_at IS NOT NULL AND (NEW.expires_at IS NULL OR NEW.expires_at > OLD.expires_at)) " +
            "OR (OLD.verify_until IS NOT NULL AND (NEW.verify_until IS NULL OR NEW.verify_until > OLD.verify_until))";

        public static readonly string[] Sqlite =
        [
            .. Tables.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            "DROP TRIGGER IF EXISTS key_versions_forward",
            $"CREATE TRIGGER key_versions_forward BEFORE UPDATE ON key_versions WHEN {Forward} BEGIN SELECT RAISE(ABORT, 'a key state only moves forward and a key''s life is never extended'); END",
            "CREATE TRIGGER IF NOT EXISTS audit_records_no_update BEFORE UPDATE ON audit_records BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END",
            "CREATE TRIGGER IF NOT EXISTS audit_records_no_delete BEFORE DELETE ON audit_records BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END",
        ];

        public static readonly string[] Postgres =
        [
            .. Tables.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            $$"""
            CREATE OR REPLACE FUNCTION sfi_key_versions_forward() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF {{Forward}} THEN
                RAISE EXCEPTION 'a key state only moves forward and a key''s life is never extended';
              END IF;
              RETURN NEW;
            END $$
            """,
            """
            CREATE OR REPLACE FUNCTION sfi_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'audit records are append-only'; END $$
            """,
            "DROP TRIGGER IF EXISTS key_versions_forward ON key_versions",
            "CREATE TRIGGER key_versions_forward BEFORE UPDATE ON key_versions FOR EACH ROW EXECUTE FUNCTION sfi_key_versions_forward()",
            "DROP TRIGGER IF EXISTS audit_records_append_only ON audit_records",
            "CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE ON audit_records FOR EACH ROW EXECUTE FUNCTION sfi_audit_append_only()",
        ];
    }
}
