using Microsoft.Data.Sqlite;
using static SecureFuture.Core.Storage.SqlCommands;

namespace SecureFuture.Core.Tests.Storage;

/// <summary>The statement builder every SQL store uses, on a real (in-memory) SQLite database.</summary>
public sealed class SqlCommandsTests : IDisposable
{
    private readonly SqliteConnection _connection = new("Data Source=:memory:");

    public SqlCommandsTests()
    {
        _connection.Open();
        using var create = Command(_connection, null, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, owner TEXT)");
        create.ExecuteNonQuery();
    }

    public void Dispose() => _connection.Dispose();

    [Fact]
    public async Task A_value_that_looks_like_sql_is_stored_as_text_and_never_run()
    {
        const string Hostile = "x'); DROP TABLE notes; --";

        var changed = await ExecuteAsync(_connection, null, "INSERT INTO notes (body, owner) VALUES (@body, @owner)", default, ("body", Hostile), ("owner", "alice"));

        Assert.Equal(1, changed);
        Assert.Equal([(Hostile, "alice")], await ReadAsync(null));
    }

    [Fact]
    public async Task A_null_value_is_sql_null()
    {
        await ExecuteAsync(_connection, null, "INSERT INTO notes (body, owner) VALUES (@body, @owner)", default, ("body", "unowned"), ("owner", null));

        await using var command = Command(_connection, null, "SELECT COUNT(*) FROM notes WHERE owner IS NULL");
        Assert.Equal(1L, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_statement_runs_inside_the_transaction_it_is_given()
    {
        await using (var transaction = await _connection.BeginTransactionAsync())
        {
            await ExecuteAsync(_connection, transaction, "INSERT INTO notes (body) VALUES (@body)", default, ("body", "rolled back"));
            Assert.Equal([("rolled back", (string?)null)], await ReadAsync(transaction));
            await transaction.RollbackAsync();
        }

        Assert.Empty(await ReadAsync(null));
    }

    [Fact]
    public async Task The_count_of_changed_rows_is_returned()
    {
        await ExecuteAsync(_connection, null, "INSERT INTO notes (body, owner) VALUES ('a', @owner), ('b', @owner), ('c', 'bob')", default, ("owner", "alice"));

        Assert.Equal(2, await ExecuteAsync(_connection, null, "DELETE FROM notes WHERE owner = @owner", default, ("owner", "alice")));
    }

    private async Task<List<(string? Body, string? Owner)>> ReadAsync(System.Data.Common.DbTransaction? transaction)
    {
        await using var command = Command(_connection, transaction, "SELECT body, owner FROM notes ORDER BY id");
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string?, string?)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.IsDBNull(0) ? null : reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1)));
        }

        return rows;
    }
}
