using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace SecureFuture.Findings.Store;

/// <summary>A table written in bulk: its name and columns, each text or a 64-bit integer.</summary>
internal sealed record BulkTable(string Name, IReadOnlyList<(string Column, bool Text)> Columns);

/// <summary>Rows written into one table as they are produced (<see cref="SqlDialect.BeginInsert"/>); reusable after each completion.</summary>
internal abstract class BulkInsert : IAsyncDisposable
{
    /// <summary>Writes one row: a value per column of the table, in its order (null, a string, or an integer).</summary>
    public abstract ValueTask WriteAsync(object?[] row, CancellationToken cancellationToken);

    /// <summary>Ends the rows written so far: they are in the table (in the transaction), and the connection is free again.</summary>
    public abstract Task CompleteAsync(CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();
}

/// <summary>
/// What differs between SQLite and PostgreSQL for the findings store, and nothing else: how a project's writers are
/// serialised, how rows are written in bulk (streamed binary COPY on PostgreSQL; one prepared statement in one transaction
/// on SQLite, where statements run in-process), and which errors are the database failing rather than a bug.
/// </summary>
internal sealed class SqlDialect(bool postgres)
{
    private const int BatchSize = 1000;

    public bool IsPostgres => postgres;

    /// <summary>The integer type of the auto-numbered listing key.</summary>
    public string SerialKey => postgres ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT";

    public async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        // SQLite: BEGIN IMMEDIATE (Microsoft.Data.Sqlite's non-deferred transaction) takes the database's write lock up
        // front, so two writers never read the same state and then both write; the busy timeout makes the second wait.
        return postgres
            ? await connection.BeginTransactionAsync(cancellationToken)
            : ((SqliteConnection)connection).BeginTransaction(deferred: false);
    }

