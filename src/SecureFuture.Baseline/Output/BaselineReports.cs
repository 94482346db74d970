using System.Globalization;
using System.Text;

namespace SecureFuture.Baseline;

/// <summary>
/// Human-readable reports: a text summary by domain, and a self-contained HTML page (inline CSS, no scripts, no
/// external assets) with the summary by domain, failing resources and the remediation plan. Every value from the
/// inputs is HTML-escaped: exports are attacker-influenced (a display name can hold markup).
/// </summary>
public static class BaselineReports
{
    /// <summary>The catalogue as text (for <c>sfi baseline controls</c>): id, severity, whether it is evaluated, title.</summary>
    public static string ControlList(ControlCatalogue? catalogue = null)
    {
        catalogue ??= ControlCatalogue.Default;
        var sb = new StringBuilder();
        foreach (var domain in catalogue.Domains)
        {
            sb.AppendLine(domain);
            foreach (var c in catalogue.Controls.Where(c => c.Domain == domain))
            {
                var refs = string.Join("; ", c.ToRuleDescriptor().Frameworks);
                sb.AppendLine(CultureInfo.InvariantCulture,
                    $"  {c.Id}  {c.Severity.ToString().ToLowerInvariant(),-8} {(EvaluatorRegistry.IsEvaluated(c.Id) ? "evaluated" : "unknown  ")}  {(c.Fix.Programmatic ? "fix   " : "manual")}  {c.Title}{(refs.Length > 0 ? $"  [{refs}]" : string.Empty)}");
            }
        }

        return sb.ToString();
    }

    public static string TextSummary(Assessment assessment, ControlCatalogue? catalogue = null)
    {
        ArgumentNullException.ThrowIfNull(assessment);
        catalogue ??= ControlCatalogue.Default;
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine(inv, $"Tenant baseline: {catalogue.Controls.Count} controls, {assessment.Tally.Total} results, {assessment.Files.Count} input file(s)");
        sb.AppendLine();
        sb.AppendLine(inv, $"{"Domain",-22} {"pass",5} {"fail",5} {"excepted",8} {"unknown",7} {"n/a",5} {"error",5}");
        foreach (var d in assessment.SummaryByDomain(catalogue))
        {
            sb.AppendLine(inv, $"{d.Domain,-22} {d.Pass,5} {d.Fail,5} {d.Excepted,8} {d.Unknown,7} {d.NotApplicable,5} {d.Error,5}");
        }

        var failures = assessment.Failures.Where(r => !r.IsExcepted).ToList();
        if (failures.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Failures:");
            foreach (var r in failures.OrderByDescending(r => catalogue[r.ControlId].Severity).ThenBy(r => r.ControlId, StringComparer.Ordinal))
            {
                var c = catalogue[r.ControlId];
                sb.AppendLine(inv, $"  {c.Id} [{c.Severity.ToString().ToLowerInvariant()}] {c.Title}: {r.Resource}{(r.Resource.Source is { } s ? $" at {s}" : string.Empty)}");
                sb.AppendLine(inv, $"      {r.Evidence}");
            }
        }

        foreach (var e in assessment.ExpiredExceptions)
        {
            sb.AppendLine(inv, $"Expired exception: {e.ControlId} on '{e.ResourcePattern}' (owner {e.Owner}) expired {e.Expires:yyyy-MM-dd} ({e.Source})");
        }

        var unevaluated = catalogue.Controls.Count(c => assessment.Tally.Count(c.Id, ControlStatus.Unknown) > 0);
        if (unevaluated > 0)
        {
            sb.AppendLine();
            sb.AppendLine(inv, $"{unevaluated} control(s) have unknown results: the data they need was not in the inputs, or they are not evaluated yet. Unknown is never a pass.");
        }

        return sb.ToString();
    }

    /// <summary>The remediation plan as text (for <c>sfi baseline remediate</c>): one block per failure.</summary>
    public static string RemediationText(RemediationPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        foreach (var i in plan.Items)
        {
            var a = i.Action;
            sb.AppendLine(inv, $"{i.ControlId} {i.Title}: {i.Resource}{(i.Resource.Source is { } s ? $" ({s})" : string.Empty)}");
            sb.AppendLine(inv, $"  {a.Kind.ToString().ToLowerInvariant()}: {a.Description}");
            switch (a.Kind)
            {
                case RemediationKind.Arm or RemediationKind.Graph:
                    sb.AppendLine(inv, $"  {a.Method} {a.Url}");
                    if (a.Body is not null)
                    {
                        sb.AppendLine(inv, $"  {a.Body.ToJsonString()}");
                    }

                    break;
                case RemediationKind.Terraform or RemediationKind.ArmTemplate:
                    sb.AppendLine(inv, $"  {a.Address}: {a.Attribute} = {a.Value?.ToJsonString() ?? "(choose a value)"}");
                    break;
                default:
                    break;
            }

            if (a.Caution is not null)
            {
                sb.AppendLine(inv, $"  caution: {a.Caution}");
            }
        }

        sb.AppendLine(inv, $"{plan.Items.Count} failure(s): {plan.Programmatic.Count()} with a programmatic fix, {plan.Manual.Count()} manual.");
        return sb.ToString();
    }

    /// <summary>A diff as text (for <c>sfi baseline diff</c>): regressions first, then improvements, then other changes.</summary>
    public static string DiffText(AssessmentDiff diff)
    {
        ArgumentNullException.ThrowIfNull(diff);
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        static string S(ControlStatus? s) => s is { } v ? AssessmentJson.StatusToken(v) : "absent";
        foreach (var kind in new[] { ChangeKind.Regressed, ChangeKind.Improved, ChangeKind.Changed })
        {
            var changes = diff.Changes.Where(c => c.Kind == kind).ToList();
            if (changes.Count == 0)
            {
                continue;
            }

            sb.AppendLine(inv, $"{kind} ({changes.Count}):");
            foreach (var c in changes)
            {
                sb.AppendLine(inv, $"  {c.ControlId} {c.ResourceId}: {S(c.Before)} -> {S(c.After)}{(c.Evidence is null ? string.Empty : $"  ({c.Evidence})")}");
            }
        }

        return sb.Length == 0 ? "No changes.\n" : sb.ToString();
    }

    /// <summary>The HTML report: see <see cref="BaselineHtmlReport"/>.</summary>
    public static string Html(Assessment assessment, ControlCatalogue? catalogue = null) => BaselineHtmlReport.Render(assessment, catalogue);
}
