using System.Globalization;
using System.Net;
using System.Text;
using SecureFuture.Core;

namespace SecureFuture.Baseline;

/// <summary>
/// The HTML report of an assessment, for a security lead: an at-a-glance view first (totals, pass/fail by domain as a
/// chart, the worst failures), then every failing resource and the remediation plan. One self-contained page (inline
/// CSS and SVG, no scripts, no external assets, a CSP that allows nothing else) that fits a 1,280 px screen: tables have
/// a fixed layout, long identifiers wrap, and long evidence and fixes are folded (<c>details</c>, no script needed).
/// Every value from the inputs is HTML-escaped: exports are attacker-influenced (a display name can hold markup).
/// </summary>
internal static class BaselineHtmlReport
{
    /// <summary>Evidence or a fix longer than this is folded behind its first words.</summary>
    internal const int FoldAt = 160;

    /// <summary>How many failures the at-a-glance view lists.</summary>
    internal const int WorstShown = 10;

    private static readonly System.Text.Json.JsonSerializerOptions Indented = new() { WriteIndented = true };
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private const string Style = """
        body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fff;line-height:1.4}
        main{max-width:1240px;margin:0 auto;padding:1rem 20px 3rem;box-sizing:border-box}
        h1{margin:.5rem 0}h2{margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
        table{border-collapse:collapse;margin:1rem 0;width:100%;table-layout:fixed}
        th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
        th{background:#f3f3f3}td.n,th.n{text-align:right}
        .fail{color:#a4262c;font-weight:600}.pass{color:#0b6a0b}.unknown{color:#6b5500}
        .sev{display:inline-block;padding:0 .4em;border-radius:3px;font-size:.8em;font-weight:600;white-space:nowrap}
        .sev-critical{background:#8e1b20;color:#fff}.sev-high{background:#a83400;color:#fff}
        .sev-medium{background:#ffd966;color:#1b1b1b}.sev-low,.sev-note{background:#e1dfdd;color:#1b1b1b}
        .tiles{display:flex;flex-wrap:wrap;gap:1rem;margin:1rem 0}
        .tile{border:1px solid #ccc;border-radius:6px;padding:.6rem 1rem;min-width:10rem}
        .tile b{display:block;font-size:1.6em}
        .id{color:#555;font-size:.85em}
        pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:.3rem 0 0;font-size:.85em}
        details summary{cursor:pointer}ol.worst li{margin:.3rem 0}
        svg text{font-family:system-ui,sans-serif;font-size:13px;fill:#1b1b1b}
        """;

    /// <summary>The statuses a domain's bar shows, in order, with their colours and legend names.</summary>
    private static readonly (string Name, string Colour, Func<DomainSummary, int> Count)[] Segments =
    [
        ("fail", "#c50f1f", d => d.Fail),
        ("error", "#5c2e91", d => d.Error),
        ("unknown", "#c19c00", d => d.Unknown),
        ("excepted", "#8a8886", d => d.Excepted),
        ("pass", "#107c10", d => d.Pass),
        ("not applicable", "#d2d0ce", d => d.NotApplicable),
    ];

    public static string Render(Assessment assessment, ControlCatalogue? catalogue = null)
    {
        ArgumentNullException.ThrowIfNull(assessment);
        catalogue ??= ControlCatalogue.Default;
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
          .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
          .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n")
          .Append("<title>SecureFuture tenant baseline</title>\n<style>\n").Append(Style).Append("</style></head><body><main>\n")
          .Append("<h1>Tenant baseline</h1>\n");
        sb.Append(Inv, $"<p>Assessed {E(assessment.AssessedAt.ToString("yyyy-MM-dd HH:mm 'UTC'", Inv))}: {assessment.Tally.Total} results over {catalogue.Controls.Count} controls from {assessment.Files.Count} input file(s).</p>\n");

        var failures = assessment.Failures
            .OrderByDescending(r => catalogue[r.ControlId].Severity)
            .ThenBy(r => r.ControlId, StringComparer.Ordinal)
            .ToList();
        var open = failures.Where(r => !r.IsExcepted).ToList();
        var domains = assessment.SummaryByDomain(catalogue);

        AtAGlance(sb, catalogue, domains, open);
        FailingResources(sb, catalogue, failures);
        Remediation(sb, assessment, catalogue);

        if (assessment.ExpiredExceptions.Count > 0)
        {
            sb.Append("<h2>Expired exceptions</h2>\n<ul>\n");
            foreach (var e in assessment.ExpiredExceptions)
            {
                sb.Append(Inv, $"<li>{E(e.ControlId)} on {E(e.ResourcePattern)} (owner {E(e.Owner)}) expired {E(e.Expires.ToString("yyyy-MM-dd", Inv))}</li>\n");
            }

            sb.Append("</ul>\n");
        }

        sb.Append("</main></body></html>\n");
        return sb.ToString();
    }

