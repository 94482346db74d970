using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace SecureFuture.Cli.Findings;

/// <summary>
/// <c>sfi findings report</c> from the hub's metrics JSON (<c>/v1/metrics/findings</c>): text, or one self-contained
/// HTML page (inline CSS and SVG charts, no script, nothing fetched).
/// </summary>
internal static class FindingsReport
{
    private static readonly string[] Severities = ["critical", "high", "medium", "low", "note"];

    public static string Text(JsonNode metrics)
    {
        var text = new StringBuilder();
        var coverage = metrics["coverage"]!;
        text.Append(CultureInfo.InvariantCulture, $"Findings report at {metrics["at"]}\n");
        text.Append(CultureInfo.InvariantCulture, $"Coverage: {Percent(coverage["ratio"])} ({coverage["covered"]} of {coverage["projects"]} projects analysed within {coverage["windowDays"]} days)\n");
        foreach (var project in coverage["byProject"]!.AsArray().Where(p => !p!["covered"]!.GetValue<bool>()))
        {
            text.Append(CultureInfo.InvariantCulture, $"  not covered: {project!["project"]} (missing {string.Join(", ", project["missing"]!.AsArray().Select(m => m!.ToString()))})\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"Total: {Line(metrics["total"]!)}\n");
        foreach (var (name, group) in Groups(metrics, "bySeverity"))
        {
            text.Append(CultureInfo.InvariantCulture, $"  {name,-9} {Line(group)}\n");
        }

        text.Append("By project:\n");
        foreach (var (name, group) in Groups(metrics, "byProject"))
        {
            text.Append(CultureInfo.InvariantCulture, $"  {name} {Line(group)}\n");
        }

        text.Append("By month (new / fixed):\n");
        foreach (var (name, group) in Groups(metrics, "byMonth"))
        {
            text.Append(CultureInfo.InvariantCulture, $"  {name}  {group["new"]} / {group["fixed"]}\n");
        }

        return text.ToString();
    }

    public static string Html(JsonNode metrics)
    {
        var coverage = metrics["coverage"]!;
        var total = metrics["total"]!;
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>sfi findings report</title>\n")
            .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n")
            .Append("<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}")
            .Append("th:first-child,td:first-child{text-align:left}.bar{fill:#3a6ea5}.fix{fill:#2e8b57}text{font-size:12px}</style></head><body>\n");
        html.Append(CultureInfo.InvariantCulture, $"<h1>Findings report</h1><p>At {E(metrics["at"])}.</p>\n");
        html.Append(CultureInfo.InvariantCulture, $"<h2>Coverage: {E(Percent(coverage["ratio"]))}</h2><p>{E(coverage["covered"])} of {E(coverage["projects"])} projects had a complete analysis of every expected category within {E(coverage["windowDays"])} days.</p>\n");
        html.Append("<table><tr><th>project</th><th>covered</th><th>missing</th><th>last complete analysis</th></tr>\n");
        foreach (var p in coverage["byProject"]!.AsArray())
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(p!["project"])}</td><td>{(p["covered"]!.GetValue<bool>() ? "yes" : "no")}</td><td>{E(string.Join(", ", p["missing"]!.AsArray().Select(m => m!.ToString())))}</td><td>{E(p["lastCompleteAnalysis"] ?? "-")}</td></tr>\n");
        }

        html.Append("</table>\n<h2>Time to mitigate and SLA</h2>\n<table><tr><th>severity</th><th>fixed</th><th>median days</th><th>p90 days</th><th>mean days</th><th>SLA compliance</th><th>overdue now</th><th>open</th></tr>\n");
        foreach (var (name, group) in Groups(metrics, "bySeverity").Append(("all", total)))
        {
            var ttm = group["timeToMitigate"]!;
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(name)}</td><td>{ttm["count"]}</td><td>{Days(ttm["medianSeconds"])}</td><td>{Days(ttm["p90Seconds"])}</td><td>{Days(ttm["meanSeconds"])}</td><td>{E(Percent(group["sla"]!["ratio"]))}</td><td>{group["sla"]!["openOverdue"]}</td><td>{Open(group)}</td></tr>\n");
        }

        html.Append("</table>\n<h2>Open backlog by age (days)</h2>\n");
        html.Append(Bars([.. total["backlog"]!.AsObject().Select(b => (b.Key, (double)b.Value!.GetValue<int>()))], "bar"));
        html.Append("<h2>Median time to mitigate by severity (days)</h2>\n");
        html.Append(Bars([.. Groups(metrics, "bySeverity").Select(g => (g.Name, (g.Group["timeToMitigate"]!["medianSeconds"]?.GetValue<double>() ?? 0) / 86400))], "fix"));
        html.Append("<h2>New and fixed by month</h2>\n<table><tr><th>month</th><th>new</th><th>fixed</th></tr>\n");
        foreach (var (name, group) in Groups(metrics, "byMonth"))
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(name)}</td><td>{group["new"]}</td><td>{group["fixed"]}</td></tr>\n");
        }

        return html.Append("</table>\n</body></html>\n").ToString();
    }

    /// <summary>A horizontal bar chart as inline SVG.</summary>
    private static string Bars(IReadOnlyList<(string Label, double Value)> bars, string style)
    {
        var max = bars.Count == 0 ? 0 : bars.Max(b => b.Value);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"520\" height=\"{(bars.Count * 24) + 8}\" role=\"img\">\n");
        for (var i = 0; i < bars.Count; i++)
        {
            var width = max <= 0 ? 0 : bars[i].Value / max * 360;
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"0\" y=\"{(i * 24) + 18}\">{E(bars[i].Label)}</text><rect class=\"{style}\" x=\"100\" y=\"{(i * 24) + 6}\" width=\"{width:0.#}\" height=\"16\"/><text x=\"{106 + width:0.#}\" y=\"{(i * 24) + 18}\">{bars[i].Value:0.#}</text>\n");
        }

        return svg.Append("</svg>\n").ToString();
    }

    private static IEnumerable<(string Name, JsonNode Group)> Groups(JsonNode metrics, string by)
    {
        var groups = metrics[by]!.AsObject().Select(p => (p.Key, p.Value!));
        return by == "bySeverity" ? groups.OrderBy(g => Array.IndexOf(Severities, g.Key)) : groups.OrderBy(g => g.Key, StringComparer.Ordinal);
    }

    private static string Line(JsonNode group)
    {
        var ttm = group["timeToMitigate"]!;
        return $"{Open(group)} open, {group["sla"]!["openOverdue"]} overdue, {ttm["count"]} fixed; time to mitigate median {Days(ttm["medianSeconds"])} d, p90 {Days(ttm["p90Seconds"])} d; SLA {Percent(group["sla"]!["ratio"])}";
    }

    private static int Open(JsonNode group) => group["backlog"]!.AsObject().Sum(b => b.Value!.GetValue<int>());

    private static string Days(JsonNode? seconds) => seconds is null ? "-" : (seconds.GetValue<double>() / 86400).ToString("0.#", CultureInfo.InvariantCulture);

    private static string Percent(JsonNode? ratio) => ratio is null ? "-" : (ratio.GetValue<double>() * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";

    private static string E(object? value) => WebUtility.HtmlEncode(value?.ToString() ?? string.Empty);
}
