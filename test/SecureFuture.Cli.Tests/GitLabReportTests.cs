using System.Text.Json.Nodes;
using SecureFuture.Testing;

namespace SecureFuture.Cli.Tests;

/// <summary>
/// <c>sfi scan --format gitlab-sast|gitlab-secrets</c>: GitLab's report formats from the shared finding model, validated
/// with Ajv against GitLab's official schema files in TestData/gitlab-report-schemas (the README there says where from).
/// </summary>
[Trait("Category", "Integration")]
public sealed class GitLabReportTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sfi-gitlab-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Secrets_go_to_the_secret_detection_report_and_code_findings_to_the_SAST_report_both_valid_and_without_the_secret()
    {
        var secrets = CliRunner.WriteSecrets(Path.Combine(_root, "repo"));
        await File.WriteAllTextAsync(Path.Combine(_root, "repo", "Hashing.cs"), "using System.Security.Cryptography;\n\nclass Hashing\n{\n    byte[] Digest(byte[] data) => MD5.HashData(data);\n}\n");
        var secretReport = Path.Combine(_root, "gl-secret-detection-report.json");
        var sastReport = Path.Combine(_root, "gl-sast-report.json");

        var (exit, _, error) = await CliRunner.RunAsync(["scan", Path.Combine(_root, "repo"), "--format", "gitlab-secrets", "--output", secretReport, "--fail-on", "high"]);
        Assert.True(exit == 1, error);
        (exit, _, error) = await CliRunner.RunAsync(["scan", Path.Combine(_root, "repo"), "--format", "gitlab-sast", "--output", sastReport]);
        Assert.True(exit == 0, error);

        Validate(secretReport, "secret-detection-report-format.json");
        Validate(sastReport, "sast-report-format.json");
        // The reports claim the version of GitLab's schema files they are validated against.
        foreach (var (report, schema) in new[] { (secretReport, "secret-detection-report-format.json"), (sastReport, "sast-report-format.json") })
        {
            Assert.Equal((string)JsonNode.Parse(await File.ReadAllTextAsync(Schema(schema)))!["self"]!["version"]!, (string)JsonNode.Parse(await File.ReadAllTextAsync(report))!["version"]!);
        }

        var found = JsonNode.Parse(await File.ReadAllTextAsync(secretReport))!;
        Assert.Equal("secret_detection", (string)found["scan"]!["type"]!);
        var vulnerabilities = found["vulnerabilities"]!.AsArray();
        Assert.Contains(vulnerabilities, v => (string)v!["identifiers"]![0]!["value"]! == "SFI-SEC-040" && (string)v["location"]!["file"]! == "scripts/aws.sh" && (int)v["location"]!["start_line"]! == 2);
        Assert.All(vulnerabilities, v => Assert.StartsWith("SFI-SEC-", (string)v!["identifiers"]![0]!["value"]!, StringComparison.Ordinal));
        Assert.Contains(vulnerabilities, v => v!["identifiers"]!.AsArray().Any(i => (string)i!["type"]! == "cwe" && (string)i["value"]! == "798"));
        Assert.Equal(vulnerabilities.Count, vulnerabilities.Select(v => (string)v!["id"]!).Distinct().Count());
        var text = await File.ReadAllTextAsync(secretReport);
        Assert.All(secrets.Values, secret => Assert.DoesNotContain(secret, text, StringComparison.Ordinal));

        var sast = JsonNode.Parse(await File.ReadAllTextAsync(sastReport))!;
        Assert.Equal("sast", (string)sast["scan"]!["type"]!);
        var code = sast["vulnerabilities"]!.AsArray();
        Assert.NotEmpty(code);
        Assert.All(code, v => Assert.DoesNotContain("SFI-SEC-", (string)v!["identifiers"]![0]!["value"]!, StringComparison.Ordinal));
        Assert.Contains(code, v => (string)v!["location"]!["file"]! == "Hashing.cs");

        // The same finding keeps its id from one run to the next (GitLab compares merge requests by it).
        var again = Path.Combine(_root, "again.json");
        await CliRunner.RunAsync(["scan", Path.Combine(_root, "repo"), "--format", "gitlab-secrets", "--output", again]);
        Assert.Equal(
            vulnerabilities.Select(v => (string)v!["id"]!).Order(StringComparer.Ordinal),
            JsonNode.Parse(await File.ReadAllTextAsync(again))!["vulnerabilities"]!.AsArray().Select(v => (string)v!["id"]!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_report_missing_what_GitLab_requires_is_refused_by_the_schema()
    {
        var broken = Path.Combine(_root, "broken.json");
        File.WriteAllText(broken, """{"version":"15.2.1","scan":{"type":"secret_detection","status":"success"},"vulnerabilities":[{"id":"x","identifiers":[],"location":{"file":"a"}}]}""");
        var (exit, output) = ChildProcess.Run("node", [SbomCommandTests.Validator(), "schema", Schema("secret-detection-report-format.json"), broken]);
        Assert.Equal(1, exit);
        Assert.Contains("must have required property 'analyzer'", output, StringComparison.Ordinal);
        Assert.Contains("must have required property 'commit'", output, StringComparison.Ordinal);
        Assert.Contains("must NOT have fewer than 1 items", output, StringComparison.Ordinal);
    }

    private static void Validate(string report, string schema)
    {
        var (exit, output) = ChildProcess.Run("node", [SbomCommandTests.Validator(), "schema", Schema(schema), report]);
        Assert.True(exit == 0, output);
    }

    private static string Schema(string name) => Path.Combine(CliRunner.RepoRoot(), "test", "SecureFuture.Cli.Tests", "TestData", "gitlab-report-schemas", name);
}
