using Npgsql;
using SecureFuture.Keys.Storage;
using SecureFuture.Testing;

namespace SecureFuture.Keys.Tests;

/// <summary>
/// One SoftHSM2 token for the whole test assembly (a PKCS#11 module initializes once per process), created the way
/// <c>sfi serve</c> creates its default token (<see cref="SoftHsmFixture"/>). Tests keep apart by ring names and databases.
/// </summary>
public sealed class HsmFixture : SoftHsmFixture
{
}

[CollectionDefinition(Name)]
public sealed class HsmGroup : ICollectionFixture<HsmFixture>
{
    public const string Name = "hsm";
}

/// <summary>The stores every store test runs against: SQLite in a temp file and a fresh PostgreSQL database.</summary>
public static class TestStores
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    public static TheoryData<string> Kinds => new() { Sqlite, Postgres };

    /// <summary>Creates an empty database (or SQLite file) and returns a factory that opens stores on it.</summary>
    public static async Task<Func<IKeyStore>> CreateAsync(string kind)
    {
        if (kind == Sqlite)
        {
            var path = Path.Combine(Directory.CreateTempSubdirectory("sfi-store-").FullName, "sfi.db");
            return () => SqlKeyStore.OpenSqlite(path);
        }

        var connectionString = await TestPostgres.CreateDatabaseAsync("sfi_test");
        return () => SqlKeyStore.OpenPostgres(connectionString);
    }

    /// <summary>Runs SQL directly against the database behind a store, as someone with database access could.</summary>
    public static async Task ExecuteRawAsync(IKeyStore store, string sql)
    {
        var description = store.Description;
        if (description.StartsWith("sqlite:", StringComparison.Ordinal))
        {
            await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={description["sqlite:".Length..]}");
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync();
            return;
        }

        var database = description[(description.LastIndexOf('/') + 1)..];
        await using var pg = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(TestPostgres.AdminConnectionString) { Database = database }.ToString());
        await pg.OpenAsync();
        await using var pgCommand = new NpgsqlCommand(sql, pg);
        await pgCommand.ExecuteNonQueryAsync();
    }
}