    private static void AtAGlance(StringBuilder sb, ControlCatalogue catalogue, IReadOnlyList<DomainSummary> domains, List<ControlResult> open)
    {
        sb.Append("<h2>At a glance</h2>\n<div class=\"tiles\">\n");
        var failingControls = open.Select(r => r.ControlId).Distinct(StringComparer.Ordinal).Count();
        Tile(sb, "failing controls", failingControls, failingControls > 0 ? "fail" : "pass");
        foreach (var severity in new[] { Severity.Critical, Severity.High })
        {
            var n = open.Count(r => catalogue[r.ControlId].Severity == severity);
            Tile(sb, $"{severity.ToToken()} failures", n, n > 0 ? "fail" : "pass");
        }

        var pass = domains.Sum(d => d.Pass);
        var judged = pass + domains.Sum(d => d.Fail);
        sb.Append(Inv, $"<div class=\"tile\"><b>{(judged == 0 ? "–" : ((double)pass / judged).ToString("P0", Inv))}</b>of judged results pass</div>\n");
        Tile(sb, "unknown results (never a pass)", domains.Sum(d => d.Unknown), domains.Sum(d => d.Unknown) > 0 ? "unknown" : "pass");
        sb.Append("</div>\n");

        DomainChart(sb, domains);

        sb.Append("<h3>Worst failures</h3>\n");
        if (open.Count == 0)
        {
            sb.Append("<p class=\"pass\">No open failures.</p>\n");
            return;
        }

        sb.Append("<ol class=\"worst\">\n");
        foreach (var r in open.Take(WorstShown))
        {
            var c = catalogue[r.ControlId];
            sb.Append(Inv, $"<li>{Badge(c.Severity)} <strong>{E(c.Id)}</strong> {E(c.Title)}: {E(r.Resource.Name ?? r.Resource.Id)}</li>\n");
        }

        sb.Append("</ol>\n");
        if (open.Count > WorstShown)
        {
            sb.Append(Inv, $"<p>…and {open.Count - WorstShown} more below.</p>\n");
        }
    }

    private static void Tile(StringBuilder sb, string label, int value, string cls) =>
        sb.Append(Inv, $"<div class=\"tile\"><b class=\"{cls}\">{value}</b>{E(label)}</div>\n");

    /// <summary>One stacked bar per domain, each as wide as the domain's results, with a legend and text equivalents.</summary>
    private static void DomainChart(StringBuilder sb, IReadOnlyList<DomainSummary> domains)
    {
        const int labelWidth = 200, barWidth = 720, countWidth = 260, row = 26, top = 30;
        var width = labelWidth + barWidth + countWidth;
        var height = top + (domains.Count * row) + 8;
        sb.Append(Inv, $"<svg role=\"img\" aria-labelledby=\"chart-title\" viewBox=\"0 0 {width} {height}\" width=\"100%\" style=\"max-width:{width}px\">\n");
        sb.Append("<title id=\"chart-title\">Results by domain: ")
          .Append(E(string.Join("; ", domains.Select(d => $"{d.Domain}: {d.Fail} fail, {d.Pass} pass, {d.Unknown} unknown"))))
          .Append("</title>\n");

        // Legend.
        var x = labelWidth;
        foreach (var (name, colour, _) in Segments)
        {
            sb.Append(Inv, $"<rect x=\"{x}\" y=\"6\" width=\"12\" height=\"12\" fill=\"{colour}\"/><text x=\"{x + 16}\" y=\"17\">{name}</text>\n");
            x += 24 + (name.Length * 8);
        }

        for (var i = 0; i < domains.Count; i++)
        {
            var d = domains[i];
            var y = top + (i * row);
            var total = Segments.Sum(s => s.Count(d));
            sb.Append(Inv, $"<text x=\"{labelWidth - 8}\" y=\"{y + 16}\" text-anchor=\"end\">{E(d.Domain)}</text>\n");
            double at = labelWidth;
            foreach (var (name, colour, count) in Segments)
            {
                var n = count(d);
                if (n == 0 || total == 0)
                {
                    continue;
                }

                var w = (double)barWidth * n / total;
                sb.Append(Inv, $"<rect x=\"{at:0.#}\" y=\"{y + 3}\" width=\"{w:0.#}\" height=\"18\" fill=\"{colour}\"><title>{E(d.Domain)}: {n} {name}</title></rect>\n");
                at += w;
            }

            sb.Append(Inv, $"<text x=\"{labelWidth + barWidth + 10}\" y=\"{y + 16}\">{d.Fail} fail · {d.Pass} pass · {d.Unknown} unknown</text>\n");
        }

        sb.Append("</svg>\n");
    }

