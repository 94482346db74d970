using System.Globalization;
using SecureFuture.Core;

namespace SecureFuture.Baseline;

/// <summary>
/// Maps failures to Core findings, so that SARIF, JSON, text, gates and the hub treat tenant results like code
/// results. IaC findings (ARM templates, Terraform plans) point at the file and line where the resource is defined;
/// tenant and resource findings at the export file and the line of the resource object, with the resource id and
/// property path as well. Unknown and error results become notifications: they are gaps, not findings.
/// </summary>
public static class BaselineFindings
{
    public const string ToolName = "sfi baseline";

    public static AnalysisRun ToAnalysisRun(Assessment assessment, ControlCatalogue? catalogue = null, DateTimeOffset? startTime = null)
    {
        ArgumentNullException.ThrowIfNull(assessment);
        catalogue ??= ControlCatalogue.Default;
        var findings = assessment.Failures.Select(r => ToFinding(r, catalogue[r.ControlId])).ToList();
        var notifications = new List<Notification>(assessment.Notifications);
        var tally = assessment.Tally;
        foreach (var control in catalogue.Controls)
        {
            if (tally.Count(control.Id, ControlStatus.Unknown) is var unknown and > 0)
            {
                notifications.Add(new Notification("baseline/unknown", NotificationLevel.Note,
                    $"{control.Id}: not evaluated for {unknown} resource(s): {tally.FirstUnknownEvidence(control.Id)}")
                { RuleId = control.Id });
            }
        }

        return new AnalysisRun
        {
            ToolName = ToolName,
            ToolVersion = typeof(BaselineFindings).Assembly.GetName().Version?.ToString(3) ?? "0.0.0",
            Rules = [.. catalogue.Controls.Select(c => c.ToRuleDescriptor())],
            Findings = findings,
            Notifications = notifications,
            StartTime = startTime ?? assessment.AssessedAt,
            EndTime = assessment.AssessedAt,
            Statistics = new Dictionary<string, long>
            {
                ["results"] = tally.Total,
                ["pass"] = tally.Count(ControlStatus.Pass),
                ["fail"] = tally.Count(ControlStatus.Fail),
                ["unknown"] = tally.Count(ControlStatus.Unknown),
                ["inputs"] = assessment.Files.Count,
            },
        };
    }

    public static Finding ToFinding(ControlResult result, ControlDefinition control)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(control);
        var source = result.Resource.Source;
        var location = new FindingLocation
        {
            Path = source?.Path,
            Region = source is null ? null : new Region(source.Line, source.Column, source.Line, source.Column + 1),
            ResourceId = result.Resource.Id,
            PropertyPath = result.PropertyPath,
        };
        var properties = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["domain"] = control.Domain,
            ["resourceType"] = result.Resource.Type,
        };
        if (result.Remediation is { } fix)
        {
            properties["remediation"] = fix.Description;
        }

        if (result.ExpiredException is { } expired)
        {
            properties["expiredException"] = string.Create(CultureInfo.InvariantCulture, $"{expired.Owner}, expired {expired.Expires:yyyy-MM-dd}");
        }

        return new Finding
        {
            RuleId = control.Id,
            Severity = control.Severity,
            Message = $"{control.Title}: {result.Evidence} ({result.Resource})",
            Location = location,
            // The content fingerprint survives line moves and re-exports: control + resource + property.
            Fingerprints = new Fingerprints(null, MaskedEvidence.Hash($"{control.Id}\n{result.Resource.Id.ToUpperInvariant()}\n{result.PropertyPath}")[..32]),
            Suppression = result.Exception is { } e ? new Suppression("external", $"{e.Reason} (owner {e.Owner})", e.Expires) : null,
            Properties = properties,
        };
    }
}
