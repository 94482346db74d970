using System.Text.Json.Nodes;

namespace SecureFuture.Cli.Tests;

/// <summary>
/// What identifies an analysis in the hub (project, ref, tool, category) through the real CLI and <c>sfi serve</c>. Part of
/// this class so that it never runs at the same time as the other serve tests (one SoftHSM2 server per test process).
/// </summary>
public sealed partial class ServeAndKeysCommandTests
{
    private const string ThreatModel = """
        version: 1
        name: Shop
        elements:
          - { id: browser, name: Browser, type: SF.EI.Browser }
          - { id: api, name: Shop API, type: SF.P.Api }
          - { id: db, name: Orders DB, type: SF.DS.Database, dataClassification: confidential }
        flows:
          - { id: f-call, name: API call, from: browser, to: api, encryptedInTransit: true, authentication: oauth }
          - { id: f-sql, name: SQL, from: api, to: db, encryptedInTransit: false, authentication: none }
        boundaries:
          - { id: internet, name: Internet, type: SF.TB.Internet, members: [browser] }
          - { id: cloud, name: Cloud, type: SF.TB.Cloud, members: [api, db] }
        """;

    [Fact]
    public async Task Scan_and_baseline_iac_pushes_never_fix_each_others_findings_and_reports_written_with_o_land_in_the_category_of_their_push()
    {
        var dataDir = Directory.CreateTempSubdirectory("sfi-findings-identity-").FullName;
        var work = Directory.CreateTempSubdirectory("sfi-findings-identity-work-").FullName;
        try
        {
            await using var serve = await Serve.StartAsync(dataDir);
            var keyFile = Path.Combine(work, "admin-key");
            await File.WriteAllTextAsync(keyFile, AdminKeyLine().Match(serve.Output).Groups["key"].Value + "\n");
            string[] common = ["--server", serve.Url, "--admin-key-file", keyFile];
            string[] target = ["--project", "infra", "--ref", "main", .. common];
            var (exit, output, error) = await CliRunner.RunAsync(["findings", "projects", "add", "infra", "--expect", "iac,threat-model", .. common]);
            Assert.True(exit == 0, error);

            async Task<Dictionary<(string Tool, string State), int>> IacFindingsAsync()
            {
                var (code, json, stderr) = await CliRunner.RunAsync(["findings", "list", "--project", "infra", "--category", "iac", "--format", "json", .. common]);
                Assert.True(code == 0, stderr);
                return JsonNode.Parse(json)!.AsArray().GroupBy(f => ((string)f!["tool"]!, (string)f!["state"]!)).ToDictionary(g => g.Key, g => g.Count());
            }

            // sfi scan's IaC analyzer and sfi baseline's assessment of the same template: both are category iac.
            var repo = Directory.CreateDirectory(Path.Combine(work, "repo")).FullName;
            var template = Path.Combine(repo, "storage.json");
            var sto01 = Path.Combine(CliRunner.RepoRoot(), "test", "SecureFuture.Baseline.Tests", "TestData", "STO-01");
            File.Copy(Path.Combine(sto01, "fail.template.json"), template);
            (exit, _, error) = await CliRunner.RunAsync(["scan", repo, "--analyzers", "iac", "--push", .. target]);
            Assert.True(exit == 0, error);
            var scanOpened = int.Parse(Assert.Single(System.Text.RegularExpressions.Regex.Matches(error, @"push: iac \(SecureFuture\): (\d+) results, \1 opened")).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(scanOpened > 0, error);
            (exit, _, error) = await CliRunner.RunAsync(["baseline", "assess", template, "--push", .. target]);
            Assert.True(exit == 0, error);
            var baselineOpened = int.Parse(Assert.Single(System.Text.RegularExpressions.Regex.Matches(error, @"push: iac \(sfi baseline\): (\d+) results, \1 opened, 0 reopened, 0 fixed")).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(baselineOpened > 0, error);
            Assert.Equal(new Dictionary<(string, string), int> { [("SecureFuture", "open")] = scanOpened, [("sfi baseline", "open")] = baselineOpened }, await IacFindingsAsync());

            // The template is gone from the repository: the next scan fixes its own findings and leaves the baseline's open...
            File.Delete(template);
            (exit, _, error) = await CliRunner.RunAsync(["scan", repo, "--analyzers", "iac", "--push", .. target]);
            Assert.True(exit == 0, error);
            Assert.Contains($"push: iac (SecureFuture): 0 results, 0 opened, 0 reopened, {scanOpened} fixed", error, StringComparison.Ordinal);
            Assert.Equal(new Dictionary<(string, string), int> { [("SecureFuture", "fixed")] = scanOpened, [("sfi baseline", "open")] = baselineOpened }, await IacFindingsAsync());

            // ...until the baseline's own next assessment, of the corrected template, fixes those that now pass.
            File.Copy(Path.Combine(sto01, "pass.template.json"), template);
            (exit, _, error) = await CliRunner.RunAsync(["baseline", "assess", template, "--push", .. target]);
            Assert.True(exit == 0, error);
            var baselineFixed = int.Parse(Assert.Single(System.Text.RegularExpressions.Regex.Matches(error, @"push: iac \(sfi baseline\): \d+ results, 0 opened, 0 reopened, ([1-9]\d*) fixed")).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            var after = await IacFindingsAsync();
            Assert.Equal(scanOpened, after[("SecureFuture", "fixed")]);
            Assert.False(after.ContainsKey(("SecureFuture", "open")));
            Assert.Equal(baselineFixed, after[("sfi baseline", "fixed")]);

            // A SARIF report says the category its push has (automationDetails), --category included: pushed later with
            // sfi findings push, it is the same analysis.
            var model = Path.Combine(work, "shop.yaml");
            await File.WriteAllTextAsync(model, ThreatModel);
            var plain = Path.Combine(work, "plain.sarif");
            (exit, _, error) = await CliRunner.RunAsync(["threatmodel", "analyze", model, "--format", "sarif", "-o", plain]);
            Assert.True(exit == 0, error);
            Assert.Equal("threat-model/", (string)JsonNode.Parse(await File.ReadAllTextAsync(plain))!["runs"]![0]!["automationDetails"]!["id"]!);
            (exit, output, error) = await CliRunner.RunAsync(["findings", "push", plain, .. target]);
            Assert.True(exit == 0, error);
            Assert.Matches(@"^.*plain\.sarif: threat-model \(sfi threatmodel\): [1-9]\d* results, [1-9]\d* opened", output);

            var design = Path.Combine(work, "design.sarif");
            (exit, _, error) = await CliRunner.RunAsync(["threatmodel", "analyze", model, "--format", "sarif", "-o", design, "--push", "--category", "design", .. target]);
            Assert.True(exit == 0, error);
            Assert.Matches(@"push: design \(sfi threatmodel\): [1-9]\d* results, [1-9]\d* opened", error);
            Assert.Equal("design/", (string)JsonNode.Parse(await File.ReadAllTextAsync(design))!["runs"]![0]!["automationDetails"]!["id"]!);
            (exit, output, error) = await CliRunner.RunAsync(["findings", "push", design, .. target]);
            Assert.True(exit == 0, error);
            Assert.Contains("design.sarif: design (sfi threatmodel): the same as the latest analysis, nothing changed", output, StringComparison.Ordinal);

            // A scan of several analyzers writes one run per analyzer, each in the category its push has: pushed later, the
            // file is the same analyses, each in its own category (one run of them all would be one analysis of none).
            var scanReport = Path.Combine(work, "scan.sarif");
            File.Copy(Path.Combine(sto01, "fail.template.json"), template, overwrite: true);
            CliRunner.WriteSecrets(repo);
            (exit, _, error) = await CliRunner.RunAsync(["scan", repo, "--analyzers", "secrets,iac", "--format", "sarif", "-o", scanReport, "--push", "--category", "platform", .. target]);
            Assert.True(exit == 0, error);
            Assert.Matches(@"push: platform/secrets \(SecureFuture\): [1-9]\d* results, [1-9]\d* opened", error);
            Assert.Matches(@"push: platform/iac \(SecureFuture\): [1-9]\d* results, [1-9]\d* opened", error);
            var runs = JsonNode.Parse(await File.ReadAllTextAsync(scanReport))!["runs"]!.AsArray();
            Assert.Equal(["platform/secrets/", "platform/iac/"], runs.Select(r => (string)r!["automationDetails"]!["id"]!));
            Assert.All(runs[0]!["results"]!.AsArray(), r => Assert.StartsWith("SFI-SEC-", (string)r!["ruleId"]!, StringComparison.Ordinal));
            Assert.All(runs[1]!["results"]!.AsArray(), r => Assert.DoesNotContain("SFI-SEC-", (string)r!["ruleId"]!, StringComparison.Ordinal));
            Assert.Contains(runs[1]!["results"]!.AsArray(), r => ((string)r!["ruleId"]!).StartsWith("STO-", StringComparison.Ordinal));
            (exit, output, error) = await CliRunner.RunAsync(["findings", "push", scanReport, .. target]);
            Assert.True(exit == 0, error);
            Assert.Contains("scan.sarif: platform/secrets (SecureFuture): the same as the latest analysis, nothing changed", output, StringComparison.Ordinal);
            Assert.Contains("scan.sarif: platform/iac (SecureFuture): the same as the latest analysis, nothing changed", output, StringComparison.Ordinal);

            // So does an assessment of exports and IaC together: one run per input kind, as its push (it was one run
            // without a category, which a later push filed as one analysis of neither).
            var baselineReport = Path.Combine(work, "baseline.sarif");
            (exit, _, error) = await CliRunner.RunAsync(["baseline", "assess", Path.Combine(CliRunner.RepoRoot(), "samples", "tenant"), "--format", "sarif", "-o", baselineReport, "--push", "--category", "contoso", .. target]);
            Assert.True(exit == 0, error);
            Assert.Matches(@"push: contoso/tenant \(sfi baseline\): [1-9]\d* results, [1-9]\d* opened", error);
            Assert.Matches(@"push: contoso/iac \(sfi baseline\): [1-9]\d* results, [1-9]\d* opened", error);
            Assert.Equal(["contoso/tenant/", "contoso/iac/"], JsonNode.Parse(await File.ReadAllTextAsync(baselineReport))!["runs"]!.AsArray().Select(r => (string)r!["automationDetails"]!["id"]!));
            (exit, output, error) = await CliRunner.RunAsync(["findings", "push", baselineReport, .. target]);
            Assert.True(exit == 0, error);
            Assert.Contains("baseline.sarif: contoso/tenant (sfi baseline): the same as the latest analysis, nothing changed", output, StringComparison.Ordinal);
            Assert.Contains("baseline.sarif: contoso/iac (sfi baseline): the same as the latest analysis, nothing changed", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
            Directory.Delete(dataDir, recursive: true);
        }
    }
}