    /// <summary>Serialises writers of one project until the transaction ends (SQLite's write lock already does, for all).</summary>
    public async Task LockProjectAsync(DbConnection connection, DbTransaction transaction, string project, CancellationToken cancellationToken)
    {
        if (!postgres)
        {
            return;
        }

        var key = BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes("sfi-findings/" + project)), 0);
        await using var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", (NpgsqlConnection)connection, (NpgsqlTransaction)transaction);
        command.Parameters.AddWithValue("key", key);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Writes <paramref name="rows"/> into <paramref name="table"/> (see <see cref="BeginInsert"/>).</summary>
    public async Task InsertAsync(DbConnection connection, DbTransaction transaction, BulkTable table, IReadOnlyList<object?[]> rows, CancellationToken cancellationToken)
    {
        await using var insert = BeginInsert(connection, transaction, table);
        foreach (var row in rows)
        {
            await insert.WriteAsync(row, cancellationToken);
        }

        await insert.CompleteAsync(cancellationToken);
    }

    /// <summary>
    /// Starts writing rows into <paramref name="table"/> as they are produced. PostgreSQL: one binary COPY, opened at the
    /// first row and streamed, so that the server indexes rows while the caller computes the next ones (the connection runs
    /// nothing else until <see cref="BulkInsert.CompleteAsync"/>). SQLite: one prepared statement per row, in-process.
    /// </summary>
    public BulkInsert BeginInsert(DbConnection connection, DbTransaction transaction, BulkTable table)
        => postgres ? new CopyInsert((NpgsqlConnection)connection, table) : new PreparedInsert(connection, transaction, table);

    /// <summary>Runs one statement (parameters <c>@p0</c>, <c>@p1</c>, ...) once per row.</summary>
    public async Task ExecuteManyAsync(DbConnection connection, DbTransaction transaction, string sql, IReadOnlyList<object?[]> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return;
        }

        if (postgres)
        {
            // One round trip per batch of statements.
            foreach (var chunk in rows.Chunk(BatchSize))
            {
                await using var batch = new NpgsqlBatch((NpgsqlConnection)connection, (NpgsqlTransaction)transaction);
                foreach (var row in chunk)
                {
                    var command = new NpgsqlBatchCommand(sql);
                    for (var i = 0; i < row.Length; i++)
                    {
                        command.Parameters.Add(new NpgsqlParameter("p" + i, row[i] ?? DBNull.Value));
                    }

                    batch.BatchCommands.Add(command);
                }

                await batch.ExecuteNonQueryAsync(cancellationToken);
            }

            return;
        }

        await using var prepared = await PrepareAsync(connection, transaction, sql, rows[0].Length, cancellationToken);
        foreach (var row in rows)
        {
            await ExecuteRowAsync(prepared, row, cancellationToken);
        }
    }

    /// <summary>SQLite: <paramref name="sql"/> prepared once with parameters <c>@p0</c> ... in the transaction, to run once per row.</summary>
    private static async Task<DbCommand> PrepareAsync(DbConnection connection, DbTransaction transaction, string sql, int parameterCount, CancellationToken cancellationToken)
    {
        var prepared = connection.CreateCommand();
#pragma warning disable CA2100 // Statements are constants of the store; values always travel as parameters.
        prepared.CommandText = sql;
#pragma warning restore CA2100
        prepared.Transaction = transaction;
        for (var i = 0; i < parameterCount; i++)
        {
            var parameter = prepared.CreateParameter();
            parameter.ParameterName = "@p" + i;
            prepared.Parameters.Add(parameter);
        }

        await prepared.PrepareAsync(cancellationToken);
        return prepared;
    }

    private static Task<int> ExecuteRowAsync(DbCommand prepared, object?[] row, CancellationToken cancellationToken)
    {
        for (var i = 0; i < row.Length; i++)
        {
            prepared.Parameters[i].Value = row[i] ?? DBNull.Value;
        }

        return prepared.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>PostgreSQL's binary COPY (Npgsql's binary importer), reopened by the first row after each completion.</summary>
    private sealed class CopyInsert(NpgsqlConnection connection, BulkTable table) : BulkInsert
    {
        private readonly string _copy = $"COPY {table.Name} ({string.Join(", ", table.Columns.Select(c => c.Column))}) FROM STDIN (FORMAT BINARY)";
        private NpgsqlBinaryImporter? _import;

        public override async ValueTask WriteAsync(object?[] row, CancellationToken cancellationToken)
        {
            _import ??= await connection.BeginBinaryImportAsync(_copy, cancellationToken);
            await _import.StartRowAsync(cancellationToken);
            for (var i = 0; i < row.Length; i++)
            {
                if (row[i] is null)
                {
                    await _import.WriteNullAsync(cancellationToken);
                }
                else if (table.Columns[i].Text)
                {
                    await _import.WriteAsync((string)row[i]!, NpgsqlDbType.Text, cancellationToken);
                }
                else
                {
                    await _import.WriteAsync(Convert.ToInt64(row[i], System.Globalization.CultureInfo.InvariantCulture), NpgsqlDbType.Bigint, cancellationToken);
                }
            }
        }

        public override async Task CompleteAsync(CancellationToken cancellationToken)
        {
            if (_import is { } import)
            {
                _import = null;
                await import.CompleteAsync(cancellationToken);
                await import.DisposeAsync();
            }
        }

        // Disposing an importer that was not completed cancels its COPY: nothing of it is written.
        public override ValueTask DisposeAsync() => _import?.DisposeAsync() ?? ValueTask.CompletedTask;
    }

    /// <summary>SQLite: one prepared single-row INSERT, run per row in the caller's transaction.</summary>
    private sealed class PreparedInsert(DbConnection connection, DbTransaction transaction, BulkTable table) : BulkInsert
    {
        private DbCommand? _insert;

        public override async ValueTask WriteAsync(object?[] row, CancellationToken cancellationToken)
        {
            _insert ??= await PrepareAsync(connection, transaction,
                $"INSERT INTO {table.Name} ({string.Join(", ", table.Columns.Select(c => c.Column))}) VALUES ({string.Join(", ", table.Columns.Select((_, i) => "@p" + i))})",
                table.Columns.Count, cancellationToken);
            await ExecuteRowAsync(_insert, row, cancellationToken);
        }

        public override Task CompleteAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override ValueTask DisposeAsync() => _insert?.DisposeAsync() ?? ValueTask.CompletedTask;
    }

    /// <summary>
    /// True when an exception is the database failing (connection lost, server shutting down, disk full, I/O error,
    /// lock timeout), so that the caller may retry; false for errors that retrying cannot cure (a bug, a constraint).
    /// </summary>
    public static bool IsUnavailable(Exception e) => e switch
    {
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal) // connection exception
                                || pg.SqlState.StartsWith("53", StringComparison.Ordinal) // insufficient resources
                                || pg.SqlState.StartsWith("57", StringComparison.Ordinal) // operator intervention (shutdown, terminated)
                                || pg.SqlState.StartsWith("58", StringComparison.Ordinal) // system error (I/O)
                                || pg.SqlState is "40001" or "40P01" or "55P03",        // serialization failure, deadlock, lock timeout
        NpgsqlException => true, // no SQLSTATE: the connection itself failed
        SqliteException sqlite => (sqlite.SqliteErrorCode & 0xFF) is 5 or 6 or 10 or 13 or 14, // BUSY, LOCKED, IOERR, FULL, CANTOPEN
        _ => false,
    };
}
