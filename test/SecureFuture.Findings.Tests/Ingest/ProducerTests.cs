using SecureFuture.Core;
using SecureFuture.Findings.Ingest;

namespace SecureFuture.Findings.Tests.Ingest;

/// <summary>
/// Real logs of four producers (see TestData/README.md): each reads to the results a reader of the log expects, and the
/// same findings after unrelated lines were inserted above them keep their identities.
/// </summary>
public class ProducerTests
{
    private const string Controller = "src/Controllers/OrdersController.cs";
    private const string Store = "src/OrderStore.cs";

    [Fact]
    public void Sfi_scan_log_gzipped_reads_rules_severities_locations_and_the_code_flow()
    {
        var log = Sarif.ReadFile("sfi/before.sarif.gz", category: "code");

        var run = log.Run;
        Assert.Equal("SecureFuture", run.Tool);
        Assert.Equal("0.1.0", run.ToolVersion);
        Assert.Equal("code", run.Category);
        Assert.True(run.IsComplete);
        Assert.Equal(4, run.ResultCount);
        Assert.Empty(run.Warnings);
        Assert.Equal(
            [
                ("SFI-CODE-001", Severity.Critical, Controller, 14),
                ("SFI-CODE-102", Severity.Low, Controller, 19),
                // The result's security-severity (8.0) wins over its rule's (5.5).
                ("SFI-SEC-109", Severity.High, Store, 10),
                ("SFI-CODE-102", Severity.Low, Store, 12),
            ],
            log.Results.Select(r => (r.RuleId, r.Severity, r.Path!, r.StartLine!.Value)));
        Assert.All(log.Results, r => Assert.Equal(FindingIdentity.LineHashKey, r.IdentitySource));
        Assert.All(log.Results, r => Assert.Equal("code", r.Category));
        var sql = log.Results[0];
        Assert.StartsWith("Untrusted data from action parameter 'customer' reaches a SQL command", sql.Message, StringComparison.Ordinal);
        Assert.NotNull(sql.FlowJson);
        Assert.StartsWith("""{"threadFlows":[{"locations":[""", sql.FlowJson, StringComparison.Ordinal);
        Assert.Contains("untrusted data from action parameter", sql.FlowJson, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", sql.FlowJson, StringComparison.Ordinal);
        Assert.Null(log.Results[1].FlowJson);
    }

    [Fact]
    public void Sfi_baseline_log_of_the_sample_tenant_reads_every_control_failure_with_its_own_identity()
    {
        var log = Sarif.ReadFile("sfi/baseline.sarif.gz", category: "tenant");

        Assert.Equal(("sfi baseline", "tenant", true), (log.Run.Tool, log.Run.Category, log.Run.IsComplete));
        Assert.Equal(46, log.Results.Count);
        // security-severity 9.5 / 8.0 / 5.5 / 2.0 on 6 / 16 / 16 / 8 results of the log.
        Assert.Equal(
            [(Severity.Low, 8), (Severity.Medium, 16), (Severity.High, 16), (Severity.Critical, 6)],
            log.Results.GroupBy(r => r.Severity).OrderBy(g => g.Key).Select(g => (g.Key, g.Count())));
        Assert.All(log.Results, r => Assert.Equal("partialFingerprints", r.IdentitySource));
        Assert.Equal(46, log.Results.Select(r => r.Identity).Distinct().Count());
        Assert.Equal(("IDN-01", "graph/conditionalAccessPolicies.json"), (log.Results[0].RuleId, log.Results[0].Path!));
    }

    [Fact]
    public void DevSkim_log_reads_levels_as_severities_and_identifies_by_snippet()
    {
        var log = Sarif.ReadFile("devskim/before.sarif", category: "devskim");

        Assert.Equal("devskim", log.Run.Tool);
        Assert.Equal("1.0.103+7f8e5e24f6", log.Run.ToolVersion);
        Assert.True(log.Run.IsComplete);
        Assert.Equal(
            [
                ("DS126858", Severity.High, Controller, 19),
                ("DS126858", Severity.High, Store, 12),
                ("DS173239", Severity.High, Store, 10),
                ("DS137138", Severity.Medium, Store, 9),
            ],
            log.Results.Select(r => (r.RuleId, r.Severity, r.Path!, r.StartLine!.Value)));
        Assert.All(log.Results, r => Assert.Equal("snippet", r.IdentitySource));
        Assert.Equal("Weak/Broken Hash Algorithm", log.Results[0].Message);
    }

    [Fact]
    public void CodeQL_log_resolves_rules_in_an_extension_and_takes_the_category_from_automationDetails()
    {
        var log = Sarif.ReadFile("codeql/before.sarif", category: "pushed-category");

        Assert.Equal("CodeQL", log.Run.Tool);
        Assert.Equal("2.19.3", log.Run.ToolVersion);
        // automationDetails comes after results in this log: the results wait for it.
        Assert.Equal("/language:csharp", log.Run.Category);
        Assert.True(log.Run.IsComplete);
        Assert.Equal(
            [
                ("cs/sql-injection", Severity.High, Controller, 14),
                ("cs/weak-crypto", Severity.High, Controller, 19),
                ("cs/hardcoded-credentials", Severity.Critical, Store, 10),
                ("cs/weak-crypto", Severity.High, Store, 12),
            ],
            log.Results.Select(r => (r.RuleId, r.Severity, r.Path!, r.StartLine!.Value)));
        Assert.All(log.Results, r => Assert.Equal("/language:csharp", r.Category));
        Assert.All(log.Results, r => Assert.Equal(FindingIdentity.LineHashKey, r.IdentitySource));
        Assert.Contains("customer : String", log.Results[0].FlowJson, StringComparison.Ordinal);
    }

    [Fact]
    public void Semgrep_log_with_results_before_tool_reads_rule_defaults_and_skips_the_suppressed_result()
    {
        var log = Sarif.ReadFile("semgrep/before.sarif", category: "semgrep");

        Assert.Equal("Semgrep OSS", log.Run.Tool);
        Assert.Equal("semgrep", log.Run.Category);
        Assert.Equal(1, log.Run.SkippedCount);
        Assert.Equal(
            [
                ("csharp.lang.security.sqli.csharp-sqli.csharp-sqli", Severity.High, Controller, 14),
                ("csharp.lang.security.cryptography.use_weak_crypto.use_weak_hash", Severity.Medium, Controller, 19),
                ("csharp.lang.security.cryptography.use_weak_crypto.use_weak_hash", Severity.Medium, Store, 12),
            ],
            log.Results.Select(r => (r.RuleId, r.Severity, r.Path!, r.StartLine!.Value)));
        Assert.All(log.Results, r => Assert.Equal("fingerprints", r.IdentitySource));
    }

    [Theory]
    [InlineData("sfi", ".sarif.gz")]
    [InlineData("devskim", ".sarif")]
    [InlineData("codeql", ".sarif")]
    [InlineData("semgrep", ".sarif")]
    public void A_finding_moved_by_unrelated_edits_keeps_its_identity(string producer, string extension)
    {
        var before = Sarif.ReadFile($"{producer}/before{extension}").Results;
        var moved = Sarif.ReadFile($"{producer}/moved{extension}").Results;

        Assert.Equal(before.Count, moved.Count);
        Assert.Equal(before.Count, before.Select(r => r.Identity).Distinct().Count());
        // Every finding moved down (the edits were above each of them)...
        Assert.All(before.Zip(moved), pair => Assert.True(pair.Second.StartLine > pair.First.StartLine));
        // ...and is the same finding.
        Assert.Equal(
            before.Select(r => (r.RuleId, r.Path, r.Identity)).Order(),
            moved.Select(r => (r.RuleId, r.Path, r.Identity)).Order());
    }

    [Fact]
    public void The_same_finding_from_two_producers_is_two_findings()
    {
        var sfi = Sarif.ReadFile("sfi/before.sarif.gz").Results;
        var codeql = Sarif.ReadFile("codeql/before.sarif").Results;

        // Both carry the same primaryLocationLineHash for the SQL injection; the tool and rule keep them apart.
        Assert.Empty(sfi.Select(r => r.Identity).Intersect(codeql.Select(r => r.Identity)));
    }
}
