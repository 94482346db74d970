using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Npgsql;
using SecureFuture.Core;
using SecureFuture.Findings.Lifecycle;
using SecureFuture.Findings.Sla;
using static SecureFuture.Core.Storage.SqlCommands;

namespace SecureFuture.Findings.Store;

/// <summary>
/// The findings store over ADO.NET: SQLite (embedded; the default, <c>DIR/sfi.db</c> next to the key service's tables)
/// or PostgreSQL (scale-out; several nodes share it). One schema, one set of statements; <see cref="SqlDialect"/> holds
/// the few differences. Times are stored as Unix milliseconds.
/// </summary>
public sealed partial class SqlFindingStore : IFindingStore
{
    private const int FlushEvery = 5000;
    private const string SystemActor = "system";

    private readonly DbDataSource _source;
    private readonly SqlDialect _dialect;
    private readonly bool _ownsSource;
    private readonly TimeProvider _clock;
    private SlaPolicy _sla;
    private KevCatalog _kev;

    /// <summary>Uses a database another store already opened (the key service's), without taking ownership of it.</summary>
    public SqlFindingStore(DbDataSource source, bool postgres, TimeProvider clock, SlaPolicy? sla = null, KevCatalog? kev = null)
        : this(source, postgres, ownsSource: false, clock, sla, kev)
    {
    }

