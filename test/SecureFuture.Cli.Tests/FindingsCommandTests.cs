using System.Text.Json.Nodes;
using static SecureFuture.Testing.HubSarif;

namespace SecureFuture.Cli.Tests;

/// <summary>
/// <c>sfi findings</c> against a real <c>sfi serve</c> (SQLite, SoftHSM2, HTTP on 127.0.0.1). Part of this class so that
/// it never runs at the same time as the other serve tests (one SoftHSM2 server per test process at a time).
/// </summary>
public sealed partial class ServeAndKeysCommandTests
{
    [Fact]
    public async Task A_sarif_report_says_its_category_in_automation_details_with_one_run_per_analyzer_of_a_scan()
    {
        var repo = Directory.CreateTempSubdirectory("sfi-findings-category-").FullName;
        try
        {
            CliRunner.WriteSecrets(repo);
            var template = Path.Combine(CliRunner.RepoRoot(), "test", "SecureFuture.Baseline.Tests", "TestData", "STO-01", "fail.template.json");
            File.Copy(template, Path.Combine(repo, "storage.json"));

            var (exit, output, error) = await CliRunner.RunAsync(["scan", repo, "--analyzers", "secrets", "--format", "sarif"]);
            Assert.True(exit is 0 or 1, error);
            Assert.Equal("secrets/", (string)JsonNode.Parse(output)!["runs"]![0]!["automationDetails"]!["id"]!);
            // Several analyzers: one run each, in its own category (a single run of them all had none).
            (exit, output, error) = await CliRunner.RunAsync(["scan", repo, "--analyzers", "secrets,iac", "--format", "sarif"]);
            Assert.True(exit is 0 or 1, error);
            Assert.Equal(["secrets/", "iac/"], JsonNode.Parse(output)!["runs"]!.AsArray().Select(r => (string)r!["automationDetails"]!["id"]!));
            (exit, output, error) = await CliRunner.RunAsync(["baseline", "assess", template, "--format", "sarif"]);
            Assert.True(exit is 0 or 1, error);
            Assert.Equal("iac/", (string)JsonNode.Parse(output)!["runs"]![0]!["automationDetails"]!["id"]!);
        }
        finally
        {
            Directory.Delete(repo, recursive: true);
        }
    }