    private static void FailingResources(StringBuilder sb, ControlCatalogue catalogue, List<ControlResult> failures)
    {
        sb.Append("<h2>Failing resources</h2>\n");
        if (failures.Count == 0)
        {
            sb.Append("<p>No failures.</p>\n");
            return;
        }

        sb.Append("<table><colgroup><col style=\"width:19%\"><col style=\"width:8%\"><col style=\"width:22%\"><col style=\"width:13%\"><col style=\"width:28%\"><col style=\"width:10%\"></colgroup>\n")
          .Append("<tr><th>Control</th><th>Severity</th><th>Resource</th><th>Where</th><th>Evidence</th><th>Exception</th></tr>\n");
        foreach (var r in failures)
        {
            var c = catalogue[r.ControlId];
            sb.Append(Inv, $"<tr><td><strong>{E(c.Id)}</strong> {E(c.Title)}</td><td>{Badge(c.Severity)}</td><td>{Resource(r.Resource)}</td><td>{E(r.Resource.Source?.ToString())}</td><td>{Fold(r.Evidence)}</td>");
            sb.Append(Inv, $"<td>{(r.Exception is { } x ? E($"{x.Owner}: {x.Reason} (until {x.Expires:yyyy-MM-dd})") : r.ExpiredException is { } y ? E($"expired {y.Expires:yyyy-MM-dd}") : string.Empty)}</td></tr>\n");
        }

        sb.Append("</table>\n");
    }

    private static void Remediation(StringBuilder sb, Assessment assessment, ControlCatalogue catalogue)
    {
        sb.Append("<h2>Remediation</h2>\n");
        var plan = RemediationPlan.From(assessment, catalogue);
        if (plan.Items.Count == 0)
        {
            sb.Append("<p>Nothing to remediate.</p>\n");
            return;
        }

        sb.Append(Inv, $"<p>{plan.Items.Count} failure(s): {plan.Programmatic.Count()} with a programmatic fix, {plan.Manual.Count()} manual.</p>\n");
        sb.Append("<table><colgroup><col style=\"width:10%\"><col style=\"width:28%\"><col style=\"width:62%\"></colgroup>\n<tr><th>Control</th><th>Resource</th><th>Fix</th></tr>\n");
        foreach (var i in plan.Items)
        {
            var a = i.Action;
            var detail = a.Kind switch
            {
                RemediationKind.Arm or RemediationKind.Graph => $"{a.Method} {a.Url}\n{a.Body?.ToJsonString(Indented)}",
                RemediationKind.Terraform or RemediationKind.ArmTemplate => $"{a.Address}: {a.Attribute} = {a.Value?.ToJsonString()}",
                _ => a.Steps ?? string.Empty,
            };
            var fix = detail.Length == 0 ? string.Empty
                : detail.Length <= FoldAt && !detail.Contains('\n', StringComparison.Ordinal) ? $"<pre>{E(detail)}</pre>"
                : $"<details><summary>{E(a.Kind.ToString())} change</summary><pre>{E(detail)}</pre></details>";
            sb.Append(Inv, $"<tr><td>{E(i.ControlId)}</td><td>{Resource(i.Resource)}</td><td>{E(a.Description)}{(a.Caution is null ? string.Empty : $"<br><strong>Caution:</strong> {E(a.Caution)}")}{fix}</td></tr>\n");
        }

        sb.Append("</table>\n");
    }

    /// <summary>A resource's name, with its (often long) id below it in smaller type when they differ.</summary>
    private static string Resource(ResourceRef resource) =>
        resource.Name is { Length: > 0 } name && name != resource.Id
            ? $"{E(name)}<br><span class=\"id\">{E(resource.Id)}</span>"
            : E(resource.Id);

    /// <summary>Text longer than <see cref="FoldAt"/> shown as its first words, the whole of it one click away.</summary>
    internal static string Fold(string? text)
    {
        text ??= string.Empty;
        if (text.Length <= FoldAt)
        {
            return E(text);
        }

        var cut = text.LastIndexOf(' ', FoldAt);
        var head = text[..(cut > FoldAt / 2 ? cut : FoldAt)];
        return $"<details><summary>{E(head)}… <span class=\"id\">({text.Length:N0} characters)</span></summary>{E(text)}</details>";
    }

    private static string Badge(Severity severity) => $"<span class=\"sev sev-{severity.ToToken()}\">{severity.ToToken()}</span>";

    private static string E(string? s) => WebUtility.HtmlEncode(s ?? string.Empty);
}
