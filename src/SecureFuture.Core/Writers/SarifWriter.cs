using System.Globalization;
using System.Reflection;
using System.Text.Json;

namespace SecureFuture.Core.Writers;

/// <summary>
/// Writes SARIF 2.1.0 (OASIS Standard, 27 March 2020) with System.Text.Json. Every rule carries help text and
/// <c>security-severity</c>; every result carries a relative artifact location under <c>%SRCROOT%</c>, GitHub's
/// <c>primaryLocationLineHash</c> and a content fingerprint, and never a snippet of a secret.
/// </summary>
public sealed class SarifWriter : IReportWriter
{
    public const string SchemaUri = "https://json.schemastore.org/sarif-2.1.0.json";
    public const string SourceRootBaseId = "%SRCROOT%";
    public const string ContentFingerprintKey = "sfiContentFingerprint/v1";
    public const string LineHashKey = "primaryLocationLineHash";

    /// <summary>
    /// The project's home (Directory.Build.props RepositoryUrl, which the SDK stamps on every assembly as
    /// <c>AssemblyMetadata("RepositoryUrl")</c>), written as <c>tool.driver.informationUri</c> (SARIF §3.19.17; the
    /// multitool's SARIF2005 asks for it). Null in a build without one, and then the property is left out.
    /// </summary>
    public static Uri? ToolInformationUri { get; } =
        typeof(SarifWriter).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Where(a => a.Key == "RepositoryUrl" && Uri.IsWellFormedUriString(a.Value, UriKind.Absolute))
            .Select(a => new Uri(a.Value!, UriKind.Absolute))
            .FirstOrDefault();

    public string Format => "sarif";

    public Task WriteAsync(AnalysisRun run, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        return WriteLogAsync([run], output, cancellationToken);
    }

    /// <summary>
    /// Writes one log of several runs, e.g. one per analysis category (SARIF §3.13.4: a log holds any number of runs; GitHub
    /// and the findings hub take each run with its own <c>automationDetails</c> as its own analysis).
    /// </summary>
    public static async Task WriteLogAsync(IReadOnlyList<AnalysisRun> runs, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(output);
        await using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("$schema", SchemaUri);
        json.WriteString("version", "2.1.0");
        json.WriteStartArray("runs");
        foreach (var run in runs)
        {
            WriteRun(json, run);
        }

        json.WriteEndArray();
        json.WriteEndObject();
        await json.FlushAsync(cancellationToken);
    }

