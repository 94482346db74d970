using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace SecureFuture.Core.Writers;

/// <summary>Which of GitLab's security report formats a <see cref="GitLabReportWriter"/> writes.</summary>
public enum GitLabReportKind
{
    /// <summary><c>gl-sast-report.json</c> (<c>artifacts:reports:sast</c>): every finding that is not a secret.</summary>
    Sast,

    /// <summary><c>gl-secret-detection-report.json</c> (<c>artifacts:reports:secret_detection</c>): secret findings.</summary>
    SecretDetection,
}

/// <summary>
/// GitLab's SAST and secret-detection report formats (security report schema 15.2, docs/ci.md), converted from the
/// shared finding model, so GitLab shows sfi's findings in merge requests and its vulnerability report. Suppressed
/// findings are left out, as GitLab has no suppression of its own in these formats; secret findings go only to the
/// secret-detection report and the rest only to the SAST report. Evidence is never written: GitLab would show it.
/// </summary>
public sealed class GitLabReportWriter(GitLabReportKind kind) : IReportWriter
{
    /// <summary>The version of GitLab's security report schemas these reports follow.</summary>
    public const string SchemaVersion = "15.2.1";

    /// <summary>What GitLab's own analyzers write as the commit of a finding in a working tree rather than a commit.</summary>
    private const string NoCommit = "0000000";

    public string Format => kind == GitLabReportKind.Sast ? "gitlab-sast" : "gitlab-secrets";

    /// <summary>Secret findings (the secrets analyzer's rules); the rest is SAST.</summary>
    public static bool IsSecret(string ruleId) => ruleId.StartsWith("SFI-SEC-", StringComparison.Ordinal);

    public async Task WriteAsync(AnalysisRun run, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(output);
        var rules = run.Rules.ToDictionary(r => r.Id, StringComparer.Ordinal);
        var type = kind == GitLabReportKind.Sast ? "sast" : "secret_detection";
        await using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("version", SchemaVersion);
        json.WriteString("schema", $"https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/v{SchemaVersion}/dist/{(kind == GitLabReportKind.Sast ? "sast" : "secret-detection")}-report-format.json");
        json.WriteStartObject("scan");
        WriteComponent(json, "analyzer", run);
        WriteComponent(json, "scanner", run);
        json.WriteString("type", type);
        // The schema's time format: UTC, seconds, no zone designator.
        json.WriteString("start_time", run.StartTime.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture));
        json.WriteString("end_time", run.EndTime.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture));
        json.WriteString("status", "success");
        json.WriteEndObject();

        json.WriteStartArray("vulnerabilities");
        foreach (var finding in run.Findings.Where(f => !f.IsSuppressed && f.Location.Path is not null && IsSecret(f.RuleId) == (kind == GitLabReportKind.SecretDetection)))
        {
            rules.TryGetValue(finding.RuleId, out var rule);
            json.WriteStartObject();
            json.WriteString("id", Id(finding));
            json.WriteString("name", Truncate(rule?.ShortDescription ?? finding.RuleId, 255));
            json.WriteString("description", Truncate(finding.Message + (rule is null ? string.Empty : "\n\n" + rule.FullDescription), 1_048_576));
            json.WriteString("severity", finding.Severity switch
            {
                Severity.Critical => "Critical",
                Severity.High => "High",
                Severity.Medium => "Medium",
                Severity.Low => "Low",
                _ => "Info",
            });
            if (rule?.HelpMarkdown is { Length: > 0 } help)
            {
                json.WriteString("solution", Truncate(help, 7000));
            }

            // The first identifier is the primary one GitLab groups and tracks by: the rule id.
            json.WriteStartArray("identifiers");
            json.WriteStartObject();
            json.WriteString("type", "sfi_rule_id");
            json.WriteString("name", $"sfi rule {finding.RuleId}");
            json.WriteString("value", finding.RuleId);
            if (rule?.HelpUri is { } uri && uri.StartsWith("https://", StringComparison.Ordinal))
            {
                json.WriteString("url", uri);
            }

            json.WriteEndObject();
            foreach (var cwe in rule?.Frameworks.Where(f => f.StartsWith("CWE-", StringComparison.Ordinal)).Distinct(StringComparer.Ordinal) ?? [])
            {
                json.WriteStartObject();
                json.WriteString("type", "cwe");
                json.WriteString("name", cwe);
                json.WriteString("value", cwe["CWE-".Length..]);
                json.WriteString("url", $"https://cwe.mitre.org/data/definitions/{cwe["CWE-".Length..]}.html");
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartObject("location");
            json.WriteString("file", finding.Location.Path);
            if (finding.Location.Region is { } region)
            {
                json.WriteNumber("start_line", Math.Max(1, region.StartLine));
                json.WriteNumber("end_line", Math.Max(Math.Max(1, region.StartLine), region.EndLine));
            }

            if (kind == GitLabReportKind.SecretDetection)
            {
                // A finding from --history names the commit that added it.
                json.WriteStartObject("commit");
                json.WriteString("sha", finding.Properties.TryGetValue("commit", out var sha) && sha.Length > 0 ? sha : NoCommit);
                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
        await json.FlushAsync(cancellationToken);
    }

    private static void WriteComponent(Utf8JsonWriter json, string name, AnalysisRun run)
    {
        json.WriteStartObject(name);
        json.WriteString("id", "sfi");
        json.WriteString("name", run.ToolName);
        json.WriteString("version", run.ToolVersion);
        json.WriteStartObject("vendor");
        json.WriteString("name", "SecureFuture");
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>
    /// A stable id: the same finding (rule, place and matched value, the content fingerprint) gets the same UUID in every
    /// run, so GitLab's merge-request comparison sees it as the same vulnerability.
    /// </summary>
    private static string Id(Finding finding)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{finding.Fingerprints.Content}\n{finding.Location}"));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80); // RFC 9562 §5.8: version 8, custom
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // variant 10
        return new Guid(hash.AsSpan(0, 16), bigEndian: true).ToString();
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