    [Theory]
    [InlineData("--sla", "urgent=P1D", "--sla: 'urgent' is not a severity")]
    [InlineData("--sla", "high=30d", "--sla: '30d' is not an ISO 8601 duration")]
    [InlineData("--sla-for", "high=P1D", "--sla-for: 'high' is not CRITICALITY:SEVERITY")]
    [InlineData("--kev-window", "none", "--kev-window: 'none': known-exploited findings always have a deadline")]
    [InlineData("--kev-catalog", "no-such-kev.json", "--kev-catalog: no-such-kev.json: cannot read")]
    public async Task Serve_refuses_an_sla_or_kev_value_it_does_not_understand_by_its_option(string option, string value, string expected)
    {
        var dataDir = Directory.CreateTempSubdirectory("sfi-findings-sla-").FullName;
        try
        {
            var (exit, _, error) = await CliRunner.RunAsync(["serve", "--data-dir", dataDir, "--urls", "http://127.0.0.1:0", option, value]);
            Assert.Equal(2, exit);
            Assert.Contains(expected, error, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    [Fact]
    public async Task Findings_are_pushed_fixed_reopened_listed_decided_and_reported_through_the_cli()
    {
        var dataDir = Directory.CreateTempSubdirectory("sfi-findings-cli-").FullName;
        var work = Directory.CreateTempSubdirectory("sfi-findings-cli-work-").FullName;
        try
        {
            await using var serve = await Serve.StartAsync(dataDir);
            var keyFile = Path.Combine(work, "admin-key");
            await File.WriteAllTextAsync(keyFile, AdminKeyLine().Match(serve.Output).Groups["key"].Value + "\n");
            string[] common = ["--server", serve.Url, "--admin-key-file", keyFile];
            var injection = new Result("SQLI-1", "src/orders/Repository.cs", 40, "4a1b2c3d4e5f6a7b:1");
            var secret = new Result("SECRET-7", "config/app.json", 3, "9f8e7d6c5b4a3f2e:1", "warning");
            var both = Path.Combine(work, "both.sarif");
            await File.WriteAllTextAsync(both, Log("probe", injection, secret));
            var fixedLog = Path.Combine(work, "fixed.sarif.gz");
            await File.WriteAllBytesAsync(fixedLog, Gzip(Log("probe", injection with { Line = 47 })));

            var (exit, output, error) = await CliRunner.RunAsync(["findings", "projects", "add", "shop", "--owner", "team-orders", "--criticality", "high", "--expect", "code", .. common]);
            Assert.True(exit == 0, error);
            Assert.Contains("registered shop (owner team-orders, criticality high, expects code)", output, StringComparison.Ordinal);
            (exit, _, error) = await CliRunner.RunAsync(["findings", "projects", "add", "shop", "--criticality", "severe", .. common]);
            Assert.Equal(2, exit);
            Assert.Contains("'severe' is not one of the allowed values", error, StringComparison.Ordinal);

            (exit, output, error) = await CliRunner.RunAsync(["findings", "push", both, "--project", "shop", "--ref", "main", "--category", "code", .. common]);
            Assert.True(exit == 0, error);
            Assert.Contains("2 results, 2 opened, 0 reopened, 0 fixed", output, StringComparison.Ordinal);
            (exit, output, error) = await CliRunner.RunAsync(["findings", "push", fixedLog, "--project", "shop", "--ref", "main", "--category", "code", .. common]);
            Assert.True(exit == 0, error);
            Assert.Contains("1 results, 0 opened, 0 reopened, 1 fixed, 1 updated", output, StringComparison.Ordinal);

            (exit, output, error) = await CliRunner.RunAsync(["findings", "list", "--project", "shop", "--format", "json", .. common]);
            Assert.True(exit == 0, error);
            var findings = JsonNode.Parse(output)!.AsArray();
            Assert.Equal(2, findings.Count);
            Assert.All(findings, f => Assert.All(new[] { "id", "ruleId", "state", "severity", "firstSeen", "fixedAt" }, key => Assert.True(f!.AsObject().ContainsKey(key), key)));
            var fixedSecret = findings.Single(f => (string)f!["ruleId"]! == "SECRET-7")!;
            Assert.Equal("fixed", (string)fixedSecret["state"]!);
            var mitigated = (DateTimeOffset)fixedSecret["fixedAt"]! - (DateTimeOffset)fixedSecret["firstSeen"]!;
            Assert.Equal(mitigated.TotalSeconds, (double)fixedSecret["timeToMitigateSeconds"]!, 3);
            var open = findings.Single(f => (string)f!["ruleId"]! == "SQLI-1")!;
            Assert.Equal(("open", "high", 47), ((string)open["state"]!, (string)open["severity"]!, (int)open["startLine"]!));
            Assert.Null(open["fixedAt"]);

            // --sort and --order: the server's order of the whole listing; a value it does not have is exit 2.
            foreach (var (order, expected) in new[] { ((string[])[], new[] { "SQLI-1", "SECRET-7" }), (["--order", "asc"], ["SECRET-7", "SQLI-1"]) })
            {
                (exit, output, error) = await CliRunner.RunAsync(["findings", "list", "--project", "shop", "--sort", "severity", .. order, "--format", "json", .. common]);
                Assert.True(exit == 0, error);
                Assert.Equal(expected, JsonNode.Parse(output)!.AsArray().Select(f => (string)f!["ruleId"]!));
            }

            (exit, _, error) = await CliRunner.RunAsync(["findings", "list", "--sort", "risk", .. common]);
            Assert.Equal(2, exit);
            Assert.Contains("'risk' is not one of the allowed values: stored, severity, firstSeen, dueAt, state", error, StringComparison.Ordinal);
            (exit, _, error) = await CliRunner.RunAsync(["findings", "list", "--sort", "severity", "--order", "up", .. common]);
            Assert.Equal(2, exit);
            Assert.Contains("'up' is not one of the allowed values: asc, desc", error, StringComparison.Ordinal);

            (exit, output, _) = await CliRunner.RunAsync(["findings", "push", both, "--project", "shop", "--ref", "main", "--category", "code", .. common]);
            Assert.Equal(0, exit);
            Assert.Contains("1 reopened", output, StringComparison.Ordinal);

            var secretId = (string)fixedSecret["id"]!;
            var openId = (string)open["id"]!;
            (exit, _, error) = await CliRunner.RunAsync(["findings", "dismiss", secretId, "--reason", "not-a-bug", .. common]);
            Assert.Equal(2, exit);
            Assert.Contains("'not-a-bug' is not one of the allowed values: false-positive, used-in-tests, wont-fix", error, StringComparison.Ordinal);
            (exit, output, error) = await CliRunner.RunAsync(["findings", "dismiss", secretId, "--reason", "used-in-tests", "--comment", "fixture", .. common]);
            Assert.True(exit == 0, error);
            Assert.Contains($"{secretId}: dismissed", output, StringComparison.Ordinal);
            (exit, output, error) = await CliRunner.RunAsync(["findings", "accept", openId, "--risk-owner", "cto", "--until", "2099-01-31", .. common]);
            Assert.True(exit == 0, error);
            Assert.Contains($"{openId}: accepted", output, StringComparison.Ordinal);
            (exit, output, _) = await CliRunner.RunAsync(["findings", "reopen", openId, .. common]);
            Assert.Equal(0, exit);
            Assert.Contains($"{openId}: open", output, StringComparison.Ordinal);
            (exit, _, error) = await CliRunner.RunAsync(["findings", "reopen", openId, .. common]);
            Assert.Equal(2, exit);
            Assert.Contains("409", error, StringComparison.Ordinal);

            (exit, output, _) = await CliRunner.RunAsync(["findings", "show", secretId, .. common]);
            Assert.Equal(0, exit);
            Assert.Matches(@"opened[\s\S]*fixed[\s\S]*reopened[\s\S]*dismissed", output);
            (exit, output, _) = await CliRunner.RunAsync(["findings", "list", "--project", "shop", "--state", "dismissed", .. common]);
            Assert.Equal(0, exit);
            Assert.Contains("1 finding(s)", output, StringComparison.Ordinal);
            (exit, _, error) = await CliRunner.RunAsync(["findings", "list", "--state", "closed", .. common]);
            Assert.Equal(2, exit);
            Assert.Contains("'closed' is not one of the allowed values", error, StringComparison.Ordinal);

            // Reports: coverage 100% (the one project pushed a complete "code" analysis just now), an HTML page with its charts inline.
            (exit, output, _) = await CliRunner.RunAsync(["findings", "report", "--format", "json", .. common]);
            Assert.Equal(0, exit);
            Assert.Equal(1.0, (double)JsonNode.Parse(output)!["coverage"]!["ratio"]!);
            (exit, output, _) = await CliRunner.RunAsync(["findings", "report", .. common]);
            Assert.Equal(0, exit);
            Assert.Contains("Coverage: 100% (1 of 1 projects", output, StringComparison.Ordinal);
            var html = Path.Combine(work, "report.html");
            (exit, _, error) = await CliRunner.RunAsync(["findings", "report", "--format", "html", "--output", html, .. common]);
            Assert.True(exit == 0, error);
            var page = await File.ReadAllTextAsync(html);
            Assert.Contains("<svg", page, StringComparison.Ordinal);
            Assert.Contains("Coverage: 100%", page, StringComparison.Ordinal);
            Assert.DoesNotContain("<script", page, StringComparison.Ordinal);
            Assert.DoesNotContain("http://", page.Replace("http://www.w3.org/2000/svg", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);

            // sfi scan --push: the report as usual, and one analysis per analyzer pushed to the hub (secrets, iac), each
            // with its own lifecycle: the template fixed, the secrets untouched.
            var repo = Directory.CreateDirectory(Path.Combine(work, "repo")).FullName;
            CliRunner.WriteSecrets(repo);
            var template = Path.Combine(repo, "storage.json");
            var sto01 = Path.Combine(CliRunner.RepoRoot(), "test", "SecureFuture.Baseline.Tests", "TestData", "STO-01");
            File.Copy(Path.Combine(sto01, "fail.template.json"), template);
            (exit, _, error) = await CliRunner.RunAsync(["findings", "projects", "add", "web", "--expect", "secrets,iac", .. common]);
            Assert.True(exit == 0, error);
            (exit, output, error) = await CliRunner.RunAsync(["scan", repo, "--analyzers", "secrets,iac", "--format", "sarif", "--push", "--project", "web", "--ref", "main", .. common]);
            Assert.True(exit == 0, error);
            // The report has the push's runs: what each run holds is what its category's analysis opened.
            var runs = JsonNode.Parse(output)!["runs"]!.AsArray();
            Assert.Equal(["secrets/", "iac/"], runs.Select(r => (string)r!["automationDetails"]!["id"]!));
            var secretsReported = runs[0]!["results"]!.AsArray().Count;
            var iacReported = runs[1]!["results"]!.AsArray().Count;
            Assert.True(iacReported > 0 && secretsReported > 0, output);
            Assert.All(runs[1]!["results"]!.AsArray(), r => Assert.DoesNotContain("SFI-SEC-", (string)r!["ruleId"]!, StringComparison.Ordinal));
            Assert.Contains($"push: secrets (SecureFuture): {secretsReported} results, {secretsReported} opened", error, StringComparison.Ordinal);
            Assert.Contains($"push: iac (SecureFuture): {iacReported} results, {iacReported} opened", error, StringComparison.Ordinal);
            File.Delete(template);
            (exit, _, error) = await CliRunner.RunAsync(["scan", repo, "--analyzers", "secrets,iac", "--push", "--project", "web", "--ref", "main", .. common]);
            Assert.True(exit == 0, error);
            Assert.True(error.Contains("push: secrets (SecureFuture): the same as the latest analysis, nothing changed", StringComparison.Ordinal), error);
            Assert.True(error.Contains($"push: iac (SecureFuture): 0 results, 0 opened, 0 reopened, {iacReported} fixed", StringComparison.Ordinal), error);
            (exit, _, error) = await CliRunner.RunAsync(["scan", repo, "--analyzers", "secrets", "--push", "--project", "web", "--ref", "main", "--category", "frontend", .. common]);
            Assert.True(exit == 0, error);
            Assert.Contains("push: frontend/secrets (SecureFuture): ", error, StringComparison.Ordinal); // --category prefixes each analyzer's
            (exit, output, _) = await CliRunner.RunAsync(["findings", "list", "--project", "web", "--category", "secrets", "--format", "json", .. common]);
            Assert.Equal(0, exit);
            var webFindings = JsonNode.Parse(output)!.AsArray();
            Assert.Equal(secretsReported, webFindings.Count);
            Assert.All(webFindings, f => Assert.Equal("open", (string)f!["state"]!));
            (exit, output, _) = await CliRunner.RunAsync(["findings", "list", "--project", "web", "--category", "iac", "--format", "json", .. common]);
            Assert.Equal(0, exit);
            webFindings = JsonNode.Parse(output)!.AsArray();
            Assert.Equal(iacReported, webFindings.Count);
            Assert.All(webFindings, f => Assert.Equal("fixed", (string)f!["state"]!));
            (exit, output, _) = await CliRunner.RunAsync(["findings", "report", "--format", "json", .. common]);
            Assert.Equal(0, exit);
            var web = JsonNode.Parse(output)!["coverage"]!["byProject"]!.AsArray().Single(p => (string)p!["project"]! == "web")!;
            Assert.True((bool)web["covered"]!, web.ToJsonString());

            // sfi baseline assess --push: IaC inputs are the iac category (an export would be tenant).
            (exit, _, error) = await CliRunner.RunAsync(["findings", "projects", "add", "platform", "--expect", "iac", .. common]);
            Assert.True(exit == 0, error);
            var infra = Path.Combine(work, "infra.json");
            File.Copy(Path.Combine(sto01, "fail.template.json"), infra);
            (exit, _, error) = await CliRunner.RunAsync(["baseline", "assess", infra, "--format", "json", "--push", "--project", "platform", "--ref", "main", .. common]);
            Assert.True(exit == 0, error);
            Assert.Matches(@"push: iac \(sfi baseline\): [1-9]\d* results, [1-9]\d* opened", error);
            File.Copy(Path.Combine(sto01, "pass.template.json"), infra, overwrite: true);
            (exit, _, error) = await CliRunner.RunAsync(["baseline", "assess", infra, "--push", "--project", "platform", "--ref", "main", .. common]);
            Assert.True(exit == 0, error);
            Assert.Matches(@"push: iac \(sfi baseline\): \d+ results, 0 opened, 0 reopened, [1-9]\d* fixed", error); // STO-01 passes
            (exit, _, error) = await CliRunner.RunAsync(["baseline", "assess", template, "--push", "--project", "platform", .. common]);
            Assert.Equal(2, exit);
            Assert.Contains("--push needs --ref", error, StringComparison.Ordinal);

            (exit, _, error) = await CliRunner.RunAsync(["scan", repo, "--push", "--project", "shop", .. common]);
            Assert.Equal(2, exit);
            Assert.Contains("--push needs --ref", error, StringComparison.Ordinal);
            (exit, _, error) = await CliRunner.RunAsync(["threatmodel", "analyze", "model.yaml", "--project", "shop"]);
            Assert.Equal(2, exit);
            Assert.Contains("--project is for --push", error, StringComparison.Ordinal);
            (exit, _, error) = await CliRunner.RunAsync(["scan", repo, "--push", "--project", "nope", "--ref", "main", .. common]);
            Assert.Equal(2, exit);
            Assert.Contains("404", error, StringComparison.Ordinal);

            // Refusals: a truncated log names where it broke; a wrong admin key; an unknown project.
            var truncated = Path.Combine(work, "truncated.sarif");
            await File.WriteAllTextAsync(truncated, Log("probe", injection, secret)[..150]);
            (exit, _, error) = await CliRunner.RunAsync(["findings", "push", truncated, "--project", "shop", "--ref", "main", .. common]);
            Assert.Equal(2, exit);
            Assert.Contains("400 Invalid SARIF: SARIF log: $.runs[0]", error, StringComparison.Ordinal);
            Assert.Contains("(line 1, column", error, StringComparison.Ordinal);
            var wrongKey = Path.Combine(work, "wrong-key");
            await File.WriteAllTextAsync(wrongKey, "sfi_admin_wrong_wrong_wrong_wrong");
            (exit, _, error) = await CliRunner.RunAsync(["findings", "push", both, "--project", "shop", "--ref", "main", "--server", serve.Url, "--admin-key-file", wrongKey]);
            Assert.Equal(2, exit);
            Assert.Contains("401", error, StringComparison.Ordinal);
            (exit, _, error) = await CliRunner.RunAsync(["findings", "push", both, "--project", "elsewhere", "--ref", "main", .. common]);
            Assert.Equal(2, exit);
            Assert.Contains("404", error, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
            Directory.Delete(dataDir, recursive: true);
        }
    }
}
