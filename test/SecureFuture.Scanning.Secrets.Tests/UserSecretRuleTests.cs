using System.Security.Cryptography;
using SecureFuture.Core;

namespace SecureFuture.Scanning.Secrets.Tests;

/// <summary>
/// A user's secret rules (<c>--rules</c>): new rules, overrides of a built-in rule, composite rules, and rules with a
/// problem, which are left out and reported with their file, line and rule while every other rule still loads.
/// </summary>
public sealed class UserSecretRuleTests
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

    private static string KeyId() => "AKIA" + RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16);

    private static string SecretKey() => RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+", 40);

    private static (SecretRuleCatalog Catalog, List<Notification> Problems) Load(params (string Source, string Yaml)[] files)
    {
        var problems = new List<Notification>();
        return (SecretRuleCatalog.Default.WithUserRules(files, problems), problems);
    }

    private static List<Detection> Scan(SecretRuleCatalog catalog, string text, string path = "config/app.env")
    {
        var sink = new RuleExampleTests.CollectingSink();
        new SecretAnalyzer(catalog).Analyze(new ScanTarget(path, text), sink, CancellationToken.None);
        return sink.Detections;
    }

    [Fact]
    public void A_new_rule_runs_with_every_built_in_rule()
    {
        var (catalog, problems) = Load(("/team/rules/acme.yaml", AcmeRule));

        Assert.Empty(problems);
        Assert.Equal(SecretRuleCatalog.Default.Rules.Count + 1, catalog.Rules.Count);
        var found = Scan(catalog, $"token: acme_dt_z9y8x7w6v5u4t3s2r1q0p9o8\naws_secret_access_key = {SecretKey()}\n");
        Assert.Contains(found, d => d.RuleId == "SFI-SEC-ACME-001");
        Assert.Contains(found, d => d.RuleId == "SFI-SEC-041");
        Assert.Null(catalog.Rules.Single(r => r.Id == "SFI-SEC-ACME-001").Descriptor.HelpUri);
    }

    [Fact]
    public void An_override_tunes_severity_entropy_and_allow_list_of_a_built_in_rule_and_nothing_else()
    {
        var key = SecretKey();
        var line = $"aws_secret_access_key = {key}\n";
        var (severity, severityProblems) = Load(("/o/severity.yaml", "id: SFI-SEC-041\nseverity: low\n"));
        var (entropy, _) = Load(("/o/entropy.yaml", "id: SFI-SEC-041\nentropy: '6.5'\n"));
        var (allowed, _) = Load(("/o/allow.yaml", $"id: SFI-SEC-041\nallowList:\n  values: ['^{key[..6].Replace("+", "\\+", StringComparison.Ordinal)}']\n  paths: ['test/fixtures/**']\n"));

        var note = Assert.Single(severityProblems);
        Assert.Equal((SecretRuleCatalog.OverriddenRule, NotificationLevel.Note, "SFI-SEC-041 is overridden by this file (severity critical → low)"), (note.Id, note.Level, note.Message));
        Assert.Equal(Severity.Low, Assert.Single(Scan(severity, line), d => d.RuleId == "SFI-SEC-041").Severity);
        Assert.Equal(Severity.Low, severity.Rules.Single(r => r.Id == "SFI-SEC-041").Descriptor.DefaultSeverity);
        Assert.Equal(Severity.Critical, Assert.Single(Scan(SecretRuleCatalog.Default, line), d => d.RuleId == "SFI-SEC-041").Severity);
        // No random 40-character key reaches 6.5 bits per character; the built-in threshold is 4.0.
        Assert.DoesNotContain(Scan(entropy, line), d => d.RuleId == "SFI-SEC-041");
        Assert.DoesNotContain(Scan(allowed, line), d => d.RuleId == "SFI-SEC-041");
        var other = $"aws_secret_access_key = {SecretKey()}\n";
        Assert.DoesNotContain(Scan(allowed, other, "test/fixtures/aws.env"), d => d.RuleId == "SFI-SEC-041");
        Assert.Contains(Scan(allowed, other, "src/aws.env"), d => d.RuleId == "SFI-SEC-041");
    }

    [Fact]
    public void An_override_that_changes_the_pattern_is_refused_at_its_line_and_the_built_in_rule_stays()
    {
        var (catalog, problems) = Load(("/o/pattern.yaml", "id: SFI-SEC-041\nseverity: low\npattern: 'x'\n"));

        var problem = Assert.Single(problems);
        Assert.Equal(SecretRuleCatalog.InvalidRule, problem.Id);
        // Refused, so not announced as an override either.
        Assert.Equal(NotificationLevel.Error, problem.Level);
        Assert.Equal(("/o/pattern.yaml", 3, "SFI-SEC-041"), (problem.Path, problem.Region?.StartLine, problem.RuleId));
        Assert.Contains("overrides only severity, entropy, allowList and requires", problem.Message, StringComparison.Ordinal);
        Assert.Same(SecretRuleCatalog.Default.Rules.Single(r => r.Id == "SFI-SEC-041"), catalog.Rules.Single(r => r.Id == "SFI-SEC-041"));
    }

    [Theory]
    [InlineData("malformed", "id: SFI-SEC-ACME-002\nname: [unclosed\n", SecretRuleCatalog.InvalidRule, 2)]
    [InlineData("bad regex", "REPLACE pattern: 'acme_dt_(?<secret>[a-z'", SecretRuleCatalog.InvalidRule, 8)]
    [InlineData("no example", "REPLACE examples: {}", SecretRuleCatalog.InvalidRule, 9)]
    [InlineData("failing match example", "REPLACE pattern: 'acme_dt_(?<secret>[A-Z0-9]{24})'", SecretRuleCatalog.ExampleFailed, 11)]
    [InlineData("failing noMatch example", "REPLACE pattern: 'acme_dt_(?<secret>[a-z0-9]{5,24})'", SecretRuleCatalog.ExampleFailed, 13)]
    [InlineData("catastrophic pattern", "REPLACE pattern: 'acme_dt_(?<secret>[a-z0-9]{24})(?:(\\w+\\s?)+$)?'", SecretRuleCatalog.PatternTimeout, 8)]
    [InlineData("unknown required rule", "APPEND requires: { rule: SFI-SEC-NOPE, within: 2 }", SecretRuleCatalog.InvalidRule, 14)]
    [InlineData("not an id of ours", "REPLACE id: ACME-001", SecretRuleCatalog.InvalidRule, 1)]
    public void A_rule_with_a_problem_is_left_out_and_reported_at_its_file_and_line_while_the_others_load(string what, string change, string id, int line)
    {
        var yaml = change switch
        {
            _ when change.StartsWith("REPLACE ", StringComparison.Ordinal) => Replace(AcmeRule, change["REPLACE ".Length..]),
            _ when change.StartsWith("APPEND ", StringComparison.Ordinal) => AcmeRule + "\n" + change["APPEND ".Length..],
            _ => change,
        };
        var good = AcmeRule.Replace("ACME-001", "ACME-009", StringComparison.Ordinal).Replace("AcmeDeployToken", "AcmeOtherToken", StringComparison.Ordinal);

        var (catalog, problems) = Load(("/r/broken.yaml", yaml), ("/r/good.yaml", good));

        var problem = Assert.Single(problems);
        Assert.True(problem.Id == id, $"{what}: {problem.Id}: {problem.Message}");
        Assert.Equal("/r/broken.yaml", problem.Path);
        Assert.True(problem.Region?.StartLine == line, $"{what}: line {problem.Region?.StartLine}, expected {line}: {problem.Message}");
        Assert.DoesNotContain(catalog.Rules, r => r.Id == "SFI-SEC-ACME-001");
        Assert.Contains(catalog.Rules, r => r.Id == "SFI-SEC-ACME-009");
        Assert.Equal(SecretRuleCatalog.Default.Rules.Count + 1, catalog.Rules.Count);
    }

    [Fact]
    public void A_composite_rule_reports_only_within_its_distance_of_the_required_rule()
    {
        var composite = """
            id: SFI-SEC-ACME-010
            name: AcmeSigningSecret
            title: Acme signing secret beside an AWS key ID
            description: Acme's signing secrets live next to the AWS key of the same deployment.
            severity: critical
            confidence: medium
            keywords: [signing=]
            pattern: 'signing=(?<secret>[A-Za-z0-9]{32})'
            requires: { rule: SFI-SEC-040, within: 2 }
            examples:
              match:
                - text: "id=KEYID\nsigning=Qm9vb2tzaGVsZjEyMzQ1Njc4OTBhYmNk"
              noMatch:
                - text: "signing=Qm9vb2tzaGVsZjEyMzQ1Njc4OTBhYmNk"
            """;
        // The key ID is made at run time: this repository's own scan must not find one in its sources.
        var (catalog, problems) = Load(("/r/composite.yaml", composite.Replace("KEYID", KeyId(), StringComparison.Ordinal)), ("/r/acme.yaml", AcmeRule));
        Assert.Empty(problems);
        var value = RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 32);

        Assert.Contains(Scan(catalog, $"id={KeyId()}\n\nsigning={value}\n"), d => d.RuleId == "SFI-SEC-ACME-010");
        Assert.Contains(Scan(catalog, $"signing={value}\n\nid={KeyId()}\n"), d => d.RuleId == "SFI-SEC-ACME-010");
        Assert.DoesNotContain(Scan(catalog, $"id={KeyId()}\n\n\nsigning={value}\n"), d => d.RuleId == "SFI-SEC-ACME-010");
        // The documentation's key ID is rejected by SFI-SEC-040, so it does not satisfy the requirement either.
        Assert.DoesNotContain(Scan(catalog, $"id=AKIAIOSFODNN7EXAMPLE\nsigning={value}\n"), d => d.RuleId == "SFI-SEC-ACME-010");
    }

    [Fact]
    public void The_built_in_composite_rule_needs_the_key_id_within_five_lines()
    {
        var rule = SecretRuleCatalog.Default.Rules.Single(r => r.Id == "SFI-SEC-390");
        Assert.Equal(new SecretRequirement("SFI-SEC-040", 5), rule.Requires);
        var key = SecretKey();

        Assert.Contains(Scan(SecretRuleCatalog.Default, $"id = {KeyId()}\n\n\n\nkey = {key}\n"), d => d.RuleId == "SFI-SEC-390");
        Assert.DoesNotContain(Scan(SecretRuleCatalog.Default, $"id = AKIAIOSFODNN7EXAMPLE\nkey = {key}\n"), d => d.RuleId == "SFI-SEC-390");
        // Labelled, the key is SFI-SEC-041's: one value, one finding.
        var labelled = Scan(SecretRuleCatalog.Default, $"aws_access_key_id = {KeyId()}\naws_secret_access_key = {key}\n");
        Assert.Contains(labelled, d => d.RuleId == "SFI-SEC-041");
        Assert.DoesNotContain(labelled, d => d.RuleId == "SFI-SEC-390");
    }

    /// <summary>Replaces the line that sets the same top-level field as <paramref name="replacement"/>.</summary>
    private static string Replace(string yaml, string replacement)
    {
        var field = replacement[..replacement.IndexOf(':', StringComparison.Ordinal)];
        var lines = yaml.Split('\n').ToList();
        var at = lines.FindIndex(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        if (at < 0)
        {
            lines.Add(replacement);
            return string.Join('\n', lines);
        }

        // A block field (examples:) ends where the next top-level key starts.
        var end = at + 1;
        while (end < lines.Count && lines[end].StartsWith(' '))
        {
            end++;
        }

        lines.RemoveRange(at, end - at);
        lines.Insert(at, replacement);
        return string.Join('\n', lines);
    }
}
