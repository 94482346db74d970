using Microsoft.Extensions.Time.Testing;
using SecureFuture.Core;
using SecureFuture.Findings.Sla;
using SecureFuture.Findings.Store;
using SecureFuture.Testing;

namespace SecureFuture.Findings.Tests.Store;

/// <summary>The stores every store test runs against: SQLite in a temp file and a fresh PostgreSQL database.</summary>
public static class TestStores
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    public static TheoryData<string> Kinds => new() { Sqlite, Postgres };

    /// <summary>The time every test starts at.</summary>
    public static readonly DateTimeOffset Start = new(2026, 1, 5, 9, 0, 0, TimeSpan.Zero);

    /// <summary>An empty, initialised store of <paramref name="kind"/> on a fake clock at <see cref="Start"/>.</summary>
    public static async Task<SqlFindingStore> OpenAsync(string kind, FakeTimeProvider clock, SlaPolicy? sla = null, KevCatalog? kev = null)
    {
        var store = kind == Sqlite
            ? SqlFindingStore.OpenSqlite(Path.Combine(Directory.CreateTempSubdirectory("sfi-findings-").FullName, "sfi.db"), clock, sla, kev)
            : SqlFindingStore.OpenPostgres(await TestPostgres.CreateDatabaseAsync("sfi_findings"), clock, sla, kev);
        await store.InitializeAsync();
        return store;
    }

    public static FakeTimeProvider Clock() => new(Start);

    /// <summary>A result as the SARIF reader would produce it; its identity is the fingerprint.</summary>
    public static IngestedResult Result(string identity, Severity severity = Severity.High, string rule = "SFI-SEC-001", string path = "src/a.cs", int line = 3, string category = "secrets", string tool = "sfi", params string[] cves)
        => new(tool, category, rule, severity, "message for " + identity, path, line, line, identity, "primaryLocationLineHash", cves, null);

    public static AnalysisUpload Upload(string project, DateTimeOffset at, string category = "secrets", string gitRef = "main", bool complete = true, string tool = "sfi")
        => new(project, gitRef, category, tool, at, complete, "ci-" + project);
}