    private static void WriteRun(Utf8JsonWriter json, AnalysisRun run)
    {
        json.WriteStartObject();
        WriteTool(json, run);
        if (run.Category is not null)
        {
            // SARIF §3.17: GitHub reads the part of the id up to its last '/' as the category; nothing follows it here.
            json.WriteStartObject("automationDetails");
            json.WriteString("id", run.Category + "/");
            json.WriteEndObject();
        }

        WriteInvocation(json, run);
        if (run.Root is not null)
        {
            // SARIF §3.14.14: originalUriBaseIds gives the absolute location of %SRCROOT%; its uri must end with '/'.
            json.WriteStartObject("originalUriBaseIds");
            json.WriteStartObject(SourceRootBaseId);
            json.WriteString("uri", new Uri(EnsureTrailingSlash(run.Root)).AbsoluteUri);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        var ruleIndex = run.Rules.Select((r, i) => (r.Id, i)).ToDictionary(p => p.Id, p => p.i, StringComparer.Ordinal);
        json.WriteStartArray("results");
        foreach (var finding in run.Findings)
        {
            WriteResult(json, finding, ruleIndex);
        }

        json.WriteEndArray();
        json.WriteString("columnKind", "utf16CodeUnits");
        WriteRunProperties(json, run);
        json.WriteEndObject();
    }

    /// <summary>The run's statistics (files scanned, lines of code per language, unsafe-code inventory) and the memory-safe share.</summary>
    private static void WriteRunProperties(Utf8JsonWriter json, AnalysisRun run)
    {
        if (run.Statistics.Count == 0 && run.Properties.Count == 0)
        {
            return;
        }

        json.WriteStartObject("properties");
        foreach (var (key, value) in run.Properties.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            json.WriteString(key, value);
        }

        json.WriteStartObject("statistics");
        foreach (var (key, value) in run.Statistics.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            json.WriteNumber(key, value);
        }

        json.WriteEndObject();
        if (CodeInventory.MemorySafeShare(run.Statistics) is { } share)
        {
            json.WriteNumber("memorySafeShare", share);
        }

        json.WriteEndObject();
    }

    private static string EnsureTrailingSlash(string path) =>
        path.EndsWith('/') ? path : path + "/";

    private static void WriteTool(Utf8JsonWriter json, AnalysisRun run)
    {
        json.WriteStartObject("tool");
        json.WriteStartObject("driver");
        json.WriteString("name", run.ToolName);
        json.WriteString("version", run.ToolVersion);
        json.WriteString("semanticVersion", run.ToolVersion);
        if (ToolInformationUri is { } home)
        {
            json.WriteString("informationUri", home.AbsoluteUri);
        }

        json.WriteStartArray("rules");
        foreach (var rule in run.Rules)
        {
            WriteRule(json, rule);
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteRule(Utf8JsonWriter json, RuleDescriptor rule)
    {
        json.WriteStartObject();
        json.WriteString("id", rule.Id);
        json.WriteString("name", rule.Name);
        WriteMessage(json, "shortDescription", EnsureSentence(rule.ShortDescription));
        WriteMessage(json, "fullDescription", EnsureSentence(rule.FullDescription));
        json.WriteStartObject("help");
        json.WriteString("text", rule.HelpMarkdown);
        json.WriteString("markdown", rule.HelpMarkdown);
        json.WriteEndObject();
        if (rule.HelpUri is not null && Uri.TryCreate(rule.HelpUri, UriKind.Absolute, out _))
        {
            json.WriteString("helpUri", rule.HelpUri);
        }

        json.WriteStartObject("defaultConfiguration");
        json.WriteString("level", rule.DefaultSeverity.ToSarifLevel());
        json.WriteEndObject();
        json.WriteStartObject("properties");
        json.WriteString("security-severity", rule.DefaultSeverity.ToSecuritySeverity());
        // GitHub reads "precision" (very-high, high, medium, low) to rank results.
        json.WriteString("precision", rule.Confidence switch
        {
            Confidence.High => "high",
            Confidence.Medium => "medium",
            _ => "low",
        });
        json.WriteString("problem.severity", rule.DefaultSeverity >= Severity.High ? "error" : rule.DefaultSeverity == Severity.Medium ? "warning" : "recommendation");
        json.WriteNumber("version", rule.Version);
        if (rule.HelpUri is not null)
        {
            json.WriteString("guidance", rule.HelpUri);
        }

        json.WriteStartArray("tags");
        foreach (var tag in rule.Tags.Append("security").Concat(rule.Frameworks).Distinct(StringComparer.Ordinal))
        {
            json.WriteStringValue(tag);
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>SARIF2001 (multitool): messages are complete sentences ending with a period.</summary>
    private static string EnsureSentence(string text)
    {
        var trimmed = text.Trim();
        return trimmed.EndsWith('.') || trimmed.EndsWith('?') || trimmed.EndsWith('!') ? trimmed : trimmed + ".";
    }

    private static void WriteMessage(Utf8JsonWriter json, string property, string text)
    {
        json.WriteStartObject(property);
        json.WriteString("text", text);
        json.WriteEndObject();
    }

    private static void WriteInvocation(Utf8JsonWriter json, AnalysisRun run)
    {
        json.WriteStartArray("invocations");
        json.WriteStartObject();
        json.WriteBoolean("executionSuccessful", true);
        json.WriteString("startTimeUtc", run.StartTime.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
        json.WriteString("endTimeUtc", run.EndTime.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
        if (run.Notifications.Count > 0)
        {
            json.WriteStartArray("toolExecutionNotifications");
            foreach (var n in run.Notifications)
            {
                json.WriteStartObject();
                json.WriteStartObject("descriptor");
                json.WriteString("id", n.Id);
                json.WriteEndObject();
                json.WriteString("level", n.Level switch
                {
                    NotificationLevel.Error => "error",
                    NotificationLevel.Warning => "warning",
                    _ => "note",
                });
                WriteMessage(json, "message", EnsureSentence(n.Message));
                if (n.Path is not null)
                {
                    json.WriteStartArray("locations");
                    json.WriteStartObject();
                    WritePhysicalLocation(json, n.Path, n.Region);
                    json.WriteEndObject();
                    json.WriteEndArray();
                }

                if (n.RuleId is not null)
                {
                    json.WriteStartObject("associatedRule");
                    json.WriteString("id", n.RuleId);
                    json.WriteEndObject();
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        json.WriteEndObject();
        json.WriteEndArray();
    }

    private static void WritePhysicalLocation(Utf8JsonWriter json, string path, Region? region)
    {
        json.WriteStartObject("physicalLocation");
        json.WriteStartObject("artifactLocation");
        if (Path.IsPathRooted(path))
        {
            // SARIF §3.4.3: a file outside any root is an absolute file URI, without a uriBaseId (a relative
            // reference must not begin with '/').
            json.WriteString("uri", new Uri(path).AbsoluteUri);
        }
        else
        {
            json.WriteString("uri", ToRelativeUri(path));
            json.WriteString("uriBaseId", SourceRootBaseId);
        }

        json.WriteEndObject();
        if (region is not null)
        {
            json.WriteStartObject("region");
            json.WriteNumber("startLine", region.StartLine);
            json.WriteNumber("startColumn", region.StartColumn);
            json.WriteNumber("endLine", region.EndLine);
            json.WriteNumber("endColumn", region.EndColumn);
            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    /// <summary>A relative path as a URI reference: each segment percent-encoded, '/' kept.</summary>
    public static string ToRelativeUri(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return string.Join('/', path.Split('/').Select(Uri.EscapeDataString));
    }

    /// <summary>
    /// SARIF §3.36-3.38: the data-flow path as one code flow of one thread flow, source first. Each step is numbered
    /// in <c>executionOrder</c> (1-based, increasing along the path); <c>nestingLevel</c> is not written, as the
    /// path does not record call depth.
    /// </summary>
    private static void WriteCodeFlow(Utf8JsonWriter json, IReadOnlyList<FlowStep> flow)
    {
        json.WriteStartArray("codeFlows");
        json.WriteStartObject();
        json.WriteStartArray("threadFlows");
        json.WriteStartObject();
        json.WriteStartArray("locations");
        for (var i = 0; i < flow.Count; i++)
        {
            var step = flow[i];
            json.WriteStartObject();
            json.WriteStartObject("location");
            if (step.Location.Path is not null)
            {
                WritePhysicalLocation(json, step.Location.Path, step.Location.Region);
            }

            WriteMessage(json, "message", step.Message);
            json.WriteEndObject();
            json.WriteNumber("executionOrder", i + 1);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndArray();
    }

    private static void WriteResult(Utf8JsonWriter json, Finding finding, Dictionary<string, int> ruleIndex)
    {
        json.WriteStartObject();
        json.WriteString("ruleId", finding.RuleId);
        if (ruleIndex.TryGetValue(finding.RuleId, out var index))
        {
            json.WriteNumber("ruleIndex", index);
        }

        json.WriteString("level", finding.Severity.ToSarifLevel());
        WriteMessage(json, "message", EnsureSentence(finding.Message));
        json.WriteStartArray("locations");
        json.WriteStartObject();
        if (finding.Location.Path is not null)
        {
            WritePhysicalLocation(json, finding.Location.Path, finding.Location.Region);
        }

        if (finding.Location.ResourceId is not null || finding.Location.ModelElement is not null)
        {
            json.WriteStartArray("logicalLocations");
            json.WriteStartObject();
            json.WriteString("fullyQualifiedName", finding.Location.ToString());
            json.WriteString("kind", finding.Location.ModelElement is not null ? "element" : "resource");
            json.WriteEndObject();
            json.WriteEndArray();
        }

        json.WriteEndObject();
        json.WriteEndArray();
        if (finding.Flow is { Count: > 0 } flow)
        {
            WriteCodeFlow(json, flow);
        }

        json.WriteStartObject("partialFingerprints");
        if (finding.Fingerprints.PrimaryLocationLineHash is not null)
        {
            json.WriteString(LineHashKey, finding.Fingerprints.PrimaryLocationLineHash);
        }

        json.WriteString(ContentFingerprintKey, finding.Fingerprints.Content);
        json.WriteEndObject();
        if (finding.BaselineState != BaselineState.None)
        {
            json.WriteString("baselineState", finding.BaselineState switch
            {
                BaselineState.New => "new",
                BaselineState.Unchanged => "unchanged",
                BaselineState.Updated => "updated",
                _ => "absent",
            });
        }

        if (finding.Suppression is { } suppression)
        {
            json.WriteStartArray("suppressions");
            json.WriteStartObject();
            json.WriteString("kind", suppression.Kind);
            json.WriteString("status", "accepted");
            json.WriteString("justification", suppression.Justification);
            if (suppression.Expires is { } expires)
            {
                json.WriteStartObject("properties");
                json.WriteString("expires", expires.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteEndArray();
        }

        json.WriteStartObject("properties");
        json.WriteString("severity", finding.Severity.ToToken());
        json.WriteString("security-severity", finding.Severity.ToSecuritySeverity());
        if (finding.Evidence is { } evidence)
        {
            json.WriteString("evidence", evidence.ToString());
        }

        foreach (var (key, value) in finding.Properties.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            json.WriteString(key, value);
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }
}
