using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using SecureFuture.Core;

namespace SecureFuture.Cli.Tests;

/// <summary>
/// <c>sfi scan --analyzers deps</c> end to end: real OSV records (PyPA's Django advisories and GitHub's y18n advisory,
/// CC-BY-4.0, see the advisories test data README) imported by <c>sfi advisories update</c>, matched against manifests
/// and lock files in their tools' formats.
/// </summary>
public sealed class ScanDependenciesTests : IDisposable
{
    private static readonly string Advisories = Path.Combine(CliRunner.RepoRoot(), "test", "SecureFuture.Scanning.Dependencies.Tests", "TestData", "advisories");

    private readonly string _dir = Directory.CreateTempSubdirectory("sfi-scan-deps-").FullName;

    public ScanDependenciesTests()
    {
        Directory.CreateDirectory(Root);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string DataDir => Path.Combine(_dir, "data");

    private string Root => Path.Combine(_dir, "repo");

    private const string NpmLock = """
        {
          "name": "web",
          "version": "1.0.0",
          "lockfileVersion": 3,
          "requires": true,
          "packages": {
            "": {
              "name": "web",
              "version": "1.0.0",
              "dependencies": {
                "yargs": "^15.4.1"
              }
            },
            "node_modules/y18n": {
              "version": "4.0.0",
              "resolved": "https://registry.npmjs.org/y18n/-/y18n-4.0.0.tgz",
              "integrity": "sha512-r9S/ZyXu/Xu9q1tYlpsLIsa3EeLXXk0VwlxqTcFRfg9EhMW+17kbt9G0NrgCmhGb5vT2hyhJZLfDGx+7+5Uj/w=="
            },
            "node_modules/yargs": {
              "version": "15.4.1",
              "resolved": "https://registry.npmjs.org/yargs/-/yargs-15.4.1.tgz",
              "integrity": "sha512-aePbxDmcYW++PaqBsJ+HYUFwCdv4LVvdnhBy78E57PIor8/OVvhMrADFFEDh8DHDFRv/O9i3lPhsENjO7QX0+A==",
              "dependencies": {
                "y18n": "^4.0.0"
              }
            }
          }
        }
        """;

    private async Task ImportAsync(string? kev = null)
    {
        string[] args = ["advisories", "update", "--source", Path.Combine(Advisories, "pypa-django"), "--source", Path.Combine(Advisories, "ghsa", "npm"), "--data-dir", DataDir];
        var (exit, stdout, stderr) = await CliRunner.RunAsync(kev is null ? args : [.. args, "--kev", kev]);
        Assert.True(exit == ExitCodes.Success, stdout + stderr);
    }

    private Task WriteAsync(string relative, string text)
    {
        var path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return File.WriteAllTextAsync(path, text);
    }

    private static async Task<(int Exit, string Out, string Err)> ScanAsync(DateTimeOffset now, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await CliApp.RunAsync(["scan", .. args], stdout, stderr, CancellationToken.None, new FakeTimeProvider(now));
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private static List<JsonElement> Findings(string json)
    {
        using var document = JsonDocument.Parse(json);
        return [.. document.RootElement.GetProperty("findings").EnumerateArray().Select(f => f.Clone())];
    }

    private static string Property(JsonElement finding, string name) => finding.GetProperty("properties").GetProperty(name).GetString()!;

    [Fact]
    public async Task A_pinned_vulnerable_django_is_one_finding_on_its_line_with_advisories_severity_and_smallest_fix()
    {
        await ImportAsync();
        await WriteAsync("requirements.txt", "# web app\nrequests==2.31.0\nDjango==3.2.0\n");

        var (exit, stdout, stderr) = await ScanAsync(CliRunner.Now, Root, "--analyzers", "deps", "--data-dir", DataDir, "--format", "json", "--fail-on", "high");

        Assert.True(exit == ExitCodes.GateTripped, stdout + stderr);
        var finding = Assert.Single(Findings(stdout));
        Assert.Equal("SFI-DEP-001", finding.GetProperty("ruleId").GetString());
        Assert.Equal("requirements.txt", finding.GetProperty("path").GetString());
        Assert.Equal(3, finding.GetProperty("line").GetInt32());
        // The four PyPA records, each merged with its GHSA and CVE aliases.
        Assert.Equal(["PYSEC-2021-7", "PYSEC-2021-8", "PYSEC-2021-98", "PYSEC-2021-99"], Property(finding, "advisories").Split(',').Order(StringComparer.Ordinal));
        Assert.Contains("CVE-2021-33203", Property(finding, "aliases").Split(','));
        Assert.Contains("GHSA-68w8-qjq3-2gfm", Property(finding, "aliases").Split(','));
        Assert.Equal("3.2.4", Property(finding, "smallestFix"));
        Assert.Equal("false", Property(finding, "kev"));
        Assert.Equal("true", Property(finding, "direct"));
        Assert.Contains("Upgrade to 3.2.4", finding.GetProperty("message").GetString(), StringComparison.Ordinal);
        using var report = JsonDocument.Parse(stdout);
        Assert.Equal("2026-11-28T12:00:00Z", report.RootElement.GetProperty("properties").GetProperty("advisoryDatabaseImportedAt").GetString());
    }

    [Fact]
    public async Task A_fixed_version_is_not_reported()
    {
        await ImportAsync();
        await WriteAsync("requirements.txt", "Django==3.2.4\n");

        var (exit, stdout, stderr) = await ScanAsync(CliRunner.Now, Root, "--analyzers", "deps", "--data-dir", DataDir, "--format", "json", "--fail-on", "low");

        Assert.True(exit == ExitCodes.Success, stdout + stderr);
        Assert.Empty(Findings(stdout));
    }

    [Fact]
    public async Task A_vulnerable_transitive_npm_package_names_the_path_that_brings_it()
    {
        await ImportAsync();
        await WriteAsync("web/package-lock.json", NpmLock);

        var (exit, stdout, stderr) = await ScanAsync(CliRunner.Now, Root, "--analyzers", "deps", "--data-dir", DataDir, "--format", "json");

        Assert.True(exit == ExitCodes.Success, stdout + stderr);
        var finding = Assert.Single(Findings(stdout));
        Assert.Equal("web/package-lock.json", finding.GetProperty("path").GetString());
        Assert.Equal(14, finding.GetProperty("line").GetInt32()); // "node_modules/y18n"
        Assert.Equal("y18n", Property(finding, "package"));
        Assert.Equal("false", Property(finding, "direct"));
        Assert.Equal("yargs > y18n", Property(finding, "via"));
        Assert.Equal("GHSA-c4w7-xm78-47vh", Property(finding, "advisories"));
        Assert.Equal("CVE-2020-7774", Property(finding, "aliases"));
        Assert.Equal("4.0.1", Property(finding, "smallestFix"));
        Assert.Equal("7.3", Property(finding, "cvssScore"));
        Assert.Equal("high", finding.GetProperty("severity").GetString());
        Assert.Contains("Brought in by yargs.", finding.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_known_exploited_advisory_sets_kev_and_raises_the_finding_to_high()
    {
        // tough-cookie 4.0.0: GHSA-72xf-g2v4-qvf3 (CVE-2023-26136), CVSS 3.1 base score 6.5, medium.
        await WriteAsync("package-lock.json", """
            {
              "name": "app", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
              "packages": {
                "": { "name": "app", "version": "1.0.0", "dependencies": { "tough-cookie": "^4.0.0" } },
                "node_modules/tough-cookie": { "version": "4.0.0" }
              }
            }
            """);
        await ImportAsync();
        var (_, stdout, _) = await ScanAsync(CliRunner.Now, Root, "--analyzers", "deps", "--data-dir", DataDir, "--format", "json");
        var finding = Assert.Single(Findings(stdout));
        Assert.Equal("medium", finding.GetProperty("severity").GetString());
        Assert.Equal("6.5", Property(finding, "cvssScore"));
        Assert.Equal("false", Property(finding, "kev"));

        // A test catalogue in CISA's format naming its CVE (the real catalogue does not list it).
        var kev = Path.Combine(_dir, "kev.json");
        await File.WriteAllTextAsync(kev, """{"catalogVersion": "2026.11.27", "count": 1, "vulnerabilities": [{"cveID": "CVE-2023-26136", "vendorProject": "Salesforce", "product": "tough-cookie"}]}""");
        await ImportAsync(kev);
        var (exit, stdout2, stderr) = await ScanAsync(CliRunner.Now, Root, "--analyzers", "deps", "--data-dir", DataDir, "--format", "json", "--fail-on", "high");

        Assert.True(exit == ExitCodes.GateTripped, stdout2 + stderr);
        finding = Assert.Single(Findings(stdout2));
        Assert.Equal("true", Property(finding, "kev"));
        Assert.Equal("high", finding.GetProperty("severity").GetString());
        Assert.Contains("KNOWN EXPLOITED", finding.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_index_older_than_seven_days_is_a_warning_in_the_report()
    {
        await ImportAsync();
        await WriteAsync("requirements.txt", "Django==3.2.0\n");

        var (exit, stdout, _) = await ScanAsync(CliRunner.Now.AddDays(8), Root, "--analyzers", "deps", "--data-dir", DataDir, "--format", "sarif");

        Assert.Equal(ExitCodes.Success, exit);
        using var sarif = JsonDocument.Parse(stdout);
        var run = sarif.RootElement.GetProperty("runs")[0];
        Assert.Equal("2026-11-28T12:00:00Z", run.GetProperty("properties").GetProperty("advisoryDatabaseImportedAt").GetString());
        var notification = Assert.Single(run.GetProperty("invocations")[0].GetProperty("toolExecutionNotifications").EnumerateArray(),
            n => n.GetProperty("descriptor").GetProperty("id").GetString() == "deps-advisory-database-stale");
        Assert.Equal("warning", notification.GetProperty("level").GetString());
        Assert.Contains("8 days ago", notification.GetProperty("message").GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Single(run.GetProperty("results").EnumerateArray());
    }

    [Fact]
    public async Task The_import_date_is_in_the_text_report()
    {
        await ImportAsync();
        await WriteAsync("requirements.txt", "Django==3.2.0\n");

        var (_, stdout, _) = await ScanAsync(CliRunner.Now, Root, "--analyzers", "deps", "--data-dir", DataDir);

        Assert.Contains("advisoryDatabaseImportedAt: 2026-11-28T12:00:00Z", stdout, StringComparison.Ordinal);
        Assert.Contains("SFI-DEP-001", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deps_asked_for_without_an_advisory_database_is_refused_not_passed()
    {
        await WriteAsync("requirements.txt", "Django==3.2.0\n");

        var (exit, stdout, stderr) = await ScanAsync(CliRunner.Now, Root, "--analyzers", "deps", "--data-dir", DataDir, "--format", "json");

        Assert.Equal(ExitCodes.UsageError, exit);
        Assert.Empty(stdout);
        Assert.Contains("run 'sfi advisories update'", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_default_scan_without_an_advisory_database_warns_and_inventories()
    {
        await WriteAsync("requirements.txt", "Django==3.2.0\n");

        var (exit, stdout, stderr) = await ScanAsync(CliRunner.Now, Root, "--data-dir", DataDir, "--format", "json");

        Assert.True(exit == ExitCodes.Success, stdout + stderr);
        using var report = JsonDocument.Parse(stdout);
        Assert.Equal(1, report.RootElement.GetProperty("summary").GetProperty("dependencyPackages").GetInt32());
        Assert.Contains(report.RootElement.GetProperty("notifications").EnumerateArray(), n => n.GetProperty("id").GetString() == "deps-no-advisory-database");
        Assert.Empty(Findings(stdout));

        // A tree without manifests or lock files needed no database: no warning about it.
        File.Delete(Path.Combine(Root, "requirements.txt"));
        await WriteAsync("README.md", "no dependencies here\n");
        (exit, stdout, _) = await ScanAsync(CliRunner.Now, Root, "--data-dir", DataDir, "--format", "json");
        Assert.Equal(ExitCodes.Success, exit);
        Assert.DoesNotContain("deps-no-advisory-database", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_default_scan_with_an_advisory_database_reports_vulnerable_packages()
    {
        await ImportAsync();
        await WriteAsync("requirements.txt", "Django==3.2.0\n");

        var (_, stdout, _) = await ScanAsync(CliRunner.Now, Root, "--data-dir", DataDir, "--format", "json");

        Assert.Contains(Findings(stdout), f => f.GetProperty("ruleId").GetString() == "SFI-DEP-001");
    }

    [Fact]
    public async Task An_inline_suppression_must_name_every_advisory_and_expires()
    {
        await ImportAsync();
        await WriteAsync("web/package-lock.json", NpmLock);
        // y18n has one advisory: naming it by its CVE alias suppresses the finding until the date.
        await WriteAsync("requirements.txt",
            "Django==3.2.3  # sfi:ignore CVE-2021-33203 until 2027-01-31 admindocs is not installed\n");
        await WriteAsync("constraints/requirements.txt",
            "# sfi:ignore PYSEC-2021-98, CVE-2021-33571 until 2027-01-31 patched in our fork, upgrade planned\nDjango==3.2.3\n");
        await WriteAsync("old/requirements.txt",
            "Django==3.2.3  # sfi:ignore PYSEC-2021-98,PYSEC-2021-99 until 2026-11-01 expired\n");

        var (exit, stdout, stderr) = await ScanAsync(CliRunner.Now, Root, "--analyzers", "deps", "--data-dir", DataDir, "--format", "json", "--fail-on", "low");

        var findings = Findings(stdout).Where(f => f.GetProperty("path").GetString()!.EndsWith("requirements.txt", StringComparison.Ordinal)).ToDictionary(f => f.GetProperty("path").GetString()!);
        Assert.Equal(3, findings.Count);
        // Django 3.2.3 has two advisories (PYSEC-2021-98 and -99): naming one of them is not enough.
        Assert.False(findings["requirements.txt"].TryGetProperty("suppression", out _), stdout);
        Assert.True(findings["constraints/requirements.txt"].TryGetProperty("suppression", out _), stdout);
        Assert.False(findings["old/requirements.txt"].TryGetProperty("suppression", out _), stdout);
        using var report = JsonDocument.Parse(stdout);
        Assert.Contains(report.RootElement.GetProperty("notifications").EnumerateArray(), n => n.GetProperty("id").GetString() == "suppression-expired");
        Assert.True(exit == ExitCodes.GateTripped, stderr);
    }

    [Fact]
    public async Task A_baseline_keeps_a_known_vulnerable_lock_file_from_tripping_the_gate()
    {
        await ImportAsync();
        await WriteAsync("web/package-lock.json", NpmLock);
        var baseline = Path.Combine(_dir, "baseline.sarif");
        Assert.Equal(ExitCodes.Success, (await ScanAsync(CliRunner.Now, Root, "--analyzers", "deps", "--data-dir", DataDir, "--format", "sarif", "--output", baseline)).Exit);

        var (exit, stdout, stderr) = await ScanAsync(CliRunner.Now, Root, "--analyzers", "deps", "--data-dir", DataDir, "--format", "json", "--fail-on", "high", "--baseline", baseline);
        Assert.True(exit == ExitCodes.Success, stdout + stderr);
        Assert.Equal("unchanged", Assert.Single(Findings(stdout)).GetProperty("baselineState").GetString());

        // A newly vulnerable package is new, and trips the gate.
        await WriteAsync("requirements.txt", "Django==3.2.0\n");
        (exit, _, _) = await ScanAsync(CliRunner.Now, Root, "--analyzers", "deps", "--data-dir", DataDir, "--format", "json", "--fail-on", "high", "--baseline", baseline);
        Assert.Equal(ExitCodes.GateTripped, exit);
    }

    [Fact]
    public async Task A_baselined_package_with_an_advisory_published_later_is_new_again()
    {
        await ImportAsync();
        await WriteAsync("web/package-lock.json", NpmLock);
        var baseline = Path.Combine(_dir, "baseline.sarif");
        Assert.Equal(ExitCodes.Success, (await ScanAsync(CliRunner.Now, Root, "--analyzers", "deps", "--data-dir", DataDir, "--format", "sarif", "--output", baseline)).Exit);

        // A second advisory for y18n 4.0.0 (made up for this test, in the OSV schema) arrives with the next update.
        var later = Path.Combine(_dir, "later");
        Directory.CreateDirectory(later);
        await File.WriteAllTextAsync(Path.Combine(later, "GHSA-test-y18n-0002.json"), """
            {"schema_version": "1.6.0", "id": "GHSA-test-y18n-0002", "modified": "2026-11-20T00:00:00Z", "published": "2026-11-20T00:00:00Z",
             "aliases": ["CVE-2026-99999"], "summary": "A later y18n advisory",
             "affected": [{"package": {"ecosystem": "npm", "name": "y18n"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "4.0.0"}, {"fixed": "4.0.3"}]}]}],
             "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}
            """);
        var (exit, stdout, stderr) = await CliRunner.RunAsync("advisories", "update", "--source", Path.Combine(Advisories, "ghsa", "npm"), "--source", later, "--data-dir", DataDir);
        Assert.True(exit == ExitCodes.Success, stdout + stderr);

        (exit, stdout, stderr) = await ScanAsync(CliRunner.Now, Root, "--analyzers", "deps", "--data-dir", DataDir, "--format", "json", "--fail-on", "high", "--baseline", baseline);

        Assert.True(exit == ExitCodes.GateTripped, stdout + stderr);
        var finding = Assert.Single(Findings(stdout), f => f.GetProperty("baselineState").GetString() == "new");
        Assert.Equal("GHSA-c4w7-xm78-47vh,GHSA-test-y18n-0002", Property(finding, "advisories"));
        Assert.Equal("critical", finding.GetProperty("severity").GetString());
        Assert.Equal("4.0.3", Property(finding, "smallestFix"));
    }

    [Trait("Category", "Integration")]
    [Fact]
    public async Task The_dependency_report_is_valid_sarif_under_sarif_and_github_rules()
    {
        await ImportAsync();
        await WriteAsync("web/package-lock.json", NpmLock);
        await WriteAsync("requirements.txt", "Django==3.2.0\n");
        var report = Path.Combine(_dir, "deps.sarif");

        var (exit, _, stderr) = await ScanAsync(CliRunner.Now.AddDays(8), Root, "--analyzers", "deps", "--data-dir", DataDir, "--format", "sarif", "--output", report);

        Assert.True(exit == ExitCodes.Success, stderr);
        using (var sarif = JsonDocument.Parse(await File.ReadAllTextAsync(report)))
        {
            Assert.Equal(2, sarif.RootElement.GetProperty("runs")[0].GetProperty("results").GetArrayLength());
        }

        var (problems, log) = SarifValidationTests.Validate(report);
        problems.RemoveAll(p => p.StartsWith("warning SARIF2005:", StringComparison.Ordinal));
        Assert.True(problems.Count == 0, "multitool problems:\n" + string.Join('\n', problems) + "\n" + log);
    }
}
