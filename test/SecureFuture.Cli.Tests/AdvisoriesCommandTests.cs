using System.IO.Compression;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using SecureFuture.Core;

namespace SecureFuture.Cli.Tests;

/// <summary><c>sfi advisories update|status</c> over the committed GHSA records (CC-BY-4.0, see their README).</summary>
public sealed class AdvisoriesCommandTests : IDisposable
{
    private static readonly string Ghsa = Path.Combine(CliRunner.RepoRoot(), "test", "SecureFuture.Scanning.Dependencies.Tests", "TestData", "advisories", "ghsa");

    private readonly string _dir = Directory.CreateTempSubdirectory("sfi-advisories-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string DataDir => Path.Combine(_dir, "data");

    private string IndexPath => Path.Combine(DataDir, "advisories.idx");

    [Fact]
    public async Task Update_imports_a_directory_and_status_shows_the_import_date()
    {
        var (exit, stdout, stderr) = await CliRunner.RunAsync("advisories", "update", "--source", Ghsa, "--data-dir", DataDir);
        Assert.True(exit == ExitCodes.Success, stdout + stderr);
        Assert.Contains("imported 58 advisories", stdout, StringComparison.Ordinal);
        Assert.Contains("2 withdrawn left out", stdout, StringComparison.Ordinal);

        (exit, stdout, stderr) = await CliRunner.RunAsync("advisories", "status", "--data-dir", DataDir, "--format", "json");
        Assert.Equal(ExitCodes.Success, exit);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal(CliRunner.Now, json.RootElement.GetProperty("importedAt").GetDateTimeOffset());
        Assert.Equal(58, json.RootElement.GetProperty("advisories").GetInt32());
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("warning").ValueKind);
        Assert.Empty(stderr);
    }

    [Fact]
    public async Task Status_warns_when_the_import_is_older_than_seven_days()
    {
        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync("advisories", "update", "--source", Ghsa, "--data-dir", DataDir)).Exit);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await CliApp.RunAsync(["advisories", "status", "--data-dir", DataDir], stdout, stderr, CancellationToken.None, new FakeTimeProvider(CliRunner.Now.AddDays(8)));
        Assert.Equal(ExitCodes.Success, exit);
        Assert.Contains($"imported:   {CliRunner.Now:yyyy-MM-dd}", stdout.ToString(), StringComparison.Ordinal);
        Assert.Contains("sfi: warning: the advisory database was imported on 2026-11-28 (8 days ago)", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_truncated_archive_is_exit_2_and_the_previous_index_is_kept()
    {
        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync("advisories", "update", "--source", Path.Combine(Ghsa, "go"), "--data-dir", DataDir)).Exit);
        var before = await File.ReadAllBytesAsync(IndexPath);

        var zip = Path.Combine(_dir, "all.zip");
        ZipFile.CreateFromDirectory(Path.Combine(Ghsa, "npm"), zip);
        var bytes = await File.ReadAllBytesAsync(zip);
        await File.WriteAllBytesAsync(zip, bytes[..(bytes.Length * 2 / 3)]);

        var (exit, _, stderr) = await CliRunner.RunAsync("advisories", "update", "--source", zip, "--data-dir", DataDir);
        Assert.Equal(ExitCodes.UsageError, exit);
        Assert.Contains($"sfi: {zip}: the archive is corrupt or truncated", stderr, StringComparison.Ordinal);
        Assert.Contains("the previous advisory database is kept", stderr, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(IndexPath));
    }

    [Fact]
    public async Task Kev_catalogue_is_loaded_and_reported()
    {
        var kev = Path.Combine(_dir, "kev.json");
        await File.WriteAllTextAsync(kev, """{"catalogVersion": "2024.12.04", "count": 1, "vulnerabilities": [{"cveID": "CVE-2021-44228", "vendorProject": "Apache", "product": "Log4j2"}]}""");
        var (exit, stdout, stderr) = await CliRunner.RunAsync("advisories", "update", "--source", Ghsa, "--data-dir", DataDir, "--kev", kev);
        Assert.True(exit == ExitCodes.Success, stderr);
        Assert.Contains("KEV catalogue 2024.12.04: 1 CVEs", stdout, StringComparison.Ordinal);
        Assert.Contains("kev:        catalogue 2024.12.04, 1 CVEs", (await CliRunner.RunAsync("advisories", "status", "--data-dir", DataDir)).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_without_a_database_is_exit_2_and_says_how_to_get_one()
    {
        var (exit, _, stderr) = await CliRunner.RunAsync("advisories", "status", "--data-dir", DataDir);
        Assert.Equal(ExitCodes.UsageError, exit);
        Assert.Contains("sfi advisories update", stderr, StringComparison.Ordinal);
    }
}