    private SqlFindingStore(DbDataSource source, bool postgres, bool ownsSource, TimeProvider clock, SlaPolicy? sla, KevCatalog? kev)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(clock);
        _source = source;
        _dialect = new SqlDialect(postgres);
        _ownsSource = ownsSource;
        _clock = clock;
        _sla = sla ?? SlaPolicy.Default;
        _kev = kev ?? KevCatalog.Empty;
    }

    /// <summary>Opens (creating if needed) a SQLite database file.</summary>
    public static SqlFindingStore OpenSqlite(string path, TimeProvider clock, SlaPolicy? sla = null, KevCatalog? kev = null)
    {
        var builder = new SqliteConnectionStringBuilder { DataSource = Path.GetFullPath(path), Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true, DefaultTimeout = 30 };
        return new SqlFindingStore(SqliteFactory.Instance.CreateDataSource(builder.ToString()), postgres: false, ownsSource: true, clock, sla, kev);
    }

    /// <summary>Opens a PostgreSQL database from an Npgsql connection string.</summary>
    public static SqlFindingStore OpenPostgres(string connectionString, TimeProvider clock, SlaPolicy? sla = null, KevCatalog? kev = null)
        => new(NpgsqlDataSource.Create(connectionString), postgres: true, ownsSource: true, clock, sla, kev);

    /// <summary>
    /// Test-only fault injection: called with the open connection after each batch of an ingest is written and before
    /// the transaction commits, so that a test can make the database fail mid-way for real.
    /// </summary>
    internal Func<DbConnection, CancellationToken, Task>? AfterIngestBatch { get; set; }

    /// <summary>The database's connection string, for tests that reach past the store.</summary>
    internal string ConnectionString => _source.ConnectionString;

    public async ValueTask DisposeAsync()
    {
        if (_ownsSource)
        {
            await _source.DisposeAsync();
        }
    }

    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        if (!_dialect.IsPostgres)
        {
            await ExecuteAsync(connection, null, "PRAGMA journal_mode=WAL", cancellationToken);
        }

        await using var transaction = await _dialect.BeginWriteAsync(connection, cancellationToken);
        if (_dialect.IsPostgres)
        {
            // Nodes starting together create the tables one at a time (the lock the client store takes for its schema too).
            await ExecuteAsync(connection, transaction, "SELECT pg_advisory_xact_lock(7460002)", cancellationToken);
        }

        foreach (var statement in FindingsSchema.Statements(_dialect))
        {
            await ExecuteAsync(connection, transaction, statement, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    // ---- projects ----

    public async Task UpsertProjectAsync(Project project, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(project);
        if (!Project.IsValidId(project.Id))
        {
            throw new ArgumentException($"'{project.Id}' is not a valid project id", nameof(project));
        }

        if (project.ExpectedCategories.FirstOrDefault(c => string.IsNullOrWhiteSpace(c) || c.Contains(',', StringComparison.Ordinal)) is { } bad)
        {
            throw new ArgumentException($"'{bad}' is not a valid category (empty, or contains a comma)", nameof(project));
        }

        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        await WriteAsync(project.Id, async (connection, transaction) =>
        {
            await ExecuteAsync(connection, transaction,
                "INSERT INTO findings_projects (id, owner, criticality, expected, created_at, updated_at) VALUES (@id, @owner, @criticality, @expected, @now, @now) " +
                "ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, criticality = excluded.criticality, expected = excluded.expected, updated_at = excluded.updated_at",
                cancellationToken,
                ("id", project.Id), ("owner", project.Owner), ("criticality", (long)project.Criticality),
                ("expected", string.Join(',', project.ExpectedCategories.Distinct(StringComparer.Ordinal))), ("now", now));
            await RecomputeDeadlinesAsync(connection, transaction, project.Id, cancellationToken);
            return 0;
        }, cancellationToken);
    }

    public async Task<Project?> GetProjectAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await ReadProjectAsync(connection, null, id, cancellationToken);
    }

    public async Task<IReadOnlyList<Project>> ListProjectsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await QueryProjectsAsync(connection, null, string.Empty, cancellationToken);
    }

    private static async Task<Project?> ReadProjectAsync(DbConnection connection, DbTransaction? transaction, string id, CancellationToken cancellationToken)
        => (await QueryProjectsAsync(connection, transaction, "WHERE id = @id", cancellationToken, ("id", id))) is [var project] ? project : null;

    private static async Task<IReadOnlyList<Project>> QueryProjectsAsync(DbConnection connection, DbTransaction? transaction, string where, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        await using var command = Command(connection, transaction, "SELECT id, owner, criticality, expected FROM findings_projects " + where + " ORDER BY id", parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var projects = new List<Project>();
        while (await reader.ReadAsync(cancellationToken))
        {
            projects.Add(new Project(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), (Criticality)reader.GetInt64(2),
                reader.GetString(3).Split(',', StringSplitOptions.RemoveEmptyEntries)));
        }

        return projects;
    }

    // ---- the write path shared by every change ----

    /// <summary>
    /// Runs <paramref name="work"/> in one transaction holding <paramref name="project"/>'s write lock, after recording the
    /// project's expired acceptances; the database failing mid-way is a <see cref="StoreUnavailableException"/>.
    /// </summary>
    private async Task<T> WriteAsync<T>(string project, Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken)
        => await WriteAsync(project, async (connection, transaction) => (await work(connection, transaction), true), cancellationToken);

    /// <summary>As above; <paramref name="work"/> says whether to commit (false: roll back, nothing written).</summary>
    private async Task<T> WriteAsync<T>(string project, Func<DbConnection, DbTransaction, Task<(T Result, bool Commit)>> work, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var transaction = await _dialect.BeginWriteAsync(connection, cancellationToken);
            await _dialect.LockProjectAsync(connection, transaction, project, cancellationToken);
            var (result, commit) = await work(connection, transaction);
            if (commit)
            {
                await transaction.CommitAsync(cancellationToken);
            }
            else
            {
                await transaction.RollbackAsync(cancellationToken);
            }

            return result;
        }
        catch (Exception e) when (SqlDialect.IsUnavailable(e))
        {
            // Disposing the transaction rolled it back (or the server did, with the connection).
            throw new StoreUnavailableException("the findings store failed during the write; nothing was stored, retry", e);
        }
    }

    /// <summary>A project's history chain, extended in memory and written in order.</summary>
    private sealed class Chain(string project, long sequence, string head)
    {
        public List<object?[]> Pending { get; } = [];

        /// <summary>Where the chain is, with nothing pending: what <see cref="Restore"/> returns to after a rollback to a savepoint.</summary>
        public (long Sequence, string Head) Mark()
        {
            if (Pending.Count != 0)
            {
                throw new InvalidOperationException("the chain is marked only when written");
            }

            return (sequence, head);
        }

        public void Restore((long Sequence, string Head) mark)
        {
            (sequence, head) = mark;
            Pending.Clear();
        }

        public void Append(DateTimeOffset at, string findingId, string action, FindingState state, string actor, string canonicalDetails)
        {
            var record = HistoryRecord.Create(project, ++sequence, at, findingId, action, state, actor, canonicalDetails, head);
            head = record.Hash;
            Pending.Add([record.Project, record.Sequence, record.At.ToUnixTimeMilliseconds(), record.FindingId, record.Action, (long)record.State, record.Actor, record.Details, record.PreviousHash, record.Hash]);
        }
    }

    private static async Task<Chain> OpenChainAsync(DbConnection connection, DbTransaction transaction, string project, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, "SELECT seq, hash FROM findings_history WHERE project = @project ORDER BY seq DESC LIMIT 1", ("project", project));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new Chain(project, reader.GetInt64(0), reader.GetString(1)) : new Chain(project, 0, HashChain.GenesisHash);
    }

    private async Task FlushChainAsync(DbConnection connection, DbTransaction transaction, Chain chain, CancellationToken cancellationToken)
    {
        await _dialect.InsertAsync(connection, transaction, FindingsSchema.History, chain.Pending, cancellationToken);
        chain.Pending.Clear();
    }

    /// <summary>Records each of the project's acceptances that expired by now as open again.</summary>
    private async Task<int> ExpireAsync(DbConnection connection, DbTransaction transaction, string project, Chain chain, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var expired = new List<(string Id, long Until)>();
        await using (var command = Command(connection, transaction,
            "SELECT id, accepted_until FROM findings WHERE project = @project AND state = @accepted AND accepted_until <= @now ORDER BY num",
            ("project", project), ("accepted", (long)FindingState.Accepted), ("now", now.ToUnixTimeMilliseconds())))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                expired.Add((reader.GetString(0), reader.GetInt64(1)));
            }
        }

        foreach (var (id, until) in expired)
        {
            chain.Append(DateTimeOffset.FromUnixTimeMilliseconds(until), id, Transitions.Actions.AcceptanceExpired, FindingState.Open, SystemActor, HistoryRecord.CanonicalDetails(null));
        }

        await _dialect.ExecuteManyAsync(connection, transaction, "UPDATE findings SET state = @p1 WHERE id = @p0",
            expired.Select(e => new object?[] { e.Id, (long)FindingState.Open }).ToList(), cancellationToken);
        return expired.Count;
    }

    public async Task<int> ExpireAcceptancesAsync(CancellationToken cancellationToken = default)
    {
        var now = _clock.GetUtcNow();
        var projects = new List<string>();
        await using (var connection = await OpenAsync(cancellationToken))
        await using (var command = Command(connection, null, "SELECT DISTINCT project FROM findings WHERE state = @accepted AND accepted_until <= @now",
            ("accepted", (long)FindingState.Accepted), ("now", now.ToUnixTimeMilliseconds())))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                projects.Add(reader.GetString(0));
            }
        }

        var total = 0;
        foreach (var project in projects)
        {
            total += await WriteAsync(project, async (connection, transaction) =>
            {
                var chain = await OpenChainAsync(connection, transaction, project, cancellationToken);
                var count = await ExpireAsync(connection, transaction, project, chain, now, cancellationToken);
                await FlushChainAsync(connection, transaction, chain, cancellationToken);
                return count;
            }, cancellationToken);
        }

        return total;
    }

    // ---- helpers ----

    private async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = await _source.OpenConnectionAsync(cancellationToken);
        if (!_dialect.IsPostgres)
        {
            // A page cache of up to 16 MiB (SQLite's default is 2 MiB): a push inserts its findings and history records at
            // random places of the id indexes, which outgrow 2 MiB past some 50,000 findings (docs/benchmarks.md,
            // "Findings hub: push end to end").
            await ExecuteAsync(connection, null, "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000; PRAGMA cache_size=-16384", cancellationToken);
        }

        return connection;
    }

    private static DateTimeOffset? Time(DbDataReader reader, int ordinal)
        => reader.IsDBNull(ordinal) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));

    private static long? Ms(DateTimeOffset? value) => value?.ToUnixTimeMilliseconds();

    /// <summary>
    /// The id of a finding first reported now: stable for its project, ref, tool, category and identity, so the same
    /// finding pushed twice (or by two nodes) is the same row, and two tools never share one. 128 bits of SHA-256, hex.
    /// A finding is found again by its identity within its analysis's scope, not by recomputing its id: findings stored
    /// before the tool was part of the scope (<c>sfi-finding/v1</c> ids) keep their ids and history.
    /// </summary>
    internal static string FindingId(string project, string gitRef, string tool, string category, string identity)
        => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', "sfi-finding/v2", project, gitRef, tool, category, identity))).AsSpan(0, 16));

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
