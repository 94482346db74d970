using System.Text.Json;
using SecureFuture.Core;

namespace SecureFuture.Cli.Tests;

public sealed class ScanCommandTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sfi-cli-").FullName;
    private readonly string _reports = Directory.CreateTempSubdirectory("sfi-reports-").FullName;

    public void Dispose()
    {
        Directory.Delete(_root, recursive: true);
        Directory.Delete(_reports, recursive: true);
    }

    [Fact]
    public async Task Version_PrintsTheVersion()
    {
        var (exit, stdout, _) = await CliRunner.RunAsync("--version");
        Assert.Equal(ExitCodes.Success, exit);
        Assert.Matches(@"^\d+\.\d+\.\d+", stdout.Trim());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("1025")]
    public async Task Threads_outside_1_to_1024_is_exit_2_naming_the_option(string value)
    {
        var (exit, stdout, stderr) = await CliRunner.RunAsync("scan", _root, "--threads", value);
        Assert.True(exit == ExitCodes.UsageError, $"exit {exit}\n{stdout}{stderr}");
        Assert.Contains($"--threads: {value} is not between 1 and 1024", stderr, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync("scan", _root, "--threads", "1")).Exit);
        Assert.Equal(ExitCodes.UsageError, (await CliRunner.RunAsync("scan", _root, "--threads", "many")).Exit);
    }

    [Fact]
    public async Task ListRules_AsJson_GivesEveryDetectorWithItsPatternAndGuidance()
    {
        var (exit, stdout, _) = await CliRunner.RunAsync("scan", "--list-rules", "--format", "json");
        Assert.Equal(ExitCodes.Success, exit);
        using var json = JsonDocument.Parse(stdout);
        var rules = json.RootElement.EnumerateArray().Where(r => r.GetProperty("analyzer").GetString() == "secrets").ToList();
        Assert.True(rules.Count >= 80);
        Assert.All(rules, r =>
        {
            Assert.Matches("^SFI-SEC-[0-9]{3}$", r.GetProperty("id").GetString());
            // Binary detectors (SFI-SEC-307, key files by ASN.1 structure) read bytes, not text: no pattern.
            if (!r.GetProperty("tags").EnumerateArray().Any(t => t.GetString() == "binary"))
            {
                Assert.False(string.IsNullOrEmpty(r.GetProperty("pattern").GetString()));
            }

            Assert.Equal($"guidance/{r.GetProperty("id").GetString()}.md", r.GetProperty("guidance").GetString());
        });
    }

    [Theory]
    [InlineData("scan", "--format", "xml")]
    [InlineData("scan", "--fail-on", "urgent")]
    [InlineData("scan", "--max-file-size", "lots")]
    [InlineData("scan", "--sas-max-lifetime", "30 days")]
    [InlineData("scan", "--decode-depth", "9")]
    [InlineData("scan", "--archive-depth", "-1")]
    [InlineData("frobnicate")]
    public async Task UsageErrors_ExitWith2AndSayWhy(params string[] args)
    {
        var (exit, _, stderr) = await CliRunner.RunAsync(args);
        Assert.Equal(ExitCodes.UsageError, exit);
        Assert.StartsWith("sfi: ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingPath_ExitsWith2NamingThePath()
    {
        var missing = Path.Combine(_root, "no-such-dir");
        var (exit, _, stderr) = await CliRunner.RunAsync("scan", missing);
        Assert.Equal(ExitCodes.UsageError, exit);
        Assert.Contains(missing, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BaselineThatIsNotSarif_ExitsWith2NamingLineAndColumn()
    {
        var baseline = Path.Combine(_reports, "baseline.sarif");
        await File.WriteAllTextAsync(baseline, "not json at all");
        var (exit, _, stderr) = await CliRunner.RunAsync("scan", _root, "--baseline", baseline);
        Assert.Equal(ExitCodes.UsageError, exit);
        Assert.Contains(baseline + ":1:", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("text")]
    [InlineData("json")]
    [InlineData("sarif")]
    public async Task Secrets_AreReported_ButNeverPrinted(string format)
    {
        var secrets = CliRunner.WriteSecrets(_root);
        var (exit, stdout, stderr) = await CliRunner.RunAsync("scan", _root, "--format", format, "--fail-on", "high");

        Assert.Equal(ExitCodes.GateTripped, exit);
        foreach (var path in new[] { "deploy/key.pem", "src/appsettings.json", "scripts/aws.sh" })
        {
            Assert.Contains(path, stdout, StringComparison.Ordinal);
        }

        foreach (var secret in secrets.Values)
        {
            Assert.DoesNotContain(secret, stdout, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, stderr, StringComparison.Ordinal);
            Assert.DoesNotContain(secret[..16], stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task SecretsInsideAnArchive_AreReportedUnderItsPath_UnlessArchivesAreOff()
    {
        var staging = Directory.CreateTempSubdirectory("sfi-cli-zip-").FullName;
        try
        {
            var secrets = CliRunner.WriteSecrets(staging);
            System.IO.Compression.ZipFile.CreateFromDirectory(staging, Path.Combine(_root, "release.nupkg"));
            var (exit, stdout, _) = await CliRunner.RunAsync("scan", _root, "--format", "json");
            Assert.Equal(ExitCodes.Success, exit);
            using var json = JsonDocument.Parse(stdout);
            var paths = json.RootElement.GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("path").GetString()).ToList();
            Assert.Contains("release.nupkg!/deploy/key.pem", paths);
            Assert.All(secrets.Values, secret => Assert.DoesNotContain(secret, stdout, StringComparison.Ordinal));

            (exit, stdout, _) = await CliRunner.RunAsync("scan", _root, "--format", "json", "--archive-depth", "0");
            Assert.Equal(ExitCodes.Success, exit);
            using var off = JsonDocument.Parse(stdout);
            Assert.Empty(off.RootElement.GetProperty("findings").EnumerateArray());
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }

    [Fact]
    public async Task Json_ListsFindingsWithMaskedEvidenceAndFingerprints()
    {
        CliRunner.WriteSecrets(_root);
        var output = Path.Combine(_reports, "report.json");
        var (exit, stdout, _) = await CliRunner.RunAsync("scan", _root, "--format", "json", "--output", output);
        Assert.Equal(ExitCodes.Success, exit);
        Assert.Equal(string.Empty, stdout);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(output));
        var findings = json.RootElement.GetProperty("findings").EnumerateArray().ToList();
        Assert.Contains(findings, f => f.GetProperty("path").GetString() == "deploy/key.pem" && f.GetProperty("severity").GetString() == "critical");
        Assert.All(findings, f =>
        {
            Assert.StartsWith("SFI-SEC-", f.GetProperty("ruleId").GetString(), StringComparison.Ordinal);
            Assert.Equal(32, f.GetProperty("fingerprints").GetProperty("content").GetString()!.Length);
            Assert.True(f.GetProperty("evidence").GetProperty("length").GetInt32() > 0);
        });
    }

    [Fact]
    public async Task Baseline_GatesOnlyOnNewFindings()
    {
        CliRunner.WriteSecrets(_root);
        var first = Path.Combine(_reports, "first.sarif");
        Assert.Equal(ExitCodes.GateTripped, (await CliRunner.RunAsync("scan", _root, "--format", "sarif", "--output", first, "--fail-on", "low")).Exit);

        // Unrelated edits move the secrets down; nothing is new.
        var settings = Path.Combine(_root, "src/appsettings.json");
        await File.WriteAllTextAsync(settings, "\n\n" + await File.ReadAllTextAsync(settings));
        var second = Path.Combine(_reports, "second.sarif");
        var (exit, _, _) = await CliRunner.RunAsync("scan", _root, "--format", "sarif", "--output", second, "--baseline", first, "--fail-on", "low");
        Assert.Equal(ExitCodes.Success, exit);
        var states = BaselineStates(second);
        Assert.DoesNotContain("new", states);
        Assert.DoesNotContain("absent", states);

        // A new secret is new, and trips the gate; a removed one is absent.
        File.Delete(Path.Combine(_root, "scripts/aws.sh"));
        using (var ec = System.Security.Cryptography.ECDsa.Create())
        {
            await File.WriteAllTextAsync(Path.Combine(_root, "id_new.pem"), ec.ExportPkcs8PrivateKeyPem());
        }

        var third = Path.Combine(_reports, "third.sarif");
        (exit, _, _) = await CliRunner.RunAsync("scan", _root, "--format", "sarif", "--output", third, "--baseline", first, "--fail-on", "low");
        Assert.Equal(ExitCodes.GateTripped, exit);
        states = BaselineStates(third);
        Assert.Contains("new", states);
        Assert.Contains("absent", states);
    }

    [Fact]
    public async Task A_baseline_with_results_of_an_analyzer_that_does_not_run_now_leaves_them_out_of_the_runs_of_those_that_do()
    {
        CliRunner.WriteSecrets(_root);
        File.Copy(Path.Combine(CliRunner.RepoRoot(), "test", "SecureFuture.Baseline.Tests", "TestData", "STO-01", "fail.template.json"), Path.Combine(_root, "storage.json"));
        var first = Path.Combine(_reports, "first.sarif");
        var (exit, _, stderr) = await CliRunner.RunAsync("scan", _root, "--analyzers", "secrets,iac", "--format", "sarif", "--output", first);
        Assert.True(exit == ExitCodes.Success, stderr);

        // IaC did not run this time: no run can say its results are gone (and none holds another analyzer's results).
        var second = Path.Combine(_reports, "second.sarif");
        (exit, _, stderr) = await CliRunner.RunAsync("scan", _root, "--analyzers", "secrets,code", "--format", "sarif", "--output", second, "--baseline", first);
        Assert.True(exit == ExitCodes.Success, stderr);
        using var sarif = JsonDocument.Parse(await File.ReadAllTextAsync(second));
        var runs = sarif.RootElement.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(["secrets/", "code/"], runs.Select(r => r.GetProperty("automationDetails").GetProperty("id").GetString()));
        Assert.NotEmpty(runs[0].GetProperty("results").EnumerateArray());
        Assert.All(runs.SelectMany(r => r.GetProperty("results").EnumerateArray()), r =>
        {
            Assert.Equal("unchanged", r.GetProperty("baselineState").GetString());
            Assert.StartsWith("SFI-SEC-", r.GetProperty("ruleId").GetString(), StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task InlineSuppression_KeepsTheResultInSarifWithASuppression()
    {
        using var ec = System.Security.Cryptography.ECDsa.Create();
        await File.WriteAllTextAsync(Path.Combine(_root, "doc.md"), "<!-- sfi:ignore SFI-SEC-001,SFI-SEC-002,SFI-SEC-003,SFI-SEC-004,SFI-SEC-005,SFI-SEC-006 until 2027-01-31 throwaway key for the docs -->\n" + ec.ExportPkcs8PrivateKeyPem());
        var report = Path.Combine(_reports, "r.sarif");
        var (exit, _, _) = await CliRunner.RunAsync("scan", _root, "--format", "sarif", "--output", report, "--fail-on", "low");
        using var sarif = JsonDocument.Parse(await File.ReadAllTextAsync(report));
        var results = sarif.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray().ToList();
        Assert.NotEmpty(results);
        Assert.All(results, r => Assert.Equal("inSource", r.GetProperty("suppressions")[0].GetProperty("kind").GetString()));
        Assert.Equal(ExitCodes.Success, exit);
    }

    [Trait("Category", "Integration")]
    [Fact]
    public async Task History_FindsASecretThatWasCommittedAndThenDeleted()
    {
        Git("init", "-q", "-b", "main");
        var secrets = CliRunner.WriteSecrets(_root);
        Git("add", ".");
        Git("commit", "-q", "-m", "add config");
        File.Delete(Path.Combine(_root, "deploy/key.pem"));
        Git("commit", "-q", "-am", "remove key");

        var (exit, stdout, _) = await CliRunner.RunAsync("scan", _root, "--history", "--format", "json");
        Assert.Equal(ExitCodes.Success, exit);
        using var json = JsonDocument.Parse(stdout);
        var pem = json.RootElement.GetProperty("findings").EnumerateArray().First(f => f.GetProperty("path").GetString() == "deploy/key.pem");
        Assert.Equal(40, pem.GetProperty("properties").GetProperty("commit").GetString()!.Length);
        Assert.Equal(1, pem.GetProperty("line").GetInt32());
        Assert.DoesNotContain(secrets["pem"], stdout, StringComparison.Ordinal);
    }

    [Trait("Category", "Integration")]
    [Fact]
    public async Task Staged_ReportsWhatTheNextCommitWouldAdd_NotTheWorkingTreeNorWhatIsAlreadyCommitted()
    {
        Git("init", "-q", "-b", "main");
        var secrets = CliRunner.WriteSecrets(_root);
        // The AWS script is committed; the storage connection string is staged; the PEM key stays unstaged.
        Git("add", "scripts/aws.sh");
        Git("commit", "-q", "-m", "scripts");
        File.WriteAllText(Path.Combine(_root, "src/appsettings.json"), "{\n  \"Name\": \"shop\",\n" + File.ReadAllText(Path.Combine(_root, "src/appsettings.json"))[2..]);
        Git("add", "src/appsettings.json");

        var (exit, stdout, stderr) = await CliRunner.RunAsync("scan", _root, "--staged", "--format", "json", "--fail-on", "high");

        Assert.True(exit == ExitCodes.GateTripped, $"exit {exit}\n{stderr}");
        using var json = JsonDocument.Parse(stdout);
        var findings = json.RootElement.GetProperty("findings").EnumerateArray().ToList();
        var staged = Assert.Single(findings);
        Assert.Equal("src/appsettings.json", staged.GetProperty("path").GetString());
        // The line in the staged file, not in the diff.
        Assert.Equal(3, staged.GetProperty("line").GetInt32());
        Assert.Equal("(staged)", staged.GetProperty("properties").GetProperty("commit").GetString());
        Assert.DoesNotContain(secrets["storageKey"], stdout, StringComparison.Ordinal);

        // Once committed, nothing is staged: the hook passes.
        Git("commit", "-q", "-m", "settings");
        var (clean, _, _) = await CliRunner.RunAsync("scan", _root, "--staged", "--fail-on", "low");
        Assert.Equal(ExitCodes.Success, clean);
    }

    [Trait("Category", "Integration")]
    [Fact]
    public async Task Staged_OutsideAGitRepositoryOrWithHistory_IsAUsageError()
    {
        CliRunner.WriteSecrets(_root);

        var (notRepo, _, notRepoErr) = await CliRunner.RunAsync("scan", _root, "--staged", "--fail-on", "low");
        var (both, _, bothErr) = await CliRunner.RunAsync("scan", _root, "--staged", "--history");
        var (history, _, historyErr) = await CliRunner.RunAsync("scan", _root, "--history", "--fail-on", "low");

        Assert.Equal(ExitCodes.UsageError, notRepo);
        Assert.Contains("--staged needs a git repository: not a git repository", notRepoErr, StringComparison.Ordinal);
        Assert.DoesNotContain("usage:", notRepoErr, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.UsageError, history);
        Assert.Contains("--history needs a git repository", historyErr, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.UsageError, both);
        Assert.Contains("cannot be combined", bothErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TwoGigabyteFile_IsSkippedWithANotification_NotRead()
    {
        // Sparse: two gigabytes on paper, nothing on disk.
        using (var big = File.Create(Path.Combine(_root, "dump.bin")))
        {
            big.SetLength(2L << 30);
        }

        var (exit, stdout, _) = await CliRunner.RunAsync("scan", _root, "--format", "json");
        Assert.Equal(ExitCodes.Success, exit);
        using var json = JsonDocument.Parse(stdout);
        var note = Assert.Single(json.RootElement.GetProperty("notifications").EnumerateArray());
        Assert.Equal("file-too-large", note.GetProperty("id").GetString());
        Assert.Equal("dump.bin", note.GetProperty("path").GetString());
        Assert.Contains("2 GB", note.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OutputFile_IsNotTouchedWhenTheScanFails()
    {
        var output = Path.Combine(_reports, "keep.sarif");
        await File.WriteAllTextAsync(output, "previous");
        var (exit, _, _) = await CliRunner.RunAsync("scan", Path.Combine(_root, "missing"), "--format", "sarif", "--output", output);
        Assert.Equal(ExitCodes.UsageError, exit);
        Assert.Equal("previous", await File.ReadAllTextAsync(output));
    }

    private static List<string?> BaselineStates(string sarifPath)
    {
        using var sarif = JsonDocument.Parse(File.ReadAllText(sarifPath));
        return [.. sarif.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray().Select(r => r.GetProperty("baselineState").GetString())];
    }

    private void Git(params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo("git") { WorkingDirectory = _root, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-c", "user.name=T", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false" }.Concat(args))
        {
            start.ArgumentList.Add(a);
        }

        using var p = System.Diagnostics.Process.Start(start)!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
    }
}
