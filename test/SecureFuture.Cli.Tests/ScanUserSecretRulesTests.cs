using System.Security.Cryptography;
using System.Text.Json;
using SecureFuture.Core;

namespace SecureFuture.Cli.Tests;

/// <summary>
/// <c>sfi scan --rules DIR</c> and <c>rules:</c> in <c>.sfi.yaml</c> with secret rules, and <c>sfi rules test DIR</c>,
/// through the real CLI: a team's own token format is found beside the built-in detectors; a broken rule is reported
/// with its file, line and rule, the built-in rules still run and the report is still written, and the exit is 2.
/// </summary>
public sealed class ScanUserSecretRulesTests : IDisposable
{
    private const string AcmeRule = """
        id: SFI-SEC-ACME-001
        name: AcmeDeployToken
        title: Acme deploy token
        description: A deploy token of Acme's internal CD system.
        severity: high
        confidence: high
        keywords: [acme_dt_]
        pattern: 'acme_dt_(?<secret>[a-z0-9]{24})'
        examples:
          match:
            - text: 'token: acme_dt_k3j5h6g7f8d9s0a1q2w3e4r5'
          noMatch:
            - text: 'token: acme_dt_short'
        """;

    private readonly string _root = Directory.CreateTempSubdirectory("sfi-user-secret-rules-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Write(string path, string text)
    {
        var full = Path.Combine(_root, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
        return full;
    }

    private static string AcmeToken() => "acme_dt_" + RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 24);

    private static List<(string Rule, string Path)> Findings(string json)
    {
        using var document = JsonDocument.Parse(json);
        return [.. document.RootElement.GetProperty("findings").EnumerateArray().Select(f => (f.GetProperty("ruleId").GetString()!, f.GetProperty("path").GetString()!))];
    }

    [Fact]
    public async Task A_teams_own_secret_rule_from_rules_or_sfi_yaml_runs_with_the_built_in_ones()
    {
        Write("rules/secrets/acme.yaml", AcmeRule);
        Write("app/deploy.env", $"ACME_TOKEN={AcmeToken()}\n");
        CliRunner.WriteSecrets(Path.Combine(_root, "app"));

        var (exit, stdout, stderr) = await CliRunner.RunAsync("scan", Path.Combine(_root, "app"), "--analyzers", "secrets", "--rules", Path.Combine(_root, "rules"), "--format", "json");
        Assert.True(exit == ExitCodes.Success, $"exit {exit}\n{stderr}");
        var findings = Findings(stdout);
        Assert.Contains(("SFI-SEC-ACME-001", "deploy.env"), findings);
        Assert.Contains(findings, f => f.Rule == "SFI-SEC-012");

        // The same rule from .sfi.yaml at the scanned root, its path relative to that root.
        Directory.Move(Path.Combine(_root, "rules"), Path.Combine(_root, "app", "security-rules"));
        Write("app/.sfi.yaml", "rules:\n  - security-rules\n");
        var (configured, configuredOut, configuredErr) = await CliRunner.RunAsync("scan", Path.Combine(_root, "app"), "--analyzers", "secrets", "--format", "json");
        Assert.True(configured == ExitCodes.Success, $"exit {configured}\n{configuredErr}");
        Assert.Contains(("SFI-SEC-ACME-001", "deploy.env"), Findings(configuredOut));

        var (_, listed, _) = await CliRunner.RunAsync("scan", Path.Combine(_root, "app"), "--list-rules", "--analyzers", "secrets", "--format", "json");
        Assert.Contains("\"SFI-SEC-ACME-001\"", listed, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("rules:\n  - ../outside\n", ".sfi.yaml:2:5: '../outside' is not a directory inside the scanned root")]
    [InlineData("rules: /etc\n", ".sfi.yaml:1:8: '/etc' is not a directory inside the scanned root")]
    [InlineData("rules: [unclosed\n", ".sfi.yaml:2:1: ")]
    [InlineData("rules: missing\n", "missing: .sfi.yaml (rules:) takes a directory of rule files")]
    public async Task A_sfi_yaml_that_names_rules_outside_the_root_or_is_malformed_is_exit_2_before_the_scan(string config, string expected)
    {
        Write("outside/acme.yaml", AcmeRule);
        Write("app/.sfi.yaml", config);
        var report = Write("report.json", "previous");

        var (exit, _, stderr) = await CliRunner.RunAsync("scan", Path.Combine(_root, "app"), "--format", "json", "--output", report);

        Assert.True(exit == ExitCodes.UsageError, $"exit {exit}\n{stderr}");
        Assert.Contains(expected.Replace(".sfi.yaml (rules:)", Path.Combine(_root, "app", ".sfi.yaml") + " (rules:)", StringComparison.Ordinal), stderr, StringComparison.Ordinal);
        Assert.Equal("previous", await File.ReadAllTextAsync(report));
    }

    [Fact]
    public async Task An_override_lowers_a_built_in_rules_severity_so_the_gate_follows_it()
    {
        CliRunner.WriteSecrets(_root);
        File.Delete(Path.Combine(_root, "deploy/key.pem"));
        File.Delete(Path.Combine(_root, "src/appsettings.json"));
        var rules = Path.Combine(_root, "..", Path.GetFileName(_root) + "-rules");
        Directory.CreateDirectory(rules);
        try
        {
            File.WriteAllText(Path.Combine(rules, "aws-key-id.yaml"), "id: SFI-SEC-040\nseverity: low\n");

            var (before, _, _) = await CliRunner.RunAsync("scan", _root, "--fail-on", "high");
            var (after, stdout, stderr) = await CliRunner.RunAsync("scan", _root, "--fail-on", "high", "--rules", rules, "--format", "json");

            Assert.Equal(ExitCodes.GateTripped, before);
            Assert.True(after == ExitCodes.Success, $"exit {after}\n{stderr}");
            using var json = JsonDocument.Parse(stdout);
            var finding = Assert.Single(json.RootElement.GetProperty("findings").EnumerateArray());
            Assert.Equal(("SFI-SEC-040", "low"), (finding.GetProperty("ruleId").GetString(), finding.GetProperty("severity").GetString()));
        }
        finally
        {
            Directory.Delete(rules, recursive: true);
        }
    }

    [Theory]
    [InlineData("malformed.yaml", "id: SFI-SEC-ACME-002\nname: [unclosed\n", "malformed.yaml:2: SFI-SEC-ACME-002: ")]
    [InlineData("catastrophic.yaml", "CATASTROPHIC", "catastrophic.yaml:8: SFI-SEC-ACME-001: 'pattern' ran past the 250 ms match timeout")]
    [InlineData("failing.yaml", "FAILING", "failing.yaml:11: SFI-SEC-ACME-001: match example 1 is not reported")]
    [InlineData("neither.yaml", "id: ACME-1\n", "neither.yaml:1: 'id' must start with SFI-SEC- (a secret rule) or SFI-CODE- (a code rule)")]
    public async Task A_broken_user_rule_is_reported_at_its_line_the_built_in_rules_still_run_the_report_is_written_and_the_exit_is_2(string file, string yaml, string expected)
    {
        yaml = yaml switch
        {
            "CATASTROPHIC" => AcmeRule.Replace("'acme_dt_(?<secret>[a-z0-9]{24})'", @"'acme_dt_(?<secret>[a-z0-9]{24})(?:(\w+\s?)+$)?'", StringComparison.Ordinal),
            "FAILING" => AcmeRule.Replace("[a-z0-9]{24}", "[A-Z0-9]{24}", StringComparison.Ordinal),
            _ => yaml,
        };
        var rule = Write("rules/" + file, yaml);
        Write("rules/good.yaml", AcmeRule.Replace("ACME-001", "ACME-009", StringComparison.Ordinal).Replace("AcmeDeployToken", "AcmeOtherToken", StringComparison.Ordinal));
        Write("app/deploy.env", $"ACME_TOKEN={AcmeToken()}\n");
        CliRunner.WriteSecrets(Path.Combine(_root, "app"));
        var report = Path.Combine(_root, "report.sarif");

        var (exit, stdout, stderr) = await CliRunner.RunAsync("scan", Path.Combine(_root, "app"), "--rules", Path.Combine(_root, "rules"), "--format", "sarif", "--output", report);

        Assert.True(exit == ExitCodes.UsageError, $"exit {exit}\n{stdout}{stderr}");
        Assert.Contains("sfi: " + rule.Replace(file, string.Empty, StringComparison.Ordinal) + expected, stderr, StringComparison.Ordinal);
        using var sarif = JsonDocument.Parse(await File.ReadAllTextAsync(report));
        var run = sarif.RootElement.GetProperty("runs")[0];
        var rules = run.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("ruleId").GetString()).ToList();
        // The built-in detectors and the user's good rule ran; the broken rule did not.
        Assert.Contains("SFI-SEC-012", rules);
        Assert.Contains("SFI-SEC-040", rules);
        Assert.Contains("SFI-SEC-ACME-009", rules);
        Assert.DoesNotContain("SFI-SEC-ACME-001", rules);
        var notifications = run.GetProperty("invocations")[0].GetProperty("toolExecutionNotifications").EnumerateArray().ToList();
        Assert.Contains(notifications, n => n.GetProperty("level").GetString() == "error" && n.GetProperty("message").GetProperty("text").GetString()!.Contains("not", StringComparison.Ordinal));
    }

    [Trait("Category", "Integration")]
    [Fact]
    public async Task The_report_of_standard_input_with_a_broken_user_rule_is_valid_sarif()
    {
        var rule = Write("rules/broken.yaml", AcmeRule.Replace("severity: high", "severity: urgent", StringComparison.Ordinal));
        Write("rules/override.yaml", "id: SFI-SEC-040\nseverity: medium\n");
        var report = Path.Combine(_root, "stdin.sarif");
        var input = System.Text.Encoding.UTF8.GetBytes($"ACME_TOKEN={AcmeToken()}\naws_access_key_id = AKIA{RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)}\n");

        var (exit, _, stderr) = await CliRunner.RunWithInputAsync(input, "scan", "-", "--rules", Path.Combine(_root, "rules"), "--format", "sarif", "--output", report);

        Assert.True(exit == ExitCodes.UsageError, $"exit {exit}\n{stderr}");
        Assert.Contains($"sfi: {rule}:5: SFI-SEC-ACME-001: 'severity' must be", stderr, StringComparison.Ordinal);
        using (var sarif = JsonDocument.Parse(await File.ReadAllTextAsync(report)))
        {
            // The broken rule left out, the generic detector still finds the token; the key ID is the override's medium.
            var result = Assert.Single(sarif.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray(), r => r.GetProperty("ruleId").GetString() == "SFI-SEC-040");
            Assert.Equal("%3Cstdin%3E", result.GetProperty("locations")[0].GetProperty("physicalLocation").GetProperty("artifactLocation").GetProperty("uri").GetString());
            Assert.Equal("warning", result.GetProperty("level").GetString());
        }

        var (problems, log) = SarifValidationTests.Validate(report);
        problems.RemoveAll(p => p.StartsWith("warning SARIF2005:", StringComparison.Ordinal));
        Assert.True(problems.Count == 0, "multitool problems:\n" + string.Join('\n', problems) + "\n" + log);
    }

    [Fact]
    public async Task Rules_test_passes_when_every_example_behaves_and_lists_the_ones_that_do_not()
    {
        var dir = Path.Combine(_root, "rules");
        Write("rules/acme.yaml", AcmeRule);
        Write("rules/code/template.yaml", ScanUserRulesTests.TemplateRule);

        var (pass, passOut, passErr) = await CliRunner.RunAsync("rules", "test", dir);
        Assert.True(pass == ExitCodes.Success, $"exit {pass}\n{passOut}{passErr}");
        Assert.Contains("1 secret rules and overrides, 1 code rules loaded; 0 invalid, 0 with examples that do not behave", passOut, StringComparison.Ordinal);

        // A noMatch example the pattern reports, and a safe code example that is vulnerable.
        Write("rules/acme.yaml", AcmeRule.Replace("acme_dt_short", "acme_dt_0123456789abcdefghijklmn", StringComparison.Ordinal));
        Write("rules/code/template.yaml", ScanUserRulesTests.TemplateRule.Replace("Render(\"Hello {{name}}\", new { name })", "Render(name, new { name })", StringComparison.Ordinal));
        var (fail, failOut, _) = await CliRunner.RunAsync("rules", "test", dir);
        Assert.True(fail == ExitCodes.GateTripped, $"exit {fail}\n{failOut}");
        Assert.Contains("acme.yaml:13: SFI-SEC-ACME-001: noMatch example 1 is reported", failOut, StringComparison.Ordinal);
        Assert.Contains("template.yaml", failOut, StringComparison.Ordinal);
        Assert.Contains("SFI-CODE-090: safe example 1 is reported", failOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rules_test_of_an_empty_or_broken_directory_is_exit_2()
    {
        Directory.CreateDirectory(Path.Combine(_root, "empty"));
        Write("broken/acme.yaml", AcmeRule.Replace("severity: high", "severity: urgent", StringComparison.Ordinal));

        var (empty, _, emptyErr) = await CliRunner.RunAsync("rules", "test", Path.Combine(_root, "empty"));
        var (missing, _, _) = await CliRunner.RunAsync("rules", "test", Path.Combine(_root, "missing"));
        var (broken, brokenOut, _) = await CliRunner.RunAsync("rules", "test", Path.Combine(_root, "broken"));

        Assert.Equal(ExitCodes.UsageError, empty);
        Assert.Contains("no rule files", emptyErr, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.UsageError, missing);
        Assert.Equal(ExitCodes.UsageError, broken);
        Assert.Contains("acme.yaml:5: SFI-SEC-ACME-001: 'severity' must be", brokenOut, StringComparison.Ordinal);
    }
}
