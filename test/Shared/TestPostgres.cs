using Npgsql;

namespace SecureFuture.Testing;

/// <summary>
/// The PostgreSQL server test.sh starts (tools/postgres-for-tests.sh), shared by every test project that needs one.
/// Tests fail, not skip, without it.
/// </summary>
internal static class TestPostgres
{
    public static string AdminConnectionString => Environment.GetEnvironmentVariable("SFI_TEST_POSTGRES")
        ?? throw new InvalidOperationException("SFI_TEST_POSTGRES is not set: run ./test.sh, or start a server with tools/postgres-for-tests.sh start DIR and export SFI_TEST_POSTGRES=<the connection string it prints>");

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = prefix + "_" + Guid.NewGuid().ToString("N")[..12];
        await using (var admin = new NpgsqlConnection(AdminConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ToString();
    }
}
