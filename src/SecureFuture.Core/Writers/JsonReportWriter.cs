using System.Globalization;
using System.Text.Json;

namespace SecureFuture.Core.Writers;

/// <summary>
/// SecureFuture's own JSON: one object per finding with flat, documented fields (see docs/output-formats.md).
/// Simpler to consume than SARIF for scripts and the findings hub.
/// </summary>
public sealed class JsonReportWriter : IReportWriter
{
    public string Format => "json";

    public async Task WriteAsync(AnalysisRun run, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(output);
        await using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        var rules = run.Rules.ToDictionary(r => r.Id, StringComparer.Ordinal);
        json.WriteStartObject();
        json.WriteString("tool", run.ToolName);
        json.WriteString("version", run.ToolVersion);
        json.WriteString("startTime", run.StartTime.ToString("o", CultureInfo.InvariantCulture));
        json.WriteString("endTime", run.EndTime.ToString("o", CultureInfo.InvariantCulture));
        json.WriteStartObject("summary");
        foreach (var severity in Enum.GetValues<Severity>().Reverse())
        {
            json.WriteNumber(severity.ToToken(), run.Findings.Count(f => f.Severity == severity && !f.IsSuppressed));
        }

        json.WriteNumber("suppressed", run.Findings.Count(f => f.IsSuppressed));
        foreach (var (key, value) in run.Statistics.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            json.WriteNumber(key, value);
        }

        if (CodeInventory.MemorySafeShare(run.Statistics) is { } share)
        {
            json.WriteNumber("memorySafeShare", share);
        }

        json.WriteEndObject();
        if (run.Properties.Count > 0)
        {
            json.WriteStartObject("properties");
            foreach (var (key, value) in run.Properties.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                json.WriteString(key, value);
            }

            json.WriteEndObject();
        }

        json.WriteStartArray("findings");
        foreach (var f in run.Findings)
        {
            json.WriteStartObject();
            json.WriteString("ruleId", f.RuleId);
            if (rules.TryGetValue(f.RuleId, out var rule))
            {
                json.WriteString("ruleName", rule.Name);
            }

            json.WriteString("severity", f.Severity.ToToken());
            json.WriteString("message", f.Message);
            WriteLocation(json, f.Location);
            if (f.Evidence is { } e)
            {
                json.WriteStartObject("evidence");
                json.WriteString("prefix", e.Prefix);
                json.WriteNumber("length", e.Length);
                json.WriteString("sha256Prefix", e.HashPrefix);
                json.WriteEndObject();
            }

            if (f.Flow is { Count: > 0 } flow)
            {
                json.WriteStartArray("flow");
                foreach (var step in flow)
                {
                    json.WriteStartObject();
                    WriteLocation(json, step.Location);
                    json.WriteString("message", step.Message);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
            }

            json.WriteStartObject("fingerprints");
            if (f.Fingerprints.PrimaryLocationLineHash is not null)
            {
                json.WriteString("primaryLocationLineHash", f.Fingerprints.PrimaryLocationLineHash);
            }

            json.WriteString("content", f.Fingerprints.Content);
            json.WriteEndObject();
            json.WriteBoolean("suppressed", f.IsSuppressed);
            if (f.Suppression is { } s)
            {
                json.WriteStartObject("suppression");
                json.WriteString("kind", s.Kind);
                json.WriteString("justification", s.Justification);
                if (s.Expires is { } expires)
                {
                    json.WriteString("expires", expires.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                }

                json.WriteEndObject();
            }

            if (f.BaselineState != BaselineState.None)
            {
                json.WriteString("baselineState", f.BaselineState.ToString().ToLowerInvariant());
            }

            if (f.Properties.Count > 0)
            {
                json.WriteStartObject("properties");
                foreach (var (key, value) in f.Properties.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    json.WriteString(key, value);
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("notifications");
        foreach (var n in run.Notifications)
        {
            json.WriteStartObject();
            json.WriteString("id", n.Id);
            json.WriteString("level", n.Level.ToString().ToLowerInvariant());
            json.WriteString("message", n.Message);
            if (n.Path is not null)
            {
                json.WriteString("path", n.Path);
            }

            if (n.Region is not null)
            {
                json.WriteNumber("line", n.Region.StartLine);
                json.WriteNumber("column", n.Region.StartColumn);
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
        await json.FlushAsync(cancellationToken);
    }

    private static void WriteLocation(Utf8JsonWriter json, FindingLocation location)
    {
        if (location.Path is not null)
        {
            json.WriteString("path", location.Path);
        }

        if (location.Region is { } r)
        {
            json.WriteNumber("line", r.StartLine);
            json.WriteNumber("column", r.StartColumn);
            json.WriteNumber("endLine", r.EndLine);
            json.WriteNumber("endColumn", r.EndColumn);
        }

        if (location.ResourceId is not null)
        {
            json.WriteString("resource", location.ResourceId);
        }

        if (location.PropertyPath is not null)
        {
            json.WriteString("propertyPath", location.PropertyPath);
        }

        if (location.ModelElement is not null)
        {
            json.WriteString("element", location.ModelElement);
        }
    }
}
